// Bedrock Converse response decoders: the stream decoder (converse-stream body bytes in,
// normalized chunks out; sans-I/O, built on codec::EventStreamDecoder and the core
// ChunkAssembler; one per request, not thread-safe) and the non-streaming decoder
// (decode_response, pure).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"
#include "codec/event_stream.hpp"
#include "providers/bedrock/request_encoder.hpp"
#include "providers/common/stream_decoding.hpp"

namespace aisopod::bedrock {

// The normalized finish reason for a Converse stopReason (reference/wire-formats.md section
// 4.5): end_turn, stop_sequence and anything unknown -> stop; max_tokens,
// model_context_window_exceeded -> length; tool_use -> tool_calls; guardrail_intervened,
// content_filtered -> content_filter; malformed_model_output, malformed_tool_use -> error. (The
// raw string is always kept beside it.)
FinishReason finish_reason_from_bedrock(std::string_view raw);

// Decodes one `application/vnd.amazon.eventstream` body of POST /model/{id}/converse-stream.
// feed / next / finish and their usage: as every stream decoder
// (providers/common/stream_decoding.hpp); the end marker is the metadata event after
// messageStop (a body that ends after messageStop without it ends well too).
//
// Each event-stream message is one wire event (one chunk at most). Its `:message-type` header
// says what it is: "event" (or no such header) -> by `:event-type`, the payload being that
// event's JSON (its "p" padding member is ignored):
//   - messageStart: role assistant (also given to the first chunk when a stream has none).
//   - contentBlockStart with start.toolUse {toolUseId, name}: a tool call with the next dense
//     index (0, 1, 2 in order of appearance), its first delta carrying index, id and name. Other
//     starts (toolResult, image) open a block whose deltas are skipped.
//   - contentBlockDelta: delta.text -> delta.content (empty pieces add nothing);
//     delta.toolUse.input -> argument fragments of the block's call; delta.reasoningContent
//     .text -> delta.reasoning, .signature -> delta.reasoning_signature, .redactedContent ->
//     delta.redacted_reasoning, the block's pieces joined and reported in one chunk at its
//     contentBlockStop (at messageStop for a block never stopped), so that one redacted block
//     stays one. citation, image and toolResult deltas are skipped.
//   - contentBlockStop: a tool call whose input stayed empty ("" streams nothing) gets "{}".
//   - messageStop: the finish reason (finish_reason_from_bedrock(), stopReason kept raw). The
//     chunk carrying it is held until the usage arrives, so that usage is in the last chunk.
//   - metadata: usage (inputTokens, outputTokens, cacheReadInputTokens -> cache_read_tokens,
//     cacheWriteInputTokens -> cache_write_tokens; merged, larger value wins). It comes after
//     messageStop, and then releases the held finish chunk and ends the stream; bytes after it
//     are ignored. (Usage that comes before messageStop goes out with the finish chunk.)
//   - other event types, and messages of another `:message-type`, are skipped.
//   - JSON mode (DecodeOptions::json_tool_name): the input of that tool becomes delta.content
//     (text blocks are dropped when the tool was forced), and stopReason tool_use maps to stop
//     when no other tool was called.
//   - id and model: DecodeOptions::response_id and ::model, on the first chunk (Bedrock's
//     events name neither).
// Errors, all sticky and carrying the provider id (the chunks decoded before are returned first;
// a held finish chunk is dropped):
//   - `:message-type` exception: status_from_exception(`:exception-type`, payload), e.g.
//     throttlingException -> rate_limited, modelStreamErrorException -> unavailable (overloaded
//     for a model's 529), see error_mapper.hpp;
//   - `:message-type` error: status_from_error_frame(`:error-code`, `:error-message`);
//   - event-stream framing errors (checksum mismatch, bad length, ...): the codec's
//     protocol_error as it is;
//   - an event payload that is not a JSON object: protocol_error "malformed <event type> event
//     (<parser error>): <excerpt>";
//   - a body that ends before messageStop: protocol_error "stream ended before messageStop"
//     (followed by " (<the codec's error>)" when the body also ends inside a message); a body
//     that ends inside a message after messageStop: the codec's "event-stream: truncated: ..."
//     error.
class StreamDecoder {
 public:
  explicit StreamDecoder(std::string provider_id = "bedrock", DecodeOptions options = {});

  void feed(std::string_view bytes) { stream_.feed(bytes); }
  Result<std::optional<ChatCompletionChunk>> next();
  Status finish();

 private:
  struct Scratch;
  enum class BlockKind { kContent, kToolUse, kJsonTool, kSkipped };
  struct Block {
    std::int64_t wire_index = 0;
    BlockKind kind = BlockKind::kContent;
    std::int64_t tool_key = 0;   // kToolUse: the call's key for the assembler
    bool has_arguments = false;  // kToolUse / kJsonTool: a non-empty fragment arrived
    std::string redacted;        // redactedContent pieces not reported yet
  };

  void process_message(const codec::EventStreamMessage& message);
  void process_event(std::string_view type, std::string_view payload);
  Block& block_at(std::int64_t wire_index);
  void close_block(Block& block);

  providers::FramedDecoder<codec::EventStreamDecoder> stream_;
  DecodeOptions options_;
  providers::ScratchPtr<Scratch> scratch_;  // simdjson parser
  std::vector<Block> blocks_;
  bool stop_seen_ = false;
  bool json_tool_called_ = false;
  std::optional<Usage> usage_;  // what metadata reported, for a messageStop that comes after it
};

// Decodes the body of a successful POST /model/{id}/converse, {"output":{"message":{"role",
// "content":[...]}},"stopReason","usage"}, into the chunks of the whole answer: one chunk per
// reasoning block first (reasoningText text and signature, or redactedContent), so that
// ChatCompletionAccumulator keeps the blocks apart, then one chunk holding the text (text blocks
// joined), the tool calls (indexes 0..n-1, arguments = the input as compact JSON, "{}" when
// absent), the finish reason with the raw stopReason, and the usage. The first chunk has role
// assistant and DecodeOptions' id and model. JSON mode as in StreamDecoder. Pure; thread-safe.
// Errors (carrying `provider_id`): protocol_error for a body that is not a JSON object
// ("response is not a JSON object: <excerpt>") or has no output.message.content array
// ("response has no output.message.content array: <excerpt>"); a body that is an error
// ({"__type"} or {"message"} without output) is mapped by status_from_response().
Result<std::vector<ChatCompletionChunk>> decode_response(std::string_view body,
                                                         std::string_view provider_id,
                                                         const DecodeOptions& options = {});

}  // namespace aisopod::bedrock
