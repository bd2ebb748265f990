#include "providers/openai/error_mapper.hpp"

#include "http/retry_after.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace aisopod::openai {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxMessageBytes = 500;
constexpr std::size_t kMaxRawExcerptBytes = 200;

// What an error body says, whatever its exact shape.
struct ErrorFields {
  std::string message;
  std::string type;
  std::string code;
  bool parsed = false;  // the body was JSON
};

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence.
std::string truncate_utf8(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  std::string out(text.substr(0, cut));
  out += "...";
  return out;
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return text;
}

std::string json_scalar_text(const json::value* value) {
  if (value == nullptr) return {};
  if (const json::string* s = value->if_string()) return std::string(*s);
  if (value->is_int64()) return std::to_string(value->as_int64());
  if (value->is_uint64()) return std::to_string(value->as_uint64());
  return {};
}

ErrorFields parse_error_body(std::string_view body) {
  ErrorFields fields;
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) return fields;
  fields.parsed = true;
  const json::object& object = root.get_object();
  const json::value* error = object.if_contains("error");
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
    fields.message = json_scalar_text(object.if_contains("message"));
    if (fields.message.empty()) fields.message = json_scalar_text(object.if_contains("detail"));
  }
  return fields;
}

bool contains_ci(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

bool is_context_length(const ErrorFields& f) {
  return f.code == "context_length_exceeded" || contains_ci(f.message, "maximum context length") ||
         contains_ci(f.message, "context length exceeded");
}

bool is_quota(const ErrorFields& f) {
  return f.code == "insufficient_quota" || f.type == "insufficient_quota";
}

bool is_overloaded(const ErrorFields& f) {
  return contains_ci(f.message, "overloaded") || contains_ci(f.type, "overloaded") ||
         contains_ci(f.code, "overloaded");
}

StatusCode code_from_http(int status, const ErrorFields& f) {
  switch (status) {
    case 400:
      return is_context_length(f) ? StatusCode::kContextLengthExceeded
                                  : StatusCode::kInvalidArgument;
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
      return is_quota(f) ? StatusCode::kBilling : StatusCode::kRateLimited;
    case 529:
      return StatusCode::kOverloaded;
    default:
      break;
  }
  if (status >= 500) return is_overloaded(f) ? StatusCode::kOverloaded : StatusCode::kUnavailable;
  if (status == 413 && is_context_length(f)) return StatusCode::kContextLengthExceeded;
  return StatusCode::kInvalidArgument;
}

// For errors without a meaningful HTTP status (inside a 200 stream).
StatusCode code_from_fields(const ErrorFields& f) {
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

std::string compose_message(const ErrorFields& f, int http_status, std::string_view body) {
  std::string out;
  if (!f.message.empty()) {
    out = one_line(truncate_utf8(f.message, kMaxMessageBytes));
  } else if (!f.parsed && !body.empty()) {
    out = one_line(truncate_utf8(body, kMaxRawExcerptBytes));
  } else if (http_status != 0) {
    out = "HTTP " + std::to_string(http_status) + (body.empty() ? " with an empty body" : "");
  } else {
    out = "error without a message";
  }
  if (!f.type.empty() || !f.code.empty()) {
    out += " (";
    if (!f.type.empty()) out += "type: " + truncate_utf8(f.type, 100);
    if (!f.type.empty() && !f.code.empty()) out += ", ";
    if (!f.code.empty()) out += "code: " + truncate_utf8(f.code, 100);
    out += ")";
  }
  return out;
}

}  // namespace

Status status_from_response(int http_status, const http::Headers& headers, std::string_view body,
                            std::string_view provider_id) {
  const ErrorFields fields = parse_error_body(body);
  const StatusCode code =
      http_status < 300 ? code_from_fields(fields) : code_from_http(http_status, fields);
  Status status(code, compose_message(fields, http_status, body));
  status.set_http_status(http_status);
  status.set_provider(std::string(provider_id));
  status.set_retry_after(http::retry_after_from_headers(headers, std::chrono::system_clock::now()));
  return status;
}

Status status_from_stream_error(std::string_view payload, std::string_view provider_id) {
  const ErrorFields fields = parse_error_body(payload);
  Status status(code_from_fields(fields), compose_message(fields, 0, payload));
  status.set_provider(std::string(provider_id));
  return status;
}

}  // namespace aisopod::openai
