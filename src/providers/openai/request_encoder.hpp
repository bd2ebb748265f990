// OpenAI Chat Completions request encoder: ChatCompletionRequest -> HTTP request. Pure: no I/O,
// no clock, no credentials; safe to call from any thread.
#pragma once

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"
#include "http/http.hpp"
#include "providers/openai/model_family.hpp"
#include "providers/openai/openai_options.hpp"

namespace aisopod::openai {

// Builds `POST {base_url}/chat/completions` for `request`, without authorization (the provider
// adds `Authorization: Bearer <key>` last). Headers: Content-Type application/json, Accept
// text/event-stream when request.stream (application/json otherwise), OpenAI-Organization and
// OpenAI-Project when set in `options`. The body is built with Boost.JSON (escaping is exact):
// What depends on the model comes from model_traits(request.model) (model_family.hpp):
//   - messages: a single text part becomes a string, anything else an array of text and
//     image_url parts (base64 media become data: URLs); reasoning parts are dropped; assistant
//     tool calls become tool_calls (content null when there is no text); tool results carry
//     tool_call_id. System messages take the family's role: "system", "developer" (o1, o3, o4,
//     gpt-5), or "user" in place (o1-mini, o1-preview).
//   - tools (parameters parsed from the schema text; empty means an empty object schema),
//     tool_choice, parallel_tool_calls, stop, seed, user, response_format.
//   - temperature and top_p, except for reasoning models (which reject them).
//   - max_tokens is sent as max_completion_tokens for reasoning models, max_tokens otherwise.
//   - reasoning_effort: request.reasoning.effort when set; a budget_tokens-only setting is
//     mapped (<= 1024 low, <= 8192 medium, else high) and sent only to models that take
//     reasoning_effort.
//   - stream and stream_options.include_usage when streaming; extra_body_json merged last.
// Errors (invalid_argument, naming the provider): empty model, no messages, media other than
// images, a tool schema or response schema that is not a JSON object, extra_body_json that is
// not a JSON object, an empty base_url.
Result<http::Request> encode_chat_request(const ChatCompletionRequest& request,
                                          const OpenAIOptions& options);

// Builds `GET {base_url}/models` (Accept application/json, organization and project headers as
// above), without authorization. Errors: invalid_argument for an empty base_url.
Result<http::Request> encode_models_request(const OpenAIOptions& options);

}  // namespace aisopod::openai
