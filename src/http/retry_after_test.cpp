#include "http/retry_after.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace aisopod::http
