#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "aisopod/provider.hpp"

namespace aisopod {
namespace {

TEST(Status, CodeNamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(StatusCode::kInternal); ++i) {
    const auto code = static_cast<StatusCode>(i);
    const auto parsed = status_code_from_name(status_code_name(code));
    ASSERT_TRUE(parsed.has_value()) << i;
    EXPECT_EQ(*parsed, code);
  }
  EXPECT_FALSE(status_code_from_name("nonsense").has_value());
  EXPECT_EQ(status_code_name(StatusCode::kContextLengthExceeded), "context_length_exceeded");
}

TEST(Status, RetryAndRotationClasses) {
  EXPECT_TRUE(is_retryable(StatusCode::kRateLimited));
  EXPECT_TRUE(is_retryable(StatusCode::kOverloaded));
  EXPECT_TRUE(is_retryable(StatusCode::kTimeout));
  EXPECT_TRUE(is_retryable(StatusCode::kUnavailable));
  EXPECT_FALSE(is_retryable(StatusCode::kInvalidArgument));
  EXPECT_FALSE(is_retryable(StatusCode::kBilling));
  EXPECT_FALSE(is_retryable(StatusCode::kCancelled));
  EXPECT_TRUE(rotates_credentials(StatusCode::kUnauthenticated));
  EXPECT_TRUE(rotates_credentials(StatusCode::kPermissionDenied));
  EXPECT_TRUE(rotates_credentials(StatusCode::kBilling));
  EXPECT_TRUE(rotates_credentials(StatusCode::kRateLimited));
  EXPECT_FALSE(rotates_credentials(StatusCode::kOverloaded));
  EXPECT_FALSE(rotates_credentials(StatusCode::kContextLengthExceeded));
}

TEST(Status, ToStringCarriesContext) {
  Status status(StatusCode::kRateLimited, "slow down");
  status.set_http_status(429).set_provider("openai");
  EXPECT_EQ(status.to_string(), "rate_limited (HTTP 429, openai): slow down");
  status.set_profile("batch");
  EXPECT_EQ(status.to_string(), "rate_limited (HTTP 429, openai, profile batch): slow down");
  EXPECT_EQ(Status(StatusCode::kTimeout, "t").set_provider("x").to_string(), "timeout (x): t");
  EXPECT_EQ(Status().to_string(), "ok");
}

TEST(Result, HoldsValueOrError) {
  Result<int> value = 7;
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 7);
  Result<int> error = Status(StatusCode::kNotFound, "x");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().code(), StatusCode::kNotFound);
  Result<int> bad = Status();  // an ok Status is not a value
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), StatusCode::kInternal);
}

Result<int> twice(Result<int> in) {
  AISOPOD_ASSIGN_OR_RETURN(int v, std::move(in));
  return v * 2;
}

TEST(Result, AssignOrReturnPropagates) {
  EXPECT_EQ(*twice(21), 42);
  EXPECT_EQ(twice(Status(StatusCode::kTimeout, "t")).error().code(), StatusCode::kTimeout);
}

TEST(Usage, MergeMaxAndSum) {
  Usage a{10, 1, 0, 5, 0};
  a.merge_max(Usage{12, 0, 3, 0, 0});
  EXPECT_EQ(a, (Usage{12, 1, 3, 5, 0}));
  a += Usage{1, 1, 1, 1, 1};
  EXPECT_EQ(a, (Usage{13, 2, 4, 6, 1}));
}

template <class T>
T run(Task<T> task) {
  boost::asio::io_context io;
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&]() -> Task<void> { out.emplace(co_await std::move(task)); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  return std::move(*out);
}

Task<std::vector<Result<std::optional<ChatCompletionChunk>>>> drain(ChunkStream& stream, int n) {
  std::vector<Result<std::optional<ChatCompletionChunk>>> out;
  for (int i = 0; i < n; ++i) out.push_back(co_await stream.next());
  co_return out;
}

TEST(ChunkStream, EndIsSticky) {
  ChatCompletionChunk a;
  a.delta.content = "a";
  ChunkStream stream = ChunkStream::from_chunks({a});
  auto results = run(drain(stream, 3));
  ASSERT_TRUE(results[0].ok());
  ASSERT_TRUE(results[0]->has_value());
  EXPECT_EQ((*results[0])->delta.content, "a");
  for (int i = 1; i < 3; ++i) {
    ASSERT_TRUE(results[i].ok());
    EXPECT_FALSE(results[i]->has_value());
  }
}

class FailingSource : public ChunkSource {
 public:
  explicit FailingSource(int* calls) : calls_(calls) {}
  Task<Result<std::optional<ChatCompletionChunk>>> next() override {
    ++*calls_;
    co_return Status(StatusCode::kUnavailable, "reset");
  }
  void cancel() override {}

 private:
  int* calls_;
};

TEST(ChunkStream, ErrorIsStickyAndSourceNotAskedAgain) {
  int calls = 0;
  ChunkStream stream(std::make_unique<FailingSource>(&calls));
  auto results = run(drain(stream, 3));
  for (const auto& r : results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), StatusCode::kUnavailable);
  }
  EXPECT_EQ(calls, 1);
}

TEST(ChunkStream, CancelEndsWithCancelled) {
  ChatCompletionChunk a;
  a.delta.content = "a";
  ChunkStream stream = ChunkStream::from_chunks({a, a});
  stream.cancel();
  auto results = run(drain(stream, 1));
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].error().code(), StatusCode::kCancelled);
}

// Yields a role chunk, a text chunk, then fails; counts the calls.
class StartsThenFailsSource : public ChunkSource {
 public:
  explicit StartsThenFailsSource(int* calls) : calls_(calls) {}
  Task<Result<std::optional<ChatCompletionChunk>>> next() override {
    ChatCompletionChunk chunk;
    switch ((*calls_)++) {
      case 0:
        chunk.delta.role = Role::kAssistant;
        co_return std::optional<ChatCompletionChunk>(chunk);
      case 1:
        chunk.delta.content = "a";
        co_return std::optional<ChatCompletionChunk>(chunk);
      default:
        co_return Status(StatusCode::kUnavailable, "reset");
    }
  }
  void cancel() override {}

 private:
  int* calls_;
};

TEST(ReadToFirstContent, ACommittedStreamIsReturnedUnchanged) {
  int calls = 0;
  ChunkStream stream(std::make_unique<StartsThenFailsSource>(&calls));
  EXPECT_FALSE(stream.committed());
  Result<ChunkStream> once = run(read_to_first_content(std::move(stream)));
  ASSERT_TRUE(once.ok());
  EXPECT_TRUE(once->committed());
  EXPECT_EQ(calls, 2);
  // A second level of read-ahead (a FailoverProvider over a provider) reads nothing more.
  Result<ChunkStream> twice = run(read_to_first_content(std::move(*once)));
  ASSERT_TRUE(twice.ok());
  EXPECT_TRUE(twice->committed());
  EXPECT_EQ(calls, 2);
  auto results = run(drain(*twice, 3));
  ASSERT_TRUE(results[0].ok() && results[0]->has_value());
  EXPECT_EQ((*results[0])->delta.role, Role::kAssistant);
  ASSERT_TRUE(results[1].ok() && results[1]->has_value());
  EXPECT_EQ((*results[1])->delta.content, "a");
  ASSERT_FALSE(results[2].ok());
  EXPECT_EQ(results[2].error().code(), StatusCode::kUnavailable);
  // Said once.
  EXPECT_EQ(results[2].error().message(),
            "the answer had already started, so no retry or failover: reset");
}

TEST(ReadToFirstContent, AnAnswerWithoutContentIsCommittedToo) {
  ChatCompletionChunk role;
  role.delta.role = Role::kAssistant;
  Result<ChunkStream> read = run(read_to_first_content(ChunkStream::from_chunks({role})));
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->committed());
  auto results = run(drain(*read, 2));
  ASSERT_TRUE(results[0].ok() && results[0]->has_value());
  ASSERT_TRUE(results[1].ok());
  EXPECT_FALSE(results[1]->has_value());
}

TEST(ChatCompletionChunk, HasContent) {
  ChatCompletionChunk chunk;
  chunk.delta.role = Role::kAssistant;
  EXPECT_FALSE(chunk.has_content());
  chunk.delta.tool_calls.push_back({0, "id", "f", ""});
  EXPECT_TRUE(chunk.has_content());
}

}  // namespace
}  // namespace aisopod
