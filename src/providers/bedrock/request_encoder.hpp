// Bedrock Converse request encoder: ChatCompletionRequest -> HTTP request for
// POST /model/{modelId}/converse and /converse-stream (reference/wire-formats.md section 4.1).
// Pure: no I/O, no clock, no credentials (the provider signs the finished request); safe to call
// from any thread.
#pragma once

#include <string>
#include <string_view>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"
#include "http/http.hpp"
#include "providers/bedrock/bedrock_options.hpp"

namespace aisopod::bedrock {

// The name of the tool that carries JSON-mode answers (see encode_chat_request).
inline constexpr std::string_view kJsonToolName = "json_response";

// The input schema of a tool that the request declares only because the conversation used it
// (see encode_chat_request): any object.
inline constexpr std::string_view kPermissiveToolSchema =
    R"({"type":"object","additionalProperties":true})";

// How the response of one request must be decoded; derived from the request by
// decode_options_for() and handed to StreamDecoder and decode_response().
struct DecodeOptions {
  // Reported as the chunks' model. Bedrock does not name the model in its answer, so this is
  // the model id (or inference profile, or ARN) the request was sent to.
  std::string model;
  // Reported as the chunks' id. Bedrock's answer has no id of its own; the provider may put the
  // response's x-amzn-RequestId here. Empty: the chunks carry no id.
  std::string response_id;
  // Non-empty in JSON mode: the input of the toolUse block with this name is the answer and is
  // reported as content text (not as a tool call).
  std::string json_tool_name;
  // True when JSON mode forced that tool (toolChoice {"tool":...}): text blocks are then
  // preamble ("I'll call the tool...") and are dropped, so the content is exactly the JSON.
  bool json_tool_forced = false;
};

// The thinking budget for a reasoning setting: budget_tokens when set (raised to Anthropic's
// minimum of 1024), else minimal/low 1024, medium 8192, high (and anything else) 24576; 0 when
// reasoning is off.
int thinking_budget(const ReasoningConfig& reasoning);

// The DecodeOptions for `request`: its model, and JSON mode (forced unless thinking is on).
DecodeOptions decode_options_for(const ChatCompletionRequest& request);

// The runtime endpoint of `options` without a trailing slash: base_url, or
// "https://bedrock-runtime.{region}.amazonaws.com" when base_url is empty. Errors
// (invalid_argument): an empty base_url with a region that is empty or not made of [a-z0-9-].
Result<std::string> runtime_base_url(const BedrockOptions& options);

// Builds `POST {base}/model/{model id}/converse-stream` (request.stream) or `.../converse`,
// without credentials. The model id, inference profile id or ARN is percent-encoded as one path
// segment (model_path() in sigv4.hpp: ':' -> %3A, '/' -> %2F). Headers: Content-Type
// application/json, Accept application/vnd.amazon.eventstream (streaming) or application/json.
// The body (Boost.JSON, exact escaping):
//   - system: one {"text"} block per non-empty system message, wherever it is, in order.
//   - messages: turns of role "user" (user messages and tool results) and "assistant";
//     consecutive turns of the same role are merged into one, and within a user turn the
//     toolResult blocks come first (Bedrock wants strictly alternating roles, and all results
//     answering one assistant turn in one user turn). Empty text parts are dropped, and so are
//     turns left with no block.
//     User content: {"text"}, {"image":{"format","source":{"bytes":base64}}} for image/png,
//     image/jpeg (image/jpg), image/gif, image/webp, and {"document":{"format","name",
//     "source":{"bytes"}}} for application/pdf (pdf), text/csv (csv), application/msword (doc),
//     application/vnd.openxmlformats-officedocument.wordprocessingml.document (docx),
//     application/vnd.ms-excel (xls), application/vnd.openxmlformats-officedocument.
//     spreadsheetml.sheet (xlsx), text/html (html), text/plain (txt), text/markdown (md).
//     Documents are named "document-1", "document-2", ... in the order they appear in the
//     request (Bedrock requires a name; ContentPart has none). Base64 data and base64 data: URLs
//     are sent as bytes (a data: URL's own media type wins over the part's); s3:// URLs as
//     {"s3Location":{"uri"}}. Bedrock does not fetch http(s) URLs: they are refused.
//     Tool results: {"toolResult":{"toolUseId","content":[...],"status":"error"}}, status only
//     when Message::is_error (only Claude and Nova take it, and "success" is the default). The
//     content is [{"json": object}] when the result text is a JSON object, [{"text"}] for other
//     text, [] when empty; a result with media parts has one text block per text part and the
//     media blocks, in order.
//     Assistant content, in this order: the reasoning parts exactly as received,
//     {"reasoningContent":{"reasoningText":{"text","signature"}}} for signed reasoning and
//     {"reasoningContent":{"redactedContent":base64}} for redacted reasoning (reasoning without
//     a signature is dropped: Claude refuses it, and the models that stream unsigned reasoning,
//     gpt-oss and DeepSeek, do not take it back); then text and media; then one
//     {"toolUse":{"toolUseId","name","input"}} per tool call, input being the parsed arguments
//     object (empty arguments are {}).
//   - inferenceConfig (left out when empty): maxTokens, temperature, topP, stopSequences.
//   - Reasoning (request.reasoning enabled): additionalModelRequestFields {"thinking":
//     {"type":"enabled","budget_tokens": thinking_budget()}}, the field Anthropic models on
//     Bedrock take (other models take their own fields through extra_body_json). maxTokens is
//     kept above the budget: a caller's limit lowers the budget to max_tokens - 1 (down to 1024,
//     past which maxTokens is raised to budget + 1024), and without one maxTokens is budget +
//     4096. temperature and topP are left out (Claude refuses them with thinking).
//   - toolConfig: tools [{"toolSpec":{"name","description" (when not empty),"inputSchema":
//     {"json": schema}}}] (an empty schema is an empty object schema; Tool::strict is not sent,
//     as not every model takes it) and toolChoice: {"auto":{}}, {"any":{}} for required,
//     {"tool":{"name"}} for named. Bedrock has no "none": with ToolChoice kNone the request's
//     tools are not offered at all.
//     Bedrock refuses toolUse / toolResult blocks in the history without a toolConfig. So when
//     the conversation holds tool calls or results and nothing else put a toolConfig in the
//     request, the request's own tools are declared (ToolChoice kNone) or, when it has none,
//     every tool the history's calls name, in order of first use, with the description "A tool
//     used earlier in this conversation." and kPermissiveToolSchema; no toolChoice is sent then.
//   - JSON mode (response_format json_object / json_schema): a forced tool, as the Anthropic
//     encoder does, because the models most used on Bedrock (Claude, Nova) follow it whereas
//     Converse's native outputConfig.textFormat is taken by a few recent models only (callers
//     who want it set it through extra_body_json and leave response_format as text). A tool
//     named kJsonToolName is added with the schema as inputSchema (kPermissiveToolSchema for
//     json_object) and toolChoice {"tool":{"name":kJsonToolName}} (Bedrock documents a named
//     toolChoice for Claude and Nova only; other models refuse it); with reasoning (Claude
//     refuses forced tools while thinking) toolChoice is {"auto":{}} and a system block asks
//     for the tool. The decoders turn that tool's input back into content text.
//   - cache_prompt: a {"cachePoint":{"type":"default"}} block after the system blocks (which
//     caches the tools too, as they come first in the prompt), or after the tools when there is
//     no system prompt. The model must support prompt caching (Claude, Nova).
//   - extra_body_json merged last, member by member and recursively into objects that both
//     have (so {"additionalModelRequestFields":{"top_k":40}} keeps "thinking"); its values win.
//   - Not sent (Bedrock has no field for them): parallel_tool_calls, seed, user.
// Errors (invalid_argument, the message starting with "<provider_id>: "): empty model, no
// message left to send, a base_url problem (runtime_base_url()), a tool result without
// tool_call_id, a tool call without id or name, tool call arguments, a tool schema or a response
// schema that is not a JSON object, a named tool_choice that names no tool of the request, tool
// results in a conversation with no tool call and no tools to declare, media the API does not
// take (the message names the media type), media without data or media type, a malformed
// data: URL, a media URL that is not data: or s3://, extra_body_json that is not a JSON object.
Result<http::Request> encode_chat_request(const ChatCompletionRequest& request,
                                          const BedrockOptions& options);

}  // namespace aisopod::bedrock
