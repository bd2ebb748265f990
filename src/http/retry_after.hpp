// Retry-After handling shared by every provider's error mapper. Pure.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "http/http.hpp"

namespace aisopod::http {

// The longest delay a server can ask for. A Retry-After is a lower bound on when to try again,
// but not an unbounded one: a longer value (a bug, or a hostile server) would cool a key for
// years in a state file that every process on the machine shares, so it counts as this.
inline constexpr std::chrono::milliseconds kMaxRetryAfter = std::chrono::hours(24);

// A Retry-After value: delay-seconds (fractions allowed: "90", "0.25") or an HTTP-date
// (IMF-fixdate), as a delay from `now` (0 for a date in the past), capped at kMaxRetryAfter.
// Any number of digits is accepted without overflow ("99999999999999999999999" is the cap).
// std::nullopt for anything else: a sign, an exponent, "inf", an empty value.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// The server's requested delay from `retry-after-ms` (milliseconds, fractions allowed,
// preferred, as the official OpenAI and Anthropic SDKs read it) or `retry-after`, capped at
// kMaxRetryAfter; std::nullopt when neither is usable.
std::optional<std::chrono::milliseconds> retry_after_from_headers(
    const Headers& headers, std::chrono::system_clock::time_point now);

}  // namespace aisopod::http
