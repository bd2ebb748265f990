// Gemini response decoders: the stream decoder (streamGenerateContent?alt=sse body bytes in,
// normalized chunks out; sans-I/O, built on codec::SseDecoder and the core ChunkAssembler; one
// per request, not thread-safe) and the non-streaming decoder (decode_response, pure).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"
#include "codec/sse.hpp"
#include "core/chunk_assembler.hpp"

namespace aisopod::gemini {

// The normalized finish reason for a Gemini finishReason (reference/wire-formats.md section
// 3.3): STOP -> tool_calls when the answer called a function (`called_functions`), else stop;
// MAX_TOKENS -> length; SAFETY, RECITATION, LANGUAGE, BLOCKLIST, PROHIBITED_CONTENT, SPII and
// every IMAGE_* reason -> content_filter; everything else (OTHER, FINISH_REASON_UNSPECIFIED,
// NO_IMAGE, MALFORMED_FUNCTION_CALL, values this code does not know) -> error. (The decoders
// turn MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL and TOO_MANY_TOOL_CALLS into an error
// Status instead; see StreamDecoder.)
FinishReason finish_reason_from_gemini(std::string_view raw, bool called_functions);

// Decodes one `text/event-stream` body of POST ...:streamGenerateContent?alt=sse. Usage:
//
//   StreamDecoder decoder(provider_id);
//   for each body read:  decoder.feed(bytes); while (chunk = decoder.next(), *chunk) emit(**chunk);
//   at the end of body:  Status s = decoder.finish();  then drain next() once more.
//
// Every SSE event's data is one GenerateContentResponse (CRLF or LF framing). Rules
// (reference/wire-formats.md section 3.2):
//   - The first event yields role assistant. responseId is the chunk id and modelVersion the
//     model (on the first chunk, and again where they change).
//   - Only the first candidate is read (the encoder never asks for more). Its parts, in order:
//     text -> delta.content; text with "thought": true -> delta.reasoning; a thoughtSignature
//     on any part (text, thought, functionCall, or an empty text part) -> delta.
//     reasoning_signature in the same chunk, so ChatCompletionAccumulator keeps it on a
//     reasoning part and encode_chat_request() can send it back (see there for where); a
//     further signature with no thought text since the last one is dropped (it would be
//     joined to that one; Gemini checks the one on a step's first function call);
//     functionCall -> one whole tool call per part (index, id, name and the args object as
//     compact JSON text, "{}" when absent) in one delta. The id is functionCall.id when the
//     server sends one, else made up deterministically: "call_<responseId>_<n>" (or
//     "call_<n>" when the response has no responseId), n being the call's index 0, 1, 2 in
//     the response, so that ids are unique across the turns of a conversation.
//     Vertex AI's streamed arguments (functionCall {name, willContinue: true}, then parts with
//     partialArgs [{jsonPath "$.a.b[0]", stringValue (pieces joined while willContinue) |
//     numberValue | boolValue | nullValue}], then an empty functionCall {}) are assembled and
//     reported as one whole call when it completes. Other parts (inlineData images the model
//     generates, executableCode, codeExecutionResult) have no place in a chunk and are skipped.
//   - finishReason: the last one seen counts (Vertex AI repeats STOP on every event), and it is
//     reported, with usage, in a final chunk of its own when the body ends (Gemini streams have
//     no end marker), mapped by finish_reason_from_gemini() with the raw value kept.
//   - usageMetadata carries running totals: the last one with token counts is reported once,
//     in that final chunk: input_tokens = promptTokenCount + toolUsePromptTokenCount,
//     output_tokens = candidatesTokenCount + thoughtsTokenCount, reasoning_tokens =
//     thoughtsTokenCount, cache_read_tokens = cachedContentTokenCount (so input + output =
//     totalTokenCount).
// Errors, all sticky and carrying the provider id (the chunks decoded before are returned
// first): an event with an "error" object, or a bare JSON value after the events (the body
// holds a line starting with '{' or '['; read when the body ends): mapped by
// status_from_stream_error(), or protocol_error "the body holds JSON outside SSE data lines:
// <excerpt>" when it is no error object; a blocked prompt (promptFeedback.blockReason or
// blockReasonMessage, no candidates) -> invalid_argument "the prompt was blocked (blockReason:
// SAFETY): <blockReasonMessage>"; finishReason MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL or
// TOO_MANY_TOOL_CALLS -> protocol_error "the model stopped with <reason>: <what it means>"
// (then " (<finishMessage>)"); a payload that is not a JSON object ("malformed stream event
// (<parser error>): <excerpt>"); a streamed function call that is malformed (protocol_error
// naming the jsonPath) or unfinished at the end; SSE framing errors; a body that ends without
// a finish reason ("stream ended before a finish reason").
class StreamDecoder {
 public:
  explicit StreamDecoder(std::string provider_id = "gemini");
  ~StreamDecoder();
  StreamDecoder(StreamDecoder&&) noexcept;
  StreamDecoder& operator=(StreamDecoder&&) noexcept;
  StreamDecoder(const StreamDecoder&) = delete;
  StreamDecoder& operator=(const StreamDecoder&) = delete;

  // Appends body bytes (copied). Never fails; errors surface from next() and finish(). Ignored
  // after finish() and after an error.
  void feed(std::string_view bytes);

  // The next chunk; std::nullopt when more bytes are needed or, once finish() has been called,
  // when every chunk has been returned; or the sticky error (after the chunks decoded before
  // it). The final chunk (finish reason and usage) only comes after finish().
  Result<std::optional<ChatCompletionChunk>> next();

  // End of body: decodes what is left (a last event whose closing blank line is missing, the
  // body ending right after its data line, is still decoded, as the official SDKs do); ok when
  // a finish reason was seen, else protocol_error "stream ended before a finish reason"; or
  // the sticky error. Calling it again returns the same status.
  Status finish();

 private:
  struct State;

  // Decodes one SSE event into events on assembler_; false when no complete event is
  // buffered. Errors go to assembler_.fail().
  bool decode_one_event();
  // Watches the raw bytes for a line that starts a bare JSON value (not SSE) and keeps it.
  void scan(std::string_view bytes);

  codec::SseDecoder sse_;
  std::string provider_id_;
  std::unique_ptr<State> state_;
  ChunkAssembler assembler_;
  bool line_start_ = true;            // the next byte starts a line
  bool ended_on_line_break_ = false;  // the last byte fed was CR or LF
  bool stray_ = false;                // a line started a bare JSON value
  std::string stray_bytes_;           // that value and everything after it (capped)
};

// Decodes the body of a successful non-streaming POST ...:generateContent into the chunks of the
// whole answer: one chunk holding role assistant, the text, reasoning and its signatures, tool
// calls (indexes 0..n-1), the finish reason with the raw value, usage, id and model, all by
// the rules of StreamDecoder. Pure; thread-safe.
// Errors (carrying `provider_id`): a body with an "error" object is mapped by
// status_from_stream_error(); a body that is not a JSON object ("malformed response (<parser
// error>): <excerpt>") or has no finish reason ("response has no finish reason: <excerpt>") is
// protocol_error; a blocked prompt and the function-call finish reasons as in StreamDecoder.
Result<std::vector<ChatCompletionChunk>> decode_response(std::string_view body,
                                                         std::string_view provider_id);

}  // namespace aisopod::gemini
