// Anthropic error mapping: (HTTP status, headers, body) -> Status. Pure; safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "aisopod/status.hpp"
#include "http/http.hpp"

namespace aisopod::anthropic {

// Maps an Anthropic error response to a Status; never fails, and never returns an ok Status.
// The body is {"type":"error","error":{"type":..,"message":..},"request_id":..}; it may also be
// an HTML or empty page from a proxy (413 from Cloudflare).
//   400 invalid_argument; 401 unauthenticated; 402 billing; 403 permission_denied;
//   404 not_found; 408 timeout; 409 unavailable; 413 and other 4xx invalid_argument;
//   429 rate_limited (billing when error.details.error_code is enforced_spend_limit_reached);
//   500 and other 5xx unavailable; 529 (or an overloaded_error body) overloaded.
//   Whatever the status: a message saying "prompt is too long" is context_length_exceeded and
//   one saying "credit balance is too low" is billing. A 2xx status is classified from
//   error.type as status_from_stream_error() does.
// The message is error.message (cut to about 500 bytes, one line), then the error type and the
// body's request_id; a body that is not JSON contributes its first ~200 bytes. Header values
// never appear in it. retry-after-ms (milliseconds) or retry-after (seconds, fractions allowed)
// sets Status::retry_after. The Status carries `http_status` and `provider_id`.
Status status_from_response(int http_status, const http::Headers& headers, std::string_view body,
                            std::string_view provider_id);

// Maps the payload of an `event: error` that arrived inside a 200 stream, by error.type alone:
// overloaded_error -> overloaded, api_error -> unavailable, rate_limit_error -> rate_limited,
// invalid_request_error -> invalid_argument (or context_length_exceeded / billing by message),
// authentication_error -> unauthenticated, permission_error -> permission_denied,
// billing_error -> billing, not_found_error -> not_found, request_too_large ->
// invalid_argument, timeout_error -> timeout; anything else unavailable. No HTTP status is set.
Status status_from_stream_error(std::string_view payload, std::string_view provider_id);

}  // namespace aisopod::anthropic
