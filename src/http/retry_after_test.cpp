#include "http/retry_after.hpp"

#include <gtest/gtest.h>

#include <string>

namespace aisopod::http {
namespace {

using std::chrono::milliseconds;

TEST(RetryAfter, SecondsAndHttpDate) {
  const auto now = std::chrono::sys_days(std::chrono::year(2015) / 10 / 21) +
                   std::chrono::hours(7) + std::chrono::minutes(27) + std::chrono::seconds(30);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), milliseconds(30000));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), milliseconds(0));
  EXPECT_EQ(parse_retry_after("0.25", now), milliseconds(250));
  EXPECT_FALSE(parse_retry_after("Wed, 21 Foo 2015 07:28:00 GMT", now).has_value());
  EXPECT_FALSE(parse_retry_after("-1", now).has_value());
  EXPECT_FALSE(parse_retry_after("", now).has_value());
}

TEST(RetryAfter, MillisecondsHeaderPreferred) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(retry_after_from_headers({{"Retry-After", "20"}, {"retry-after-ms", "1500"}}, now),
            milliseconds(1500));
  EXPECT_EQ(retry_after_from_headers({{"retry-after-ms", "soon"}, {"Retry-After", "3"}}, now),
            milliseconds(3000));
  EXPECT_FALSE(retry_after_from_headers({}, now).has_value());
}

TEST(RetryAfter, SecondsAreCappedAtADayWithoutOverflow) {
  const auto now = std::chrono::sys_days(std::chrono::year(2026) / 12 / 2) + std::chrono::hours(10);
  EXPECT_EQ(kMaxRetryAfter, std::chrono::hours(24));
  EXPECT_EQ(parse_retry_after("86399", now), milliseconds(86'399'000));
  EXPECT_EQ(parse_retry_after("86399.9994", now), milliseconds(86'399'999));
  EXPECT_EQ(parse_retry_after("86400", now), milliseconds(86'400'000));
  EXPECT_EQ(parse_retry_after("86401", now), milliseconds(86'400'000));
  EXPECT_EQ(parse_retry_after("999999999999", now), milliseconds(86'400'000));
  EXPECT_EQ(parse_retry_after("99999999999999999999999", now), milliseconds(86'400'000));
  EXPECT_EQ(parse_retry_after(std::string(400, '9') + ".5", now), milliseconds(86'400'000));
  EXPECT_EQ(parse_retry_after("0." + std::string(400, '0') + "1", now), milliseconds(0));
  EXPECT_EQ(parse_retry_after(" 1.5\t", now), milliseconds(1500));
  EXPECT_EQ(parse_retry_after(".5", now), milliseconds(500));
  EXPECT_EQ(parse_retry_after("7.", now), milliseconds(7000));
  for (const char* bad : {".", "1e3", "+5", "-0", "inf", "nan", "1.2.3", "12s", "0x10"}) {
    EXPECT_FALSE(parse_retry_after(bad, now).has_value()) << bad;
  }
}

TEST(RetryAfter, HttpDatesAreCappedAtADayWithoutOverflow) {
  const auto now = std::chrono::sys_days(std::chrono::year(2026) / 12 / 2) + std::chrono::hours(10);
  EXPECT_EQ(parse_retry_after("Thu, 03 Dec 2026 09:59:59 GMT", now), milliseconds(86'399'000));
  EXPECT_EQ(parse_retry_after("Thu, 03 Dec 2026 10:00:01 GMT", now), milliseconds(86'400'000));
  // Nanoseconds since 1970 overflow 64 bits in 2262 and before 1678: these must not.
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), milliseconds(86'400'000));
  EXPECT_EQ(parse_retry_after("Mon, 01 Jan 0001 00:00:00 GMT", now), milliseconds(0));
  // A now with nanoseconds: the delay is rounded up to the millisecond.
  EXPECT_EQ(parse_retry_after("Wed, 02 Dec 2026 10:00:01 GMT", now + std::chrono::nanoseconds(1)),
            milliseconds(1000));
}

TEST(RetryAfter, MillisecondsHeaderIsCappedAtADayWithoutOverflow) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(retry_after_from_headers({{"retry-after-ms", "86400000"}}, now),
            milliseconds(86'400'000));
  EXPECT_EQ(retry_after_from_headers({{"retry-after-ms", "86399999"}}, now),
            milliseconds(86'399'999));
  EXPECT_EQ(retry_after_from_headers({{"retry-after-ms", "99999999999999999999999"}}, now),
            milliseconds(86'400'000));
  EXPECT_EQ(retry_after_from_headers({{"retry-after-ms", "1500.6"}}, now), milliseconds(1501));
  EXPECT_EQ(retry_after_from_headers({{"retry-after-ms", "1e999"}, {"retry-after", "2"}}, now),
            milliseconds(2000));
  EXPECT_EQ(retry_after_from_headers({{"retry-after", "999999999999"}}, now),
            milliseconds(86'400'000));
}

}  // namespace
}  // namespace aisopod::http
