#include "http/retry_after.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace aisopod::http {
namespace {

using std::chrono::milliseconds;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A non-negative decimal ("90", "1.5", ".5") times `unit_ms` milliseconds, rounded to the
// nearest millisecond and capped at kMaxRetryAfter. Parsed digit by digit so that no length of
// input overflows: the whole part stops growing once it is past the cap.
std::optional<milliseconds> parse_delay(std::string_view text, std::int64_t unit_ms) {
  text = trim(text);
  const std::size_t dot = text.find('.');
  const std::string_view whole_digits = text.substr(0, dot);
  const std::string_view fraction_digits =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if ((whole_digits.empty() && fraction_digits.empty()) || !all_digits(whole_digits) ||
      !all_digits(fraction_digits)) {
    return std::nullopt;
  }
  const std::int64_t cap = kMaxRetryAfter.count();
  std::int64_t whole = 0;
  for (const char c : whole_digits) {
    whole = whole * 10 + (c - '0');
    if (whole >= cap) return kMaxRetryAfter;  // unit_ms >= 1, so already past the cap
  }
  if (whole * unit_ms >= cap) return kMaxRetryAfter;
  // Digits past the 20th cannot move the result by a millisecond.
  double fraction = 0;
  double place = 0.1;
  for (const char c : fraction_digits.substr(0, 20)) {
    fraction += (c - '0') * place;
    place /= 10;
  }
  const std::int64_t ms = whole * unit_ms + std::llround(fraction * static_cast<double>(unit_ms));
  return milliseconds(std::min(ms, cap));
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT", to the second.
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::size_t comma = text.find(", ");
  if (comma == std::string_view::npos) return std::nullopt;
  text.remove_prefix(comma + 2);
  // "06 Nov 1994 08:49:37 GMT"
  if (text.size() != 24 || text[2] != ' ' || text[6] != ' ' || text[11] != ' ' || text[14] != ':' ||
      text[17] != ':' || text.substr(20) != " GMT") {
    return std::nullopt;
  }
  auto day = parse_int(text.substr(0, 2));
  auto year = parse_int(text.substr(7, 4));
  auto hour = parse_int(text.substr(12, 2));
  auto minute = parse_int(text.substr(15, 2));
  auto second = parse_int(text.substr(18, 2));
  int month = 0;
  for (int i = 0; i < 12; ++i) {
    if (text.substr(3, 3) == kMonths[i]) month = i + 1;
  }
  if (!day || !year || !hour || !minute || !second || month == 0) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
         std::chrono::seconds(*second);
}

}  // namespace

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (auto delay = parse_delay(value, 1000)) return delay;
  if (auto date = parse_http_date(value)) {
    // In milliseconds: system_clock counts nanoseconds, which overflow within 292 years of
    // 1970, and a date may be any year from 0000 to 9999. The date is a whole second, so
    // ceil(date - now) is date - floor(now) in milliseconds.
    const auto date_ms = std::chrono::time_point_cast<milliseconds>(*date);
    const auto now_ms = std::chrono::floor<milliseconds>(now);
    if (date_ms <= now_ms) return milliseconds(0);
    return std::min(milliseconds(date_ms - now_ms), kMaxRetryAfter);
  }
  return std::nullopt;
}

std::optional<milliseconds> retry_after_from_headers(const Headers& headers,
                                                     std::chrono::system_clock::time_point now) {
  if (auto ms = find_header(headers, "retry-after-ms")) {
    if (auto delay = parse_delay(*ms, 1)) return delay;
  }
  if (auto value = find_header(headers, "retry-after")) return parse_retry_after(*value, now);
  return std::nullopt;
}

}  // namespace aisopod::http
