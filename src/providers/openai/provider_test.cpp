// The OpenAI provider against the in-process fake upstream: success, every error class,
// faults mid-stream, non-streaming, models, health, and headers.
#include "providers/openai/provider.hpp"
#include "providers/openai/stream_decoder.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "aisopod/accumulator.hpp"
#include "testing/collect_stream.hpp"
#include "testing/fake_upstream.hpp"
#include "testing/run_task.hpp"
#include "testing/testdata.hpp"

namespace aisopod::openai {
namespace {

using aisopod::testing::FakeUpstream;
using aisopod::testing::read_testdata;
using aisopod::testing::RecordedRequest;
using aisopod::testing::run_task;
using aisopod::testing::ScriptedResponse;

constexpr const char* kKey = "sk-test-4f9c2a7d1e";

std::shared_ptr<ModelProvider> provider_for(const FakeUpstream& upstream, std::string key = kKey) {
  OpenAIOptions options;
  options.base_url = upstream.base_url() + "/v1/";
  options.provider_id = "openai";
  options.organization = "org-1";
  options.project = "proj-1";
  return make_provider(options, [key]() -> Result<std::string> { return key; });
}

ChatCompletionRequest hello_request(bool stream = true) {
  ChatCompletionRequest request;
  request.model = "gpt-4o";
  request.messages.push_back(Message::user("Hello"));
  request.stream = stream;
  return request;
}

using Outcome = aisopod::testing::StreamOutcome;
using aisopod::testing::collect;

// The text and usage the recording holds, decoded without any network.
ChatCompletion decode_offline(const std::string& wire) {
  StreamDecoder decoder("openai");
  decoder.feed(wire);
  ChatCompletionAccumulator acc;
  for (;;) {
    auto next = decoder.next();
    EXPECT_TRUE(next.ok());
    if (!next.ok() || !next->has_value()) break;
    acc.add(**next);
  }
  EXPECT_TRUE(decoder.finish().ok());
  return acc.result();
}

TEST(OpenAIProvider, StreamsARecordingAndSendsTheRightRequest) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  FakeUpstream upstream([&](const RecordedRequest&) {
    ScriptedResponse r = ScriptedResponse::sse(wire, std::chrono::milliseconds(0));
    return r;
  });
  Outcome out = run_task(collect(provider_for(upstream), hello_request()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  ASSERT_TRUE(out.end.ok()) << out.end.to_string();
  const ChatCompletion expected = decode_offline(wire);
  EXPECT_FALSE(expected.message.text().empty());
  EXPECT_EQ(out.completion.message.text(), expected.message.text());
  ASSERT_TRUE(out.completion.usage.has_value());
  EXPECT_EQ(out.completion.usage, expected.usage);
  EXPECT_EQ(out.completion.finish_reason, FinishReason::kStop);

  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/chat/completions");
  EXPECT_EQ(requests[0].header("Authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(requests[0].header("OpenAI-Organization"), "org-1");
  EXPECT_EQ(requests[0].header("OpenAI-Project"), "proj-1");
  EXPECT_NE(requests[0].body.find("\"stream\":true"), std::string::npos);
  EXPECT_NE(requests[0].body.find("\"include_usage\":true"), std::string::npos);
  EXPECT_NE(requests[0].body.find("\"model\":\"gpt-4o\""), std::string::npos);
}

TEST(OpenAIProvider, NonStreamingYieldsOneChunk) {
  const std::string body = read_testdata("openai/vercel-ai/openai-text.json");
  FakeUpstream upstream([&](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/json", body);
  });
  Outcome out = run_task(collect(provider_for(upstream), hello_request(false)));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  ASSERT_TRUE(out.end.ok()) << out.end.to_string();
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_FALSE(out.completion.message.text().empty());
  EXPECT_NE(body.find(out.completion.message.text().substr(0, 20)), std::string::npos);
  ASSERT_TRUE(out.completion.usage.has_value());
  EXPECT_GT(out.completion.usage->output_tokens, 0);
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body.find("\"stream\":true"), std::string::npos);
}

struct ErrorCase {
  int http_status;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  StatusCode expected;
};

TEST(OpenAIProvider, MapsEveryErrorClassBeforeTheFirstChunk) {
  const std::vector<ErrorCase> cases = {
      {401,
       {},
       R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}})",
       StatusCode::kUnauthenticated},
      {403,
       {},
       R"({"error":{"message":"not allowed","type":"invalid_request_error"}})",
       StatusCode::kPermissionDenied},
      {404,
       {},
       R"({"error":{"message":"The model `x` does not exist","code":"model_not_found"}})",
       StatusCode::kNotFound},
      {429,
       {{"retry-after", "7"}},
       R"({"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}})",
       StatusCode::kRateLimited},
      {429,
       {},
       R"({"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}})",
       StatusCode::kBilling},
      {400,
       {},
       R"({"error":{"message":"This model's maximum context length is 128000 tokens","code":"context_length_exceeded"}})",
       StatusCode::kContextLengthExceeded},
      {500,
       {},
       R"({"error":{"message":"server error","type":"server_error"}})",
       StatusCode::kUnavailable},
  };
  for (const ErrorCase& c : cases) {
    FakeUpstream upstream([&](const RecordedRequest&) {
      ScriptedResponse r = ScriptedResponse::with_body(c.http_status, "application/json", c.body);
      for (const auto& h : c.headers) r.headers.push_back(h);
      return r;
    });
    Outcome out = run_task(collect(provider_for(upstream), hello_request()));
    EXPECT_EQ(out.start.code(), c.expected) << c.http_status << " " << out.start.to_string();
    EXPECT_EQ(out.start.http_status(), c.http_status);
    EXPECT_EQ(out.start.provider(), "openai");
    EXPECT_EQ(out.start.to_string().find(kKey), std::string::npos);
    if (c.http_status == 429 && !c.headers.empty()) {
      ASSERT_TRUE(out.start.retry_after().has_value());
      EXPECT_EQ(out.start.retry_after()->count(), 7000);
    }
  }
}

TEST(OpenAIProvider, ResetMidStreamDeliversChunksThenUnavailable) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  const std::string first_half = wire.substr(0, wire.find("\n\n", wire.size() / 2) + 2);
  FakeUpstream upstream([&](const RecordedRequest&) {
    ScriptedResponse r = ScriptedResponse::sse(first_half);
    r.fault = ScriptedResponse::Fault::kResetAfterBody;
    return r;
  });
  Outcome out = run_task(collect(provider_for(upstream), hello_request()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  EXPECT_FALSE(out.chunks.empty());
  EXPECT_FALSE(out.completion.message.text().empty());
  EXPECT_TRUE(out.end.code() == StatusCode::kUnavailable ||
              out.end.code() == StatusCode::kProtocolError)
      << out.end.to_string();
  EXPECT_EQ(out.end.provider(), "openai");
  EXPECT_EQ(out.end.http_status(), 0);  // the network failed, not the provider
}

TEST(OpenAIProvider, StallTripsTheIdleTimeout) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  // The role chunk and the first content chunk, then silence: the stream has committed.
  const std::string head = wire.substr(0, wire.find("\n\n", wire.find("\n\n") + 2) + 2);
  FakeUpstream upstream([&](const RecordedRequest&) {
    ScriptedResponse r = ScriptedResponse::sse(head);
    r.fault = ScriptedResponse::Fault::kStallAfterBody;
    return r;
  });
  CallOptions options;
  options.idle_timeout = std::chrono::milliseconds(300);
  Outcome out = run_task(collect(provider_for(upstream), hello_request(), options));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  EXPECT_EQ(out.completion.message.text(), "I'm");
  EXPECT_EQ(out.end.code(), StatusCode::kTimeout) << out.end.to_string();
  EXPECT_EQ(upstream.requests().size(), 1u);  // no retry once the answer has started
}

TEST(OpenAIProvider, StallBeforeAnyContentIsRetriedThenFails) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  const std::string role_only = wire.substr(0, wire.find("\n\n") + 2);
  FakeUpstream upstream([&](const RecordedRequest&) {
    ScriptedResponse r = ScriptedResponse::sse(role_only);
    r.fault = ScriptedResponse::Fault::kStallAfterBody;
    return r;
  });
  CallOptions options;
  options.idle_timeout = std::chrono::milliseconds(200);
  options.max_retries = 1;
  Outcome out = run_task(collect(provider_for(upstream), hello_request(), options));
  EXPECT_EQ(out.start.code(), StatusCode::kTimeout) << out.start.to_string();
  EXPECT_EQ(upstream.requests().size(), 2u);  // the first try and one retry
}

TEST(OpenAIProvider, ErrorEventMidStreamCarriesTheResponsesHttpStatus) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  // The role chunk and the first content chunk, then an error event in the 200 stream.
  std::string body = wire.substr(0, wire.find("\n\n", wire.find("\n\n") + 2) + 2);
  body +=
      R"(data: {"error":{"message":"The server had an error while processing your request.","type":"server_error"}})"
      "\n\n";
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(body); });
  Outcome out = run_task(collect(provider_for(upstream), hello_request()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  EXPECT_EQ(out.completion.message.text(), "I'm");
  EXPECT_EQ(out.end.code(), StatusCode::kUnavailable);
  // The provider answered (HTTP 200) and said "error": not a network failure.
  EXPECT_EQ(out.end.http_status(), 200);
  EXPECT_EQ(out.end.message(),
            "the answer had already started, so no retry or failover: The server had an error "
            "while processing your request. (type: server_error)");
  EXPECT_EQ(out.end.provider(), "openai");
  EXPECT_EQ(upstream.requests().size(), 1u);
}

// A 100-byte key, and whether `text` holds any 8 consecutive bytes of it.
// "sk-proj-" and 92 pseudo-random letters and digits.
std::string make_long_key() {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string key = "sk-proj-";
  std::uint32_t state = 12345;
  while (key.size() < 100) {
    state = state * 1103515245u + 12345u;
    key += alphabet[(state >> 16) % alphabet.size()];
  }
  return key;
}
const std::string kLongKey = make_long_key();
std::string leaked_piece(const std::string& text) {
  for (std::size_t i = 0; i + 8 <= kLongKey.size(); ++i) {
    if (text.find(kLongKey.substr(i, 8)) != std::string::npos) return kLongKey.substr(i, 8);
  }
  return "";
}

TEST(OpenAIProvider, AnErrorBodyEchoingTheKeyNeverLeaksAPieceOfIt) {
  ASSERT_EQ(kLongKey.size(), 100u);
  // The message is cut at 500 bytes: put the key so that the cut falls before it, through it
  // at every byte, and after it.
  std::atomic<std::size_t> offset{0};
  FakeUpstream upstream([&](const RecordedRequest&) {
    const std::string message = std::string(offset.load(), 'x') + kLongKey + " is not valid";
    return ScriptedResponse::with_body(
        401, "application/json",
        R"({"error":{"message":")" + message +
            R"(","type":"invalid_request_error","code":"invalid_api_key"}})");
  });
  OpenAIOptions options;
  options.base_url = upstream.base_url() + "/v1";
  // A fresh provider (and credential state) for each request: a 401 disables the key.
  const auto fresh_provider = [&options] {
    return make_provider(options, []() -> Result<std::string> { return kLongKey; });
  };
  std::size_t sent = 0;
  for (std::size_t at = 390; at <= 520; ++at) {
    offset = at;
    Outcome out = run_task(collect(fresh_provider(), hello_request()));
    EXPECT_EQ(upstream.requests().size(), ++sent);
    EXPECT_EQ(out.start.code(), StatusCode::kUnauthenticated) << at;
    EXPECT_EQ(out.start.http_status(), 401) << at;
    EXPECT_EQ(leaked_piece(out.start.message()), "")
        << "key at " << at << ": " << out.start.message();
  }
  // The models list and the health probe send the same key.
  offset = 450;
  Result<std::vector<ModelInfo>> models = run_task(fresh_provider()->list_models());
  ASSERT_FALSE(models.ok());
  EXPECT_EQ(models.error().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(leaked_piece(models.error().message()), "") << models.error().message();
  HealthStatus health = run_task(fresh_provider()->health_check());
  EXPECT_EQ(health.state, HealthStatus::State::kDegraded);
  EXPECT_EQ(leaked_piece(health.message), "") << health.message;
  EXPECT_EQ(upstream.requests().size(), sent + 2);
}

TEST(OpenAIProvider, AMalformedChunkEchoingTheKeyNeverLeaksAPieceOfIt) {
  // The decoder quotes the first 80 bytes of a malformed chunk.
  std::atomic<std::size_t> offset{0};
  FakeUpstream upstream([&](const RecordedRequest&) {
    return ScriptedResponse::sse("data: {\"id\":\"" + std::string(offset.load(), 'x') + kLongKey +
                                 "\n\n");
  });
  OpenAIOptions options;
  options.base_url = upstream.base_url() + "/v1";
  auto provider = make_provider(options, []() -> Result<std::string> { return kLongKey; });
  std::size_t sent = 0;
  for (std::size_t at = 0; at <= 80; ++at) {
    offset = at;
    Outcome out = run_task(collect(provider, hello_request()));
    EXPECT_EQ(upstream.requests().size(), ++sent);
    EXPECT_EQ(out.start.code(), StatusCode::kProtocolError) << at;
    EXPECT_EQ(out.start.http_status(), 200) << at;
    EXPECT_EQ(leaked_piece(out.start.message()), "")
        << "key at " << at << ": " << out.start.message();
  }
}

TEST(OpenAIProvider, ListsModels) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(
        200, "application/json",
        R"({"object":"list","data":[{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},{"id":"o3-mini","object":"model","created":1,"owned_by":"openai"}]})");
  });
  auto models = run_task(provider_for(upstream)->list_models());
  ASSERT_TRUE(models.ok()) << models.error().to_string();
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[0].id, "gpt-4o");
  EXPECT_EQ((*models)[0].provider, "openai");
  EXPECT_EQ((*models)[0].owned_by, "system");
  EXPECT_EQ((*models)[1].id, "o3-mini");
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/v1/models");
}

TEST(OpenAIProvider, ListingModelsWithARejectedFirstKeyRotatesAndCoolsIt) {
  FakeUpstream upstream([](const RecordedRequest& request) {
    if (request.header("Authorization") == "Bearer sk-first-rejected") {
      return ScriptedResponse::with_body(401, "application/json",
                                         R"({"error":{"message":"Incorrect API key"}})");
    }
    return ScriptedResponse::with_body(
        200, "application/json",
        R"({"object":"list","data":[{"id":"gpt-4o","object":"model","created":1,"owned_by":"system"}]})");
  });
  auto auth = std::make_shared<AuthProfileManager>(make_memory_auth_store());
  auth->add_profile("openai", "first",
                    []() -> Result<std::string> { return std::string("sk-first-rejected"); });
  auth->add_profile("openai", "second",
                    []() -> Result<std::string> { return std::string("sk-second-good"); });
  OpenAIOptions options;
  options.base_url = upstream.base_url() + "/v1";
  auto provider = make_provider(options, auth);
  auto models = run_task(provider->list_models());
  ASSERT_TRUE(models.ok()) << models.error().to_string();
  ASSERT_EQ(models->size(), 1u);
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer sk-first-rejected");
  EXPECT_EQ(requests[1].header("Authorization"), "Bearer sk-second-good");
  const std::vector<ProfileState> states = auth->snapshot();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].last_error, "unauthenticated");
  EXPECT_TRUE(states[0].disabled_until.has_value());
  EXPECT_TRUE(states[1].marked_good());
  // The next listing goes straight to the good key.
  ASSERT_TRUE(run_task(provider->list_models()).ok());
  ASSERT_EQ(upstream.requests().size(), 3u);
  EXPECT_EQ(upstream.requests()[2].header("Authorization"), "Bearer sk-second-good");
}

TEST(OpenAIProvider, HealthStates) {
  FakeUpstream healthy([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/json", R"({"object":"list","data":[]})");
  });
  EXPECT_EQ(run_task(provider_for(healthy)->health_check()).state, HealthStatus::State::kHealthy);
  FakeUpstream refusing([](const RecordedRequest&) {
    return ScriptedResponse::with_body(401, "application/json",
                                       R"({"error":{"message":"bad key"}})");
  });
  HealthStatus degraded = run_task(provider_for(refusing)->health_check());
  EXPECT_EQ(degraded.state, HealthStatus::State::kDegraded);
  EXPECT_NE(degraded.message.find("unauthenticated"), std::string::npos);

  std::string dead_url;
  {
    FakeUpstream gone([](const RecordedRequest&) { return ScriptedResponse(); });
    dead_url = gone.base_url();
  }
  OpenAIOptions options;
  options.base_url = dead_url + "/v1";
  auto provider = make_provider(options, SecretSource{});
  HealthStatus down = run_task(provider->health_check());
  EXPECT_EQ(down.state, HealthStatus::State::kUnhealthy);
  EXPECT_NE(down.message.find("unavailable"), std::string::npos);
}

TEST(OpenAIProvider, MissingKeyFailsBeforeSending) {
  FakeUpstream upstream([](const RecordedRequest&) { return ScriptedResponse(); });
  OpenAIOptions options;
  options.base_url = upstream.base_url() + "/v1";
  auto provider = make_provider(options, []() -> Result<std::string> {
    return Status(StatusCode::kUnauthenticated, "environment variable OPENAI_API_KEY is not set");
  });
  Outcome out = run_task(collect(provider, hello_request()));
  EXPECT_EQ(out.start.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(out.start.provider(), "openai");
  EXPECT_TRUE(upstream.requests().empty());
}

TEST(OpenAIProvider, EveryProfileCoolingFailsAtOnceOrWaitsWhenAllowed) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  std::atomic<int> calls{0};
  FakeUpstream upstream([&](const RecordedRequest&) {
    if (calls++ == 0) {
      return ScriptedResponse::with_body(
          429, "application/json",
          R"({"error":{"message":"slow down","code":"rate_limit_exceeded"}})");
    }
    return ScriptedResponse::sse(wire);
  });
  CooldownPolicy policy;
  policy.base = std::chrono::milliseconds(300);
  auto auth = std::make_shared<AuthProfileManager>(make_memory_auth_store(), policy);
  auth->add_profile("openai", "only", []() -> Result<std::string> { return std::string(kKey); });
  OpenAIOptions options;
  options.base_url = upstream.base_url() + "/v1";
  auto provider = make_provider(options, auth);

  Outcome first = run_task(collect(provider, hello_request()));
  EXPECT_EQ(first.start.code(), StatusCode::kRateLimited) << first.start.to_string();
  EXPECT_EQ(first.start.profile(), "only");
  // The only profile is cooling down: the next call fails without reaching the server.
  Outcome at_once = run_task(collect(provider, hello_request()));
  EXPECT_EQ(at_once.start.code(), StatusCode::kRateLimited);
  EXPECT_NE(at_once.start.message().find("cooling down"), std::string::npos)
      << at_once.start.to_string();
  EXPECT_EQ(upstream.requests().size(), 1u);
  // A caller that allows waiting gets the answer once the cooldown has passed.
  CallOptions wait;
  wait.max_cooldown_wait = std::chrono::seconds(5);
  Outcome waited = run_task(collect(provider, hello_request(), wait));
  ASSERT_TRUE(waited.start.ok()) << waited.start.to_string();
  EXPECT_FALSE(waited.completion.message.text().empty());
  EXPECT_EQ(upstream.requests().size(), 2u);
}

TEST(OpenAIProvider, EmptySecretSendsNoAuthorization) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/json", R"({"object":"list","data":[]})");
  });
  auto models = run_task(provider_for(upstream, "")->list_models());
  ASSERT_TRUE(models.ok());
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("Authorization"), "");
}

}  // namespace
}  // namespace aisopod::openai
