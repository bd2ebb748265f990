// Tests of the HTTP engine against the in-process fake upstream. The client side runs on a
// single-threaded io_context on the test thread; the fake runs on its own thread.
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/http.hpp"
#include "testing/fake_upstream.hpp"

namespace aisopod::http {
namespace {

namespace asio = boost::asio;
using aisopod::testing::BodyPiece;
using aisopod::testing::FakeUpstream;
using aisopod::testing::RecordedRequest;
using aisopod::testing::ScriptedResponse;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

// libcurl hands the write callback at most CURL_MAX_WRITE_SIZE bytes at a time (curl.h); the
// tests do not include curl (only aisopod::http does).
constexpr std::size_t kCurlMaxWriteSize = 16 * 1024;

// Fails the current test and leaves the coroutine.
#define CO_ASSERT_TRUE(cond)                     \
  if (!(cond)) {                                 \
    ADD_FAILURE() << "assertion failed: " #cond; \
    co_return;                                   \
  }
#define CO_ASSERT_OK(result)                                        \
  if (!(result).ok()) {                                             \
    ADD_FAILURE() << #result ": " << (result).status().to_string(); \
    co_return;                                                      \
  }

// Runs `io` until `done` is set. `limit` only guards against a hang; no test asserts on time.
void run_until(asio::io_context& io, const bool& done, std::chrono::seconds limit = 20s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done && std::chrono::steady_clock::now() < end) {
    io.run_one_for(50ms);
    if (io.stopped()) io.restart();
  }
}

// Runs `body` as a coroutine on `io` until it returns.
template <class F>
void run_coroutine(asio::io_context& io, F body, std::chrono::seconds limit = 20s) {
  bool done = false;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(body), [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  run_until(io, done, limit);
  ASSERT_TRUE(done) << "coroutine did not finish";
  if (error) std::rethrow_exception(error);
}

// A deterministic byte pattern, different for each seed.
std::string make_bytes(std::size_t size, std::uint32_t seed) {
  std::string out(size, '\0');
  std::uint32_t state = seed * 2654435761u + 12345u;
  for (std::size_t i = 0; i < size; ++i) {
    state = state * 1664525u + 1013904223u;
    out[i] = static_cast<char>(state >> 24);
  }
  return out;
}

std::vector<BodyPiece> split(const std::string& body, std::size_t piece_size) {
  std::vector<BodyPiece> pieces;
  for (std::size_t offset = 0; offset < body.size(); offset += piece_size) {
    pieces.push_back(BodyPiece{body.substr(offset, piece_size), 0ms});
  }
  return pieces;
}

// A port on 127.0.0.1 that nothing listens on.
std::uint16_t closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address_v4("127.0.0.1"), 0});
  const std::uint16_t port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

TEST(FindHeader, IsCaseInsensitiveAndReturnsTheFirstMatch) {
  const Headers headers = {
      {"Content-Type", "text/plain"}, {"x-request-id", "first"}, {"X-Request-Id", "second"}};
  EXPECT_EQ(find_header(headers, "content-type"), "text/plain");
  EXPECT_EQ(find_header(headers, "X-REQUEST-ID"), "first");
  EXPECT_EQ(find_header(headers, "retry-after"), std::nullopt);
  EXPECT_EQ(find_header(headers, "content-typ"), std::nullopt);
}

TEST(HttpEngine, GetRoundTrip) {
  FakeUpstream fake([](const RecordedRequest&) {
    ScriptedResponse response = ScriptedResponse::with_body(200, "text/plain", "hello there");
    response.headers.emplace_back("X-Reply", "yes");
    return response;
  });
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request request;
    request.method = "GET";
    request.url = fake.base_url() + "/v1/models?limit=5";
    request.headers = {{"Authorization", "Bearer sk-test"}, {"X-Custom", "abc"}};
    Result<Response> response = co_await send(std::move(request));
    CO_ASSERT_OK(response);
    EXPECT_EQ(response->status(), 200);
    EXPECT_EQ(find_header(response->headers(), "x-reply"), "yes");
    EXPECT_EQ(find_header(response->headers(), "content-type"), "text/plain");
    Result<std::string> body = co_await response->read_all();
    CO_ASSERT_OK(body);
    EXPECT_EQ(*body, "hello there");
  });
  const std::vector<RecordedRequest> requests = fake.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/v1/models?limit=5");
  EXPECT_EQ(requests[0].header("authorization"), "Bearer sk-test");
  EXPECT_EQ(requests[0].header("X-Custom"), "abc");
  EXPECT_EQ(requests[0].body, "");
}

TEST(HttpEngine, ResolvesHostNamesAndRunsOnAStrand) {
  FakeUpstream fake([](const RecordedRequest& request) {
    return ScriptedResponse::with_body(200, "text/plain", "host " + request.header("host"));
  });
  asio::io_context io;
  bool done = false;
  std::string body_text;
  // A name (resolved by curl, not a literal address) and a strand executor.
  asio::co_spawn(
      asio::make_strand(io),
      [&]() -> asio::awaitable<void> {
        Request request;
        request.method = "GET";
        request.url = "http://localhost:" + std::to_string(fake.port()) + "/";
        Result<Response> response = co_await send(std::move(request));
        if (response.ok()) {
          Result<std::string> body = co_await response->read_all();
          body_text = body.ok() ? *body : body.status().to_string();
        } else {
          body_text = response.status().to_string();
        }
        done = true;
      },
      asio::detached);
  run_until(io, done);
  EXPECT_EQ(body_text, "host localhost:" + std::to_string(fake.port()));
}

TEST(HttpEngine, PostAndDeleteRoundTrip) {
  FakeUpstream fake([](const RecordedRequest& request) {
    return ScriptedResponse::with_body(201, "text/plain",
                                       request.method + " " + std::to_string(request.body.size()));
  });
  // Large enough that curl would otherwise ask for 100-continue.
  const std::string payload = make_bytes(300 * 1024, 7);
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request post;
    post.url = fake.base_url() + "/v1/chat/completions";
    post.headers = {{"Content-Type", "application/octet-stream"}};
    post.body = payload;
    Result<Response> response = co_await send(std::move(post));
    CO_ASSERT_OK(response);
    EXPECT_EQ(response->status(), 201);
    Result<std::string> body = co_await response->read_all();
    CO_ASSERT_OK(body);
    EXPECT_EQ(*body, "POST " + std::to_string(payload.size()));

    Request del;
    del.method = "DELETE";
    del.url = fake.base_url() + "/v1/files/42";
    Result<Response> deleted = co_await send(std::move(del));
    CO_ASSERT_OK(deleted);
    Result<std::string> deleted_body = co_await deleted->read_all();
    CO_ASSERT_OK(deleted_body);
    EXPECT_EQ(*deleted_body, "DELETE 0");
  });
  const std::vector<RecordedRequest> requests = fake.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/chat/completions");
  EXPECT_EQ(requests[0].header("content-type"), "application/octet-stream");
  EXPECT_EQ(requests[0].header("expect"), "");
  EXPECT_TRUE(requests[0].body == payload);
  EXPECT_EQ(requests[1].method, "DELETE");
  EXPECT_EQ(requests[1].target, "/v1/files/42");
  // Sequential requests to one host reuse the connection.
  EXPECT_EQ(fake.connections_accepted(), 1u);
}

TEST(HttpEngine, StatusAndHeadersArriveBeforeTheBody) {
  FakeUpstream fake([](const RecordedRequest&) {
    ScriptedResponse response;
    response.status = 429;
    response.headers = {{"Retry-After", "7"}};
    response.body = {BodyPiece{"late-1", 800ms}, BodyPiece{"late-2", 0ms}};
    return response;
  });
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request request;
    request.method = "GET";
    request.url = fake.base_url() + "/slow";
    Result<Response> response = co_await send(std::move(request));
    CO_ASSERT_OK(response);
    // send() completed with the headers, before the server wrote any body byte.
    EXPECT_EQ(fake.body_bytes_written(), 0u);
    EXPECT_EQ(response->status(), 429);
    EXPECT_EQ(find_header(response->headers(), "retry-after"), "7");
    Result<std::string> body = co_await response->read_all();
    CO_ASSERT_OK(body);
    EXPECT_EQ(*body, "late-1late-2");
  });
}

TEST(HttpEngine, EmptyBodies) {
  FakeUpstream fake([](const RecordedRequest& request) {
    ScriptedResponse response;
    if (request.target == "/no-content") {
      response.status = 204;
    } else {
      response.status = 200;
      response.headers = {{"Content-Length", "0"}};
    }
    return response;
  });
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    for (const std::string target : {"/no-content", "/zero-length"}) {
      Request request;
      request.method = "GET";
      request.url = fake.base_url() + target;
      Result<Response> response = co_await send(std::move(request));
      CO_ASSERT_OK(response);
      EXPECT_EQ(response->status(), target == "/no-content" ? 204 : 200);
      std::string out = "unchanged";
      Result<std::size_t> count = co_await response->read(out);
      CO_ASSERT_OK(count);
      EXPECT_EQ(*count, 0u);
      EXPECT_EQ(out, "unchanged");
    }
  });
}

TEST(HttpEngine, TwoHundredConcurrentStreamsOnOneThread) {
  constexpr int kStreams = 200;
  std::vector<std::string> bodies;
  for (int i = 0; i < kStreams; ++i) {
    bodies.push_back(make_bytes(20 * 1024 + (static_cast<std::size_t>(i) * 7919) % (80 * 1024),
                                static_cast<std::uint32_t>(i + 1)));
  }
  FakeUpstream fake([&bodies](const RecordedRequest& request) {
    const int index = std::stoi(request.target.substr(std::string("/stream/").size()));
    ScriptedResponse response;
    response.headers = {{"Content-Type", "application/octet-stream"}};
    response.body = split(bodies[static_cast<std::size_t>(index)],
                          700 + static_cast<std::size_t>(index % 9) * 450);
    return response;
  });

  asio::io_context io;
  int finished = 0;
  int matched = 0;
  bool all_done = false;
  for (int i = 0; i < kStreams; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          Request request;
          request.method = "GET";
          request.url = fake.base_url() + "/stream/" + std::to_string(i);
          Result<Response> response = co_await send(std::move(request));
          std::string received;
          bool ok = response.ok() && response->status() == 200;
          while (ok) {
            Result<std::size_t> count = co_await response->read(received);
            if (!count.ok()) {
              ADD_FAILURE() << "stream " << i << ": " << count.status().to_string();
              ok = false;
            } else if (*count == 0) {
              break;
            }
          }
          if (ok && received == bodies[static_cast<std::size_t>(i)]) ++matched;
          if (++finished == kStreams) all_done = true;
        },
        asio::detached);
  }
  run_until(io, all_done, 60s);
  EXPECT_EQ(finished, kStreams);
  EXPECT_EQ(matched, kStreams);
  EXPECT_EQ(fake.requests().size(), static_cast<std::size_t>(kStreams));
}

TEST(HttpEngine, BackpressureBoundsBufferedBytesAndResumes) {
  constexpr std::size_t kTotal = 20 * 1024 * 1024;
  constexpr std::size_t kMaxBuffered = 64 * 1024;
  const std::string expected = make_bytes(kTotal, 99);
  FakeUpstream fake([&expected](const RecordedRequest&) {
    ScriptedResponse response;
    response.body = split(expected, 64 * 1024);
    return response;
  });

  asio::io_context io;
  std::optional<Response> response;
  bool sent = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Request request;
        request.method = "GET";
        request.url = fake.base_url() + "/big";
        request.max_buffered_bytes = kMaxBuffered;
        // Shorter than the pause below: paused time must not count as idle.
        request.timeouts.idle = 200ms;
        Result<Response> result = co_await send(std::move(request));
        if (result.ok()) {
          response.emplace(std::move(*result));
        } else {
          ADD_FAILURE() << result.status().to_string();
        }
        sent = true;
      },
      asio::detached);
  run_until(io, sent);
  ASSERT_TRUE(response.has_value());

  // Nobody reads for a while.
  const std::size_t handlers_run = io.run_for(600ms);
  io.restart();
  EXPECT_GT(response->buffered_bytes(), 0u);
  EXPECT_LE(response->buffered_bytes(), kMaxBuffered + kCurlMaxWriteSize);
  // Only what fits in the buffer and the kernel's socket buffers was written.
  EXPECT_LT(fake.body_bytes_written(), kTotal / 2) << "server wrote " << fake.body_bytes_written();
  // A paused transfer does not spin the event loop.
  EXPECT_LT(handlers_run, 2000u);

  bool read_done = false;
  std::size_t total = 0;
  std::size_t mismatched_reads = 0;
  std::size_t max_seen_buffered = 0;
  Status final_status(StatusCode::kInternal, "not finished");
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        std::string chunk;
        for (;;) {
          max_seen_buffered = std::max(max_seen_buffered, response->buffered_bytes());
          chunk.clear();
          Result<std::size_t> count = co_await response->read(chunk);
          if (!count.ok()) {
            final_status = count.status();
            break;
          }
          if (*count == 0) {
            final_status = Status();
            break;
          }
          if (*count != chunk.size() || total + chunk.size() > kTotal ||
              chunk.compare(0, chunk.size(), expected, total, chunk.size()) != 0) {
            ++mismatched_reads;
          }
          total += chunk.size();
        }
        read_done = true;
      },
      asio::detached);
  run_until(io, read_done, 60s);
  EXPECT_TRUE(final_status.ok()) << final_status.to_string();
  EXPECT_EQ(total, kTotal);
  EXPECT_EQ(mismatched_reads, 0u);
  EXPECT_LE(max_seen_buffered, kMaxBuffered + kCurlMaxWriteSize);
  EXPECT_EQ(fake.body_bytes_written(), kTotal);
}

TEST(HttpEngine, ConnectionRefusedIsUnavailable) {
  const std::uint16_t port = closed_port();
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request request;
    request.method = "GET";
    request.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/models";
    request.headers = {{"Authorization", "Bearer sk-secret-value"}};
    Result<Response> response = co_await send(std::move(request));
    CO_ASSERT_TRUE(!response.ok());
    EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(response.status().message().find("127.0.0.1"), std::string::npos)
        << response.status().message();
    EXPECT_EQ(response.status().message().find("sk-secret-value"), std::string::npos);
  });
}

TEST(HttpEngine, InvalidRequestsAreRejected) {
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request bad_url;
    bad_url.url = "not a url";
    Result<Response> response = co_await send(std::move(bad_url));
    CO_ASSERT_TRUE(!response.ok());
    EXPECT_EQ(response.status().code(), StatusCode::kInvalidArgument);

    Request bad_scheme;
    bad_scheme.url = "ftp://127.0.0.1/file";
    response = co_await send(std::move(bad_scheme));
    CO_ASSERT_TRUE(!response.ok());
    EXPECT_EQ(response.status().code(), StatusCode::kInvalidArgument);

    Request injected;
    injected.url = "http://127.0.0.1:1/";
    injected.headers = {{"X-Api-Key", "secret\r\nX-Evil: 1"}};
    response = co_await send(std::move(injected));
    CO_ASSERT_TRUE(!response.ok());
    EXPECT_EQ(response.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(response.status().message().find("secret"), std::string::npos);
  });
}

TEST(HttpEngine, ResetMidBodyDeliversEarlierBytesThenUnavailable) {
  FakeUpstream fake([](const RecordedRequest&) {
    ScriptedResponse response;
    response.body = {BodyPiece{"partial body", 0ms}, BodyPiece{"", 200ms}};
    response.fault = ScriptedResponse::Fault::kResetAfterBody;
    return response;
  });
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request request;
    request.method = "GET";
    request.url = fake.base_url() + "/reset";
    Result<Response> response = co_await send(std::move(request));
    CO_ASSERT_OK(response);
    std::string received;
    Status error;
    for (;;) {
      Result<std::size_t> count = co_await response->read(received);
      if (!count.ok()) {
        error = count.status();
        break;
      }
      CO_ASSERT_TRUE(*count != 0);  // the body must not end cleanly
    }
    EXPECT_EQ(received, "partial body");
    EXPECT_EQ(error.code(), StatusCode::kUnavailable) << error.to_string();
    EXPECT_NE(error.message().find("127.0.0.1"), std::string::npos) << error.message();
    // Errors are sticky.
    Result<std::size_t> again = co_await response->read(received);
    EXPECT_EQ(again.status().code(), StatusCode::kUnavailable);
  });
}

TEST(HttpEngine, StallAfterBodyHitsTheIdleDeadline) {
  FakeUpstream fake([](const RecordedRequest&) {
    ScriptedResponse response;
    response.body = {BodyPiece{"some data", 0ms}};
    response.fault = ScriptedResponse::Fault::kStallAfterBody;
    return response;
  });
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request request;
    request.method = "GET";
    request.url = fake.base_url() + "/stall";
    request.timeouts.idle = 300ms;
    Result<Response> response = co_await send(std::move(request));
    CO_ASSERT_OK(response);
    std::string received;
    Status error;
    for (;;) {
      Result<std::size_t> count = co_await response->read(received);
      if (!count.ok()) {
        error = count.status();
        break;
      }
      CO_ASSERT_TRUE(*count != 0);
    }
    EXPECT_EQ(received, "some data");
    EXPECT_EQ(error.code(), StatusCode::kTimeout) << error.to_string();
    EXPECT_NE(error.message().find("idle"), std::string::npos) << error.message();
  });
}

TEST(HttpEngine, TotalDeadlineEndsASlowBody) {
  FakeUpstream fake([](const RecordedRequest&) {
    ScriptedResponse response;
    for (int i = 0; i < 50; ++i) response.body.push_back(BodyPiece{"tick\n", 100ms});
    return response;
  });
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request request;
    request.method = "GET";
    request.url = fake.base_url() + "/ticks";
    request.timeouts.idle = 2000ms;
    request.timeouts.total = 500ms;
    Result<Response> response = co_await send(std::move(request));
    CO_ASSERT_OK(response);
    Result<std::string> body = co_await response->read_all();
    CO_ASSERT_TRUE(!body.ok());
    EXPECT_EQ(body.status().code(), StatusCode::kTimeout);
    EXPECT_NE(body.status().message().find("total"), std::string::npos) << body.status().message();
  });
}

TEST(HttpEngine, NoResponseHitsTheFirstByteDeadline) {
  FakeUpstream fake([](const RecordedRequest&) {
    ScriptedResponse response;
    response.fault = ScriptedResponse::Fault::kNoResponse;
    return response;
  });
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request request;
    request.url = fake.base_url() + "/silent";
    request.body = "{}";
    request.timeouts.first_byte = 300ms;
    Result<Response> response = co_await send(std::move(request));
    CO_ASSERT_TRUE(!response.ok());
    EXPECT_EQ(response.status().code(), StatusCode::kTimeout);
    EXPECT_NE(response.status().message().find("first-byte"), std::string::npos)
        << response.status().message();
  });
  // The request did reach the server: the deadline counted from sending, not connecting.
  EXPECT_EQ(fake.requests().size(), 1u);
}

// Polls (from the test thread) until the fake has no open connection; returns the count.
std::size_t wait_for_server_close(const FakeUpstream& fake) {
  for (int i = 0; i < 200 && fake.open_connections() != 0; ++i) {
    std::this_thread::sleep_for(25ms);
  }
  return fake.open_connections();
}

ScriptedResponse stalled_stream(const RecordedRequest&) {
  ScriptedResponse response;
  response.body = {BodyPiece{"first", 0ms}};
  response.fault = ScriptedResponse::Fault::kStallAfterBody;
  return response;
}

TEST(HttpEngine, CancelWakesAPendingReadAndClosesTheConnection) {
  FakeUpstream fake(stalled_stream);
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request request;
    request.method = "GET";
    request.url = fake.base_url() + "/stream";
    Result<Response> response = co_await send(std::move(request));
    CO_ASSERT_OK(response);
    std::string received;
    Result<std::size_t> first = co_await response->read(received);
    CO_ASSERT_OK(first);
    EXPECT_EQ(received, "first");
    EXPECT_EQ(fake.open_connections(), 1u);

    // Cancel from another coroutine while this one waits in read().
    asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
    asio::co_spawn(
        co_await asio::this_coro::executor,
        [&]() -> asio::awaitable<void> {
          co_await timer.async_wait(asio::use_awaitable);
          response->cancel();
        },
        asio::detached);
    Result<std::size_t> pending = co_await response->read(received);
    EXPECT_EQ(pending.status().code(), StatusCode::kCancelled);
    EXPECT_EQ(received, "first");
    Result<std::size_t> later = co_await response->read(received);
    EXPECT_EQ(later.status().code(), StatusCode::kCancelled);
  });
  EXPECT_EQ(wait_for_server_close(fake), 0u);
}

TEST(HttpEngine, DestroyingTheResponseClosesTheConnection) {
  FakeUpstream fake(stalled_stream);
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request request;
    request.method = "GET";
    request.url = fake.base_url() + "/stream";
    Result<Response> response = co_await send(std::move(request));
    CO_ASSERT_OK(response);
    std::string received;
    Result<std::size_t> first = co_await response->read(received);
    CO_ASSERT_OK(first);
    EXPECT_EQ(fake.open_connections(), 1u);
  });  // the Result<Response> dies with the coroutine frame
  EXPECT_EQ(wait_for_server_close(fake), 0u);
}

TEST(HttpEngine, PerOperationCancellationOfRead) {
  FakeUpstream fake(stalled_stream);
  asio::io_context io;
  std::optional<Response> response;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request request;
    request.method = "GET";
    request.url = fake.base_url() + "/stream";
    Result<Response> result = co_await send(std::move(request));
    CO_ASSERT_OK(result);
    response.emplace(std::move(*result));
  });
  ASSERT_TRUE(response.has_value());

  asio::cancellation_signal signal;
  bool read_done = false;
  std::string received;
  Status read_status(StatusCode::kInternal, "not finished");
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          Result<std::size_t> count = co_await response->read(received);
          if (!count.ok() || *count == 0) {
            read_status = count.status();
            break;
          }
        }
        read_done = true;
      },
      asio::bind_cancellation_slot(signal.slot(), asio::detached));
  io.run_for(200ms);
  io.restart();
  EXPECT_FALSE(read_done);
  EXPECT_EQ(received, "first");
  signal.emit(asio::cancellation_type::terminal);
  run_until(io, read_done);
  EXPECT_TRUE(read_done);
  EXPECT_EQ(read_status.code(), StatusCode::kCancelled) << read_status.to_string();
  EXPECT_EQ(wait_for_server_close(fake), 0u);
}

TEST(HttpEngine, PerOperationCancellationOfSend) {
  FakeUpstream fake([](const RecordedRequest&) {
    ScriptedResponse response;
    response.fault = ScriptedResponse::Fault::kNoResponse;
    return response;
  });
  asio::io_context io;
  asio::cancellation_signal signal;
  bool done = false;
  Status send_status(StatusCode::kInternal, "not finished");
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Request request;
        request.method = "GET";
        request.url = fake.base_url() + "/silent";
        Result<Response> response = co_await send(std::move(request));
        send_status = response.status();
        done = true;
      },
      asio::bind_cancellation_slot(signal.slot(), asio::detached));
  io.run_for(200ms);
  io.restart();
  EXPECT_FALSE(done);
  EXPECT_EQ(fake.requests().size(), 1u);
  signal.emit(asio::cancellation_type::terminal);
  run_until(io, done);
  EXPECT_EQ(send_status.code(), StatusCode::kCancelled) << send_status.to_string();
  EXPECT_EQ(wait_for_server_close(fake), 0u);
}

TEST(HttpEngine, DestroyingTheIoContextMidTransferIsClean) {
  FakeUpstream fake(stalled_stream);
  std::string received;
  {
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          Request request;
          request.method = "GET";
          request.url = fake.base_url() + "/stream";
          Result<Response> response = co_await send(std::move(request));
          if (!response.ok()) co_return;
          for (;;) {
            Result<std::size_t> count = co_await response->read(received);
            if (!count.ok() || *count == 0) co_return;
          }
        },
        asio::detached);
    io.run_for(300ms);
    // The coroutine is suspended in read(); the io_context goes away with it.
  }
  EXPECT_EQ(received, "first");
  EXPECT_EQ(wait_for_server_close(fake), 0u);
}

// Sets an environment variable for one scope and restores the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

TEST(HttpEngine, ProxyFromTheEnvironment) {
  FakeUpstream proxy([](const RecordedRequest& request) {
    return ScriptedResponse::with_body(200, "text/plain", "via proxy " + request.target);
  });
  asio::io_context io;
  {
    const ScopedEnv http_proxy("http_proxy", proxy.base_url().c_str());
    const ScopedEnv no_proxy("no_proxy", nullptr);
    const ScopedEnv no_proxy_upper("NO_PROXY", nullptr);
    run_coroutine(io, [&]() -> asio::awaitable<void> {
      Request request;
      request.method = "GET";
      request.url = "http://example.invalid/x";
      Result<Response> response = co_await send(std::move(request));
      CO_ASSERT_OK(response);
      EXPECT_EQ(response->status(), 200);
      Result<std::string> body = co_await response->read_all();
      CO_ASSERT_OK(body);
      EXPECT_EQ(*body, "via proxy http://example.invalid/x");
    });
  }
  const std::vector<RecordedRequest> requests = proxy.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "http://example.invalid/x");
  EXPECT_EQ(requests[0].header("host"), "example.invalid");
}

TEST(HttpEngine, ReadAllEnforcesItsLimit) {
  FakeUpstream fake([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "text/plain", std::string(10'000, 'x'));
  });
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request request;
    request.method = "GET";
    request.url = fake.base_url() + "/big";
    Result<Response> response = co_await send(std::move(request));
    CO_ASSERT_OK(response);
    Result<std::string> body = co_await response->read_all(1000);
    CO_ASSERT_TRUE(!body.ok());
    EXPECT_EQ(body.status().code(), StatusCode::kProtocolError);
  });
}

TEST(FakeUpstream, SseSplitsOnePiecePerEvent) {
  const ScriptedResponse response =
      ScriptedResponse::sse("data: a\n\ndata: b\n\n: tail", std::chrono::milliseconds(5));
  ASSERT_EQ(response.body.size(), 3u);
  EXPECT_EQ(response.body[0].bytes, "data: a\n\n");
  EXPECT_EQ(response.body[1].bytes, "data: b\n\n");
  EXPECT_EQ(response.body[2].bytes, ": tail");
  EXPECT_EQ(response.body[1].delay, 5ms);
  EXPECT_EQ(response.status, 200);
}

TEST(FakeUpstream, ShutsDownWithAStalledConnectionOpen) {
  asio::io_context io;
  std::optional<Response> response;
  std::string received;
  {
    FakeUpstream fake(stalled_stream);
    run_coroutine(io, [&]() -> asio::awaitable<void> {
      Request request;
      request.method = "GET";
      request.url = fake.base_url() + "/stream";
      Result<Response> result = co_await send(std::move(request));
      CO_ASSERT_OK(result);
      response.emplace(std::move(*result));
      Result<std::size_t> first = co_await response->read(received);
      CO_ASSERT_OK(first);
    });
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(fake.open_connections(), 1u);
  }  // the fake shuts down (joining its thread) while the client still waits for more body
  Status status;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Result<std::size_t> count = co_await response->read(received);
    status = count.status();
  });
  EXPECT_EQ(received, "first");
  // The chunked body ended without its last chunk.
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.to_string();
}

TEST(FakeUpstream, SlowWritesStillDeliverEveryByte) {
  const std::string payload = make_bytes(40 * 1024, 3);
  FakeUpstream fake([&payload](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/octet-stream", payload);
  });
  fake.set_slow_writes(4096, 2ms);
  asio::io_context io;
  run_coroutine(io, [&]() -> asio::awaitable<void> {
    Request request;
    request.method = "GET";
    request.url = fake.base_url() + "/slow";
    Result<Response> response = co_await send(std::move(request));
    CO_ASSERT_OK(response);
    Result<std::string> body = co_await response->read_all();
    CO_ASSERT_OK(body);
    EXPECT_TRUE(*body == payload);
  });
  EXPECT_EQ(fake.body_bytes_written(), payload.size());
}

}  // namespace
}  // namespace aisopod::http
