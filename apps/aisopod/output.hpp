// Output formatting for the aisopod command: JSON lines, tables, and secret redaction.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/redact.hpp"
#include "aisopod/status.hpp"
#include "aisopod/types.hpp"

namespace aisopod::cli {

// `text` as a JSON string literal, quotes included.
std::string json_string(std::string_view text);

// One chunk as one line of JSON (no newline), with exactly these keys where present: id,
// model, delta {role, content, reasoning, reasoning_signature, tool_calls [{index, id, name,
// arguments}]}, finish_reason, raw_finish_reason, usage {input_tokens, output_tokens,
// cache_read_tokens, cache_write_tokens, reasoning_tokens}.
std::string chunk_to_jsonl(const ChatCompletionChunk& chunk);

// A JSON array of model objects (id, provider, display_name, owned_by, created,
// context_window, max_output_tokens).
std::string models_to_json(const std::vector<ModelInfo>& models);

// A left-aligned text table with a header row.
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// `text` made safe for a terminal: control characters (below 0x20, and DEL) from upstream text
// are written as escapes ("\n", "\r", "\t", "\x1b"), so an error message or a status line
// cannot move the cursor, clear the screen or retitle the window.
std::string escape_control(std::string_view text);
// The same for a text of several lines: line breaks stay, other control characters are escaped.
std::string escape_control_lines(std::string_view text);

// "10 s", "1.5 s", "250 ms".
std::string format_seconds(std::chrono::milliseconds duration);

// Output to a file descriptor that notices failures (a full disk, a closed pipe, a closed
// descriptor) instead of ignoring them. Text is collected with append() and written by flush().
// Not thread-safe.
class FdWriter {
 public:
  // `name` names the destination in errors ("standard output").
  FdWriter(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

  std::string& buffer() { return buffer_; }
  void append(std::string_view text) { buffer_.append(text); }

  // Writes everything collected. On failure returns (and keeps returning) an internal error
  // "cannot write to NAME: REASON"; what was collected is dropped.
  Status flush();
  const Status& status() const { return status_; }

 private:
  int fd_;
  std::string name_;
  std::string buffer_;
  Status status_;
};

// Prints a streamed chat answer: answer text to `out`, reasoning to `err` (text format), or one
// JSON object per chunk to `out` (jsonl format). Every piece of text an upstream sends (text,
// reasoning, tool-call ids, names and arguments, ids and model names) passes through redaction
// of the configured secrets; a secret split across chunks is still caught (StreamRedactor), so
// a few trailing bytes of text may wait for the next chunk and are written at the latest by
// finish(). Keeps only what the end of the answer needs (tool calls, usage, finish reason), so
// memory stays flat however long the answer is. One per answer; not thread-safe.
class ChatPrinter {
 public:
  enum class Format { kText, kJsonl };

  ChatPrinter(Format format, std::shared_ptr<const SecretMatcher> secrets);

  // Appends what `chunk` shows to `out` and `err`.
  void add(const ChatCompletionChunk& chunk, std::string& out, std::string& err);
  // The answer ended: appends what was held back, the tool calls and the closing newline.
  void finish(std::string& out, std::string& err);
  // The answer broke off with an error: appends what was held back and ends the line.
  void abort(std::string& out, std::string& err);

  FinishReason finish_reason() const { return finish_reason_; }
  const std::optional<Usage>& usage() const { return usage_; }

 private:
  struct Call {
    std::string id;
    std::string name;
    std::string arguments;
  };
  StreamRedactor& arguments_redactor(int index);
  void flush_held(std::string& out, std::string& err, bool as_line);

  Format format_;
  std::shared_ptr<const SecretMatcher> secrets_;
  StreamRedactor content_;
  StreamRedactor reasoning_;
  std::map<int, StreamRedactor> arguments_;
  std::map<int, Call> calls_;
  bool reasoning_open_ = false;
  FinishReason finish_reason_ = FinishReason::kNone;
  std::optional<Usage> usage_;
};

}  // namespace aisopod::cli
