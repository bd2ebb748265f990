#include "providers/anthropic/error_mapper.hpp"

#include "http/retry_after.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace aisopod::anthropic {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxMessageBytes = 500;
constexpr std::size_t kMaxRawExcerptBytes = 200;

struct ErrorFields {
  std::string type;
  std::string message;
  std::string detail_code;  // error.details.error_code
  std::string request_id;
  bool parsed = false;  // the body was a JSON object
};

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

std::string string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return {};
  if (const json::string* s = value->if_string()) return std::string(*s);
  return {};
}

ErrorFields parse_error_body(std::string_view body) {
  ErrorFields fields;
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) return fields;
  fields.parsed = true;
  const json::object& object = root.get_object();
  fields.request_id = string_at(object, "request_id");
  const json::value* error = object.if_contains("error");
  if (error != nullptr && error->is_object()) {
    const json::object& e = error->get_object();
    fields.type = string_at(e, "type");
    fields.message = string_at(e, "message");
    if (const json::value* details = e.if_contains("details"); details && details->is_object()) {
      fields.detail_code = string_at(details->get_object(), "error_code");
    }
  } else if (error != nullptr && error->is_string()) {
    fields.message = std::string(error->get_string());
  } else {
    fields.message = string_at(object, "message");
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

// Conditions the message says whatever the status or type.
std::optional<StatusCode> code_from_message(const ErrorFields& f) {
  if (contains_ci(f.message, "prompt is too long") ||
      contains_ci(f.message, "exceed context limit")) {
    return StatusCode::kContextLengthExceeded;
  }
  if (contains_ci(f.message, "credit balance is too low")) return StatusCode::kBilling;
  return std::nullopt;
}

StatusCode code_from_type(const ErrorFields& f) {
  if (auto code = code_from_message(f)) return *code;
  const std::string& t = f.type;
  if (t == "overloaded_error") return StatusCode::kOverloaded;
  if (t == "rate_limit_error") {
    return f.detail_code == "enforced_spend_limit_reached" ? StatusCode::kBilling
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

StatusCode code_from_http(int status, const ErrorFields& f) {
  if (auto code = code_from_message(f)) return *code;
  switch (status) {
    case 400:
      return StatusCode::kInvalidArgument;
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
      return f.detail_code == "enforced_spend_limit_reached" ? StatusCode::kBilling
                                                             : StatusCode::kRateLimited;
    case 529:
      return StatusCode::kOverloaded;
    default:
      break;
  }
  if (status >= 500) {
    return f.type == "overloaded_error" ? StatusCode::kOverloaded : StatusCode::kUnavailable;
  }
  return StatusCode::kInvalidArgument;
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
  if (!f.type.empty() || !f.request_id.empty()) {
    out += " (";
    if (!f.type.empty()) out += "type: " + truncate_utf8(f.type, 100);
    if (!f.type.empty() && !f.request_id.empty()) out += ", ";
    if (!f.request_id.empty()) out += "request_id: " + truncate_utf8(f.request_id, 100);
    out += ")";
  }
  return out;
}

}  // namespace

Status status_from_response(int http_status, const http::Headers& headers, std::string_view body,
                            std::string_view provider_id) {
  const ErrorFields fields = parse_error_body(body);
  const StatusCode code =
      http_status < 300 ? code_from_type(fields) : code_from_http(http_status, fields);
  Status status(code, compose_message(fields, http_status, body));
  status.set_http_status(http_status);
  status.set_provider(std::string(provider_id));
  status.set_retry_after(http::retry_after_from_headers(headers, std::chrono::system_clock::now()));
  return status;
}

Status status_from_stream_error(std::string_view payload, std::string_view provider_id) {
  const ErrorFields fields = parse_error_body(payload);
  Status status(code_from_type(fields), compose_message(fields, 0, payload));
  status.set_provider(std::string(provider_id));
  return status;
}

}  // namespace aisopod::anthropic
