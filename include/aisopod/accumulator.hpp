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
  // The assistant message: the reasoning parts in the order they arrived (one part per
  // reasoning block, each with its own signature; redacted blocks in place), then the text;
  // tool calls with their complete arguments, in index order.
  Message message;
  FinishReason finish_reason = FinishReason::kNone;
  std::string raw_finish_reason;
  std::optional<Usage> usage;
};

// Feeds on chunks in stream order. One per stream; not thread-safe.
class ChatCompletionAccumulator {
 public:
  // Adds one chunk: text is appended; reasoning text extends the current reasoning block until
  // that block has received its signature, after which reasoning text starts a new block (so
  // interleaved thinking keeps one signature per block); redacted reasoning is a block of its
  // own; tool-call fragments are joined by index (the first delta of an index gives id and
  // name; later ones append arguments); the last non-empty finish reason wins and usage is
  // merged (larger value wins).
  void add(const ChatCompletionChunk& chunk);

  // The answer so far (complete once the stream has ended).
  ChatCompletion result() const;

 private:
  ChatCompletion completion_;
  std::string text_;
  // Reasoning and redacted-reasoning blocks, in arrival order.
  std::vector<ContentPart> reasoning_;
  // Tool calls by their stream index.
  std::vector<std::optional<ToolCall>> calls_;
};

}  // namespace aisopod
