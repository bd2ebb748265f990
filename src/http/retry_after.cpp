#include "http/retry_after.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace aisopod::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
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

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (auto seconds = parse_number(value)) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(*seconds * 1000.0)));
  }
  if (auto date = parse_http_date(value)) {
    if (*date <= now) return std::chrono::milliseconds(0);
    return std::chrono::ceil<std::chrono::milliseconds>(*date - now);
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> retry_after_from_headers(
    const Headers& headers, std::chrono::system_clock::time_point now) {
  if (auto ms = find_header(headers, "retry-after-ms")) {
    if (auto value = parse_number(*ms)) {
      return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(*value)));
    }
  }
  if (auto value = find_header(headers, "retry-after")) return parse_retry_after(*value, now);
  return std::nullopt;
}

}  // namespace aisopod::http
