#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "aisopod/credential.hpp"

namespace aisopod {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// A token endpoint double: counts its exchanges, each takes `delay` on the caller's executor
// (as a real HTTP exchange would) and returns the next token, valid for an hour of `clock`.
struct CountingFetch {
  std::shared_ptr<FakeClock> clock;
  milliseconds delay{50};
  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};

  asio::awaitable<Result<Credential>> operator()() {
    const int n = ++calls;
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(asio::use_awaitable);
    if (fail) co_return Status(StatusCode::kUnauthenticated, "token exchange refused");
    co_return Credential::bearer_token("token-" + std::to_string(n),
                                       clock->now() + std::chrono::hours(1));
  }
};

std::shared_ptr<CredentialSource> source_over(const std::shared_ptr<CountingFetch>& fetch) {
  return make_caching_credential_source(
      "identity", [fetch] { return (*fetch)(); }, std::chrono::minutes(5), fetch->clock);
}

// Runs `count` concurrent get() calls on `io` and collects their results.
void spawn_gets(asio::io_context& io, const std::shared_ptr<CredentialSource>& source, int count,
                std::vector<Result<Credential>>& results) {
  for (int i = 0; i < count; ++i) {
    asio::co_spawn(
        io,
        [source, &results]() -> asio::awaitable<void> {
          Result<Credential> got = co_await source->get();
          results.push_back(std::move(got));
        },
        asio::detached);
  }
}

TEST(CachingCredentialSource, OneFetchForAHundredConcurrentCallers) {
  auto fetch = std::make_shared<CountingFetch>();
  fetch->clock = std::make_shared<FakeClock>();
  auto source = source_over(fetch);
  asio::io_context io;
  std::vector<Result<Credential>> results;
  spawn_gets(io, source, 100, results);
  io.run();
  EXPECT_EQ(fetch->calls.load(), 1);
  ASSERT_EQ(results.size(), 100u);
  for (const Result<Credential>& result : results) {
    ASSERT_TRUE(result.ok()) << result.error().to_string();
    EXPECT_EQ(result->secret, "token-1");
    EXPECT_EQ(result->kind, Credential::Kind::kBearerToken);
  }
}

TEST(CachingCredentialSource, OneFetchForCallersOnFourThreads) {
  auto fetch = std::make_shared<CountingFetch>();
  fetch->clock = std::make_shared<FakeClock>();
  fetch->delay = milliseconds(100);
  auto source = source_over(fetch);
  std::vector<std::vector<Result<Credential>>> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      asio::io_context io;
      spawn_gets(io, source, 25, results[t]);
      io.run();
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(fetch->calls.load(), 1);
  for (const auto& each : results) {
    ASSERT_EQ(each.size(), 25u);
    for (const Result<Credential>& result : each) {
      ASSERT_TRUE(result.ok());
      EXPECT_EQ(result->secret, "token-1");
    }
  }
}

TEST(CachingCredentialSource, RefreshesOnlyWithinTheMarginBeforeExpiry) {
  auto fetch = std::make_shared<CountingFetch>();
  fetch->clock = std::make_shared<FakeClock>();
  auto source = source_over(fetch);
  asio::io_context io;
  std::vector<Result<Credential>> results;
  spawn_gets(io, source, 1, results);
  io.run();
  // 54 minutes later: 6 minutes left, more than the 5-minute margin: cached.
  fetch->clock->advance(std::chrono::minutes(54));
  io.restart();
  spawn_gets(io, source, 1, results);
  io.run();
  EXPECT_EQ(fetch->calls.load(), 1);
  // 2 more minutes: inside the margin: refreshed, once for everyone.
  fetch->clock->advance(std::chrono::minutes(2));
  io.restart();
  spawn_gets(io, source, 10, results);
  io.run();
  EXPECT_EQ(fetch->calls.load(), 2);
  ASSERT_EQ(results.size(), 12u);
  EXPECT_EQ(results[1]->secret, "token-1");
  EXPECT_EQ(results[11]->secret, "token-2");
}

TEST(CachingCredentialSource, AFailedFetchReachesEveryWaiterAndTheNextCallTriesAgain) {
  auto fetch = std::make_shared<CountingFetch>();
  fetch->clock = std::make_shared<FakeClock>();
  fetch->fail = true;
  auto source = source_over(fetch);
  asio::io_context io;
  std::vector<Result<Credential>> results;
  spawn_gets(io, source, 5, results);
  io.run();
  EXPECT_EQ(fetch->calls.load(), 1);
  ASSERT_EQ(results.size(), 5u);
  for (const Result<Credential>& result : results) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(result.error().message(), "token exchange refused");
  }
  fetch->fail = false;
  io.restart();
  spawn_gets(io, source, 1, results);
  io.run();
  EXPECT_EQ(fetch->calls.load(), 2);
  ASSERT_TRUE(results.back().ok());
  EXPECT_EQ(results.back()->secret, "token-2");
}

TEST(Credential, StaticSourceAndSecrets) {
  auto source = make_static_credential_source(Credential::api_key("sk-static-123"));
  asio::io_context io;
  std::vector<Result<Credential>> results;
  spawn_gets(io, source, 2, results);
  io.run();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]->secret, "sk-static-123");
  EXPECT_EQ(results[0]->kind, Credential::Kind::kApiKey);
  EXPECT_EQ(Credential::aws_keys("AKIDEXAMPLE", "wJalr", "FQoG").secrets(),
            (std::vector<std::string>{"wJalr", "FQoG", "AKIDEXAMPLE"}));
  EXPECT_EQ(Credential::api_key("k").secrets(), std::vector<std::string>{"k"});
  EXPECT_TRUE(Credential().secrets().empty());
}

}  // namespace
}  // namespace aisopod
