// OpenAI error mapping: (HTTP status, headers, body) -> Status. Pure; safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "aisopod/status.hpp"
#include "http/http.hpp"

namespace aisopod::openai {

// Maps an OpenAI (or OpenAI-compatible) error response to a Status; never fails, and never
// returns an ok Status (a 2xx status with an error body is classified from the body).
//   400 invalid_argument, or context_length_exceeded when error.code says so or the message
//       mentions the maximum context length; 401 unauthenticated; 403 permission_denied;
//   404 not_found; 408 timeout; 409 unavailable; 413, 422 and other 4xx invalid_argument;
//   429 rate_limited, or billing when error.code (or type) is insufficient_quota;
//   5xx unavailable, or overloaded when the error says "overloaded" (and for 529).
// The message is the upstream error.message (cut to about 500 bytes) followed by its type and
// code when present; a body that is not JSON contributes its first ~200 bytes. Headers never
// appear in the message. retry-after-ms (milliseconds) is preferred over retry-after (seconds,
// fractions allowed, or an HTTP-date); either sets Status::retry_after. The Status carries
// `http_status` and `provider_id`.
Status status_from_response(int http_status, const http::Headers& headers, std::string_view body,
                            std::string_view provider_id);

// Maps an error that arrived inside a 200 stream (`data: {"error":{...}}`), classified by
// error.type / error.code alone: server_error -> unavailable, rate limits -> rate_limited,
// insufficient_quota -> billing, invalid_request_error -> invalid_argument, ... and unavailable
// when nothing is recognized. No HTTP status is set. Never fails.
Status status_from_stream_error(std::string_view payload, std::string_view provider_id);

}  // namespace aisopod::openai
