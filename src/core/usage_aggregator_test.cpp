#include "aisopod/usage.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace aisopod {
namespace {

Usage make_usage(std::int64_t input, std::int64_t output, std::int64_t cache_read = 0,
                 std::int64_t cache_write = 0, std::int64_t reasoning = 0) {
  Usage usage;
  usage.input_tokens = input;
  usage.output_tokens = output;
  usage.cache_read_tokens = cache_read;
  usage.cache_write_tokens = cache_write;
  usage.reasoning_tokens = reasoning;
  return usage;
}

TEST(UsageAggregator, EmptyHasNoRowsAndZeroTotal) {
  UsageAggregator aggregator;
  EXPECT_TRUE(aggregator.rows().empty());
  EXPECT_EQ(aggregator.total(), Usage{});
}

TEST(UsageAggregator, SumsPerKeyAndSortsRows) {
  UsageAggregator aggregator;
  aggregator.add("openai", "gpt-4o", "main", make_usage(10, 20, 1, 2, 3));
  aggregator.add("anthropic", "claude", "", make_usage(100, 200));
  aggregator.add("openai", "gpt-4o", "main", make_usage(5, 7, 11, 13, 17));
  aggregator.add("openai", "gpt-4o", "batch", make_usage(1, 1));
  aggregator.add("openai", "gpt-4o-mini", "main", make_usage(2, 3));

  const std::vector<UsageAggregator::Row> expected = {
      {"anthropic", "claude", "", make_usage(100, 200), 1},
      {"openai", "gpt-4o", "batch", make_usage(1, 1), 1},
      {"openai", "gpt-4o", "main", make_usage(15, 27, 12, 15, 20), 2},
      {"openai", "gpt-4o-mini", "main", make_usage(2, 3), 1},
  };
  EXPECT_EQ(aggregator.rows(), expected);
  EXPECT_EQ(aggregator.total(), make_usage(118, 231, 12, 15, 20));
}

TEST(UsageAggregator, RowsAreASnapshot) {
  UsageAggregator aggregator;
  aggregator.add("openai", "gpt-4o", "main", make_usage(1, 2));
  const std::vector<UsageAggregator::Row> before = aggregator.rows();
  aggregator.add("openai", "gpt-4o", "main", make_usage(1, 2));
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].requests, 1);
  EXPECT_EQ(before[0].usage, make_usage(1, 2));
  EXPECT_EQ(aggregator.rows()[0].requests, 2);
}

TEST(UsageAggregator, ConcurrentAddsGiveExactTotals) {
  constexpr int kThreads = 8;
  constexpr int kAddsPerThread = 2000;
  const std::vector<std::string> profiles = {"a", "b", "c"};
  UsageAggregator aggregator;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&aggregator, &profiles, t] {
      for (int i = 0; i < kAddsPerThread; ++i) {
        const std::string& profile = profiles[static_cast<std::size_t>(i) % profiles.size()];
        aggregator.add(t % 2 == 0 ? "openai" : "anthropic", "m", profile,
                       make_usage(t + 1, i % 7, 1, 2, t));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  // The expected figures, computed the slow way.
  std::map<std::pair<std::string, std::string>, UsageAggregator::Row> expected;
  Usage expected_total;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kAddsPerThread; ++i) {
      const std::string provider = t % 2 == 0 ? "openai" : "anthropic";
      const std::string& profile = profiles[static_cast<std::size_t>(i) % profiles.size()];
      UsageAggregator::Row& row = expected[{provider, profile}];
      row.provider = provider;
      row.model = "m";
      row.profile = profile;
      row.usage += make_usage(t + 1, i % 7, 1, 2, t);
      ++row.requests;
      expected_total += make_usage(t + 1, i % 7, 1, 2, t);
    }
  }
  std::vector<UsageAggregator::Row> expected_rows;
  for (const auto& [key, row] : expected) expected_rows.push_back(row);

  EXPECT_EQ(aggregator.rows(), expected_rows);
  EXPECT_EQ(aggregator.total(), expected_total);
  std::int64_t requests = 0;
  for (const UsageAggregator::Row& row : aggregator.rows()) requests += row.requests;
  EXPECT_EQ(requests, kThreads * kAddsPerThread);
}

}  // namespace
}  // namespace aisopod
