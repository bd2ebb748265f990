// The Anthropic provider against the in-process fake upstream: streaming and non-streaming
// answers, headers for both auth kinds, every error class, an error event mid-stream, a reset,
// a two-turn thinking + tool exchange, models paging and health.
#include "providers/anthropic/provider.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>

#include "aisopod/accumulator.hpp"
#include "providers/anthropic/test_util.hpp"
#include "testing/collect_stream.hpp"
#include "testing/fake_upstream.hpp"
#include "testing/run_task.hpp"
#include "testing/testdata.hpp"

namespace aisopod::anthropic {
namespace {

using aisopod::testing::FakeUpstream;
using aisopod::testing::read_testdata;
using aisopod::testing::RecordedRequest;
using aisopod::testing::run_task;
using aisopod::testing::ScriptedResponse;

constexpr const char* kKey = "sk-ant-test-4f9c2a7d1e";

std::shared_ptr<ModelProvider> provider_for(
    const FakeUpstream& upstream,
    AnthropicOptions::AuthKind auth = AnthropicOptions::AuthKind::kApiKey) {
  AnthropicOptions options;
  options.base_url = upstream.base_url() + "/";
  options.auth = auth;
  return make_provider(options, []() -> Result<std::string> { return std::string(kKey); });
}

ChatCompletionRequest hello_request(bool stream = true) {
  ChatCompletionRequest request;
  request.model = "claude-sonnet-4-5";
  request.messages.push_back(Message::user("Hello"));
  request.stream = stream;
  return request;
}

using Outcome = aisopod::testing::StreamOutcome;
using aisopod::testing::collect;

std::string text_wire() {
  return test::sse_from_chunks(read_testdata("anthropic/vercel-ai/anthropic-text.chunks.txt"));
}

TEST(AnthropicProvider, StreamsARecordingWithApiKeyHeaders) {
  const std::string wire = text_wire();
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  Outcome out = run_task(collect(provider_for(upstream), hello_request()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  ASSERT_TRUE(out.end.ok()) << out.end.to_string();
  EXPECT_EQ(out.chunks, test::decode(wire).chunks);
  EXPECT_EQ(out.completion.message.text(),
            "Hello! I'm doing well, thank you for asking. How are you doing today? Is there "
            "anything I can help you with?");
  EXPECT_EQ(out.completion.usage, (Usage{12, 30, 0, 0, 0}));
  EXPECT_EQ(out.completion.finish_reason, FinishReason::kStop);

  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/messages");
  EXPECT_EQ(requests[0].header("x-api-key"), kKey);
  EXPECT_EQ(requests[0].header("anthropic-version"), "2023-06-01");
  EXPECT_EQ(requests[0].header("Authorization"), "");
  const auto body = boost::json::parse(requests[0].body).as_object();
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_EQ(body.at("model"), "claude-sonnet-4-5");
}

TEST(AnthropicProvider, BearerAuthSendsAuthorizationInstead) {
  const std::string wire = text_wire();
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  Outcome out = run_task(
      collect(provider_for(upstream, AnthropicOptions::AuthKind::kBearer), hello_request()));
  ASSERT_TRUE(out.end.ok()) << out.end.to_string();
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("Authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(requests[0].header("x-api-key"), "");
  EXPECT_EQ(requests[0].header("anthropic-version"), "2023-06-01");
}

TEST(AnthropicProvider, EachProfileSendsItsSecretItsOwnWay) {
  const std::string wire = text_wire();
  FakeUpstream upstream([&](const RecordedRequest& request) {
    // The OAuth token is refused; the API key answers.
    if (!request.header("Authorization").empty()) {
      return ScriptedResponse::with_body(
          401, "application/json",
          R"({"type":"error","error":{"type":"authentication_error","message":"invalid token"}})");
    }
    return ScriptedResponse::sse(wire);
  });
  auto auth = std::make_shared<AuthProfileManager>(make_memory_auth_store());
  auth->add_profile(
      "anthropic", "oauth", []() -> Result<std::string> { return std::string("oauth-token-1"); },
      SecretKind::kBearerToken);
  auth->add_profile("anthropic", "console",
                    []() -> Result<std::string> { return std::string("sk-ant-console-key"); });
  AnthropicOptions options;
  options.base_url = upstream.base_url();
  Outcome out = run_task(collect(make_provider(options, auth), hello_request()));
  ASSERT_TRUE(out.end.ok()) << out.end.to_string();
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer oauth-token-1");
  EXPECT_EQ(requests[0].header("x-api-key"), "");
  EXPECT_EQ(requests[1].header("x-api-key"), "sk-ant-console-key");
  EXPECT_EQ(requests[1].header("Authorization"), "");
}

TEST(AnthropicProvider, NonStreamingYieldsOneChunk) {
  const std::string body = test::body_from_httprr(
      read_testdata("anthropic/langchaingo/TestClient_CreateMessage.httprr"));
  FakeUpstream upstream([&](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/json", body);
  });
  Outcome out = run_task(collect(provider_for(upstream), hello_request(false)));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_EQ(out.completion.message.text().rfind("Hello! As an AI language model", 0), 0u);
  EXPECT_EQ(out.completion.usage, (Usage{13, 35, 0, 0, 0}));
  EXPECT_FALSE(boost::json::parse(upstream.requests().at(0).body).as_object().contains("stream"));
}

TEST(AnthropicProvider, MapsEveryErrorClassBeforeTheFirstChunk) {
  struct Case {
    int status;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string type;
    std::string message;
    StatusCode expected;
  };
  const std::vector<Case> cases = {
      {400,
       {},
       "invalid_request_error",
       "max_tokens: Field required",
       StatusCode::kInvalidArgument},
      {400,
       {},
       "invalid_request_error",
       "prompt is too long: 200001 tokens > 200000 maximum",
       StatusCode::kContextLengthExceeded},
      {400,
       {},
       "invalid_request_error",
       "Your credit balance is too low to access the API",
       StatusCode::kBilling},
      {401, {}, "authentication_error", "invalid x-api-key", StatusCode::kUnauthenticated},
      {403, {}, "permission_error", "no access", StatusCode::kPermissionDenied},
      {404, {}, "not_found_error", "model: claude-does-not-exist", StatusCode::kNotFound},
      {413, {}, "request_too_large", "too big", StatusCode::kInvalidArgument},
      {429, {{"retry-after", "7"}}, "rate_limit_error", "slow down", StatusCode::kRateLimited},
      {500, {}, "api_error", "Internal server error", StatusCode::kUnavailable},
      {529, {}, "overloaded_error", "Overloaded", StatusCode::kOverloaded},
  };
  for (const Case& c : cases) {
    FakeUpstream upstream([&](const RecordedRequest&) {
      ScriptedResponse r =
          ScriptedResponse::with_body(c.status, "application/json",
                                      R"({"type":"error","error":{"type":")" + c.type +
                                          R"(","message":")" + c.message + R"("}})");
      for (const auto& h : c.headers) r.headers.push_back(h);
      return r;
    });
    Outcome out = run_task(collect(provider_for(upstream), hello_request()));
    EXPECT_EQ(out.start.code(), c.expected) << c.status << " " << out.start.to_string();
    EXPECT_EQ(out.start.http_status(), c.status);
    EXPECT_EQ(out.start.provider(), "anthropic");
    EXPECT_NE(out.start.message().find(c.message), std::string::npos);
    EXPECT_EQ(out.start.to_string().find(kKey), std::string::npos);
    if (!c.headers.empty()) {
      ASSERT_TRUE(out.start.retry_after().has_value());
      EXPECT_EQ(out.start.retry_after()->count(), 7000);
    }
  }
}

TEST(AnthropicProvider, ErrorEventAfterTextDeliversChunksThenTheError) {
  std::string wire = text_wire();
  wire = wire.substr(0, wire.find("event: content_block_stop"));
  wire +=
      "event: error\n"
      R"(data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"
      "\n\n";
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  Outcome out = run_task(collect(provider_for(upstream), hello_request()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  EXPECT_EQ(out.completion.message.text(),
            "Hello! I'm doing well, thank you for asking. How are you doing today? Is there "
            "anything I can help you with?");
  EXPECT_EQ(out.end.code(), StatusCode::kOverloaded) << out.end.to_string();
  EXPECT_EQ(out.end.provider(), "anthropic");
  // The provider answered (HTTP 200) and said "error": not a network failure.
  EXPECT_EQ(out.end.http_status(), 200);
  EXPECT_FALSE(out.completion.usage.has_value());
}

TEST(AnthropicProvider, ResetMidStreamDeliversChunksThenFails) {
  std::string wire = text_wire();
  wire = wire.substr(0, wire.find("event: content_block_stop"));
  FakeUpstream upstream([&](const RecordedRequest&) {
    ScriptedResponse r = ScriptedResponse::sse(wire);
    r.fault = ScriptedResponse::Fault::kResetAfterBody;
    return r;
  });
  Outcome out = run_task(collect(provider_for(upstream), hello_request()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  EXPECT_EQ(out.completion.message.text().rfind("Hello! I'm doing well", 0), 0u);
  EXPECT_TRUE(out.end.code() == StatusCode::kUnavailable ||
              out.end.code() == StatusCode::kProtocolError)
      << out.end.to_string();
  EXPECT_EQ(out.end.provider(), "anthropic");
}

TEST(AnthropicProvider, TruncatedBodyIsProtocolError) {
  std::string wire = text_wire();
  wire = wire.substr(0, wire.find("event: message_stop"));
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  Outcome out = run_task(collect(provider_for(upstream), hello_request()));
  ASSERT_TRUE(out.start.ok());
  EXPECT_EQ(out.end.code(), StatusCode::kProtocolError) << out.end.to_string();
}

// Turn 1 (recorded thinking + tool use, non-streaming) and turn 2 (streamed): the second
// request carries the first turn's thinking block and signature byte for byte.
TEST(AnthropicProvider, TwoTurnToolUseWithThinking) {
  const test::ToolWithThinking recorded = test::tool_with_thinking();
  const std::string turn2_wire = text_wire();
  std::atomic<int> calls{0};
  FakeUpstream upstream([&](const RecordedRequest&) {
    if (calls++ == 0) {
      return ScriptedResponse::with_body(200, "application/json", recorded.turn1_body);
    }
    return ScriptedResponse::sse(turn2_wire);
  });
  auto provider = provider_for(upstream);
  ChatCompletionRequest request;
  request.model = "claude-sonnet-4-0";
  request.max_tokens = 4096;
  request.reasoning.budget_tokens = 3000;
  request.tools = {{"get_user_country", "", "", false}};
  request.messages = {Message::user("What is the largest city in the user country?")};
  request.stream = false;
  Outcome turn1 = run_task(collect(provider, request));
  ASSERT_TRUE(turn1.start.ok()) << turn1.start.to_string();
  ASSERT_EQ(turn1.completion.finish_reason, FinishReason::kToolCalls);
  ASSERT_EQ(turn1.completion.message.tool_calls.size(), 1u);
  EXPECT_EQ(turn1.completion.message.tool_calls[0].id, recorded.tool_id);
  ASSERT_FALSE(turn1.completion.message.content.empty());
  EXPECT_EQ(turn1.completion.message.content[0].signature, recorded.signature);

  request.messages.push_back(turn1.completion.message);
  request.messages.push_back(
      Message::tool_result(turn1.completion.message.tool_calls[0].id, "Mexico"));
  request.stream = true;
  Outcome turn2 = run_task(collect(provider, request));
  ASSERT_TRUE(turn2.end.ok()) << turn2.end.to_string();
  EXPECT_FALSE(turn2.completion.message.text().empty());

  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 2u);
  const std::string& sent = requests[1].body;
  EXPECT_NE(sent.find("\"signature\":\"" + recorded.signature + "\""), std::string::npos);
  EXPECT_NE(sent.find(boost::json::serialize(boost::json::value(recorded.thinking))),
            std::string::npos);
  const auto body = boost::json::parse(sent).as_object();
  const auto& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[1].at("content").at(0).at("type"), "thinking");
  EXPECT_EQ(messages[1].at("content").at(2).at("type"), "tool_use");
  EXPECT_EQ(messages[2].at("content").at(0),
            boost::json::parse(R"({"type":"tool_result","tool_use_id":")" + recorded.tool_id +
                               R"(","content":"Mexico"})"));
}

TEST(AnthropicProvider, ListsModelsAcrossPages) {
  FakeUpstream upstream([](const RecordedRequest& request) {
    if (request.target.find("after_id=") == std::string::npos) {
      return ScriptedResponse::with_body(
          200, "application/json",
          R"({"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],"has_more":true,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-sonnet-4-5-20250929"})");
    }
    return ScriptedResponse::with_body(
        200, "application/json",
        R"({"data":[{"type":"model","id":"claude-3-haiku-20240307","display_name":"Claude Haiku 3","created_at":"2024-03-07T00:00:00Z"}],"has_more":false,"first_id":"claude-3-haiku-20240307","last_id":"claude-3-haiku-20240307"})");
  });
  auto models = run_task(provider_for(upstream)->list_models());
  ASSERT_TRUE(models.ok()) << models.error().to_string();
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[0].id, "claude-sonnet-4-5-20250929");
  EXPECT_EQ((*models)[0].display_name, "Claude Sonnet 4.5");
  EXPECT_EQ((*models)[1].id, "claude-3-haiku-20240307");
  EXPECT_EQ((*models)[1].provider, "anthropic");
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/v1/models?limit=1000");
  EXPECT_EQ(requests[1].target, "/v1/models?limit=1000&after_id=claude-sonnet-4-5-20250929");
  EXPECT_EQ(requests[1].header("x-api-key"), kKey);
  EXPECT_EQ(requests[1].header("anthropic-version"), "2023-06-01");
}

TEST(AnthropicProvider, HealthStates) {
  FakeUpstream healthy([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/json", R"({"data":[],"has_more":false})");
  });
  EXPECT_EQ(run_task(provider_for(healthy)->health_check()).state, HealthStatus::State::kHealthy);
  EXPECT_EQ(healthy.requests().at(0).target, "/v1/models?limit=1");

  FakeUpstream refusing([](const RecordedRequest&) {
    return ScriptedResponse::with_body(
        401, "application/json",
        R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})");
  });
  HealthStatus degraded = run_task(provider_for(refusing)->health_check());
  EXPECT_EQ(degraded.state, HealthStatus::State::kDegraded);
  EXPECT_NE(degraded.message.find("unauthenticated"), std::string::npos);

  std::string dead_url;
  {
    FakeUpstream gone([](const RecordedRequest&) { return ScriptedResponse(); });
    dead_url = gone.base_url();
  }
  AnthropicOptions options;
  options.base_url = dead_url;
  HealthStatus down = run_task(make_provider(options, SecretSource{})->health_check());
  EXPECT_EQ(down.state, HealthStatus::State::kUnhealthy);
}

TEST(AnthropicProvider, MissingKeyFailsBeforeSending) {
  FakeUpstream upstream([](const RecordedRequest&) { return ScriptedResponse(); });
  AnthropicOptions options;
  options.base_url = upstream.base_url();
  auto provider = make_provider(options, []() -> Result<std::string> {
    return Status(StatusCode::kUnauthenticated,
                  "environment variable ANTHROPIC_API_KEY is not set");
  });
  Outcome out = run_task(collect(provider, hello_request()));
  EXPECT_EQ(out.start.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(out.start.provider(), "anthropic");
  EXPECT_TRUE(upstream.requests().empty());
}

}  // namespace
}  // namespace aisopod::anthropic
