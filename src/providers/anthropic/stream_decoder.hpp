// Anthropic Messages response decoders: the stream decoder (response body bytes in, normalized
// chunks out; sans-I/O, built on codec::SseDecoder; one per request, not thread-safe) and the
// non-streaming decoder (decode_message, pure).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"
#include "codec/sse.hpp"
#include "providers/anthropic/request_encoder.hpp"
#include "providers/common/stream_decoding.hpp"

namespace aisopod::anthropic {

// The normalized finish reason for an Anthropic stop_reason: end_turn, stop_sequence,
// pause_turn and anything unknown -> stop; max_tokens, model_context_window_exceeded -> length;
// tool_use -> tool_calls; refusal -> content_filter. (The raw string is always kept beside it.)
FinishReason finish_reason_from_anthropic(std::string_view raw);

// Decodes one `text/event-stream` body of POST /v1/messages. feed / next / finish and their
// usage: as every stream decoder (providers/common/stream_decoding.hpp); the end marker is
// message_stop.
//
// Rules (reference/wire-formats.md section 1.3-1.5):
//   - The event type is the payload's "type" (the SSE `event:` name when the payload has none).
//     Data lines may carry trailing spaces after the JSON; they are accepted.
//   - message_start: the first one yields a chunk with role assistant. Its id, model and usage
//     are kept; a repeated message_start (an upstream retry spliced into the stream) resets the
//     content-block table but keeps the tool-call numbering, so indexes stay dense and unique.
//   - content blocks: text -> delta.content; thinking -> delta.reasoning and (signature_delta)
//     delta.reasoning_signature; redacted_thinking -> delta.redacted_reasoning (one chunk per
//     block, the data whole); tool_use -> tool calls with dense indexes 0,1,2 in order of
//     appearance: the first delta carries index, id and name, later ones input_json_delta
//     fragments; a call whose input stayed empty gets "{}" at its content_block_stop.
//   - JSON mode (DecodeOptions::json_tool_name): the input of that tool becomes delta.content
//     (text blocks are dropped when the tool was forced), and the finish reason tool_use maps
//     to stop when no other tool was called.
//   - Unknown events, block types (server_tool_use, web_search_tool_result, ...) and delta
//     types (citations_delta, ...) are skipped; ping is ignored.
//   - message_delta: stop reason and usage. Usage (input_tokens, output_tokens,
//     cache_read_input_tokens -> cache_read_tokens, cache_creation_input_tokens ->
//     cache_write_tokens) is merged field by field, larger value wins, from message_start and
//     message_delta, and reported once: in the last chunk, emitted at message_stop, which also
//     carries the finish reason and the raw stop_reason (stop and "" when none came).
//   - id and model come with the first chunk, and again after a repeated message_start that
//     changes them.
// Errors, all sticky and carrying the provider id: an `error` event (mapped by
// status_from_stream_error: overloaded_error -> overloaded, ...; the chunks decoded before it
// are returned first); a payload that is not a JSON object (protocol_error with an excerpt);
// SSE framing errors; a body that ends without message_stop (protocol_error "stream ended
// before message_stop").
class StreamDecoder {
 public:
  explicit StreamDecoder(std::string provider_id = "anthropic", DecodeOptions options = {});

  // As every stream decoder (providers/common/stream_decoding.hpp).
  void feed(std::string_view bytes) { stream_.feed(bytes); }
  Result<std::optional<ChatCompletionChunk>> next();
  Status finish();

 private:
  struct Scratch;
  enum class BlockKind { kText, kThinking, kToolUse, kJsonTool, kSkipped };
  struct Block {
    std::int64_t wire_index = 0;
    BlockKind kind = BlockKind::kSkipped;
    std::int64_t tool_key = 0;   // kToolUse: the call's key for the assembler (unique per call)
    bool has_arguments = false;  // kToolUse / kJsonTool: a non-empty fragment arrived
  };

  void process_event(const codec::SseEvent& event);
  Block* find_block(std::int64_t wire_index);

  providers::FramedDecoder<codec::SseDecoder> stream_;
  DecodeOptions options_;
  providers::ScratchPtr<Scratch> scratch_;  // simdjson parser
  std::string stop_reason_;
  bool json_tool_called_ = false;
  std::vector<Block> blocks_;
  // A tool_use input given whole in content_block_start, for the block at this wire index.
  std::string pending_input_;
  std::int64_t pending_input_index_ = -1;
};

// Decodes the body of a successful non-streaming POST /v1/messages into the chunks of the whole
// answer: one chunk holding role assistant, the text (text blocks joined), reasoning and its
// signature (thinking blocks joined), tool calls (indexes 0..n-1, arguments = the input object
// as JSON text), the finish reason with the raw stop_reason, usage, id and model. A chunk holds
// one redacted_thinking block, so when there are several, each but the last comes first in a
// chunk of its own (ChatCompletionAccumulator keeps them apart). JSON mode as in
// StreamDecoder. Pure; thread-safe.
// Errors (carrying `provider_id`): a body of type "error" is mapped by status_from_stream_error;
// a body that is not a JSON object with a content array is protocol_error.
Result<std::vector<ChatCompletionChunk>> decode_message(std::string_view body,
                                                        std::string_view provider_id,
                                                        const DecodeOptions& options = {});

}  // namespace aisopod::anthropic
