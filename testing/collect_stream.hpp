// Runs one chat completion to its end and keeps everything it produced (provider tests).
#pragma once

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "aisopod/accumulator.hpp"
#include "aisopod/provider.hpp"

namespace aisopod::testing {

struct StreamOutcome {
  Status start;  // the error of chat_completion, if any
  std::vector<ChatCompletionChunk> chunks;
  Status end;  // the error that ended the stream, if any
  ChatCompletion completion;
};

// Starts the completion and drains the stream. Two overloads rather than a default argument:
// g++ 12 destroys a non-trivial default argument twice under co_await.
inline Task<StreamOutcome> collect(std::shared_ptr<ModelProvider> provider,
                                   ChatCompletionRequest request, CallOptions options) {
  StreamOutcome out;
  Result<ChunkStream> stream = co_await provider->chat_completion(std::move(request), options);
  if (!stream.ok()) {
    out.start = stream.error();
    co_return out;
  }
  ChatCompletionAccumulator acc;
  for (;;) {
    Result<std::optional<ChatCompletionChunk>> next = co_await stream->next();
    if (!next.ok()) {
      out.end = next.error();
      break;
    }
    if (!next->has_value()) break;
    acc.add(**next);
    out.chunks.push_back(std::move(**next));
  }
  out.completion = acc.result();
  co_return out;
}

inline Task<StreamOutcome> collect(std::shared_ptr<ModelProvider> provider,
                                   ChatCompletionRequest request) {
  const CallOptions options;
  return collect(std::move(provider), std::move(request), options);
}

}  // namespace aisopod::testing
