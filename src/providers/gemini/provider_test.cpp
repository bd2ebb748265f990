// The Gemini provider through the core pipeline against the in-process fake upstream: the key in
// x-goog-api-key (never in the URL), the recorded stream end to end, a rejected key rotating to
// the next profile, RetryInfo as a cooldown, model pages and the health probe.
#include "providers/gemini/provider.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "aisopod/credential.hpp"
#include "testing/collect_stream.hpp"
#include "testing/fake_upstream.hpp"
#include "testing/run_task.hpp"
#include "testing/testdata.hpp"

namespace aisopod::gemini {
namespace {

using aisopod::testing::collect;
using aisopod::testing::FakeUpstream;
using aisopod::testing::read_testdata;
using aisopod::testing::RecordedRequest;
using aisopod::testing::run_task;
using aisopod::testing::ScriptedResponse;

ChatCompletionRequest ask(std::string model) {
  ChatCompletionRequest request;
  request.model = std::move(model);
  request.messages.push_back(Message::user("What is the capital of France?"));
  return request;
}

GeminiOptions options_for(const FakeUpstream& upstream) {
  GeminiOptions options;
  options.base_url = upstream.base_url() + "/";
  return options;
}

TEST(GeminiProvider, StreamsTheRecordedAnswerWithTheKeyInItsHeader) {
  const std::string wire =
      read_testdata("google/pydantic-ai/test_google_model_stream.response.sse");
  FakeUpstream upstream([&wire](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  auto provider =
      make_provider(options_for(upstream), [] { return Result<std::string>("AIza-test-key-1"); });
  aisopod::testing::StreamOutcome out =
      run_task(collect(provider, ask("gemini-2.0-flash-exp"), CallOptions()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  ASSERT_TRUE(out.end.ok()) << out.end.to_string();
  EXPECT_EQ(out.completion.message.text().rfind("The capital of France", 0), 0u)
      << out.completion.message.text();
  const std::vector<RecordedRequest> requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target,
            "/v1beta/models/gemini-2.0-flash-exp:streamGenerateContent?alt=sse");
  EXPECT_EQ(requests[0].header("x-goog-api-key"), "AIza-test-key-1");
  EXPECT_EQ(requests[0].header("Authorization"), "");
  EXPECT_EQ(requests[0].target.find("key="), std::string::npos);
}

TEST(GeminiProvider, AnInvalidKeyRotatesToTheNextProfileAndARetryDelayCoolsIt) {
  const std::string quota = read_testdata("google/vercel-ai/google-429-retry-info.json");
  const std::string wire =
      read_testdata("google/pydantic-ai/test_google_model_stream.response.sse");
  FakeUpstream upstream([&](const RecordedRequest& request) {
    const std::string key = request.header("x-goog-api-key");
    if (key == "bad-key-000001") {
      return ScriptedResponse::with_body(
          400, "application/json",
          R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}})");
    }
    if (key == "busy-key-00002") return ScriptedResponse::with_body(429, "application/json", quota);
    return ScriptedResponse::sse(wire);
  });
  auto auth = std::make_shared<AuthProfileManager>(make_memory_auth_store());
  auth->add_profile("gemini", "bad",
                    make_static_credential_source(Credential::api_key("bad-key-000001")));
  auth->add_profile("gemini", "busy",
                    make_static_credential_source(Credential::api_key("busy-key-00002")));
  auth->add_profile("gemini", "good",
                    make_static_credential_source(Credential::api_key("good-key-0003")));
  auto provider = make_provider(options_for(upstream), auth);
  aisopod::testing::StreamOutcome out =
      run_task(collect(provider, ask("gemini-2.0-flash-exp"), CallOptions()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  EXPECT_EQ(upstream.requests().size(), 3u);
  const std::vector<ProfileState> states = auth->snapshot();
  ASSERT_EQ(states.size(), 3u);
  EXPECT_EQ(states[0].last_error, "unauthenticated");
  EXPECT_EQ(states[0].last_error_message,
            "API key not valid. Please pass a valid API key. (status: INVALID_ARGUMENT, reason: "
            "API_KEY_INVALID)");
  EXPECT_EQ(states[1].last_error, "rate_limited");
  ASSERT_EQ(states[1].model_cooldowns.count("gemini-2.0-flash-exp"), 1u);
  ASSERT_TRUE(states[1].last_failure.has_value());
  // The cooldown is at least the server's RetryInfo (34.4 s) and the first step of the schedule.
  EXPECT_GE(states[1].model_cooldowns.at("gemini-2.0-flash-exp") - *states[1].last_failure,
            std::chrono::milliseconds(34'400));
  EXPECT_TRUE(states[2].marked_good());
}

TEST(GeminiProvider, ListModelsFollowsPageTokensAndHealthProbesOneModel) {
  FakeUpstream upstream([](const RecordedRequest& request) {
    if (request.target == "/v1beta/models?pageSize=1000") {
      return ScriptedResponse::with_body(
          200, "application/json",
          R"({"models":[{"name":"models/gemini-2.5-pro","supportedGenerationMethods":["generateContent"]}],"nextPageToken":"p2"})");
    }
    if (request.target == "/v1beta/models?pageSize=1000&pageToken=p2") {
      return ScriptedResponse::with_body(
          200, "application/json",
          R"({"models":[{"name":"models/text-embedding-004","supportedGenerationMethods":["embedContent"]},{"name":"models/gemini-2.5-flash","supportedGenerationMethods":["generateContent"]}]})");
    }
    return ScriptedResponse::with_body(200, "application/json", R"({"models":[]})");
  });
  auto provider = make_provider(options_for(upstream), [] { return Result<std::string>("k"); });
  Result<std::vector<ModelInfo>> models = run_task(provider->list_models());
  ASSERT_TRUE(models.ok()) << models.error().to_string();
  std::vector<std::string> ids;
  for (const ModelInfo& model : *models) ids.push_back(model.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"gemini-2.5-pro", "gemini-2.5-flash"}));
  HealthStatus health = run_task(provider->health_check());
  EXPECT_EQ(health.state, HealthStatus::State::kHealthy);
  EXPECT_EQ(upstream.requests().back().target, "/v1beta/models?pageSize=1");
}

TEST(GeminiProvider, SafetySettingsOptionParses) {
  Result<std::vector<SafetySetting>> parsed = parse_safety_settings(
      " HARM_CATEGORY_HATE_SPEECH=BLOCK_ONLY_HIGH , HARM_CATEGORY_HARASSMENT=OFF");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, (std::vector<SafetySetting>{{"HARM_CATEGORY_HATE_SPEECH", "BLOCK_ONLY_HIGH"},
                                                 {"HARM_CATEGORY_HARASSMENT", "OFF"}}));
  Result<std::vector<SafetySetting>> bad = parse_safety_settings("HARM_CATEGORY_HATE_SPEECH");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "safety_settings: expected CATEGORY=THRESHOLD, got 'HARM_CATEGORY_HATE_SPEECH'");
  EXPECT_TRUE(parse_safety_settings("").ok());
}

}  // namespace
}  // namespace aisopod::gemini
