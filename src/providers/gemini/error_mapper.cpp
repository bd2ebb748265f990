#include "providers/gemini/error_mapper.hpp"

#include "core/ascii_text.hpp"
#include "core/error_mapping.hpp"
#include "core/error_text.hpp"
#include "http/retry_after.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>

namespace aisopod::gemini {
namespace {

namespace json = boost::json;

// What a google.rpc.Status body says.
struct ErrorFields {
  std::int64_t code = 0;  // error.code (an HTTP status); 0 when absent
  std::string message;
  std::string status;                                    // "INVALID_ARGUMENT", ...
  std::string reason;                                    // the first ErrorInfo detail's reason
  std::optional<std::chrono::milliseconds> retry_delay;  // RetryInfo.retryDelay
  bool parsed = false;                                   // the body was JSON
};

std::string string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return {};
  if (const json::string* s = value->if_string()) return std::string(*s);
  return {};
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void read_details(const json::value& details, ErrorFields& fields) {
  const json::array* array = details.if_array();
  if (array == nullptr) return;
  for (const json::value& entry : *array) {
    const json::object* detail = entry.if_object();
    if (detail == nullptr) continue;
    const std::string type = string_at(*detail, "@type");
    if (ends_with(type, "google.rpc.ErrorInfo") && fields.reason.empty()) {
      fields.reason = string_at(*detail, "reason");
    } else if (ends_with(type, "google.rpc.RetryInfo") && !fields.retry_delay) {
      fields.retry_delay = parse_duration(string_at(*detail, "retryDelay"));
    }
  }
}

ErrorFields parse_error_body(std::string_view body) {
  ErrorFields fields;
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec) return fields;
  fields.parsed = true;
  // streamGenerateContent without alt=sse wraps everything, errors included, in an array.
  if (const json::array* array = root.if_array(); array != nullptr && !array->empty()) {
    json::value first = (*array)[0];
    root = std::move(first);
  }
  const json::object* object = root.if_object();
  if (object == nullptr) return fields;
  const json::value* error = object->if_contains("error");
  if (error != nullptr && error->is_object()) {
    const json::object& e = error->get_object();
    fields.message = string_at(e, "message");
    fields.status = string_at(e, "status");
    if (const json::value* code = e.if_contains("code")) {
      if (code->is_int64()) fields.code = code->get_int64();
      if (code->is_uint64()) fields.code = static_cast<std::int64_t>(code->get_uint64());
    }
    if (const json::value* details = e.if_contains("details")) read_details(*details, fields);
  } else if (error != nullptr && error->is_string()) {
    fields.message = std::string(error->get_string());
  } else {
    fields.message = string_at(*object, "message");
  }
  return fields;
}

bool is_context_length(const ErrorFields& f) {
  return contains_ignoring_case(f.message, "exceeds the maximum number of tokens");
}

bool is_overloaded(const ErrorFields& f) { return contains_ignoring_case(f.message, "overloaded"); }

// 400 INVALID_ARGUMENT / FAILED_PRECONDITION and their refinements.
StatusCode invalid_argument_code(const ErrorFields& f) {
  if (f.reason == "API_KEY_INVALID") return StatusCode::kUnauthenticated;
  if (is_context_length(f)) return StatusCode::kContextLengthExceeded;
  if (f.status == "FAILED_PRECONDITION" && contains_ignoring_case(f.message, "billing")) {
    return StatusCode::kBilling;
  }
  return StatusCode::kInvalidArgument;
}

StatusCode code_from_http(std::int64_t status, const ErrorFields& f) {
  if (is_context_length(f)) return StatusCode::kContextLengthExceeded;
  if (status == 400) return invalid_argument_code(f);
  if (status == 403 && f.reason == "API_KEY_INVALID") return StatusCode::kUnauthenticated;
  // The server cancelled the call (not this caller): worth another try.
  if (status == 499) return StatusCode::kUnavailable;
  if (status == 504) return StatusCode::kTimeout;
  if (status >= 500) return is_overloaded(f) ? StatusCode::kOverloaded : StatusCode::kUnavailable;
  // Below 400 nothing is special: 0 stands for it (invalid_argument).
  return code_for_http_status(status >= 400 ? static_cast<int>(status) : 0);
}

// For errors without a meaningful HTTP status (inside a 200 stream).
StatusCode code_from_rpc_status(const ErrorFields& f) {
  const std::string& s = f.status;
  if (s == "INVALID_ARGUMENT" || s == "FAILED_PRECONDITION" || s == "OUT_OF_RANGE" ||
      s == "UNIMPLEMENTED") {
    return invalid_argument_code(f);
  }
  if (is_context_length(f)) return StatusCode::kContextLengthExceeded;
  if (s == "UNAUTHENTICATED") return StatusCode::kUnauthenticated;
  if (s == "PERMISSION_DENIED") {
    return f.reason == "API_KEY_INVALID" ? StatusCode::kUnauthenticated
                                         : StatusCode::kPermissionDenied;
  }
  if (s == "NOT_FOUND") return StatusCode::kNotFound;
  if (s == "RESOURCE_EXHAUSTED") return StatusCode::kRateLimited;
  if (s == "DEADLINE_EXCEEDED") return StatusCode::kTimeout;
  if (s == "UNAVAILABLE") {
    return is_overloaded(f) ? StatusCode::kOverloaded : StatusCode::kUnavailable;
  }
  if (s == "INTERNAL" || s == "UNKNOWN" || s == "CANCELLED" || s == "ABORTED" || s == "DATA_LOSS") {
    return StatusCode::kUnavailable;
  }
  if (f.code >= 400 && f.code < 600) return code_from_http(f.code, f);
  return StatusCode::kUnavailable;
}

std::string message_of(const ErrorFields& f, int http_status, std::string_view body) {
  return upstream_error_message(f.message, f.parsed, http_status, body,
                                {{"status", f.status}, {"reason", f.reason}});
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.size() < 2 || text.back() != 's') return std::nullopt;
  text.remove_suffix(1);
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || !digits(whole) || !digits(fraction)) return std::nullopt;
  if (dot != std::string_view::npos && fraction.empty()) return std::nullopt;
  const std::int64_t cap = http::kMaxRetryAfter.count();
  std::int64_t ms = 0;
  for (char c : whole) {
    ms = ms * 10 + (c - '0');
    if (ms > cap) return http::kMaxRetryAfter;  // also keeps the arithmetic from overflowing
  }
  ms *= 1000;
  std::int64_t scale = 100;
  for (std::size_t i = 0; i < fraction.size() && i < 3; ++i, scale /= 10) {
    ms += (fraction[i] - '0') * scale;
  }
  return std::chrono::milliseconds(std::min(ms, cap));
}

Status status_from_response(int http_status, const http::Headers& headers, std::string_view body,
                            std::string_view provider_id) {
  const ErrorFields fields = parse_error_body(body);
  const StatusCode code =
      http_status < 300 ? code_from_rpc_status(fields) : code_from_http(http_status, fields);
  Status status = upstream_error(code, message_of(fields, http_status, body), http_status, &headers,
                                 provider_id);
  // RetryInfo is the server's own delay; it wins over the headers.
  if (fields.retry_delay) status.set_retry_after(fields.retry_delay);
  return status;
}

Status status_from_stream_error(std::string_view payload, std::string_view provider_id) {
  const ErrorFields fields = parse_error_body(payload);
  Status status = upstream_error(code_from_rpc_status(fields), message_of(fields, 0, payload), 0,
                                 nullptr, provider_id);
  status.set_retry_after(fields.retry_delay);
  return status;
}

}  // namespace aisopod::gemini
