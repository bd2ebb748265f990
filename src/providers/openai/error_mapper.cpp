#include "providers/openai/error_mapper.hpp"

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "core/ascii_text.hpp"
#include "core/error_mapping.hpp"
#include "providers/common/json_dom.hpp"

namespace aisopod::openai {
namespace {

namespace json = boost::json;

std::string json_scalar_text(const json::value* value) {
  if (value == nullptr) return {};
  if (const json::string* s = value->if_string()) return std::string(*s);
  if (value->is_int64()) return std::to_string(value->as_int64());
  if (value->is_uint64()) return std::to_string(value->as_uint64());
  return {};
}

// What an error body says, whatever its exact shape: message, type and code.
ErrorBody parse_error_body(std::string_view body) {
  ErrorBody fields;
  const std::optional<json::object> object = json_dom::parse_object(body);
  if (!object) return fields;
  fields.parsed = true;
  const json::value* error = object->if_contains("error");
  if (error != nullptr && error->is_object()) {
    const json::object& e = error->get_object();
    fields.message = json_scalar_text(e.if_contains("message"));
    fields.type = json_scalar_text(e.if_contains("type"));
    fields.code = json_scalar_text(e.if_contains("code"));
  } else if (error != nullptr && error->is_string()) {
    // Some compatible servers (Ollama's /v1, proxies) send {"error":"text"}.
    fields.message = std::string(error->get_string());
  } else {
    // FastAPI-style servers send {"detail": "..."}; others a top-level message.
    fields.message = json_scalar_text(object->if_contains("message"));
    if (fields.message.empty()) fields.message = json_scalar_text(object->if_contains("detail"));
  }
  return fields;
}

bool is_context_length(const ErrorBody& f) {
  return f.code == "context_length_exceeded" ||
         contains_ignoring_case(f.message, "maximum context length") ||
         contains_ignoring_case(f.message, "context length exceeded");
}

bool is_quota(const ErrorBody& f) {
  return f.code == "insufficient_quota" || f.type == "insufficient_quota";
}

bool is_overloaded(const ErrorBody& f) {
  return contains_ignoring_case(f.message, "overloaded") ||
         contains_ignoring_case(f.type, "overloaded") ||
         contains_ignoring_case(f.code, "overloaded");
}

StatusCode code_from_http(int status, const ErrorBody& f) {
  const StatusCode code = code_for_http_status(status);
  if ((status == 400 || status == 413) && is_context_length(f)) {
    return StatusCode::kContextLengthExceeded;
  }
  if (code == StatusCode::kRateLimited && is_quota(f)) return StatusCode::kBilling;
  if (code == StatusCode::kUnavailable && status >= 500 && is_overloaded(f)) {
    return StatusCode::kOverloaded;
  }
  return code;
}

// For errors without a meaningful HTTP status (inside a 200 stream).
StatusCode code_from_fields(const ErrorBody& f) {
  if (is_quota(f)) return StatusCode::kBilling;
  if (is_context_length(f)) return StatusCode::kContextLengthExceeded;
  if (is_overloaded(f)) return StatusCode::kOverloaded;
  const std::string& t = f.type;
  const std::string& c = f.code;
  if (c == "rate_limit_exceeded" || t == "rate_limit_exceeded" || t == "rate_limit_error" ||
      t == "requests" || t == "tokens") {
    return StatusCode::kRateLimited;
  }
  if (c == "invalid_api_key" || t == "authentication_error") return StatusCode::kUnauthenticated;
  if (t == "permission_error") return StatusCode::kPermissionDenied;
  if (c == "model_not_found" || t == "not_found_error") return StatusCode::kNotFound;
  if (t == "invalid_request_error") return StatusCode::kInvalidArgument;
  return StatusCode::kUnavailable;
}

constexpr ErrorMapping kMapping{parse_error_body, code_from_http, code_from_fields};

}  // namespace

Status status_from_response(int http_status, const http::Headers& headers, std::string_view body,
                            std::string_view provider_id) {
  return kMapping.response_status(http_status, headers, body, provider_id);
}

Status status_from_stream_error(std::string_view payload, std::string_view provider_id) {
  return kMapping.stream_error_status(payload, provider_id);
}

}  // namespace aisopod::openai
