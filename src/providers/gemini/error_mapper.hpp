// Gemini error mapping: (HTTP status, headers, body) -> Status. Pure; safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "aisopod/status.hpp"
#include "http/http.hpp"

namespace aisopod::gemini {

// Maps a Gemini (or Vertex AI) error response to a Status; never fails, and never returns an
// ok Status. The body is a google.rpc.Status, {"error":{"code":..,"message":..,"status":..,
// "details":[..]}} (also accepted wrapped in a one-element array, as streamGenerateContent
// without alt=sse sends it); it may also be an HTML or empty page from a proxy.
//   400 invalid_argument, except: an ErrorInfo detail with reason API_KEY_INVALID ->
//   unauthenticated, and FAILED_PRECONDITION mentioning billing -> billing; 401 unauthenticated;
//   402 billing; 403 permission_denied (API_KEY_INVALID -> unauthenticated); 404 not_found;
//   408 timeout; 409 unavailable; 429 rate_limited; 499 (CANCELLED by the server) and 500
//   unavailable; 503 and other 5xx unavailable, or overloaded when the message says
//   "overloaded" ("The model is overloaded."); 504 timeout; other 4xx invalid_argument.
//   Whatever the status: a message saying the input token count "exceeds the maximum number of
//   tokens" is context_length_exceeded. A 2xx status is classified from error.status as
//   status_from_stream_error() does.
// The message is error.message (cut to about 500 bytes, one line), then the rpc status and the
// first ErrorInfo reason: "API key not valid. (status: INVALID_ARGUMENT, reason:
// API_KEY_INVALID)". Other details (DebugInfo can quote part of the key) and header values
// never appear in it. A body that is not JSON contributes its first ~200 bytes (one line); an
// empty one gives "HTTP <status> with an empty body". Status::retry_after comes from the
// RetryInfo detail's retryDelay ("34.4s"), else from retry-after-ms / retry-after headers,
// capped at http::kMaxRetryAfter. The Status carries `http_status` and `provider_id`.
Status status_from_response(int http_status, const http::Headers& headers, std::string_view body,
                            std::string_view provider_id);

// Maps an error object that arrived inside a 200 stream (an SSE event {"error":{..}}, or a bare
// JSON error after the events) by error.status alone: INVALID_ARGUMENT, FAILED_PRECONDITION,
// OUT_OF_RANGE, UNIMPLEMENTED -> invalid_argument (with the API_KEY_INVALID, billing and
// context-length refinements above); UNAUTHENTICATED -> unauthenticated; PERMISSION_DENIED ->
// permission_denied; NOT_FOUND -> not_found; RESOURCE_EXHAUSTED -> rate_limited;
// DEADLINE_EXCEEDED -> timeout; UNAVAILABLE -> unavailable (overloaded when the message says
// so); INTERNAL, UNKNOWN, CANCELLED, ABORTED, DATA_LOSS -> unavailable; no or an unknown status
// -> as status_from_response() maps error.code when it is an HTTP error status, else
// unavailable. Message and retry_after as above; no HTTP status is set.
Status status_from_stream_error(std::string_view payload, std::string_view provider_id);

// A protobuf Duration in its JSON form ("34.4s", "37s", "0.250s") as milliseconds (digits past
// the millisecond are dropped), capped at http::kMaxRetryAfter; std::nullopt for anything else.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace aisopod::gemini
