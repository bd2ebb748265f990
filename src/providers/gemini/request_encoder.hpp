// Gemini request encoder: ChatCompletionRequest -> HTTP request (generateContent and
// streamGenerateContent), the models-list request, and the JSON Schema reduction Gemini needs.
// Pure: no I/O, no clock, no credentials; safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"
#include "http/http.hpp"
#include "providers/gemini/gemini_options.hpp"

namespace aisopod::gemini {

// Reduces a JSON Schema (JSON text) to the OpenAPI-3.0 subset that Gemini's `Schema` accepts
// (function parameters, responseSchema) and returns it as JSON text. Rules, applied at every
// level:
//   - Kept: description; nullable; type, upper-cased (STRING, NUMBER, INTEGER, BOOLEAN, ARRAY,
//     OBJECT, NULL); properties (each reduced; an empty map is left out); required (only names
//     that are in properties); items (reduced; a tuple-form array of schemas becomes anyOf);
//     anyOf (each reduced); enum when every value is a string (a null value sets nullable
//     instead; an enum with other values is dropped) and a string const as a one-value enum;
//     minItems, maxItems, minProperties, maxProperties, minLength, maxLength (non-negative
//     integers); minimum, maximum (numbers); pattern; propertyOrdering (when it names only
//     known properties); format only where Gemini takes it (STRING: enum, date-time; NUMBER:
//     float, double; INTEGER: int32, int64).
//   - Rewritten: a type list ["string","null"] becomes type STRING + nullable; a list of
//     several non-null types becomes anyOf of one schema per type. oneOf becomes anyOf. In
//     anyOf, {"type":"null"} members become nullable and a single remaining member is merged
//     into the schema. allOf members are merged into the schema (properties and required are
//     united; other keywords are taken from the first member that has them; the schema's own
//     keywords win). A missing type is inferred: OBJECT with properties, ARRAY with items,
//     STRING with a string enum. `true` (any value) is {}.
//   - Local references ($ref "#/$defs/Name", "#/definitions/Name", any "#/..." JSON pointer)
//     are inlined, the $ref's sibling keywords winning over the target's.
//   - Dropped (Gemini rejects or ignores them): $schema, $id, $comment, $defs, definitions,
//     title, default, examples, example, additionalProperties, patternProperties,
//     unevaluatedProperties, exclusiveMinimum, exclusiveMaximum, multipleOf, uniqueItems,
//     contains, prefixItems, not, if/then/else, dependentRequired, dependentSchemas,
//     readOnly, writeOnly, deprecated, contentEncoding, contentMediaType and anything unknown.
// Errors (invalid_argument, the message starting with "schema" and naming the JSON pointer of
// the offending place, e.g. "schema at #/properties/a: ..."; inside an inlined definition the
// pointer is the definition's, "schema at #/$defs/Node/properties/next: ..."): text that is not
// valid JSON or not a JSON object, a
// non-local or dangling $ref, a recursive $ref (Gemini schemas cannot express recursion), an
// unknown type name, a keyword of the wrong JSON type (properties not an object, ...), the
// schema `false`, nesting deeper than 64 levels or expanding to more than 10000 schemas.
Result<std::string> reduce_schema(std::string_view schema_json);

// Builds the request for `request` without credentials (the provider adds x-goog-api-key or
// Authorization last; a key never goes into the URL):
//   Developer API: POST {base_url}/{api_version}/models/{model}:generateContent, or
//   :streamGenerateContent?alt=sse when request.stream; Vertex AI (options.vertex()): POST
//   {host}/{vertex_api_version}/projects/{project}/locations/{location}/publishers/google/
//   models/{model}:... (see GeminiOptions::base_url for the host). A "models/" prefix on the
//   model id is removed. Headers: Content-Type application/json, Accept text/event-stream
//   (streaming) or application/json.
// The body (Boost.JSON, exact escaping):
//   - systemInstruction: one text part per non-empty system message, wherever it is, in order.
//   - contents: turns of role "user" (user messages and tool results) and "model" (assistant
//     messages); consecutive turns of the same role are merged, and within a user turn the
//     functionResponse parts come first. Empty text parts are dropped, and so are turns left
//     with no part. Media parts: base64 data and base64 data: URLs become
//     inlineData {mimeType, data} (a data: URL's own media type wins; "image/jpg" is sent as
//     image/jpeg); gs:// and http(s):// URLs become fileData {mimeType, fileUri} (mimeType left
//     out when the part names none). Accepted media types: image/*, audio/*, video/*, text/*
//     and application/pdf.
//   - Assistant turns: text and media parts in order, then one functionCall part per tool call
//     {name, args (the parsed arguments object; empty arguments are {}), id (when the call has
//     one)}. Reasoning text is not sent (Gemini does not take thought summaries back); the
//     thought signatures of the message's reasoning parts are, in order, each on one part:
//     on the functionCall parts (first signature on the first call, ...) when the message has
//     tool calls, else on the last text part; a signature left over goes onto an empty text
//     part {"text":"","thoughtSignature":..} at the end of the turn. This matches where Gemini
//     puts them (on the first function call of a step, or on the text of a plain answer) for
//     answers assembled by ChatCompletionAccumulator from StreamDecoder's chunks.
//   - Tool results: functionResponse {name, response, id (the tool_call_id)}; the name is the
//     one of the call with that id in the nearest earlier assistant message. response is the
//     result text when it is a JSON object, else {"output": "<text>"}; {"error": "<text>"} when
//     the result is marked is_error. Media parts of a tool result follow in the same turn.
//   - generationConfig: temperature, topP, maxOutputTokens, stopSequences, seed; JSON mode
//     (response_format json_object / json_schema): responseMimeType "application/json", plus
//     responseSchema (reduce_schema() of the schema; left out when it reduces to an object
//     with no properties, which Gemini rejects); thinkingConfig when request.reasoning is
//     enabled: includeThoughts true and thinkingBudget = budget_tokens, or from the effort:
//     for gemini-3* models thinkingLevel = the effort (minimal, low, medium, high; anything
//     else is "high"), for others thinkingBudget = minimal/low 1024, medium 8192, else 24576;
//     effort "none" (without a budget) sends thinkingBudget 0 alone (thinking off, where the
//     model allows it).
//   - tools: [{functionDeclarations: [{name, description, parameters}]}], parameters being
//     reduce_schema() of the tool's schema (left out when empty or an object with no
//     properties). toolConfig.functionCallingConfig when tools and tool_choice are set: mode
//     AUTO, NONE, ANY (required), or ANY with allowedFunctionNames [name] (named).
//   - safetySettings from options.safety_settings; extra_body_json merged last (its members
//     replace ours). parallel_tool_calls, user and cache_prompt have no Gemini field and are
//     ignored.
// Errors (invalid_argument, the message starting with "<provider_id>: "): empty model, no
// content left to send, an empty base_url, only one of project / location set, a location
// that is not a plain name, a tool result without tool_call_id or whose call is not found,
// tool call arguments that are not a JSON object, a tool without a name, a tool or response
// schema that is not a JSON object or that reduce_schema() refuses, a tool_choice naming a tool
// that is not in the request, media the API does not take (the message names the type), a
// malformed data: URL, a media URL of another scheme, base64 media without a media type, a
// media part with neither data nor a URL, extra_body_json that is not a JSON object.
Result<http::Request> encode_chat_request(const ChatCompletionRequest& request,
                                          const GeminiOptions& options);

// Builds `GET {base_url}/{api_version}/models?pageSize=<page_size>` (pageSize left out when
// page_size <= 0; plus `&pageToken=<page_token>`, percent-encoded, when not empty), without
// credentials. Errors: invalid_argument for an empty base_url, and for Vertex AI options
// (listing Vertex AI publisher models is not supported here).
Result<http::Request> encode_models_request(const GeminiOptions& options, int page_size,
                                            std::string_view page_token = {});

}  // namespace aisopod::gemini
