// What every error mapper and decoder decides the same way, whatever the provider's wire format:
// the protocol_error of a malformed response, the code an HTTP status means, and the two entry
// points of a mapper that reads an error body into ErrorBody. (Phrase matching:
// contains_ignoring_case, core/ascii_text.hpp.) Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "aisopod/status.hpp"
#include "http/http.hpp"

namespace aisopod {

// protocol_error `message`, carrying `provider_id`: a response that breaks the provider's
// protocol (a body that is not JSON, a member missing, a stream cut short).
Status protocol_error(std::string_view provider_id, std::string message);

// The code an HTTP error status means when the body says nothing more: 401 unauthenticated;
// 402 billing; 403 permission_denied; 404 not_found; 408 timeout; 409 unavailable;
// 429 rate_limited; 529 overloaded; other 5xx unavailable; 400, 413, 422 and anything else
// invalid_argument.
StatusCode code_for_http_status(int http_status);

// What an error mapper read from an upstream error body.
struct ErrorBody {
  // The body was the provider's JSON; when false, the message quotes an excerpt of it.
  bool parsed = false;
  // The provider's own message; empty when it gave none.
  std::string message;
  // Details listed after the message, those that are set: " (type: x, code: y, request_id: z)".
  std::string type;
  std::string code;
  std::string request_id;
  // A finer reason that the mapper classifies by and does not list (Anthropic's
  // error.details.error_code).
  std::string subcode;
};

// A provider's error mapper, in its provider-specific parts; the entry points are shared.
struct ErrorMapping {
  // Reads an error body (JSON or anything else); never fails.
  ErrorBody (*read)(std::string_view body);
  // The code of an error response (an HTTP status of 300 or more).
  StatusCode (*code_for_response)(int http_status, const ErrorBody& body);
  // The code of an error without a meaningful HTTP status: inside a 200 stream, or a 2xx
  // response that carries an error body.
  StatusCode (*code_for_body)(const ErrorBody& body);

  // A provider's status_from_response(): Status(code, message) where the message is
  // upstream_error_message() of the body's message and details (see error_text.hpp); carries
  // `http_status`, the Retry-After of `headers` and `provider_id`. Never ok.
  Status response_status(int http_status, const http::Headers& headers, std::string_view body,
                         std::string_view provider_id) const;

  // A provider's status_from_stream_error(): as response_status() for an error that arrived
  // inside a 200 stream, classified by code_for_body; no HTTP status, no Retry-After.
  Status stream_error_status(std::string_view payload, std::string_view provider_id) const;
};

}  // namespace aisopod
