#include "providers/anthropic/error_mapper.hpp"

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "core/ascii_text.hpp"
#include "core/error_mapping.hpp"
#include "providers/common/json_dom.hpp"

namespace aisopod::anthropic {
namespace {

namespace json = boost::json;
using json_dom::string_at;

// error.type, error.message, error.details.error_code (as subcode) and request_id.
ErrorBody parse_error_body(std::string_view body) {
  ErrorBody fields;
  const std::optional<json::object> object = json_dom::parse_object(body);
  if (!object) return fields;
  fields.parsed = true;
  fields.request_id = string_at(*object, "request_id");
  const json::value* error = object->if_contains("error");
  if (error != nullptr && error->is_object()) {
    const json::object& e = error->get_object();
    fields.type = string_at(e, "type");
    fields.message = string_at(e, "message");
    if (const json::value* details = e.if_contains("details"); details && details->is_object()) {
      fields.subcode = string_at(details->get_object(), "error_code");
    }
  } else if (error != nullptr && error->is_string()) {
    fields.message = std::string(error->get_string());
  } else {
    fields.message = string_at(*object, "message");
  }
  return fields;
}

// Conditions the message says whatever the status or type.
std::optional<StatusCode> code_from_message(const ErrorBody& f) {
  if (contains_ignoring_case(f.message, "prompt is too long") ||
      contains_ignoring_case(f.message, "exceed context limit")) {
    return StatusCode::kContextLengthExceeded;
  }
  if (contains_ignoring_case(f.message, "credit balance is too low")) return StatusCode::kBilling;
  return std::nullopt;
}

StatusCode code_from_type(const ErrorBody& f) {
  if (auto code = code_from_message(f)) return *code;
  const std::string& t = f.type;
  if (t == "overloaded_error") return StatusCode::kOverloaded;
  if (t == "rate_limit_error") {
    return f.subcode == "enforced_spend_limit_reached" ? StatusCode::kBilling
                                                       : StatusCode::kRateLimited;
  }
  if (t == "invalid_request_error" || t == "request_too_large") {
    return StatusCode::kInvalidArgument;
  }
  if (t == "authentication_error") return StatusCode::kUnauthenticated;
  if (t == "permission_error") return StatusCode::kPermissionDenied;
  if (t == "billing_error") return StatusCode::kBilling;
  if (t == "not_found_error") return StatusCode::kNotFound;
  if (t == "timeout_error") return StatusCode::kTimeout;
  return StatusCode::kUnavailable;  // api_error, conflict_error, unknown
}

StatusCode code_from_http(int status, const ErrorBody& f) {
  if (auto code = code_from_message(f)) return *code;
  const StatusCode code = code_for_http_status(status);
  if (code == StatusCode::kRateLimited && f.subcode == "enforced_spend_limit_reached") {
    return StatusCode::kBilling;
  }
  if (code == StatusCode::kUnavailable && status >= 500 && f.type == "overloaded_error") {
    return StatusCode::kOverloaded;
  }
  return code;
}

constexpr ErrorMapping kMapping{parse_error_body, code_from_http, code_from_type};

}  // namespace

Status status_from_response(int http_status, const http::Headers& headers, std::string_view body,
                            std::string_view provider_id) {
  return kMapping.response_status(http_status, headers, body, provider_id);
}

Status status_from_stream_error(std::string_view payload, std::string_view provider_id) {
  return kMapping.stream_error_status(payload, provider_id);
}

}  // namespace aisopod::anthropic
