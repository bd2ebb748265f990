// Retry-After handling shared by every provider's error mapper. Pure.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "http/http.hpp"

namespace aisopod::http {

// A Retry-After value: delay-seconds (fractions allowed) or an HTTP-date (IMF-fixdate), as a
// delay from `now` (0 for a date in the past). std::nullopt for anything else or a negative
// number.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// The server's requested delay from `retry-after-ms` (milliseconds, preferred, as the official
// OpenAI and Anthropic SDKs read it) or `retry-after`; std::nullopt when neither is usable.
std::optional<std::chrono::milliseconds> retry_after_from_headers(
    const Headers& headers, std::chrono::system_clock::time_point now);

}  // namespace aisopod::http
