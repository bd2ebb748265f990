#include "core/error_text.hpp"

#include <chrono>
#include <string>

#include "http/retry_after.hpp"

namespace aisopod {

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

std::string upstream_error_message(std::string_view message, bool body_parsed, int http_status,
                                   std::string_view body,
                                   std::initializer_list<ErrorDetail> details) {
  std::string out;
  if (!message.empty()) {
    out = one_line(truncate_utf8(message, kErrorMessageBytes));
  } else if (!body_parsed && !body.empty()) {
    out = one_line(truncate_utf8(body, kErrorExcerptBytes));
  } else if (http_status != 0) {
    out = "HTTP " + std::to_string(http_status) + (body.empty() ? " with an empty body" : "");
  } else {
    out = "error without a message";
  }
  std::string listed;
  for (const ErrorDetail& detail : details) {
    if (detail.value.empty()) continue;
    if (!listed.empty()) listed += ", ";
    listed += std::string(detail.label) + ": " + truncate_utf8(detail.value, 100);
  }
  if (!listed.empty()) out += " (" + listed + ")";
  return out;
}

Status upstream_error(StatusCode code, std::string message, int http_status,
                      const http::Headers* headers, std::string_view provider_id) {
  Status status(code, std::move(message));
  if (http_status != 0) status.set_http_status(http_status);
  status.set_provider(std::string(provider_id));
  if (headers != nullptr) {
    status.set_retry_after(
        http::retry_after_from_headers(*headers, std::chrono::system_clock::now()));
  }
  return status;
}

}  // namespace aisopod
