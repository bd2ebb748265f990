#include "providers/ollama/error_mapper.hpp"

#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <string>

#include "core/ascii_text.hpp"
#include "core/error_text.hpp"
#include "http/retry_after.hpp"

namespace aisopod::ollama {
namespace {

namespace json = boost::json;

// `text` cut to at most `max` bytes without splitting a UTF-8 sequence, on one line.
std::string excerpt(std::string_view text, std::size_t max) {
  return one_line(truncate_utf8(text, max));
}

// The error text of a body: {"error":"..."}, {"error":{"message":"..."}} or a raw excerpt.
std::string error_text(std::string_view body) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (!ec && root.is_object()) {
    const json::value* error = root.get_object().if_contains("error");
    if (error != nullptr && error->is_string()) {
      return excerpt(std::string_view(error->get_string()), kErrorMessageBytes);
    }
    if (error != nullptr && error->is_object()) {
      const json::value* message = error->get_object().if_contains("message");
      if (message != nullptr && message->is_string()) {
        return excerpt(std::string_view(message->get_string()), kErrorMessageBytes);
      }
    }
  }
  std::string_view trimmed = body;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) {
    trimmed.remove_suffix(1);
  }
  return excerpt(trimmed, kErrorExcerptBytes);
}

bool says_missing(std::string_view message) {
  return contains_ignoring_case(message, "file does not exist") ||
         contains_ignoring_case(message, "not found");
}

bool says_context_exceeded(std::string_view message) {
  return contains_ignoring_case(message, "context length") ||
         contains_ignoring_case(message, "context window") ||
         contains_ignoring_case(message, "exceeds the context");
}

bool says_busy(std::string_view message) {
  return contains_ignoring_case(message, "busy") || contains_ignoring_case(message, "overloaded");
}

Status make(StatusCode code, std::string message, std::string_view provider_id) {
  Status status(code, std::move(message));
  status.set_provider(std::string(provider_id));
  return status;
}

// "http://user:secret@host:1/" -> "http://host:1" (no credential in a message).
std::string display_url(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  const std::size_t scheme = url.find("://");
  const std::size_t host_start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const std::size_t path = url.find('/', host_start);
  const std::size_t at = url.rfind('@', path == std::string_view::npos ? url.size() : path);
  if (at == std::string_view::npos || at < host_start) return std::string(url);
  return std::string(url.substr(0, host_start)) + std::string(url.substr(at + 1));
}

}  // namespace

Status status_from_response(int http_status, const http::Headers& headers, std::string_view body,
                            std::string_view provider_id) {
  std::string message = error_text(body);
  if (message.empty()) message = "HTTP " + std::to_string(http_status) + " with an empty body";
  StatusCode code = StatusCode::kUnavailable;
  if (http_status == 400) {
    code = says_context_exceeded(message) ? StatusCode::kContextLengthExceeded
                                          : StatusCode::kInvalidArgument;
  } else if (http_status == 401) {
    code = StatusCode::kUnauthenticated;
  } else if (http_status == 403) {
    code = StatusCode::kPermissionDenied;
  } else if (http_status == 404) {
    code = StatusCode::kNotFound;
  } else if (http_status == 408) {
    code = StatusCode::kTimeout;
  } else if (http_status == 429) {
    code = StatusCode::kRateLimited;
  } else if (http_status >= 400 && http_status < 500) {
    code = StatusCode::kInvalidArgument;
  } else if (http_status == 529 || (http_status == 503 && says_busy(message))) {
    code = StatusCode::kOverloaded;
  } else if (http_status >= 500 && says_missing(message)) {
    code = StatusCode::kNotFound;
  }
  Status status = make(code, std::move(message), provider_id);
  status.set_http_status(http_status);
  if (http_status == 429 || http_status == 503)
    status.set_retry_after(
        http::retry_after_from_headers(headers, std::chrono::system_clock::now()));
  return status;
}

Status status_from_stream_error(std::string_view message, std::string_view provider_id) {
  std::string text = excerpt(message, kErrorMessageBytes);
  if (text.empty()) text = "the server reported an error without a message";
  StatusCode code = StatusCode::kUnavailable;
  if (says_missing(text)) {
    code = StatusCode::kNotFound;
  } else if (contains_ignoring_case(text, "does not support")) {
    code = StatusCode::kInvalidArgument;
  } else if (says_context_exceeded(text)) {
    code = StatusCode::kContextLengthExceeded;
  } else if (says_busy(text)) {
    code = StatusCode::kOverloaded;
  } else if (contains_ignoring_case(text, "unauthorized")) {
    code = StatusCode::kUnauthenticated;
  }
  return make(code, std::move(text), provider_id);
}

Status status_from_transport_error(Status transport, std::string_view base_url,
                                   std::string_view provider_id) {
  if (transport.code() == StatusCode::kUnavailable && transport.http_status() == 0) {
    return make(StatusCode::kUnavailable,
                "cannot reach Ollama at " + display_url(base_url) +
                    ": is it running? (start it with `ollama serve`)",
                provider_id);
  }
  if (transport.provider().empty()) transport.set_provider(std::string(provider_id));
  return transport;
}

}  // namespace aisopod::ollama
