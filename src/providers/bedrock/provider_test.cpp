// The Bedrock provider through the core pipeline against the in-process fake upstream: SigV4 on
// every request (runtime and control plane), a recorded event stream end to end, HTTP errors
// before the stream, Bedrock API keys as bearer tokens, and the models listing.
#include "providers/bedrock/provider.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "aisopod/credential.hpp"
#include "testing/collect_stream.hpp"
#include "testing/fake_upstream.hpp"
#include "testing/run_task.hpp"
#include "testing/testdata.hpp"

namespace aisopod::bedrock {
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

std::shared_ptr<AuthProfileManager> keys_auth(Credential credential) {
  auto auth = std::make_shared<AuthProfileManager>(make_memory_auth_store());
  auth->add_profile("bedrock", "main", make_static_credential_source(std::move(credential)));
  return auth;
}

std::shared_ptr<ModelProvider> provider_for(const FakeUpstream& upstream,
                                            std::shared_ptr<AuthProfileManager> auth) {
  BedrockOptions options;
  options.base_url = upstream.base_url();
  options.region = "eu-west-3";
  Result<std::shared_ptr<ModelProvider>> made =
      make_provider(options, upstream.base_url() + "/control", std::move(auth));
  EXPECT_TRUE(made.ok());
  return made.ok() ? *made : nullptr;
}

TEST(BedrockProvider, SignsTheRequestAndStreamsTheRecordedAnswer) {
  const std::string wire =
      read_testdata("bedrock/pydantic-ai/test_bedrock_model_stream.response.eventstream");
  FakeUpstream upstream([&wire](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/vnd.amazon.eventstream", wire);
  });
  auto provider = provider_for(
      upstream, keys_auth(Credential::aws_keys("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCY",
                                               "session-token-1")));
  aisopod::testing::StreamOutcome out =
      run_task(collect(provider, ask("us.amazon.nova-pro-v1:0"), CallOptions()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  ASSERT_TRUE(out.end.ok()) << out.end.to_string();
  EXPECT_EQ(out.completion.message.text().rfind("The capital of France is Paris.", 0), 0u);
  ASSERT_TRUE(out.completion.usage.has_value());
  EXPECT_EQ(out.completion.usage->input_tokens, 13);
  const std::vector<RecordedRequest> requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/model/us.amazon.nova-pro-v1%3A0/converse-stream");
  const std::string authorization = requests[0].header("Authorization");
  EXPECT_EQ(authorization.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0), 0u)
      << authorization;
  EXPECT_NE(authorization.find("/eu-west-3/bedrock/aws4_request, SignedHeaders="),
            std::string::npos)
      << authorization;
  EXPECT_EQ(requests[0].header("X-Amz-Security-Token"), "session-token-1");
  EXPECT_EQ(requests[0].header("X-Amz-Date").size(), 16u);  // 20261202T120000Z
}

TEST(BedrockProvider, ABedrockApiKeyIsABearerToken) {
  const std::string wire =
      read_testdata("bedrock/pydantic-ai/test_bedrock_model_stream.response.eventstream");
  FakeUpstream upstream([&wire](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/vnd.amazon.eventstream", wire);
  });
  auto provider = provider_for(upstream, keys_auth(Credential::api_key("bedrock-api-key-1")));
  aisopod::testing::StreamOutcome out =
      run_task(collect(provider, ask("us.amazon.nova-pro-v1:0"), CallOptions()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  const std::vector<RecordedRequest> requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer bedrock-api-key-1");
  EXPECT_EQ(requests[0].header("X-Amz-Date"), "");
}

TEST(BedrockProvider, NoCredentialIsRefusedBeforeAnythingIsSent) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/json", "{}");
  });
  auto provider = provider_for(upstream, nullptr);
  aisopod::testing::StreamOutcome out = run_task(collect(provider, ask("m"), CallOptions()));
  ASSERT_FALSE(out.start.ok());
  EXPECT_EQ(out.start.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(out.start.message(),
            "no AWS credentials for provider 'bedrock': configure a profile, AWS_ACCESS_KEY_ID, "
            "AWS_PROFILE or AWS_BEARER_TOKEN_BEDROCK");
  EXPECT_TRUE(upstream.requests().empty());
}

TEST(BedrockProvider, AccessDeniedBeforeTheStreamDisablesTheProfile) {
  FakeUpstream upstream([](const RecordedRequest&) {
    ScriptedResponse response = ScriptedResponse::with_body(
        403, "application/json",
        R"({"message":"You don't have access to the model with the specified model ID."})");
    response.headers.push_back(
        {"x-amzn-ErrorType",
         "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.bedrock/"});
    return response;
  });
  auto auth = keys_auth(Credential::aws_keys("AKIDEXAMPLE", "secret-key-000000000001"));
  auto provider = provider_for(upstream, auth);
  aisopod::testing::StreamOutcome out = run_task(collect(provider, ask("m"), CallOptions()));
  ASSERT_FALSE(out.start.ok());
  EXPECT_EQ(out.start.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(out.start.http_status(), 403);
  const std::vector<ProfileState> states = auth->snapshot();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].last_error, "permission_denied");
  EXPECT_TRUE(states[0].disabled_until.has_value());
}

TEST(BedrockProvider, ListsTextFoundationModelsThenActiveInferenceProfilesSigned) {
  FakeUpstream upstream([](const RecordedRequest& request) {
    if (request.target == "/control/foundation-models") {
      return ScriptedResponse::with_body(200, "application/json", R"({"modelSummaries":[
        {"modelId":"anthropic.claude-3-haiku-20240307-v1:0","modelName":"Claude 3 Haiku","providerName":"Anthropic","inputModalities":["TEXT","IMAGE"],"outputModalities":["TEXT"],"responseStreamingSupported":true},
        {"modelId":"amazon.titan-embed-text-v2:0","modelName":"Titan Embeddings","providerName":"Amazon","inputModalities":["TEXT"],"outputModalities":["EMBEDDING"]}]})");
    }
    if (request.target == "/control/inference-profiles?maxResults=1000") {
      return ScriptedResponse::with_body(200, "application/json", R"({"inferenceProfileSummaries":[
        {"inferenceProfileId":"us.anthropic.claude-3-haiku-20240307-v1:0","inferenceProfileName":"US Claude 3 Haiku","status":"ACTIVE"}],"nextToken":"t/2"})");
    }
    if (request.target == "/control/inference-profiles?maxResults=1000&nextToken=t%2F2") {
      return ScriptedResponse::with_body(200, "application/json", R"({"inferenceProfileSummaries":[
        {"inferenceProfileId":"eu.old","inferenceProfileName":"old","status":"DISABLED"},
        {"inferenceProfileId":"eu.amazon.nova-pro-v1:0","inferenceProfileName":"EU Nova Pro","status":"ACTIVE"}]})");
    }
    if (request.target == "/control/inference-profiles?maxResults=1") {
      return ScriptedResponse::with_body(200, "application/json",
                                         R"({"inferenceProfileSummaries":[]})");
    }
    return ScriptedResponse::with_body(404, "application/json", R"({"message":"no"})");
  });
  auto provider =
      provider_for(upstream, keys_auth(Credential::aws_keys("AKIDEXAMPLE", "secret-key-1")));
  Result<std::vector<ModelInfo>> models = run_task(provider->list_models());
  ASSERT_TRUE(models.ok()) << models.error().to_string();
  std::vector<std::string> ids;
  for (const ModelInfo& model : *models) ids.push_back(model.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"anthropic.claude-3-haiku-20240307-v1:0",
                                           "us.anthropic.claude-3-haiku-20240307-v1:0",
                                           "eu.amazon.nova-pro-v1:0"}));
  EXPECT_EQ((*models)[0].capabilities,
            (std::vector<std::string>{"streaming", "input:text", "input:image", "output:text"}));
  EXPECT_EQ((*models)[0].owned_by, "Anthropic");
  for (const RecordedRequest& request : upstream.requests()) {
    EXPECT_EQ(request.header("Authorization").rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0),
              0u);
  }
  EXPECT_EQ(upstream.requests().size(), 3u);
  HealthStatus health = run_task(provider->health_check());
  EXPECT_EQ(health.state, HealthStatus::State::kHealthy);
  EXPECT_EQ(upstream.requests().back().target, "/control/inference-profiles?maxResults=1");
}

}  // namespace
}  // namespace aisopod::bedrock
