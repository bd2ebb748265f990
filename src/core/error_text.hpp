// What every error mapper writes the same way: the one-line, bounded message of an upstream
// error with its labeled details, and the Status that carries it. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include "aisopod/status.hpp"
#include "http/http.hpp"

namespace aisopod {

// Bounds of what an error message quotes: the provider's own message, and an excerpt of a body
// that is not the provider's JSON.
inline constexpr std::size_t kErrorMessageBytes = 500;
inline constexpr std::size_t kErrorExcerptBytes = 200;

// `text` cut to at most `max` bytes without splitting a UTF-8 sequence, with "..." appended
// when it was cut.
std::string truncate_utf8(std::string_view text, std::size_t max);

// `text` with every newline, carriage return and tab made a space.
std::string one_line(std::string text);

// One labeled detail of an error: {"type", "invalid_request_error"}. Empty values are left out.
struct ErrorDetail {
  std::string_view label;
  std::string_view value;
};

// The message of an upstream error, on one line: `message` (cut to kErrorMessageBytes) when
// not empty; else, when the body was not the provider's JSON (`body_parsed` false), an excerpt
// of `body` (kErrorExcerptBytes); else "HTTP 503" ("HTTP 503 with an empty body"); else (no
// status: inside a stream) "error without a message". Followed by " (type: x, code: y)" for the
// details that are set, each value cut to 100 bytes.
std::string upstream_error_message(std::string_view message, bool body_parsed, int http_status,
                                   std::string_view body,
                                   std::initializer_list<ErrorDetail> details);

// Status(code, message) carrying `provider_id`, `http_status` (when not 0) and, when `headers`
// is given, their Retry-After (retry-after-ms, seconds or an HTTP date, capped at 24 h).
Status upstream_error(StatusCode code, std::string message, int http_status,
                      const http::Headers* headers, std::string_view provider_id);

}  // namespace aisopod
