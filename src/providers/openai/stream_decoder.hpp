// OpenAI Chat Completions response decoders: the stream decoder (response body bytes in,
// normalized chunks out; sans-I/O, built on codec::SseDecoder; one per request, not
// thread-safe) and the non-streaming decoder (decode_completion, pure).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"
#include "codec/sse.hpp"
#include "providers/common/stream_decoding.hpp"

namespace aisopod::openai {

// Decodes one `text/event-stream` body of POST /chat/completions (OpenAI and compatible
// servers: Azure, Groq, DeepSeek, Qwen, Mistral, gateways). feed / next / finish and their
// usage: as every stream decoder (providers/common/stream_decoding.hpp); the end marker is
// `data: [DONE]` (bytes after it are ignored), and finish() may release the last chunk.
//
// Rules (reference/wire-formats.md 2.3-2.6):
//   - Only choice index 0 is decoded (n > 1 choices are ignored). delta.role, delta.content,
//     delta.refusal (as content), delta.reasoning_content / delta.reasoning (as reasoning) and
//     delta.tool_calls are mapped; unknown fields are ignored.
//   - Tool calls are re-indexed densely in order of appearance (a server that starts at 1
//     yields index 0). The first delta of a call carries id and name; a known id or name is
//     never overwritten, nor repeated, and an empty id or name is never reported.
//   - id and model (the latest non-empty values seen) come with the first chunk and again
//     when they change.
//   - Usage (prompt/completion tokens, cached and reasoning tokens; also Groq's x_groq.usage) is
//     reported once, in the last chunk: the chunk with the finish reason is held back until the
//     usage arrives or the stream ends. A stream with [DONE] but no finish reason ends with a
//     chunk whose finish reason is stop (raw reason empty).
//   - Chunks that add nothing (Azure's choices:[] preamble, empty continuation deltas) are
//     skipped; the first chunk with a role is kept.
// finish() is ok after [DONE], or after a finish reason (the held-back last chunk is then
// returned by next()).
// Errors, all sticky and carrying the provider id: a `{"error":{...}}` payload (mapped by
// status_from_stream_error: server_error -> unavailable, ...); malformed JSON or a payload that
// is not an object (protocol_error with a short excerpt); SSE framing errors; a body that ends
// with neither [DONE] nor a finish reason (protocol_error "stream ended early").
class StreamDecoder {
 public:
  explicit StreamDecoder(std::string provider_id = "openai");

  // As every stream decoder (providers/common/stream_decoding.hpp).
  void feed(std::string_view bytes) { stream_.feed(bytes); }
  Result<std::optional<ChatCompletionChunk>> next();
  Status finish();

 private:
  struct Scratch;

  void process_event(const codec::SseEvent& event);
  void map_tool_calls();

  providers::FramedDecoder<codec::SseDecoder> stream_;
  providers::ScratchPtr<Scratch> scratch_;  // simdjson parser and reusable views
  // A tool-call delta without an index continues the last call unless it brings a new id:
  // the wire key and id of the last call that appeared.
  std::int64_t last_call_key_ = 0;
  std::string last_call_id_;
};

// The normalized finish reason for an OpenAI finish_reason string: stop, length, tool_calls
// (and the legacy function_call), content_filter; anything else is stop (keep the raw string).
FinishReason finish_reason_from_openai(std::string_view raw);

// Decodes the body of a successful non-streaming POST /chat/completions into one chunk that
// holds the whole answer: role assistant, message.content (refusal text appended to it),
// reasoning_content / reasoning, every tool call with its full arguments (indexes 0..n-1 in
// order; a legacy function_call counts as one), the finish reason (stop when absent, raw string
// kept), usage, id and model. Only the choice with index 0 is read. Pure; thread-safe.
// Errors (carrying `provider_id`): a body with an "error" member is mapped like a stream error
// (status_from_stream_error); a body that is not JSON or has no choice 0 is protocol_error.
Result<ChatCompletionChunk> decode_completion(std::string_view body, std::string_view provider_id);

}  // namespace aisopod::openai
