#include "aisopod/status.hpp"

#include <array>

namespace aisopod {
namespace {

constexpr std::array<std::pair<StatusCode, std::string_view>, 14> kCodeNames = {{
    {StatusCode::kOk, "ok"},
    {StatusCode::kInvalidArgument, "invalid_argument"},
    {StatusCode::kUnauthenticated, "unauthenticated"},
    {StatusCode::kPermissionDenied, "permission_denied"},
    {StatusCode::kBilling, "billing"},
    {StatusCode::kNotFound, "not_found"},
    {StatusCode::kRateLimited, "rate_limited"},
    {StatusCode::kOverloaded, "overloaded"},
    {StatusCode::kContextLengthExceeded, "context_length_exceeded"},
    {StatusCode::kTimeout, "timeout"},
    {StatusCode::kCancelled, "cancelled"},
    {StatusCode::kUnavailable, "unavailable"},
    {StatusCode::kProtocolError, "protocol_error"},
    {StatusCode::kInternal, "internal"},
}};

}  // namespace

std::string_view status_code_name(StatusCode code) {
  for (const auto& [c, name] : kCodeNames) {
    if (c == code) return name;
  }
  return "internal";
}

std::optional<StatusCode> status_code_from_name(std::string_view name) {
  for (const auto& [c, n] : kCodeNames) {
    if (n == name) return c;
  }
  return std::nullopt;
}

bool is_retryable(StatusCode code) {
  switch (code) {
    case StatusCode::kRateLimited:
    case StatusCode::kOverloaded:
    case StatusCode::kTimeout:
    case StatusCode::kUnavailable:
      return true;
    default:
      return false;
  }
}

bool rotates_credentials(StatusCode code) {
  switch (code) {
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
    case StatusCode::kBilling:
    case StatusCode::kRateLimited:
      return true;
    default:
      return false;
  }
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  std::string out(status_code_name(code_));
  std::string context;
  auto add = [&context](const std::string& part) {
    if (part.empty()) return;
    context += (context.empty() ? "" : ", ") + part;
  };
  if (shows_http_status()) add("HTTP " + std::to_string(http_status_));
  add(provider_);
  if (!profile_.empty()) add("profile " + profile_);
  if (!context.empty()) out += " (" + context + ")";
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace aisopod
