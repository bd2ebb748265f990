// Ollama /api/chat response decoders: the stream decoder (NDJSON body bytes in, normalized
// chunks out; sans-I/O, built on codec::NdjsonDecoder; one per request, not thread-safe) and the
// non-streaming decoder (decode_chat_response, pure).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"
#include "codec/ndjson.hpp"
#include "providers/common/stream_decoding.hpp"

namespace aisopod::ollama {

// Decodes one `application/x-ndjson` body of POST /api/chat (reference/wire-formats.md 5.1).
// feed / next / finish and their usage: as every stream decoder
// (providers/common/stream_decoding.hpp); the end marker is the `done:true` line, and finish()
// decodes a final line without a newline.
//
// Rules:
//   - One chunk per line that adds something: message.content as content, message.thinking as
//     reasoning, message.tool_calls as tool-call deltas. (/api/generate's top-level "response"
//     and "thinking" are read the same way.) Lines that add nothing are skipped, except the
//     final one. The first chunk carries role assistant.
//   - Tool calls arrive whole: each becomes one delta with a dense index (0, 1, 2 in order of
//     appearance), its id (the payload's "id", or "call_<index>" when absent), its name, and
//     its arguments object as compact JSON text (a string value is passed through as is).
//   - id and model come with the first chunk, and again when the model changes. The id is
//     one Ollama does not send: "ollama-<model>-<created_at>" from the first line, the same
//     for the whole response.
//   - The `done:true` line is the last chunk: finish reason from done_reason (length ->
//     length; stop, load, unload, absent -> stop, or tool_calls when the answer holds tool
//     calls; the raw string is kept), usage {input: prompt_eval_count, output: eval_count}
//     (missing counts are 0). Bytes after it are ignored.
// Errors, all sticky and carrying the provider id: an `{"error":"..."}` line (mapped by
// status_from_stream_error; chunks decoded before it are returned first); a line that is not a
// JSON object (protocol_error with a short excerpt); NDJSON framing errors; a body that ends
// before the done:true line (protocol_error "stream ended early").
class StreamDecoder {
 public:
  explicit StreamDecoder(std::string provider_id = "ollama");

  // As every stream decoder (providers/common/stream_decoding.hpp).
  void feed(std::string_view bytes) { stream_.feed(bytes); }
  Result<std::optional<ChatCompletionChunk>> next();
  Status finish();

 private:
  struct Scratch;
  void process_line(std::string_view line);

  providers::FramedDecoder<codec::NdjsonDecoder> stream_;
  providers::ScratchPtr<Scratch> scratch_;  // simdjson parser, reused for every line
  std::string id_;  // made up from the first line with a model (Ollama sends none)
};

// The normalized finish reason for an Ollama done_reason: length -> length; anything else
// (stop, load, unload, empty) -> stop, or tool_calls when `had_tool_calls`.
FinishReason finish_reason_from_ollama(std::string_view raw, bool had_tool_calls);

// Decodes the body of a successful non-streaming POST /api/chat ("stream": false; one JSON
// object, pretty-printed or not) into one chunk that holds the whole answer, with the fields
// and rules of StreamDecoder: role assistant, content, reasoning, every tool call with its
// full arguments, finish reason, usage, id and model. Pure; thread-safe.
// Errors (carrying `provider_id`): a body with "error" (status_from_stream_error), a body that
// is not a JSON object (protocol_error).
Result<ChatCompletionChunk> decode_chat_response(std::string_view body,
                                                 std::string_view provider_id);

}  // namespace aisopod::ollama
