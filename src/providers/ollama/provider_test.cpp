// The Ollama provider against the in-process fake upstream: chat (recording, tools and
// thinking, mid-stream error, non-streaming, HTTP errors), models, health, pull, bearer token,
// and a server that is not running.
#include "providers/ollama/provider.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>

#include "aisopod/accumulator.hpp"
#include "providers/ollama/test_util.hpp"
#include "testing/collect_stream.hpp"
#include "testing/fake_upstream.hpp"
#include "testing/run_task.hpp"
#include "testing/testdata.hpp"

namespace aisopod::ollama {
namespace {

using aisopod::testing::BodyPiece;
using aisopod::testing::FakeUpstream;
using aisopod::testing::read_testdata;
using aisopod::testing::RecordedRequest;
using aisopod::testing::run_task;
using aisopod::testing::ScriptedResponse;

constexpr const char* kNdjson = "application/x-ndjson";

std::shared_ptr<OllamaProvider> provider_for(const std::string& base_url, std::string token = "") {
  OllamaOptions options;
  options.base_url = base_url + "/";
  options.keep_alive = "5m";
  return make_provider(options, [token]() -> Result<std::string> { return token; });
}

// An NDJSON response written in several pieces that do not line up with the lines.
ScriptedResponse ndjson_response(const std::string& body, std::size_t piece = 37) {
  ScriptedResponse response;
  response.status = 200;
  response.headers.push_back({"Content-Type", kNdjson});
  for (std::size_t pos = 0; pos < body.size(); pos += piece) {
    response.body.push_back(BodyPiece{body.substr(pos, piece), {}});
  }
  return response;
}

ChatCompletionRequest hello_request(bool stream = true) {
  ChatCompletionRequest request;
  request.model = "gemma3:1b";
  request.messages.push_back(Message::user("Count from 1 to 5"));
  request.stream = stream;
  return request;
}

using Outcome = aisopod::testing::StreamOutcome;
using aisopod::testing::collect;

struct PullOutcome {
  Status start;
  std::vector<PullProgress> reports;
  Status end;
};

Task<PullOutcome> collect_pull(std::shared_ptr<OllamaProvider> provider, std::string model) {
  PullOutcome out;
  Result<PullStream> stream = co_await provider->pull_model(std::move(model));
  if (!stream.ok()) {
    out.start = stream.error();
    co_return out;
  }
  for (;;) {
    Result<std::optional<PullProgress>> next = co_await stream->next();
    if (!next.ok()) {
      out.end = next.error();
      break;
    }
    if (!next->has_value()) break;
    out.reports.push_back(std::move(**next));
  }
  // After the end, the same answer again.
  Result<std::optional<PullProgress>> again = co_await stream->next();
  if (out.end.ok()) {
    EXPECT_TRUE(again.ok() && !again->has_value());
  } else {
    EXPECT_EQ(again.status(), out.end);
  }
  co_return out;
}

TEST(OllamaProvider, StreamsARecordingAndSendsTheRightRequest) {
  const std::string wire =
      test::httprr_body(read_testdata("ollama/langchaingo/TestClient_GenerateChatStream.httprr"));
  FakeUpstream upstream([&](const RecordedRequest&) { return ndjson_response(wire); });
  Outcome out = run_task(collect(provider_for(upstream.base_url()), hello_request()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  ASSERT_TRUE(out.end.ok()) << out.end.to_string();
  EXPECT_EQ(out.completion.message.text(), "Okay, here we go!\n\n1, 2, 3, 4, 5\n");
  EXPECT_EQ(out.completion.usage, (Usage{16, 22, 0, 0, 0}));
  EXPECT_EQ(out.completion.finish_reason, FinishReason::kStop);
  EXPECT_EQ(out.completion.model, "gemma3:1b");

  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/api/chat");
  EXPECT_EQ(requests[0].header("Authorization"), "");
  EXPECT_EQ(requests[0].header("Accept"), kNdjson);
  EXPECT_EQ(boost::json::parse(requests[0].body), boost::json::parse(R"({"model":"gemma3:1b",
      "messages":[{"role":"user","content":"Count from 1 to 5"}],"stream":true,
      "keep_alive":"5m"})"));
}

TEST(OllamaProvider, ChatWithThinkingAndToolCallsSendsTheBearerToken) {
  const std::string wire =
      R"({"model":"qwen3:8b","created_at":"2025-09-01T10:00:00Z","message":{"role":"assistant","content":"","thinking":"The user wants "},"done":false})"
      "\n"
      R"({"model":"qwen3:8b","created_at":"2025-09-01T10:00:01Z","message":{"role":"assistant","content":"","thinking":"two lookups."},"done":false})"
      "\n"
      R"({"model":"qwen3:8b","created_at":"2025-09-01T10:00:02Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"index":0,"name":"get_weather","arguments":{"city":"Tokyo"}}},{"function":{"index":1,"name":"get_weather","arguments":{"city":"Paris"}}}]},"done":false})"
      "\n"
      R"({"model":"qwen3:8b","created_at":"2025-09-01T10:00:03Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"prompt_eval_count":180,"eval_count":31})"
      "\n";
  FakeUpstream upstream([&](const RecordedRequest&) { return ndjson_response(wire, 11); });
  ChatCompletionRequest request = hello_request();
  request.model = "qwen3:8b";
  request.reasoning.effort = "medium";
  request.tools.push_back(Tool{"get_weather", "Weather", "", false});
  Outcome out = run_task(collect(provider_for(upstream.base_url(), "proxy-token-123"), request));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  ASSERT_TRUE(out.end.ok()) << out.end.to_string();
  ASSERT_EQ(out.completion.message.content.size(), 1u);
  EXPECT_EQ(out.completion.message.content[0].kind, ContentPart::Kind::kReasoning);
  EXPECT_EQ(out.completion.message.content[0].text, "The user wants two lookups.");
  ASSERT_EQ(out.completion.message.tool_calls.size(), 2u);
  EXPECT_EQ(out.completion.message.tool_calls[0],
            (ToolCall{"call_0", "get_weather", R"({"city":"Tokyo"})"}));
  EXPECT_EQ(out.completion.message.tool_calls[1],
            (ToolCall{"call_1", "get_weather", R"({"city":"Paris"})"}));
  EXPECT_EQ(out.completion.finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(out.completion.raw_finish_reason, "stop");
  EXPECT_EQ(out.completion.usage, (Usage{180, 31, 0, 0, 0}));
  EXPECT_EQ(out.completion.id, "ollama-qwen3:8b-2025-09-01T10:00:00Z");

  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer proxy-token-123");
  const boost::json::object body = boost::json::parse(requests[0].body).as_object();
  EXPECT_EQ(body.at("think"), boost::json::value("medium"));
  EXPECT_EQ(body.at("tools").as_array().size(), 1u);
}

TEST(OllamaProvider, MidStreamErrorLineEndsTheStreamWithAnError) {
  const std::string wire =
      R"({"model":"gemma3:1b","created_at":"2025-08-20T13:48:24Z","message":{"role":"assistant","content":"Once"},"done":false})"
      "\n"
      R"({"model":"gemma3:1b","created_at":"2025-08-20T13:48:25Z","message":{"role":"assistant","content":" upon"},"done":false})"
      "\n"
      R"({"error":"an error was encountered while running the model: unexpected EOF"})"
      "\n";
  FakeUpstream upstream([&](const RecordedRequest&) { return ndjson_response(wire); });
  Outcome out = run_task(collect(provider_for(upstream.base_url()), hello_request()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  EXPECT_EQ(out.completion.message.text(), "Once upon");
  EXPECT_EQ(out.end.code(), StatusCode::kUnavailable);
  // The upstream's words, marked as coming after the answer had started (no retry possible).
  EXPECT_EQ(out.end.message(),
            "the answer had already started, so no retry or failover: an error was encountered "
            "while running the model: unexpected EOF");
  EXPECT_EQ(out.end.provider(), "ollama");
  // The server answered (HTTP 200) and said "error": not a network failure.
  EXPECT_EQ(out.end.http_status(), 200);
  EXPECT_FALSE(out.completion.usage.has_value());
}

TEST(OllamaProvider, AMalformedLineEchoingTheTokenNeverLeaksAPieceOfIt) {
  // A 100-byte token; the decoder quotes the first 80 bytes of a malformed line.
  std::string token = "ollama-";
  for (std::uint32_t state = 7; token.size() < 100;) {
    state = state * 1103515245u + 12345u;
    token += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[(state >> 16) % 62];
  }
  std::atomic<std::size_t> offset{0};
  FakeUpstream upstream([&](const RecordedRequest&) {
    return ndjson_response("{\"model\":\"" + std::string(offset.load(), 'x') + token + "\n");
  });
  auto provider = provider_for(upstream.base_url(), token);
  for (std::size_t at = 0; at <= 80; ++at) {
    offset = at;
    Outcome out = run_task(collect(provider, hello_request()));
    ASSERT_EQ(upstream.requests().size(), at + 1);
    EXPECT_EQ(out.start.code(), StatusCode::kProtocolError) << at;
    EXPECT_EQ(out.start.http_status(), 200) << at;
    for (std::size_t i = 0; i + 8 <= token.size(); ++i) {
      EXPECT_EQ(out.start.message().find(token.substr(i, 8)), std::string::npos)
          << "token at " << at << ": " << out.start.message();
    }
  }
}

TEST(OllamaProvider, ResetMidStreamIsNotMistakenForANotRunningServer) {
  const std::string wire =
      R"({"model":"gemma3:1b","created_at":"2025-08-20T13:48:24Z","message":{"role":"assistant","content":"Once"},"done":false})"
      "\n";
  FakeUpstream upstream([&](const RecordedRequest&) {
    ScriptedResponse response = ndjson_response(wire);
    response.fault = ScriptedResponse::Fault::kResetAfterBody;
    return response;
  });
  Outcome out = run_task(collect(provider_for(upstream.base_url()), hello_request()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  EXPECT_EQ(out.completion.message.text(), "Once");
  EXPECT_FALSE(out.end.ok());
  EXPECT_EQ(out.end.message().find("is it running"), std::string::npos) << out.end.to_string();
}

TEST(OllamaProvider, NonStreamingYieldsOneChunk) {
  const std::string body =
      read_testdata("ollama/docs-examples/api-chat-nostream-tools.response.json");
  FakeUpstream upstream([&](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/json; charset=utf-8", body);
  });
  Outcome out = run_task(collect(provider_for(upstream.base_url()), hello_request(false)));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  ASSERT_TRUE(out.end.ok()) << out.end.to_string();
  ASSERT_EQ(out.chunks.size(), 1u);
  ASSERT_EQ(out.completion.message.tool_calls.size(), 1u);
  EXPECT_EQ(out.completion.message.tool_calls[0],
            (ToolCall{"call_0", "get_weather", R"({"city":"Tokyo"})"}));
  EXPECT_EQ(out.completion.finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(out.completion.usage, (Usage{169, 18, 0, 0, 0}));
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].body.find("\"stream\":false"), std::string::npos);
}

TEST(OllamaProvider, HttpErrorsComeBackBeforeTheStream) {
  const auto recorded =
      test::parse_httprr(read_testdata("ollama/langchaingo/TestToolCall.httprr")).at(0);
  struct Case {
    int status;
    std::string body;
    StatusCode expected;
  };
  const Case cases[] = {
      {recorded.status, recorded.body, StatusCode::kInvalidArgument},
      {404, R"({"error":"model \"nope\" not found, try pulling it first"})", StatusCode::kNotFound},
      {500, read_testdata("ollama/docs-examples/error.response.json"), StatusCode::kUnavailable},
  };
  for (const Case& c : cases) {
    for (const bool stream : {true, false}) {
      FakeUpstream upstream([&](const RecordedRequest&) {
        return ScriptedResponse::with_body(c.status, "application/json; charset=utf-8", c.body);
      });
      Outcome out = run_task(collect(provider_for(upstream.base_url()), hello_request(stream)));
      EXPECT_EQ(out.start.code(), c.expected) << out.start.to_string();
      EXPECT_EQ(out.start.http_status(), c.status);
      EXPECT_EQ(out.start.provider(), "ollama");
      EXPECT_TRUE(out.chunks.empty());
    }
  }
}

TEST(OllamaProvider, ListsModelsAndChecksHealth) {
  const std::string tags = read_testdata("ollama/docs-examples/api-tags.response.json");
  const std::string version = read_testdata("ollama/docs-examples/api-version.response.json");
  FakeUpstream upstream([&](const RecordedRequest& request) {
    if (request.target == "/api/tags")
      return ScriptedResponse::with_body(200, "application/json", tags);
    if (request.target == "/api/version") {
      return ScriptedResponse::with_body(200, "application/json", version);
    }
    return ScriptedResponse::with_body(404, "text/plain", "404 page not found");
  });
  auto provider = provider_for(upstream.base_url());
  Result<std::vector<ModelInfo>> models = run_task(provider->list_models());
  ASSERT_TRUE(models.ok()) << models.error().to_string();
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[0].id, "deepseek-r1:latest");
  EXPECT_EQ((*models)[0].provider, "ollama");
  EXPECT_EQ((*models)[0].display_name, "deepseek-r1:latest (7.6B, Q4_K_M)");
  EXPECT_EQ(
      (*models)[0].capabilities,
      (std::vector<std::string>{"family:qwen2", "parameter_size:7.6B", "quantization:Q4_K_M"}));
  EXPECT_EQ((*models)[1].id, "llama3.2:latest");
  EXPECT_EQ((*models)[1].capabilities[0], "family:llama");

  HealthStatus health = run_task(provider->health_check());
  EXPECT_EQ(health.state, HealthStatus::State::kHealthy);
  EXPECT_EQ(health.message, "0.5.1");

  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/api/tags");
  EXPECT_EQ(requests[1].target, "/api/version");
}

TEST(OllamaProvider, PullStreamsSeveralPartialProgressLines) {
  const std::string digest =
      "sha256:aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899";
  std::string wire = "{\"status\":\"pulling manifest\"}\n";
  for (const std::int64_t completed : {0, 1000000, 250000000, 815310432}) {
    wire +=
        "{\"status\":\"pulling aabbccddeeff\",\"digest\":\"" + digest + "\",\"total\":815310432";
    if (completed > 0) wire += ",\"completed\":" + std::to_string(completed);
    wire += "}\n";
  }
  wire +=
      "{\"status\":\"verifying sha256 digest\"}\n{\"status\":\"writing manifest\"}\n"
      "{\"status\":\"success\"}\n";
  FakeUpstream upstream([&](const RecordedRequest&) { return ndjson_response(wire, 50); });
  PullOutcome out = run_task(collect_pull(provider_for(upstream.base_url(), "tok"), "gemma3:1b"));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  ASSERT_TRUE(out.end.ok()) << out.end.to_string();
  ASSERT_EQ(out.reports.size(), 8u);
  EXPECT_EQ(out.reports[1], (PullProgress{"pulling aabbccddeeff", digest, 815310432, 0}));
  EXPECT_EQ(out.reports[2].completed, 1000000);
  EXPECT_EQ(out.reports[3].completed, 250000000);
  EXPECT_EQ(out.reports[4].completed, 815310432);
  EXPECT_EQ(out.reports[7].status, "success");

  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/api/pull");
  EXPECT_EQ(requests[0].body, R"({"model":"gemma3:1b","stream":true})");
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer tok");
}

TEST(OllamaProvider, PullOfAMissingModelFailsAsALineOrAsAStatus) {
  const std::string error = R"({"error":"pull model manifest: file does not exist"})";
  {
    FakeUpstream upstream([&](const RecordedRequest&) {
      return ndjson_response("{\"status\":\"pulling manifest\"}\n" + error + "\n");
    });
    PullOutcome out = run_task(collect_pull(provider_for(upstream.base_url()), "nope:1b"));
    ASSERT_TRUE(out.start.ok()) << out.start.to_string();
    ASSERT_EQ(out.reports.size(), 1u);
    EXPECT_EQ(out.end.code(), StatusCode::kNotFound);
    EXPECT_EQ(out.end.message(), "pull model manifest: file does not exist");
  }
  {
    FakeUpstream upstream([&](const RecordedRequest&) {
      return ScriptedResponse::with_body(500, "application/json; charset=utf-8", error);
    });
    PullOutcome out = run_task(collect_pull(provider_for(upstream.base_url()), "nope:1b"));
    EXPECT_EQ(out.start.code(), StatusCode::kNotFound);
    EXPECT_EQ(out.start.http_status(), 500);
    EXPECT_EQ(out.start.message(), "pull model manifest: file does not exist");
  }
  {
    // A body that stops before "success" is not a finished pull.
    FakeUpstream upstream([&](const RecordedRequest&) {
      return ndjson_response("{\"status\":\"pulling manifest\"}\n");
    });
    PullOutcome out = run_task(collect_pull(provider_for(upstream.base_url()), "gemma3:1b"));
    EXPECT_EQ(out.end.code(), StatusCode::kProtocolError);
  }
}

TEST(OllamaProvider, ConnectionRefusedSaysOllamaIsNotRunning) {
  std::string base_url;
  {
    FakeUpstream upstream([](const RecordedRequest&) { return ScriptedResponse(); });
    base_url = upstream.base_url();
  }
  const std::string expected =
      "cannot reach Ollama at " + base_url + ": is it running? (start it with `ollama serve`)";
  auto provider = provider_for(base_url);
  auto expect_not_running = [&](const Status& status, const char* what) {
    EXPECT_EQ(status.code(), StatusCode::kUnavailable) << what << ": " << status.to_string();
    EXPECT_EQ(status.message(), expected) << what;
    EXPECT_EQ(status.http_status(), 0) << what;
    EXPECT_EQ(status.provider(), "ollama") << what;
  };
  expect_not_running(run_task(collect(provider, hello_request())).start, "chat");
  expect_not_running(run_task(collect(provider, hello_request(false))).start, "chat, no stream");
  expect_not_running(run_task(provider->list_models()).status(), "models");
  expect_not_running(run_task(collect_pull(provider, "gemma3:1b")).start, "pull");
  HealthStatus health = run_task(provider->health_check());
  EXPECT_EQ(health.state, HealthStatus::State::kUnhealthy);
  EXPECT_NE(health.message.find(expected), std::string::npos) << health.message;
}

}  // namespace
}  // namespace aisopod::ollama
