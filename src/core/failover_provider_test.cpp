#include "aisopod/failover.hpp"

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "testing/run_task.hpp"

namespace aisopod {
namespace {

using testing::run_task;

ChatCompletionChunk role_chunk() {
  ChatCompletionChunk chunk;
  chunk.id = "msg";
  chunk.delta.role = Role::kAssistant;
  return chunk;
}

ChatCompletionChunk text_chunk(std::string text) {
  ChatCompletionChunk chunk;
  chunk.id = "msg";
  chunk.delta.content = std::move(text);
  return chunk;
}

ChatCompletionChunk finish_chunk(std::int64_t output_tokens) {
  ChatCompletionChunk chunk;
  chunk.id = "msg";
  chunk.finish_reason = FinishReason::kStop;
  Usage usage;
  usage.input_tokens = 3;
  usage.output_tokens = output_tokens;
  chunk.usage = usage;
  return chunk;
}

Status error(StatusCode code, int http_status, std::string message) {
  Status status(code, std::move(message));
  status.set_http_status(http_status);
  return status;
}

// What a scripted provider answers to one chat_completion call: an error before any chunk, or
// a stream of chunks and errors (a stream ends at its first error or after its last item),
// after `delay`.
struct Script {
  std::optional<Status> start_error;
  std::vector<Result<ChatCompletionChunk>> items;
  std::chrono::milliseconds delay{0};
};

struct SourceLog {
  int chunks_read = 0;
  bool cancelled = false;
};

class ScriptedSource final : public ChunkSource {
 public:
  ScriptedSource(std::vector<Result<ChatCompletionChunk>> items, std::shared_ptr<SourceLog> log)
      : items_(std::move(items)), log_(std::move(log)) {}

  Task<Result<std::optional<ChatCompletionChunk>>> next() override {
    if (log_->cancelled) co_return Status(StatusCode::kCancelled, "cancelled");
    if (pos_ >= items_.size()) co_return std::optional<ChatCompletionChunk>();
    Result<ChatCompletionChunk>& item = items_[pos_++];
    ++log_->chunks_read;
    if (!item.ok()) co_return item.error();
    co_return std::optional<ChatCompletionChunk>(*item);
  }
  void cancel() override { log_->cancelled = true; }

 private:
  std::vector<Result<ChatCompletionChunk>> items_;
  std::size_t pos_ = 0;
  std::shared_ptr<SourceLog> log_;
};

// A fake ModelProvider that plays one Script per call (the last one repeats) and records the
// models it was asked for. Like a real provider, it returns its stream read ahead to the first
// content chunk (read_to_first_content), so an error before any content comes back from
// chat_completion itself.
class ScriptedProvider final : public ModelProvider {
 public:
  ScriptedProvider(std::string id, std::vector<Script> scripts)
      : id_(std::move(id)), scripts_(std::move(scripts)) {}

  std::string_view id() const override { return id_; }

  Task<Result<std::vector<ModelInfo>>> list_models() override {
    ++list_calls;
    if (list_error) co_return *list_error;
    std::vector<ModelInfo> models;
    for (const std::string& name : model_names) {
      ModelInfo model;
      model.id = name;
      model.provider = id_;
      models.push_back(std::move(model));
    }
    co_return models;
  }

  Task<Result<ChunkStream>> start_chat_completion(ChatCompletionRequest request,
                                                  CallOptions /*options*/) override {
    requested_models.push_back(request.model);
    const Script& script = scripts_[std::min(calls_++, scripts_.size() - 1)];
    if (script.delay.count() > 0) {
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, script.delay);
      co_await timer.async_wait(boost::asio::use_awaitable);
    }
    if (script.start_error) co_return *script.start_error;
    co_return co_await read_to_first_content(
        ChunkStream(std::make_unique<ScriptedSource>(script.items, log)));
  }

  Task<HealthStatus> health_check() override { co_return health; }

  int calls() const { return static_cast<int>(calls_); }

  std::vector<std::string> requested_models;
  std::shared_ptr<SourceLog> log = std::make_shared<SourceLog>();
  std::vector<std::string> model_names;
  std::optional<Status> list_error;
  int list_calls = 0;
  HealthStatus health;

 private:
  std::string id_;
  std::vector<Script> scripts_;
  std::size_t calls_ = 0;
};

struct FailoverEvent {
  std::string from;
  std::string to;
  StatusCode code;
  friend bool operator==(const FailoverEvent&, const FailoverEvent&) = default;
};

class RecordingObserver final : public Observer {
 public:
  void on_failover(std::string_view from, std::string_view to, const Status& cause) override {
    events.push_back(FailoverEvent{std::string(from), std::string(to), cause.code()});
  }
  std::vector<FailoverEvent> events;
};

// Every chunk of a stream, and how it ended (ok, or the error).
struct Drained {
  std::vector<ChatCompletionChunk> chunks;
  Status end;
};

Task<Drained> drain(ChunkStream stream) {
  Drained out;
  for (;;) {
    Result<std::optional<ChatCompletionChunk>> chunk = co_await stream.next();
    if (!chunk.ok()) {
      out.end = chunk.error();
      co_return out;
    }
    if (!chunk->has_value()) co_return out;
    out.chunks.push_back(std::move(**chunk));
  }
}

ChatCompletionRequest request_for(std::string model) {
  ChatCompletionRequest request;
  request.model = std::move(model);
  request.messages.push_back(Message::user("hello"));
  return request;
}

class FailoverTest : public ::testing::Test {
 protected:
  std::shared_ptr<ScriptedProvider> make(std::string id, std::vector<Script> scripts) {
    return std::make_shared<ScriptedProvider>(std::move(id), std::move(scripts));
  }
  FailoverOptions options_with_observer() {
    FailoverOptions options;
    options.observer = observer_;
    return options;
  }
  // Calls chat_completion and drains the stream when it started.
  Result<Drained> chat(FailoverProvider& failover) {
    Result<ChunkStream> started =
        run_task(failover.chat_completion(request_for("ignored-by-failover")));
    if (!started.ok()) return started.error();
    return run_task(drain(std::move(*started)));
  }

  std::shared_ptr<RecordingObserver> observer_ = std::make_shared<RecordingObserver>();
  const std::vector<Result<ChatCompletionChunk>> good_answer_ = {role_chunk(), text_chunk("Hi"),
                                                                 finish_chunk(1)};
};

TEST_F(FailoverTest, RateLimitedPrimaryFailsOverToSecond) {
  auto openai = make("openai", {{error(StatusCode::kRateLimited, 429, "slow down"), {}}});
  auto anthropic = make("anthropic", {{std::nullopt, good_answer_}});
  FailoverProvider failover("failover", {{openai, "gpt-4o"}, {anthropic, "claude-x"}},
                            options_with_observer());

  Result<Drained> answer = chat(failover);
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  EXPECT_EQ(answer->chunks,
            (std::vector<ChatCompletionChunk>{role_chunk(), text_chunk("Hi"), finish_chunk(1)}));
  EXPECT_TRUE(answer->end.ok());
  // Each candidate was asked for its own model, not the request's.
  EXPECT_EQ(openai->requested_models, std::vector<std::string>{"gpt-4o"});
  EXPECT_EQ(anthropic->requested_models, std::vector<std::string>{"claude-x"});
  EXPECT_EQ(observer_->events, (std::vector<FailoverEvent>{{"openai/gpt-4o", "anthropic/claude-x",
                                                            StatusCode::kRateLimited}}));
  EXPECT_EQ(failover.id(), "failover");
}

TEST_F(FailoverTest, NonEligibleErrorIsReturnedWithoutFailover) {
  auto openai = make("openai", {{error(StatusCode::kInvalidArgument, 400, "bad temperature"), {}}});
  auto anthropic = make("anthropic", {{std::nullopt, good_answer_}});
  FailoverProvider failover("failover", {{openai, "gpt-4o"}, {anthropic, "claude-x"}},
                            options_with_observer());

  Result<Drained> answer = chat(failover);
  ASSERT_FALSE(answer.ok());
  // A single attempt: its error comes back unchanged.
  EXPECT_EQ(answer.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(answer.error().message(), "bad temperature");
  EXPECT_EQ(answer.error().http_status(), 400);
  EXPECT_EQ(answer.error().provider(), "openai");
  EXPECT_EQ(anthropic->calls(), 0);
  EXPECT_TRUE(observer_->events.empty());
}

TEST_F(FailoverTest, ContextLengthFailsOverOnlyWhenConfigured) {
  const Status too_long = error(StatusCode::kContextLengthExceeded, 400, "prompt too long");
  {
    auto small = make("openai", {{too_long, {}}});
    auto large = make("gemini", {{std::nullopt, good_answer_}});
    FailoverProvider failover("failover", {{small, "gpt-4o-mini"}, {large, "gemini-pro"}});
    Result<Drained> answer = chat(failover);
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.error().code(), StatusCode::kContextLengthExceeded);
    EXPECT_EQ(large->calls(), 0);
  }
  {
    auto small = make("openai", {{too_long, {}}});
    auto large = make("gemini", {{std::nullopt, good_answer_}});
    FailoverOptions options = options_with_observer();
    options.eligible.insert(StatusCode::kContextLengthExceeded);
    FailoverProvider failover("failover", {{small, "gpt-4o-mini"}, {large, "gemini-pro"}}, options);
    Result<Drained> answer = chat(failover);
    ASSERT_TRUE(answer.ok()) << answer.error().to_string();
    EXPECT_EQ(answer->chunks.size(), 3u);
    EXPECT_EQ(large->requested_models, std::vector<std::string>{"gemini-pro"});
    EXPECT_EQ(observer_->events,
              (std::vector<FailoverEvent>{{"openai/gpt-4o-mini", "gemini/gemini-pro",
                                           StatusCode::kContextLengthExceeded}}));
  }
}

TEST_F(FailoverTest, ErrorBeforeFirstContentChunkFailsOver) {
  // Anthropic's overloaded_error right after message_start: a role-only chunk, then the error.
  auto anthropic =
      make("anthropic",
           {{std::nullopt, {role_chunk(), error(StatusCode::kOverloaded, 529, "Overloaded")}}});
  ChatCompletionChunk other_role = role_chunk();
  other_role.id = "other";
  auto openai = make("openai", {{std::nullopt, {other_role, text_chunk("From OpenAI")}}});
  FailoverProvider failover("failover", {{anthropic, "claude-x"}, {openai, "gpt-4o"}},
                            options_with_observer());

  Result<Drained> answer = chat(failover);
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  // Only the second candidate's chunks reach the caller: the first one's role chunk was held
  // back and dropped with its stream.
  EXPECT_EQ(answer->chunks,
            (std::vector<ChatCompletionChunk>{other_role, text_chunk("From OpenAI")}));
  EXPECT_TRUE(answer->end.ok());
  EXPECT_EQ(observer_->events, (std::vector<FailoverEvent>{{"anthropic/claude-x", "openai/gpt-4o",
                                                            StatusCode::kOverloaded}}));
}

TEST_F(FailoverTest, ErrorAfterFirstContentChunkSurfacesWithoutFailover) {
  auto openai = make("openai", {{std::nullopt,
                                 {role_chunk(), text_chunk("Hel"),
                                  error(StatusCode::kUnavailable, 0, "connection reset")}}});
  auto anthropic = make("anthropic", {{std::nullopt, good_answer_}});
  FailoverProvider failover("failover", {{openai, "gpt-4o"}, {anthropic, "claude-x"}},
                            options_with_observer());

  Result<Drained> answer = chat(failover);
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  EXPECT_EQ(answer->chunks, (std::vector<ChatCompletionChunk>{role_chunk(), text_chunk("Hel")}));
  EXPECT_EQ(answer->end.code(), StatusCode::kUnavailable);
  EXPECT_EQ(answer->end.message(),
            "the answer had already started, so no retry or failover: connection reset");
  EXPECT_EQ(anthropic->calls(), 0);
  EXPECT_TRUE(observer_->events.empty());
}

TEST_F(FailoverTest, AlreadyStartedIsSaidOnceWhenBothLevelsReadAhead) {
  // The candidate's stream is committed (the provider read ahead); the failover's own read-ahead
  // must leave it as it is, or a later error would carry the phrase twice.
  auto openai = make(
      "openai",
      {{std::nullopt,
        {role_chunk(), text_chunk("Hel"), error(StatusCode::kOverloaded, 200, "server busy")}}});
  FailoverProvider failover("failover", {{openai, "gpt-4o"}});
  Result<ChunkStream> started = run_task(failover.chat_completion(request_for("x")));
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  EXPECT_TRUE(started->committed());
  Drained answer = run_task(drain(std::move(*started)));
  EXPECT_EQ(answer.chunks, (std::vector<ChatCompletionChunk>{role_chunk(), text_chunk("Hel")}));
  EXPECT_EQ(answer.end.code(), StatusCode::kOverloaded);
  EXPECT_EQ(answer.end.http_status(), 200);
  EXPECT_EQ(answer.end.message(),
            "the answer had already started, so no retry or failover: server busy");
}

TEST_F(FailoverTest, NoCandidateIsStartedOnceTheDeadlineHasPassed) {
  Script slow_timeout{error(StatusCode::kTimeout, 0, "no response within 150 ms"), {}};
  slow_timeout.delay = std::chrono::milliseconds(150);
  auto openai = make("openai", {slow_timeout});
  auto anthropic = make("anthropic", {{std::nullopt, good_answer_}});
  auto gemini = make("gemini", {{std::nullopt, good_answer_}});
  FailoverProvider failover("failover",
                            {{openai, "gpt-4o"}, {anthropic, "claude-x"}, {gemini, "gemini-pro"}},
                            options_with_observer());
  CallOptions options;
  options.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  Result<ChunkStream> started =
      run_task(failover.chat_completion(request_for("x"), std::move(options)));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code(), StatusCode::kTimeout);
  EXPECT_EQ(started.error().message(),
            "failover stopped after 1 of 3 candidates (the call's deadline of 100 ms passed): "
            "openai/gpt-4o: timeout: no response within 150 ms");
  EXPECT_EQ(anthropic->calls(), 0);
  EXPECT_EQ(gemini->calls(), 0);
  EXPECT_TRUE(observer_->events.empty());

  // With time left, the same failure fails over as usual.
  CallOptions roomy;
  roomy.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  Result<ChunkStream> failed_over =
      run_task(failover.chat_completion(request_for("x"), std::move(roomy)));
  ASSERT_TRUE(failed_over.ok()) << failed_over.error().to_string();
  EXPECT_EQ(anthropic->calls(), 1);
}

TEST_F(FailoverTest, EveryCandidateFailingListsEveryAttempt) {
  auto openai = make("openai", {{error(StatusCode::kRateLimited, 429, "slow down"), {}}});
  auto anthropic = make(
      "anthropic", {{std::nullopt, {role_chunk(), error(StatusCode::kOverloaded, 529, "busy")}}});
  Status down = error(StatusCode::kUnavailable, 503, "down");
  down.set_retry_after(std::chrono::milliseconds(2000));
  auto gemini = make("gemini", {{down, {}}});
  FailoverProvider failover("failover",
                            {{openai, "gpt-4o"}, {anthropic, "claude-x"}, {gemini, "gemini-pro"}},
                            options_with_observer());

  Result<Drained> answer = chat(failover);
  ASSERT_FALSE(answer.ok());
  const Status& final_error = answer.error();
  EXPECT_EQ(final_error.code(), StatusCode::kUnavailable);
  EXPECT_EQ(final_error.http_status(), 503);
  EXPECT_EQ(final_error.provider(), "gemini");
  EXPECT_EQ(final_error.retry_after(), std::chrono::milliseconds(2000));
  EXPECT_EQ(final_error.message(),
            "all 3 candidates failed: openai/gpt-4o: rate_limited (HTTP 429): slow down; "
            "anthropic/claude-x: overloaded (HTTP 529): busy; "
            "gemini/gemini-pro: unavailable (HTTP 503): down");
  EXPECT_EQ(observer_->events,
            (std::vector<FailoverEvent>{
                {"openai/gpt-4o", "anthropic/claude-x", StatusCode::kRateLimited},
                {"anthropic/claude-x", "gemini/gemini-pro", StatusCode::kOverloaded}}));
}

TEST_F(FailoverTest, StopsAtFirstNonEligibleErrorAndListsAttemptsSoFar) {
  auto openai = make("openai", {{error(StatusCode::kUnauthenticated, 401, "bad key"), {}}});
  auto anthropic = make("anthropic", {{error(StatusCode::kInvalidArgument, 400, "no tools"), {}}});
  auto gemini = make("gemini", {{std::nullopt, good_answer_}});
  FailoverProvider failover("failover",
                            {{openai, "gpt-4o"}, {anthropic, "claude-x"}, {gemini, "gemini-pro"}},
                            options_with_observer());

  Result<Drained> answer = chat(failover);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(answer.error().http_status(), 400);
  EXPECT_EQ(answer.error().message(),
            "failover stopped after 2 of 3 candidates (invalid_argument is not "
            "failover-eligible): openai/gpt-4o: unauthenticated (HTTP 401): bad key; "
            "anthropic/claude-x: invalid_argument (HTTP 400): no tools");
  EXPECT_EQ(gemini->calls(), 0);
  EXPECT_EQ(observer_->events.size(), 1u);
}

TEST_F(FailoverTest, LastCandidatesErrorIsNotFollowedByAFailoverEvent) {
  auto only = make("openai", {{error(StatusCode::kRateLimited, 429, "slow down"), {}}});
  FailoverProvider failover("failover", {{only, "gpt-4o"}}, options_with_observer());
  Result<Drained> answer = chat(failover);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code(), StatusCode::kRateLimited);
  EXPECT_EQ(answer.error().message(), "slow down");
  EXPECT_TRUE(observer_->events.empty());
}

TEST_F(FailoverTest, HeldRoleChunksAreDeliveredBeforeContentInOrder) {
  ChatCompletionChunk empty_chunk;
  empty_chunk.id = "msg";
  empty_chunk.model = "gpt-4o-2024";
  const std::vector<ChatCompletionChunk> expected = {role_chunk(), empty_chunk, text_chunk("A"),
                                                     text_chunk("B"), finish_chunk(2)};
  std::vector<Result<ChatCompletionChunk>> items(expected.begin(), expected.end());
  auto openai = make("openai", {{std::nullopt, items}});
  auto anthropic = make("anthropic", {{std::nullopt, good_answer_}});
  FailoverProvider failover("failover", {{openai, "gpt-4o"}, {anthropic, "claude-x"}});

  Result<ChunkStream> started = run_task(failover.chat_completion(request_for("x")));
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  // chat_completion read ahead exactly to the first content chunk, no further.
  EXPECT_EQ(openai->log->chunks_read, 3);
  Drained answer = run_task(drain(std::move(*started)));
  EXPECT_EQ(answer.chunks, expected);
  EXPECT_TRUE(answer.end.ok());
  EXPECT_EQ(anthropic->calls(), 0);
}

TEST_F(FailoverTest, AnswerWithoutContentIsReturnedAsIs) {
  auto openai = make("openai", {{std::nullopt, {role_chunk(), finish_chunk(0)}}});
  auto anthropic = make("anthropic", {{std::nullopt, good_answer_}});
  FailoverProvider failover("failover", {{openai, "gpt-4o"}, {anthropic, "claude-x"}},
                            options_with_observer());
  Result<Drained> answer = chat(failover);
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  EXPECT_EQ(answer->chunks, (std::vector<ChatCompletionChunk>{role_chunk(), finish_chunk(0)}));
  EXPECT_EQ(anthropic->calls(), 0);
  EXPECT_TRUE(observer_->events.empty());
}

TEST_F(FailoverTest, CancellingTheReturnedStreamCancelsTheCandidatesTransfer) {
  auto openai = make("openai", {{std::nullopt, good_answer_}});
  FailoverProvider failover("failover", {{openai, "gpt-4o"}});
  Result<ChunkStream> started = run_task(failover.chat_completion(request_for("x")));
  ASSERT_TRUE(started.ok());
  ChunkStream stream = std::move(*started);
  stream.cancel();
  EXPECT_TRUE(openai->log->cancelled);
  Result<std::optional<ChatCompletionChunk>> after = run_task(stream.next());
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code(), StatusCode::kCancelled);
}

TEST_F(FailoverTest, NoCandidatesIsInvalidArgument) {
  FailoverProvider failover("failover", {});
  Result<ChunkStream> started = run_task(failover.chat_completion(request_for("x")));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code(), StatusCode::kInvalidArgument);
  Result<std::vector<ModelInfo>> models = run_task(failover.list_models());
  ASSERT_FALSE(models.ok());
  EXPECT_EQ(models.error().code(), StatusCode::kInvalidArgument);
}

TEST_F(FailoverTest, ListModelsAsksEachProviderOnceAndSkipsFailures) {
  auto openai = make("openai", {{}});
  openai->model_names = {"gpt-4o", "gpt-4o-mini"};
  auto anthropic = make("anthropic", {{}});
  anthropic->list_error = error(StatusCode::kUnauthenticated, 401, "bad key");
  auto gemini = make("gemini", {{}});
  gemini->model_names = {"gemini-pro"};
  FailoverProvider failover("failover", {{openai, "gpt-4o"},
                                         {anthropic, "claude-x"},
                                         {openai, "gpt-4o-mini"},
                                         {gemini, "gemini-pro"}});
  Result<std::vector<ModelInfo>> models = run_task(failover.list_models());
  ASSERT_TRUE(models.ok()) << models.error().to_string();
  std::vector<std::string> ids;
  for (const ModelInfo& model : *models) ids.push_back(model.provider + "/" + model.id);
  EXPECT_EQ(ids,
            (std::vector<std::string>{"openai/gpt-4o", "openai/gpt-4o-mini", "gemini/gemini-pro"}));
  EXPECT_EQ(openai->list_calls, 1);
  EXPECT_EQ(anthropic->list_calls, 1);

  FailoverProvider all_failing("failover", {{anthropic, "claude-x"}});
  Result<std::vector<ModelInfo>> none = run_task(all_failing.list_models());
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), StatusCode::kUnauthenticated);
}

TEST_F(FailoverTest, HealthyWhenAnyCandidateIsHealthy) {
  auto openai = make("openai", {{}});
  openai->health = {HealthStatus::State::kUnhealthy, std::chrono::milliseconds(5), "refused"};
  auto anthropic = make("anthropic", {{}});
  anthropic->health = {HealthStatus::State::kHealthy, std::chrono::milliseconds(42), ""};
  FailoverProvider failover("failover", {{openai, "gpt-4o"}, {anthropic, "claude-x"}});
  HealthStatus health = run_task(failover.health_check());
  EXPECT_EQ(health.state, HealthStatus::State::kHealthy);
  EXPECT_EQ(health.latency, std::chrono::milliseconds(42));
  EXPECT_EQ(health.message, "anthropic: healthy");

  anthropic->health = {HealthStatus::State::kDegraded, std::chrono::milliseconds(7), "bad key"};
  HealthStatus degraded = run_task(failover.health_check());
  EXPECT_EQ(degraded.state, HealthStatus::State::kDegraded);
  EXPECT_EQ(degraded.message, "openai: unhealthy: refused; anthropic: degraded: bad key");

  anthropic->health = {HealthStatus::State::kUnhealthy, std::chrono::milliseconds(7), "down"};
  EXPECT_EQ(run_task(failover.health_check()).state, HealthStatus::State::kUnhealthy);
}

class MakeFailoverTest : public FailoverTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.add(openai_).ok());
    ASSERT_TRUE(registry_.add(anthropic_).ok());
    ASSERT_TRUE(registry_.add(gemini_).ok());
    registry_.set_alias("smart", "anthropic/claude-x");
    registry_.set_alias("fast", "gemini/gemini-flash");
  }
  static std::vector<std::string> chain(const Result<std::shared_ptr<ModelProvider>>& made) {
    std::vector<std::string> out;
    auto* failover = dynamic_cast<FailoverProvider*>(made->get());
    if (failover == nullptr) return {"not a FailoverProvider"};
    for (const FailoverCandidate& candidate : failover->candidates()) {
      out.push_back(std::string(candidate.provider->id()) + "/" + candidate.model);
    }
    return out;
  }

  ProviderRegistry registry_;
  std::shared_ptr<ScriptedProvider> openai_ = make("openai", {{}});
  std::shared_ptr<ScriptedProvider> anthropic_ = make("anthropic", {{}});
  std::shared_ptr<ScriptedProvider> gemini_ = make("gemini", {{}});
};

TEST_F(MakeFailoverTest, ExpandsAliasesAndFollowsTheChain) {
  const std::map<std::string, std::vector<std::string>> fallbacks = {
      {"anthropic/claude-x", {"openai/gpt-4o", "fast", "smart", "openai/gpt-4o"}}};
  auto made = make_failover_for(registry_, "smart", fallbacks);
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  // Duplicates (the primary through its alias, gpt-4o twice) are left out.
  EXPECT_EQ(chain(made), (std::vector<std::string>{"anthropic/claude-x", "openai/gpt-4o",
                                                   "gemini/gemini-flash"}));
  EXPECT_EQ((*made)->id(), "anthropic");
}

TEST_F(MakeFailoverTest, RawSpecKeyIsTriedSecond) {
  const std::map<std::string, std::vector<std::string>> fallbacks = {{"smart", {"fast"}}};
  auto made = make_failover_for(registry_, "smart", fallbacks);
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  EXPECT_EQ(chain(made), (std::vector<std::string>{"anthropic/claude-x", "gemini/gemini-flash"}));
}

TEST_F(MakeFailoverTest, NoFallbacksGivesThePrimaryAloneWithItsModelFixed) {
  auto made = make_failover_for(registry_, "openai/gpt-4o", {});
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  EXPECT_EQ(chain(made), std::vector<std::string>{"openai/gpt-4o"});
  // The model in the request is replaced by the resolved one.
  Result<ChunkStream> started = run_task((*made)->chat_completion(request_for("other-model")));
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(openai_->requested_models, std::vector<std::string>{"gpt-4o"});
}

TEST_F(MakeFailoverTest, UnknownSpecOrFallbackIsAnError) {
  auto unknown = make_failover_for(registry_, "mistral/large", {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), StatusCode::kNotFound);

  const std::map<std::string, std::vector<std::string>> fallbacks = {
      {"openai/gpt-4o", {"mistral/large"}}};
  auto bad_fallback = make_failover_for(registry_, "openai/gpt-4o", fallbacks);
  ASSERT_FALSE(bad_fallback.ok());
  EXPECT_EQ(bad_fallback.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(
      bad_fallback.error().message().rfind("fallback 'mistral/large' of 'openai/gpt-4o': ", 0), 0u)
      << bad_fallback.error().message();
}

TEST_F(MakeFailoverTest, BuiltChainFailsOverEndToEnd) {
  auto failing = make("local", {{error(StatusCode::kTimeout, 0, "first byte timeout"), {}}});
  auto healthy = make("backup", {{std::nullopt, good_answer_}});
  ASSERT_TRUE(registry_.add(failing).ok());
  ASSERT_TRUE(registry_.add(healthy).ok());
  FailoverOptions options = options_with_observer();
  auto made =
      make_failover_for(registry_, "local/qwen", {{"local/qwen", {"backup/llama"}}}, options);
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  Result<ChunkStream> started = run_task((*made)->chat_completion(request_for("x")));
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  Drained answer = run_task(drain(std::move(*started)));
  EXPECT_EQ(answer.chunks.size(), 3u);
  EXPECT_EQ(healthy->requested_models, std::vector<std::string>{"llama"});
  EXPECT_EQ(observer_->events,
            (std::vector<FailoverEvent>{{"local/qwen", "backup/llama", StatusCode::kTimeout}}));
}

}  // namespace
}  // namespace aisopod
