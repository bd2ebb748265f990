// The shared chat-call runner (run_chat_call) and its stream source against the in-process fake
// upstream: the call's deadline, cancellation while waiting to retry, "already started" said
// once, headers-vs-idle deadlines, and the chat defaults. A tiny line protocol stands in for a
// provider's wire format, so these tests exercise only the shared plumbing.
#include "core/http_provider.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aisopod/failover.hpp"
#include "testing/collect_stream.hpp"
#include "testing/fake_upstream.hpp"
#include "testing/run_task.hpp"

namespace aisopod {
namespace {

using std::chrono::milliseconds;
using testing::collect;
using testing::FakeUpstream;
using testing::RecordedRequest;
using testing::run_task;
using testing::ScriptedResponse;
using SteadyClock = std::chrono::steady_clock;

// The test wire format, one item per line: "role", "text:<content>", or "error:<message>" (an
// overloaded error sent by the provider in the stream). One per request; not thread-safe.
class LineDecoder {
 public:
  void feed(std::string_view bytes) { buffer_ += bytes; }

  Result<std::optional<ChatCompletionChunk>> next() {
    if (error_) return *error_;
    const std::size_t end = buffer_.find('\n');
    if (end == std::string::npos) return std::optional<ChatCompletionChunk>();
    const std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 1);
    ChatCompletionChunk chunk;
    chunk.id = "line";
    if (line == "role") {
      chunk.delta.role = Role::kAssistant;
    } else if (line.rfind("text:", 0) == 0) {
      chunk.delta.content = line.substr(5);
    } else if (line.rfind("error:", 0) == 0) {
      error_ = Status(StatusCode::kOverloaded, line.substr(6));
      return *error_;
    } else {
      error_ = Status(StatusCode::kProtocolError, "unknown line: " + line);
      return *error_;
    }
    return std::optional<ChatCompletionChunk>(std::move(chunk));
  }

  Status finish() {
    if (!buffer_.empty()) return Status(StatusCode::kProtocolError, "truncated line");
    return Status();
  }

 private:
  std::string buffer_;
  std::optional<Status> error_;
};

// 401 unauthenticated, 429 rate_limited, 5xx unavailable (with Retry-After in whole seconds),
// anything else invalid_argument; the message is the body.
Status map_test_error(int http_status, const http::Headers& headers, std::string_view body) {
  StatusCode code = StatusCode::kInvalidArgument;
  if (http_status == 401) code = StatusCode::kUnauthenticated;
  if (http_status == 429) code = StatusCode::kRateLimited;
  if (http_status >= 500) code = StatusCode::kUnavailable;
  Status status(code, std::string(body));
  if (auto retry_after = http::find_header(headers, "Retry-After")) {
    status.set_retry_after(std::chrono::seconds(std::stoi(std::string(*retry_after))));
  }
  return status;
}

// A ModelProvider on run_chat_call that speaks the line format: POST {base_url}/chat.
class LineProvider final : public ModelProvider {
 public:
  LineProvider(std::string id, std::string base_url,
               std::optional<milliseconds> attempt_timeout = std::nullopt)
      : id_(std::move(id)), base_url_(std::move(base_url)), attempt_timeout_(attempt_timeout) {}

  std::string_view id() const override { return id_; }
  Task<Result<std::vector<ModelInfo>>> list_models() override {
    co_return std::vector<ModelInfo>();
  }
  Task<HealthStatus> health_check() override { co_return HealthStatus(); }

 protected:
  Task<Result<ChunkStream>> start_chat_completion(ChatCompletionRequest request,
                                                  CallOptions options) override {
    ChatCall call;
    call.provider_id = id_;
    call.model = request.model;
    call.request.url = base_url_ + "/chat";
    call.request.body = request.model;
    call.stream = request.stream;
    call.attempt_timeout = attempt_timeout_;
    call.map_error = map_test_error;
    call.make_decoder = [] { return make_chunk_decoder(LineDecoder()); };
    co_return co_await run_chat_call(std::move(call), nullptr, options);
  }

 private:
  std::string id_;
  std::string base_url_;
  std::optional<milliseconds> attempt_timeout_;
};

ChatCompletionRequest request_for(std::string model) {
  ChatCompletionRequest request;
  request.model = std::move(model);
  request.messages.push_back(Message::user("hello"));
  return request;
}

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

ScriptedResponse lines(std::vector<testing::BodyPiece> pieces) {
  ScriptedResponse response;
  response.headers.push_back({"Content-Type", "text/plain"});
  response.body = std::move(pieces);
  return response;
}

// Records the attempts run_chat_call starts and fails.
class AttemptCounter final : public Observer {
 public:
  void on_attempt_started(const AttemptInfo& /*attempt*/) override { ++started; }
  void on_attempt_failed(const AttemptInfo& /*attempt*/, const Status& error) override {
    failures.push_back(error.message());
  }
  int started = 0;
  std::vector<std::string> failures;
};

TEST(RunChatCall, DeadlineEndsRetriesAndFailover) {
  // A primary that accepts and never answers, with a per-attempt total of 600 ms and two
  // retries allowed; a healthy fallback. Without the call's deadline this took three attempts
  // and their backoff (~3 s), then the fallback.
  FakeUpstream silent([](const RecordedRequest&) {
    ScriptedResponse response;
    response.fault = ScriptedResponse::Fault::kNoResponse;
    return response;
  });
  FakeUpstream healthy([](const RecordedRequest&) { return lines({{"role\ntext:Hi\n"}}); });
  auto primary = std::make_shared<LineProvider>("primary", silent.base_url());
  auto fallback = std::make_shared<LineProvider>("fallback", healthy.base_url());
  FailoverProvider failover("failover", {{primary, "m1"}, {fallback, "m2"}});

  CallOptions options;
  options.max_retries = 2;
  options.total_timeout = milliseconds(600);
  auto observer = std::make_shared<AttemptCounter>();
  options.observer = observer;
  const auto start = SteadyClock::now();
  options.deadline = start + milliseconds(1500);
  Result<ChunkStream> started = run_task(failover.chat_completion(request_for("x"), options));
  const double elapsed = seconds_since(start);

  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code(), StatusCode::kTimeout);
  // Attempt 1 ends on its own total (600 ms); the backoff (375..500 ms) leaves time for attempt
  // 2, whose total is cut to what is left of the deadline.
  EXPECT_EQ(started.error().message(),
            "failover stopped after 1 of 2 candidates (the call's deadline of 1.5 s passed): "
            "primary/m1: timeout: the call's deadline of 1.5 s passed after 2 attempts");
  EXPECT_EQ(observer->failures, (std::vector<std::string>{
                                    "exchange with 127.0.0.1 exceeded the total deadline (600 ms)",
                                    "the call's deadline of 1.5 s passed after 2 attempts"}));
  EXPECT_EQ(silent.requests().size(), 2u);
  EXPECT_EQ(healthy.requests().size(), 0u);
  EXPECT_LT(elapsed, 3.0);  // twice the deadline
}

TEST(RunChatCall, DeadlineAloneCutsAServerThatNeverAnswers) {
  FakeUpstream silent([](const RecordedRequest&) {
    ScriptedResponse response;
    response.fault = ScriptedResponse::Fault::kNoResponse;
    return response;
  });
  auto provider = std::make_shared<LineProvider>("primary", silent.base_url());
  CallOptions options;
  const auto start = SteadyClock::now();
  options.deadline = start + milliseconds(1000);
  Result<ChunkStream> started = run_task(provider->chat_completion(request_for("m"), options));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code(), StatusCode::kTimeout);
  EXPECT_EQ(started.error().provider(), "primary");
  EXPECT_EQ(started.error().message(), "the call's deadline of 1 s passed after 1 attempt");
  EXPECT_EQ(silent.requests().size(), 1u);
  EXPECT_LT(seconds_since(start), 2.0);  // the streaming headers default alone is 60 s
}

TEST(RunChatCall, DeadlineBoundsTheBodyOfTheCommittedStream) {
  FakeUpstream stalling([](const RecordedRequest&) {
    ScriptedResponse response = lines({{"role\ntext:Hel\n"}});
    response.fault = ScriptedResponse::Fault::kStallAfterBody;
    return response;
  });
  auto provider = std::make_shared<LineProvider>("primary", stalling.base_url());
  CallOptions options;
  const auto start = SteadyClock::now();
  options.deadline = start + milliseconds(500);
  // Started and drained on one io_context: a stream must not outlive its transfer's.
  testing::StreamOutcome answer = run_task(collect(provider, request_for("m"), options));
  ASSERT_TRUE(answer.start.ok()) << answer.start.to_string();
  EXPECT_EQ(answer.completion.message.text(), "Hel");
  EXPECT_EQ(answer.end.code(), StatusCode::kTimeout);
  EXPECT_EQ(answer.end.message(),
            "the answer had already started, so no retry or failover: the call's deadline of "
            "500 ms passed during the answer");
  EXPECT_LT(seconds_since(start), 1.0);  // the idle default alone is 5 min
}

TEST(RunChatCall, CancellationWhileWaitingToRetryEndsTheCall) {
  FakeUpstream busy([](const RecordedRequest&) {
    ScriptedResponse response = ScriptedResponse::with_body(503, "text/plain", "busy");
    response.headers.push_back({"Retry-After", "2"});
    return response;
  });
  auto provider = std::make_shared<LineProvider>("primary", busy.base_url());
  auto observer = std::make_shared<AttemptCounter>();
  CallOptions options;
  options.observer = observer;

  boost::asio::io_context io;
  boost::asio::cancellation_signal cancel;
  std::optional<Result<ChunkStream>> result;
  std::exception_ptr failure;
  boost::asio::co_spawn(
      io,
      [&]() -> Task<void> {
        result.emplace(co_await provider->chat_completion(request_for("m"), options));
      },
      boost::asio::bind_cancellation_slot(cancel.slot(),
                                          [&failure](std::exception_ptr e) { failure = e; }));
  boost::asio::steady_timer timer(io, milliseconds(200));
  timer.async_wait([&cancel](boost::system::error_code) {
    cancel.emit(boost::asio::cancellation_type::terminal);
  });
  const auto start = SteadyClock::now();
  io.run();
  const double elapsed = seconds_since(start);

  ASSERT_FALSE(failure);
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().code(), StatusCode::kCancelled);
  EXPECT_EQ(result->error().message(), "cancelled while waiting to retry");
  EXPECT_EQ(result->error().provider(), "primary");
  EXPECT_EQ(observer->started, 1);  // no attempt after the cancellation
  EXPECT_EQ(busy.requests().size(), 1u);
  EXPECT_LT(elapsed, 1.5);  // the server asked for 2 s
}

TEST(RunChatCall, AlreadyStartedIsSaidOnceThroughFailover) {
  FakeUpstream upstream(
      [](const RecordedRequest&) { return lines({{"role\ntext:Hel\nerror:server busy\n"}}); });
  auto primary = std::make_shared<LineProvider>("primary", upstream.base_url());
  auto fallback = std::make_shared<LineProvider>("fallback", upstream.base_url());
  auto failover = std::make_shared<FailoverProvider>(
      "failover", std::vector<FailoverCandidate>{{primary, "m1"}, {fallback, "m2"}});
  testing::StreamOutcome answer = run_task(collect(failover, request_for("x")));
  ASSERT_TRUE(answer.start.ok()) << answer.start.to_string();
  EXPECT_EQ(answer.completion.message.text(), "Hel");
  EXPECT_EQ(answer.end.code(), StatusCode::kOverloaded);
  EXPECT_EQ(answer.end.message(),
            "the answer had already started, so no retry or failover: server busy");
  // An error the provider sent in a 200 stream carries that status.
  EXPECT_EQ(answer.end.http_status(), 200);
  EXPECT_EQ(answer.end.provider(), "primary");
  EXPECT_EQ(upstream.requests().size(), 1u);
}

TEST(RunChatCall, HeadersDeadlineDoesNotApplyToTheBody) {
  // The headers come at once and the first body byte 800 ms later: the 300 ms headers deadline
  // is over once the headers are in, and the idle deadline (default 5 min) takes over.
  FakeUpstream thinking([](const RecordedRequest&) {
    return lines({{"role\ntext:late\n", milliseconds(800)}});
  });
  auto provider = std::make_shared<LineProvider>("primary", thinking.base_url());
  CallOptions options;
  options.first_byte_timeout = milliseconds(300);
  options.max_retries = 0;
  testing::StreamOutcome answer = run_task(collect(provider, request_for("m"), options));
  ASSERT_TRUE(answer.start.ok()) << answer.start.to_string();
  EXPECT_EQ(answer.completion.message.text(), "late");
  EXPECT_TRUE(answer.end.ok()) << answer.end.to_string();

  // Headers that never come are cut at the headers deadline.
  FakeUpstream silent([](const RecordedRequest&) {
    ScriptedResponse response;
    response.fault = ScriptedResponse::Fault::kNoResponse;
    return response;
  });
  auto stalled = std::make_shared<LineProvider>("primary", silent.base_url());
  Result<ChunkStream> cut = run_task(stalled->chat_completion(request_for("m"), options));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code(), StatusCode::kTimeout);
  EXPECT_EQ(cut.error().message(),
            "no response from 127.0.0.1 within the first-byte deadline (300 ms)");
}

TEST(RunChatCall, AttemptTimeoutIsEachAttemptsTotal) {
  FakeUpstream silent([](const RecordedRequest&) {
    ScriptedResponse response;
    response.fault = ScriptedResponse::Fault::kNoResponse;
    return response;
  });
  auto provider = std::make_shared<LineProvider>("primary", silent.base_url(), milliseconds(300));
  CallOptions options;
  options.max_retries = 0;
  const auto start = SteadyClock::now();
  Result<ChunkStream> started = run_task(provider->chat_completion(request_for("m"), options));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code(), StatusCode::kTimeout);
  EXPECT_EQ(started.error().message(),
            "exchange with 127.0.0.1 exceeded the total deadline (300 ms)");
  EXPECT_LT(seconds_since(start), 5.0);

  // A per-call total overrides the provider's.
  options.total_timeout = milliseconds(200);
  Result<ChunkStream> overridden = run_task(provider->chat_completion(request_for("m"), options));
  ASSERT_FALSE(overridden.ok());
  EXPECT_EQ(overridden.error().message(),
            "exchange with 127.0.0.1 exceeded the total deadline (200 ms)");
}

TEST(ChatTimeouts, DefaultsAreDeliberate) {
  const http::Timeouts streaming = chat_timeouts(true);
  EXPECT_EQ(streaming.connect, milliseconds(10'000));
  EXPECT_EQ(streaming.first_byte, milliseconds(60'000));
  EXPECT_EQ(streaming.idle, milliseconds(300'000));
  EXPECT_EQ(streaming.total, milliseconds(0));
  const http::Timeouts whole = chat_timeouts(false);
  EXPECT_EQ(whole.connect, milliseconds(10'000));
  EXPECT_EQ(whole.first_byte, milliseconds(600'000));
  EXPECT_EQ(whole.idle, milliseconds(300'000));
  EXPECT_EQ(whole.total, milliseconds(0));
}

TEST(DeadlineLengthText, RoundsForReading) {
  EXPECT_EQ(deadline_length_text(milliseconds(2999)), "3 s");
  EXPECT_EQ(deadline_length_text(milliseconds(3000)), "3 s");
  EXPECT_EQ(deadline_length_text(milliseconds(2500)), "2.5 s");
  EXPECT_EQ(deadline_length_text(milliseconds(996)), "1 s");
  EXPECT_EQ(deadline_length_text(milliseconds(499)), "500 ms");
  EXPECT_EQ(deadline_length_text(milliseconds(-5)), "0 ms");
}

}  // namespace
}  // namespace aisopod
