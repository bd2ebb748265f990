// ChatCompletionAccumulator: assembles streamed chunks into the complete assistant answer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aisopod/types.hpp"

namespace aisopod {

// The assembled answer of one completion.
struct ChatCompletion {
  std::string id;
  std::string model;
  // The assistant message: reasoning parts (with their signatures) first, then redacted
  // reasoning, then the text; tool calls with their complete arguments, in index order.
  Message message;
  FinishReason finish_reason = FinishReason::kNone;
  std::string raw_finish_reason;
  std::optional<Usage> usage;
};

// Feeds on chunks in stream order. One per stream; not thread-safe.
class ChatCompletionAccumulator {
 public:
  // Adds one chunk: text and reasoning are appended, tool-call fragments are joined by index
  // (the first delta of an index gives id and name; later ones append arguments), the last
  // non-empty finish reason and usage win.
  void add(const ChatCompletionChunk& chunk);

  // The answer so far (complete once the stream has ended).
  ChatCompletion result() const;

 private:
  ChatCompletion completion_;
  std::string text_;
  std::string reasoning_;
  std::string signature_;
  std::vector<std::string> redacted_;
  // Tool calls by their stream index.
  std::vector<std::optional<ToolCall>> calls_;
};

}  // namespace aisopod
