#include "core/error_mapping.hpp"

#include <utility>

#include "core/error_text.hpp"

namespace aisopod {
namespace {

// The message of an upstream error read into `body`; `http_status` 0 inside a stream.
std::string message_for(const ErrorBody& body, int http_status, std::string_view raw_body) {
  return upstream_error_message(
      body.message, body.parsed, http_status, raw_body,
      {{"type", body.type}, {"code", body.code}, {"request_id", body.request_id}});
}

}  // namespace

Status protocol_error(std::string_view provider_id, std::string message) {
  return Status(StatusCode::kProtocolError, std::move(message))
      .set_provider(std::string(provider_id));
}

StatusCode code_for_http_status(int http_status) {
  switch (http_status) {
    case 401:
      return StatusCode::kUnauthenticated;
    case 402:
      return StatusCode::kBilling;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 408:
      return StatusCode::kTimeout;
    case 409:
      return StatusCode::kUnavailable;
    case 429:
      return StatusCode::kRateLimited;
    case 529:
      return StatusCode::kOverloaded;
    default:
      break;
  }
  return http_status >= 500 ? StatusCode::kUnavailable : StatusCode::kInvalidArgument;
}

Status ErrorMapping::response_status(int http_status, const http::Headers& headers,
                                     std::string_view body, std::string_view provider_id) const {
  const ErrorBody fields = read(body);
  const StatusCode code =
      http_status < 300 ? code_for_body(fields) : code_for_response(http_status, fields);
  return upstream_error(code, message_for(fields, http_status, body), http_status, &headers,
                        provider_id);
}

Status ErrorMapping::stream_error_status(std::string_view payload,
                                         std::string_view provider_id) const {
  const ErrorBody fields = read(payload);
  return upstream_error(code_for_body(fields), message_for(fields, 0, payload), 0, nullptr,
                        provider_id);
}

}  // namespace aisopod
