// The blocking facade: range-for over a stream and complete(), against the fake upstream.
#include "aisopod/client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "aisopod/builtin.hpp"
#include "aisopod/registry.hpp"
#include "aisopod/runtime.hpp"
#include "testing/fake_upstream.hpp"
#include "testing/run_task.hpp"
#include "testing/testdata.hpp"

namespace aisopod {
namespace {

using aisopod::testing::FakeUpstream;
using aisopod::testing::read_testdata;
using aisopod::testing::RecordedRequest;
using aisopod::testing::ScriptedResponse;

Client client_for(const FakeUpstream& upstream) {
  Config config;
  ProviderConfig provider;
  provider.id = "openai";
  provider.type = "openai";
  provider.base_url = upstream.base_url() + "/v1";
  AuthProfileConfig profile;
  profile.name = "main";
  profile.api_key = "sk-client-test";
  provider.profiles.push_back(profile);
  config.providers.push_back(provider);
  config.models.aliases["fast"] = "openai/gpt-4o-mini";
  auto registry = std::make_shared<ProviderRegistry>();
  EXPECT_TRUE(register_builtin_providers(*registry, config).ok());
  return Client(registry);
}

ChatCompletionRequest request_for(std::string model) {
  ChatCompletionRequest request;
  request.model = std::move(model);
  request.messages.push_back(Message::user("Call the tools"));
  return request;
}

TEST(Client, RangeForStreamsEveryChunk) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  Client client = client_for(upstream);
  auto stream = client.stream(request_for("fast"));
  std::string text;
  int chunks = 0;
  bool saw_usage = false;
  for (const ChatCompletionChunk& chunk : stream) {
    text += chunk.delta.content;
    ++chunks;
    saw_usage = saw_usage || chunk.usage.has_value();
  }
  EXPECT_TRUE(stream.status().ok()) << stream.status().to_string();
  EXPECT_GT(chunks, 10);
  EXPECT_EQ(text.rfind("I'm unable to provide", 0), 0u) << text;
  EXPECT_TRUE(saw_usage);
  ASSERT_EQ(upstream.requests().size(), 1u);
  EXPECT_NE(upstream.requests()[0].body.find("\"model\":\"gpt-4o-mini\""), std::string::npos);
}

TEST(Client, CompleteAssemblesToolCalls) {
  const std::string wire =
      read_testdata("openai/openai-python/test_parse_multiple_pydantic_tools.sse");
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  Client client = client_for(upstream);
  Result<ChatCompletion> done = client.complete(request_for("openai/gpt-4o"));
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  ASSERT_EQ(done->message.tool_calls.size(), 2u);
  EXPECT_EQ(done->message.tool_calls[0].name, "GetWeatherArgs");
  EXPECT_EQ(done->message.tool_calls[1].name, "get_stock_price");
  EXPECT_EQ(done->message.tool_calls[0].arguments.front(), '{');
  EXPECT_EQ(done->message.tool_calls[0].arguments.back(), '}');
  EXPECT_EQ(done->finish_reason, FinishReason::kToolCalls);
  ASSERT_TRUE(done->usage.has_value());
  EXPECT_GT(done->usage->input_tokens, 0);
}

TEST(Client, ErrorsArriveInStatus) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(401, "application/json", R"({"error":{"message":"no"}})");
  });
  Client client = client_for(upstream);
  auto stream = client.stream(request_for("openai/gpt-4o"));
  int chunks = 0;
  for (auto it = stream.begin(); it != stream.end(); ++it) ++chunks;
  EXPECT_EQ(chunks, 0);
  EXPECT_EQ(stream.status().code(), StatusCode::kUnauthenticated);
  Result<ChatCompletion> done = client.complete(request_for("nosuch/model"));
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code(), StatusCode::kNotFound);
}

TEST(RegisterBuiltinProviders, TheTimeoutOptionIsEachAttemptsTotalDeadline) {
  // A server that accepts and never answers. Without the option, each attempt would wait for
  // the streaming headers default (60 s).
  FakeUpstream silent([](const RecordedRequest&) {
    ScriptedResponse response;
    response.fault = ScriptedResponse::Fault::kNoResponse;
    return response;
  });
  for (const std::string type : {"openai", "anthropic", "ollama"}) {
    Config config;
    ProviderConfig provider;
    provider.id = "p-" + type;
    provider.type = type;
    provider.base_url = silent.base_url();
    provider.options["timeout"] = "300ms";
    config.providers.push_back(provider);
    ProviderRegistry registry;
    ASSERT_TRUE(register_builtin_providers(registry, config).ok()) << type;
    std::shared_ptr<ModelProvider> made = registry.find(provider.id);
    ASSERT_NE(made, nullptr) << type;

    CallOptions options;
    options.max_retries = 1;
    // A safety net far beyond the expected time.
    options.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    const auto start = std::chrono::steady_clock::now();
    Result<ChunkStream> started =
        aisopod::testing::run_task(made->chat_completion(request_for("m"), options));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(started.ok()) << type;
    EXPECT_EQ(started.error().code(), StatusCode::kTimeout) << type;
    EXPECT_EQ(started.error().message(),
              "exchange with 127.0.0.1 exceeded the total deadline (300 ms)")
        << type;
    EXPECT_EQ(started.error().provider(), provider.id);
    EXPECT_LT(elapsed, std::chrono::seconds(5)) << type;  // two attempts and a backoff: ~1.1 s
  }
  EXPECT_EQ(silent.requests().size(), 6u);  // two attempts per provider
}

// The README's table of provider options is the one the schemas write (so it lists the options of
// exactly the providers that exist, with their types, defaults and variables).
TEST(ProviderSchemas, TheReadmeTableIsTheOneTheSchemasWrite) {
  // The README documents every provider; a build that leaves some out has fewer schemas.
  if (builtin_provider_types().size() != 5) GTEST_SKIP() << "a build without every provider";
  const std::string readme = read_testdata("../../README.md");
  const std::string begin = "<!-- provider-options: begin -->\n";
  const std::string end = "<!-- provider-options: end -->";
  const std::size_t from = readme.find(begin);
  const std::size_t to = readme.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  EXPECT_EQ(readme.substr(from + begin.size(), to - from - begin.size()),
            provider_options_markdown(builtin_provider_schemas()));
}

// The factory reads the typed options of its schema: values from the table, defaults otherwise.
TEST(ProviderSchemas, TheFactoryAppliesConfiguredOptionsAndSchemaDefaults) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(
        400, "application/json",
        R"({"type":"error","error":{"type":"invalid_request_error","message":"stop here"}})");
  });
  Config config;
  config.auth.state = "memory";
  for (const std::string id : {"plain", "tuned"}) {
    ProviderConfig provider;
    provider.id = id;
    provider.type = "anthropic";
    provider.base_url = upstream.base_url();
    if (id == "tuned") {
      provider.options["anthropic_beta"] = "beta-1";
      provider.options["prompt_caching"] = "true";
      provider.options["anthropic_version"] = "2099-01-01";
    }
    config.providers.push_back(provider);
  }
  Result<std::shared_ptr<Runtime>> runtime = Runtime::create(config);
  ASSERT_TRUE(runtime.ok()) << runtime.error().to_string();
  for (const std::string id : {"plain", "tuned"}) {
    ChatCompletionRequest request = request_for("claude");
    request.messages.insert(request.messages.begin(), Message::system("be brief"));
    Result<std::shared_ptr<ModelProvider>> provider = (*runtime)->provider(id);
    ASSERT_TRUE(provider.ok());
    Result<ChunkStream> started = aisopod::testing::run_task((*provider)->chat_completion(request));
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().message(), "stop here (type: invalid_request_error)");
  }
  const std::vector<RecordedRequest> requests = upstream.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("anthropic-version"), "2023-06-01");
  EXPECT_EQ(requests[0].header("anthropic-beta"), "");
  EXPECT_EQ(requests[0].body.find("cache_control"), std::string::npos);
  EXPECT_EQ(requests[1].header("anthropic-version"), "2099-01-01");
  EXPECT_EQ(requests[1].header("anthropic-beta"), "beta-1");
  EXPECT_NE(requests[1].body.find(R"("cache_control":{"type":"ephemeral"})"), std::string::npos);
}

TEST(Client, FailsOverAlongTheConfiguredFallbacksAsTheCommandDoes) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  FakeUpstream failing([](const RecordedRequest&) {
    return ScriptedResponse::with_body(401, "application/json",
                                       R"({"error":{"message":"Incorrect API key"}})");
  });
  FakeUpstream healthy([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  Config config;
  for (const auto& [id, upstream] :
       {std::pair<std::string, FakeUpstream*>{"openai", &failing}, {"backup", &healthy}}) {
    ProviderConfig provider;
    provider.id = id;
    provider.type = "openai";
    provider.base_url = upstream->base_url() + "/v1";
    AuthProfileConfig profile;
    profile.name = "main";
    profile.api_key = "sk-client-" + id;
    provider.profiles.push_back(profile);
    config.providers.push_back(provider);
  }
  config.models.aliases["smart"] = "openai/gpt-4o";
  config.models.fallbacks["openai/gpt-4o"] = {"backup/llama"};
  config.auth.state = "memory";
  Result<std::shared_ptr<Runtime>> runtime = Runtime::create(config);
  ASSERT_TRUE(runtime.ok()) << runtime.error().to_string();
  Client client(*runtime);
  Result<ChatCompletion> done = client.complete(request_for("smart"));
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  EXPECT_EQ(done->message.text().rfind("I'm unable to provide", 0), 0u) << done->message.text();
  ASSERT_EQ(failing.requests().size(), 1u);
  ASSERT_EQ(healthy.requests().size(), 1u);
  EXPECT_NE(healthy.requests()[0].body.find("\"model\":\"llama\""), std::string::npos);
  // The rejected key is cooling down in the runtime's auth manager.
  const std::vector<ProfileState> states = (*runtime)->auth()->snapshot();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].last_error, "unauthenticated");
}

TEST(Runtime, ProviderNotCompiledInOrUnknownIsExplained) {
  Config config;
  config.auth.state = "memory";
  ProviderConfig weird;
  weird.id = "mystery";
  weird.type = "carrier-pigeon";
  config.providers.push_back(weird);
  Result<std::shared_ptr<Runtime>> runtime = Runtime::create(config);
  ASSERT_TRUE(runtime.ok()) << runtime.error().to_string();
  Result<std::shared_ptr<ModelProvider>> found = (*runtime)->provider("mystery");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().message(),
            "provider 'mystery' (type carrier-pigeon) is not available in this build of aisopod");
  Result<Runtime::ChatTarget> chat = (*runtime)->chat_target("nosuch/model");
  ASSERT_FALSE(chat.ok());
  EXPECT_EQ(chat.error().message(), "no provider 'nosuch' is configured (none are)");
}

TEST(Runtime, OverrideAppliesToTheProviderOfTheModelSpecThroughAliases) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(
        200, "application/json",
        R"({"object":"list","data":[{"id":"llama","object":"model","created":1,"owned_by":"me"}]})");
  });
  Config config;
  config.auth.state = "memory";
  config.models.aliases["mine"] = "local/llama";
  RuntimeOptions options;
  options.override = ProviderOverride{"mine", true, upstream.base_url() + "/v1/", ""};
  Result<std::shared_ptr<Runtime>> runtime = Runtime::create(config, options);
  ASSERT_TRUE(runtime.ok()) << runtime.error().to_string();
  const ProviderConfig* local = (*runtime)->config().find_provider("local");
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->type, "openai");
  EXPECT_EQ(local->base_url, upstream.base_url() + "/v1");
  Result<std::vector<ModelInfo>> models =
      aisopod::testing::run_task((*(*runtime)->provider("local"))->list_models());
  ASSERT_TRUE(models.ok()) << models.error().to_string();
  ASSERT_EQ(models->size(), 1u);
  EXPECT_EQ((*models)[0].id, "llama");
}

TEST(Runtime, PullingIsInThePublicApiAndRefusedByProvidersThatCannot) {
  Config config;
  config.auth.state = "memory";
  ProviderConfig openai;
  openai.id = "openai";
  openai.type = "openai";
  openai.base_url = "http://127.0.0.1:9/v1";
  config.providers.push_back(openai);
  Result<std::shared_ptr<Runtime>> runtime = Runtime::create(config);
  ASSERT_TRUE(runtime.ok());
  std::shared_ptr<ModelProvider> provider = *(*runtime)->provider("openai");
  Result<PullStream> pulled = aisopod::testing::run_task(provider->pull_model("qwen3:8b"));
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(pulled.error().message(), "provider 'openai' cannot pull models (Ollama can)");
}

TEST(Runtime, ProfilesOfOneProviderMayMixOAuthTokensAndApiKeys) {
  FakeUpstream upstream([](const RecordedRequest& request) {
    return ScriptedResponse::with_body(
        200, "application/json",
        request.header("Authorization") == "Bearer oauth-token-1"
            ? R"({"data":[{"type":"model","id":"from-oauth","display_name":"A"}],"has_more":false})"
            : R"({"data":[{"type":"model","id":"from-key","display_name":"B"}],"has_more":false})");
  });
  Config config;
  config.auth.state = "memory";
  ProviderConfig anthropic;
  anthropic.id = "anthropic";
  anthropic.type = "anthropic";
  anthropic.base_url = upstream.base_url();
  AuthProfileConfig oauth;
  oauth.name = "oauth";
  oauth.kind = "oauth";
  oauth.api_key = "oauth-token-1";
  AuthProfileConfig key;
  key.name = "key";
  key.api_key = "sk-ant-key-2";
  anthropic.profiles = {oauth, key};
  config.providers.push_back(anthropic);
  Result<std::shared_ptr<Runtime>> runtime = Runtime::create(config);
  ASSERT_TRUE(runtime.ok()) << runtime.error().to_string();
  std::shared_ptr<ModelProvider> provider = *(*runtime)->provider("anthropic");
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(aisopod::testing::run_task(provider->list_models()).ok());
  }
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer oauth-token-1");
  EXPECT_EQ(requests[0].header("x-api-key"), "");
  EXPECT_EQ(requests[1].header("x-api-key"), "sk-ant-key-2");
  EXPECT_EQ(requests[1].header("Authorization"), "");
}

}  // namespace
}  // namespace aisopod
