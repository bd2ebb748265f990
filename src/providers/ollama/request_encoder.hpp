// Ollama request encoders: ChatCompletionRequest -> POST /api/chat, and the requests of the
// other endpoints (/api/tags, /api/version, /api/pull). Pure: no I/O, no clock, no
// credentials; safe to call from any thread.
#pragma once

#include <string_view>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"
#include "http/http.hpp"
#include "providers/ollama/ollama_options.hpp"

namespace aisopod::ollama {

// Builds `POST {base_url}/api/chat` for `request`, without authorization (the provider adds the
// bearer token last). Headers: Content-Type application/json, Accept application/x-ndjson when
// request.stream (application/json otherwise). The body (Boost.JSON, exact escaping) holds
// (reference/wire-formats.md 5.1):
//   - model; stream (always sent: Ollama streams unless told otherwise); keep_alive from
//     `options` when set: a number ("-1", "0", "300", "1.5", "1e3") as a JSON number of
//     seconds, anything else ("5m", "1h") as a string.
//   - messages, in order: role and content (the text parts joined); base64 image parts (or
//     `data:` URLs) as "images"; reasoning parts of assistant messages as "thinking";
//     assistant tool calls as tool_calls [{id?, function {index, name, arguments}}] with the
//     arguments parsed into a JSON object (empty text means {}); tool results as role "tool"
//     with "tool_name" (the name of the assistant tool call with that id earlier in the
//     conversation; omitted when none matches), "tool_call_id" and the content. Redacted
//     reasoning is dropped.
//   - tools [{type function, function {name, description, parameters}}] (an empty schema
//     becomes {"type":"object","properties":{}}); a tool choice of kNone sends no tools.
//     Ollama has no tool choice: kRequired and kNamed are not enforced.
//   - format: "json" for a JSON-object response format, the parsed schema for a JSON schema.
//   - think: the effort string for "low", "medium" and "high", true for any other enabled
//     reasoning setting; absent when reasoning is not enabled (the model's default).
//   - options {temperature, top_p, num_predict (max_tokens), stop, seed}, only when one is set.
//   - extra_body_json merged last: its members replace the body's, except that two objects
//     (such as "options") are merged member by member.
// Errors (invalid_argument, carrying the provider id): empty model, no messages, media that is
// not an image or is given by a non-data URL, tool-call arguments, a tool schema or a response
// schema that is not a JSON object, extra_body_json that is not a JSON object, an empty
// base_url.
Result<http::Request> encode_chat_request(const ChatCompletionRequest& request,
                                          const OllamaOptions& options);

// Builds `GET {base_url}/api/tags` (Accept application/json). Errors: invalid_argument for an
// empty base_url.
Result<http::Request> encode_tags_request(const OllamaOptions& options);

// Builds `GET {base_url}/api/version` (Accept application/json). Errors: invalid_argument for an
// empty base_url.
Result<http::Request> encode_version_request(const OllamaOptions& options);

// Builds `POST {base_url}/api/pull` with {"model": model, "stream": true} (Accept
// application/x-ndjson). Errors: invalid_argument for an empty model or base_url.
Result<http::Request> encode_pull_request(std::string_view model, const OllamaOptions& options);

}  // namespace aisopod::ollama
