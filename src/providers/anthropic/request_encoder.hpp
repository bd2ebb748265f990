// Anthropic Messages request encoder: ChatCompletionRequest -> HTTP request. Pure: no I/O, no
// clock, no credentials; safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"
#include "http/http.hpp"
#include "providers/anthropic/anthropic_options.hpp"

namespace aisopod::anthropic {

// The name of the tool that carries JSON-mode answers (see encode_chat_request).
inline constexpr std::string_view kJsonToolName = "json_response";

// How the response of one request must be decoded; derived from the request by
// decode_options_for() and handed to the stream decoder and decode_message().
struct DecodeOptions {
  // Non-empty in JSON mode: the input of the tool_use block with this name is the answer and
  // is reported as content text (not as a tool call).
  std::string json_tool_name;
  // True when JSON mode forced that tool (tool_choice {"type":"tool"}): text blocks are then
  // preamble ("I'll call the tool...") and are dropped, so the content is exactly the JSON.
  bool json_tool_forced = false;
};

// The max_tokens sent when the request sets none: 4096 by default; 8192 for claude-3-5-*;
// for the Claude 3.7 and Claude 4 families (claude-3-7-*, claude-sonnet-4*, claude-opus-4*,
// claude-haiku-4*, and later generations) 32000 when streaming and 16384 otherwise (a
// non-streaming call with a very large limit risks the API's 10-minute guard).
int default_max_tokens(std::string_view model, bool stream);

// The thinking budget for a reasoning setting: budget_tokens when set (raised to the API's
// minimum of 1024), else minimal/low 1024, medium 8192, high (and anything else) 24576; 0 when
// reasoning is off.
int thinking_budget(const ReasoningConfig& reasoning);

// What decode_options_for(request) says about `request` (JSON mode and whether it is forced).
DecodeOptions decode_options_for(const ChatCompletionRequest& request);

// Builds `POST {base_url}/v1/messages` for `request`, without credentials (the provider adds
// x-api-key or Authorization last). Headers: content-type application/json, accept
// (text/event-stream when streaming), anthropic-version, anthropic-beta when set. The body
// (Boost.JSON, exact escaping):
//   - system: every system message, wherever it is in the conversation, becomes a text block
//     of the top-level "system" array, in order.
//   - messages: user and assistant turns; tool results become tool_result blocks (tool_use_id,
//     content, is_error when set) of a user turn; consecutive turns of the same role are merged
//     into one, and within a user turn tool_result blocks come first. Assistant content is
//     ordered thinking / redacted_thinking blocks (as received, signature and data unchanged;
//     reasoning without a signature cannot be verified by the API and is dropped), then text,
//     then tool_use blocks from Message::tool_calls with input = the parsed arguments (empty
//     arguments are {}). Empty text parts are dropped (the API rejects empty text blocks).
//     Media: images as image blocks, application/pdf as document blocks; base64 data and
//     base64 `data:` URLs become {"type":"base64","media_type","data"} sources (the data: URL's
//     own media type wins over the part's), http(s) URLs {"type":"url"} sources. Base64 images
//     must be image/jpeg, png, gif or webp ("image/jpg" is sent as image/jpeg).
//   - max_tokens always (request.max_tokens, else default_max_tokens()); with thinking it is
//     kept above the budget: a caller's limit lowers the budget to max_tokens - 1 (down to
//     1024, past which max_tokens is raised to budget + 1024), and without one max_tokens is at
//     least budget + 4096.
//   - thinking {"type":"enabled","budget_tokens"} from request.reasoning (thinking_budget());
//     temperature and top_p are then left out (the API rejects them with thinking).
//   - stop_sequences, temperature, top_p, metadata.user_id (request.user), tools (input_schema;
//     an empty schema is an empty object schema) and tool_choice (auto, any for required, tool
//     for named, none); parallel_tool_calls == false sets disable_parallel_tool_use.
//   - JSON mode (response_format json_object / json_schema): the 2023-06-01 API has no native
//     field, so a tool named kJsonToolName is added with the schema as input_schema (an object
//     schema that accepts anything for json_object) and tool_choice forces it; with thinking
//     (which forbids forced tools) the tool is offered with tool_choice auto and the system
//     prompt asks for it. The stream decoder turns that tool's input back into content text.
//   - prompt caching (options.prompt_caching): cache_control ephemeral on the last system block
//     and the last tool.
//   - stream when streaming; extra_body_json merged last (its members replace ours).
// Errors (invalid_argument, naming the provider): empty model, no user or assistant message,
// a tool result without tool_call_id, media the API does not take (the message names the media
// type), a malformed data: URL (no ",", not ;base64, or no data), a media URL whose scheme is
// not data, http or https, tool call arguments, a
// tool schema or a response schema that is not a JSON object, extra_body_json that is not a
// JSON object, an empty base_url.
Result<http::Request> encode_chat_request(const ChatCompletionRequest& request,
                                          const AnthropicOptions& options);

// Builds `GET {base_url}/v1/models?limit=<limit>` (plus `&after_id=<after_id>` when not
// empty), without credentials. Errors: invalid_argument for an empty base_url.
Result<http::Request> encode_models_request(const AnthropicOptions& options, int limit,
                                            std::string_view after_id = {});

}  // namespace aisopod::anthropic
