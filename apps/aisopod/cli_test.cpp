// End-to-end tests of the aisopod command: the real binary against the fake upstream.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cli_harness.hpp"
#include "testing/fake_upstream.hpp"
#include "testing/testdata.hpp"

namespace aisopod::cli {
namespace {

using aisopod::testing::FakeUpstream;
using aisopod::testing::read_testdata;
using aisopod::testing::RecordedRequest;
using aisopod::testing::ScriptedResponse;
namespace fs = std::filesystem;

std::string expected_text(const std::string& wire) {
  // The recording's content deltas, joined: every "content":"..." in order (no escapes in it).
  std::string text;
  for (std::size_t pos = wire.find("\"content\":\""); pos != std::string::npos;
       pos = wire.find("\"content\":\"", pos + 1)) {
    const std::size_t start = pos + 11;
    text += wire.substr(start, wire.find('"', start) - start);
  }
  return text;
}

TEST_F(CliTest, ChatStreamsTextToStdout) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_max_tokens_reached.sse");
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  write_config(openai_config(upstream));
  CliResult r = run({"chat", "-m", "openai/gpt-4o", "--max-tokens", "1", "Say", "hi"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The recording's only content delta is the two characters {" (escaped on the wire).
  EXPECT_EQ(r.out, "{\"\n");
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("Authorization"), std::string("Bearer ") + kKey);
  EXPECT_NE(requests[0].body.find("\"Say hi\""), std::string::npos) << requests[0].body;
  EXPECT_NE(r.err.find("token limit"), std::string::npos) << r.err;
}

TEST_F(CliTest, PromptFromStdinAndOptionsReachTheRequest) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  write_config(openai_config(upstream));
  CliResult r = run({"chat", "-m", "openai/gpt-4o", "--system", "Be brief", "--temperature", "0.5",
                     "--stop", "END", "--json-mode"},
                    "What is SSE?\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(expected_text(wire).empty());
  EXPECT_EQ(r.out, expected_text(wire) + "\n");
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string& body = requests[0].body;
  EXPECT_NE(body.find("\"What is SSE?\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"Be brief\""), std::string::npos) << body;
  const std::size_t temperature = body.find("\"temperature\":");
  ASSERT_NE(temperature, std::string::npos) << body;
  EXPECT_DOUBLE_EQ(std::strtod(body.c_str() + temperature + 14, nullptr), 0.5) << body;
  EXPECT_NE(body.find("\"END\""), std::string::npos) << body;
  EXPECT_NE(body.find("json_object"), std::string::npos) << body;
}

TEST_F(CliTest, JsonlFormatPrintsOneObjectPerChunk) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  write_config(openai_config(upstream));
  CliResult r = run({"chat", "-m", "openai/gpt-4o", "--format", "jsonl", "hi"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < r.out.size();) {
    const std::size_t end = r.out.find('\n', start);
    lines.push_back(r.out.substr(start, end - start));
    start = end == std::string::npos ? r.out.size() : end + 1;
  }
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines.front().rfind("{\"id\":\"chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL\",\"model\":", 0),
            0u)
      << lines.front();
  for (const std::string& line : lines) {
    EXPECT_NE(line.find("\"delta\":{"), std::string::npos) << line;
  }
  EXPECT_NE(lines.front().find("\"role\":\"assistant\""), std::string::npos);
  EXPECT_NE(lines.back().find("\"finish_reason\":\"stop\""), std::string::npos) << lines.back();
  EXPECT_NE(lines.back().find("\"usage\":{\"input_tokens\":"), std::string::npos) << lines.back();
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i].find("\"usage\""), std::string::npos) << "usage reported twice";
  }
}

TEST_F(CliTest, ChatShowsToolCalls) {
  const std::string wire =
      read_testdata("openai/openai-python/test_parse_multiple_pydantic_tools.sse");
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  write_config(openai_config(upstream));
  CliResult r = run({"chat", "-m", "openai/gpt-4o", "What is the weather?"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("[tool call call_JMW1whyEaYG438VE1OIflxA2] GetWeatherArgs({"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("[tool call call_DNYTawLBoN8fj3KN6qU9N1Ou] get_stock_price({"),
            std::string::npos)
      << r.out;
}

TEST_F(CliTest, ExitCodesByErrorClass) {
  struct Case {
    int status;
    std::string body;
    int exit_code;
  };
  const std::vector<Case> cases = {
      {401, R"({"error":{"message":"Incorrect API key provided: sk-cli-secret-83b1f0c2"}})", 3},
      {429, R"({"error":{"message":"Rate limit","code":"rate_limit_exceeded"}})", 4},
      {429, R"({"error":{"message":"quota","code":"insufficient_quota"}})", 4},
      {503, R"({"error":{"message":"overloaded"}})", 5},
  };
  int n = 0;
  for (const Case& c : cases) {
    // A fresh auth state for each case: cooldowns persist between runs by design.
    env_["XDG_STATE_HOME"] = (dir_ / ("state-" + std::to_string(n++))).string();
    FakeUpstream upstream([&](const RecordedRequest&) {
      return ScriptedResponse::with_body(c.status, "application/json", c.body);
    });
    write_config(openai_config(upstream));
    CliResult r = run({"chat", "-m", "openai/gpt-4o", "hi"});
    EXPECT_EQ(r.exit_code, c.exit_code) << c.status << ": " << r.err;
    EXPECT_NE(r.err.find("aisopod: error:"), std::string::npos);
    if (c.status == 401) {
      EXPECT_NE(r.err.find("Incorrect API key provided: [redacted]"), std::string::npos) << r.err;
    }
  }
}

TEST_F(CliTest, RefusedConnectionIsANetworkError) {
  std::string url;
  {
    FakeUpstream gone([](const RecordedRequest&) { return ScriptedResponse(); });
    url = gone.base_url();
  }
  CliResult r = run({"chat", "-m", "local/m", "--base-url", url + "/v1", "hi"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("unavailable"), std::string::npos) << r.err;
}

TEST_F(CliTest, BaseUrlAndApiKeyEnvWithoutConfigFile) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  env_["OTHER_KEY"] = std::string(kKey) + "-other";
  CliResult r = run({"chat", "-m", "myserver/llama", "--base-url", upstream.base_url() + "/v1/",
                     "--api-key-env", "OTHER_KEY", "hi"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v1/chat/completions");
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer " + env_["OTHER_KEY"]);
  EXPECT_NE(requests[0].body.find("\"model\":\"llama\""), std::string::npos);
}

TEST_F(CliTest, UsageAndConfigErrorsExitTwo) {
  write_config("[providers.openai]\nbse_url = \"x\"\n");
  CliResult bad_key = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(bad_key.exit_code, 2);
  EXPECT_NE(bad_key.err.find("aisopod.toml:2"), std::string::npos) << bad_key.err;
  EXPECT_NE(bad_key.err.find("bse_url"), std::string::npos) << bad_key.err;

  fs::remove(dir_ / "aisopod.toml");
  CliResult unknown = run({"chat", "-m", "nosuch/model", "hi"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_NE(unknown.err.find("nosuch"), std::string::npos);

  CliResult bad_option = run({"chat", "--temperature", "abc", "hi"});
  EXPECT_EQ(bad_option.exit_code, 2);
  CliResult no_command = run({});
  EXPECT_EQ(no_command.exit_code, 2);
}

TEST_F(CliTest, HelpDocumentsExitCodes) {
  CliResult r = run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* needle : {"Exit codes:", "130", "rate limited", "chat", "models", "health"}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle;
  }
}

TEST_F(CliTest, ModelsAndHealth) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(
        200, "application/json",
        R"({"object":"list","data":[{"id":"gpt-4o","object":"model","created":1,"owned_by":"system"}]})");
  });
  write_config(openai_config(upstream));
  CliResult table = run({"models", "openai"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("MODEL"), std::string::npos);
  EXPECT_NE(table.out.find("openai/gpt-4o"), std::string::npos) << table.out;
  CliResult json = run({"models", "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out.rfind("[{\"id\":\"gpt-4o\",\"provider\":\"openai\"", 0), 0u) << json.out;
  CliResult health = run({"health", "--json"});
  EXPECT_EQ(health.exit_code, 0) << health.err;
  EXPECT_NE(health.out.find("\"state\":\"healthy\""), std::string::npos) << health.out;
}

TEST_F(CliTest, AnthropicThinkingGoesToStderr) {
  const std::string wire =
      read_testdata("anthropic/pydantic-ai/test_anthropic_model_thinking_part_stream.response.sse");
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  write_config("[providers.anthropic]\nbase_url = \"" + upstream.base_url() +
               "\"\n[[providers.anthropic.profiles]]\nname = \"main\"\napi_key_env = "
               "\"TEST_KEY\"\n");
  CliResult r = run({"chat", "-m", "anthropic/claude-sonnet-4-20250514", "--thinking", "2048",
                     "How do I cross the street?"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The recording's first thinking deltas and none of them on stdout.
  EXPECT_NE(r.err.find("This is a straightforward question about pedestrian safety"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out.find("straightforward question"), std::string::npos);
  EXPECT_FALSE(r.out.empty());
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v1/messages");
  EXPECT_EQ(requests[0].header("x-api-key"), kKey);
  EXPECT_NE(requests[0].body.find("\"budget_tokens\":2048"), std::string::npos) << requests[0].body;
}

TEST_F(CliTest, OllamaNotRunningIsSaidPlainly) {
  std::string url;
  {
    FakeUpstream gone([](const RecordedRequest&) { return ScriptedResponse(); });
    url = gone.base_url();
  }
  env_["OLLAMA_HOST"] = url;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"chat", "-m", "ollama/qwen3:8b", "hi"},
        std::vector<std::string>{"models", "ollama"}, std::vector<std::string>{"pull", "qwen3"}}) {
    CliResult r = run(args);
    EXPECT_EQ(r.exit_code, 6) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find(url), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("is it running"), std::string::npos) << r.err;
  }
}

TEST_F(CliTest, PullPrintsProgressLinesWhenNotATerminal) {
  FakeUpstream upstream([](const RecordedRequest&) {
    ScriptedResponse r;
    r.headers.push_back({"Content-Type", "application/x-ndjson"});
    r.body.push_back({"{\"status\":\"pulling manifest\"}\n", {}});
    for (int i = 0; i <= 4; ++i) {
      r.body.push_back(
          {"{\"status\":\"pulling abc\",\"digest\":\"sha256:abc\",\"total\":4000,"
           "\"completed\":" +
               std::to_string(i * 1000) + "}\n",
           std::chrono::milliseconds(5)});
    }
    r.body.push_back({"{\"status\":\"success\"}\n", {}});
    return r;
  });
  env_["OLLAMA_HOST"] = upstream.base_url();
  CliResult r = run({"pull", "gemma3:1b"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pulling manifest"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("100%"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("success"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << "no bar redraws when not a terminal";
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/api/pull");
  EXPECT_NE(requests[0].body.find("\"gemma3:1b\""), std::string::npos);
}

TEST_F(CliTest, RotatesKeysPersistsCooldownsAndListsProfiles) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  env_["KEY_A"] = "sk-alpha-0000000001";
  env_["KEY_B"] = "sk-bravo-0000000002";
  env_["KEY_C"] = "sk-charlie-00000003";
  FakeUpstream upstream([&](const RecordedRequest& request) {
    const std::string auth = request.header("Authorization");
    if (auth == "Bearer " + env_["KEY_A"]) {
      ScriptedResponse r = ScriptedResponse::with_body(
          429, "application/json",
          R"({"error":{"message":"Rate limit","code":"rate_limit_exceeded"}})");
      r.headers.push_back({"retry-after", "90"});
      return r;
    }
    if (auth == "Bearer " + env_["KEY_B"]) {
      return ScriptedResponse::with_body(401, "application/json",
                                         R"({"error":{"message":"Incorrect API key"}})");
    }
    return ScriptedResponse::sse(wire);
  });
  std::string config = "[providers.openai]\nbase_url = \"" + upstream.base_url() + "/v1\"\n";
  for (const char* name : {"A", "B", "C"}) {
    config += std::string("[[providers.openai.profiles]]\nname = \"key-") + name +
              "\"\napi_key_env = \"KEY_" + name + "\"\n";
  }
  write_config(config);
  CliResult first = run({"chat", "-m", "openai/gpt-4o", "--verbose", "--usage", "hi"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, expected_text(wire) + "\n");
  EXPECT_NE(first.err.find("profile rotated on openai: key-A -> key-B"), std::string::npos)
      << first.err;
  EXPECT_NE(first.err.find("key-C) succeeded"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("INPUT"), std::string::npos) << first.err;  // --usage table
  auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer " + env_["KEY_A"]);
  EXPECT_EQ(requests[1].header("Authorization"), "Bearer " + env_["KEY_B"]);
  EXPECT_EQ(requests[2].header("Authorization"), "Bearer " + env_["KEY_C"]);

  // A new process sees the cooldowns: it goes straight to key-C.
  CliResult second = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  requests = upstream.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[3].header("Authorization"), "Bearer " + env_["KEY_C"]);

  CliResult profiles = run({"profiles"});
  EXPECT_EQ(profiles.exit_code, 0) << profiles.err;
  EXPECT_NE(profiles.out.find("key-A"), std::string::npos);
  EXPECT_NE(profiles.out.find("for model gpt-4o"), std::string::npos) << profiles.out;
  EXPECT_NE(profiles.out.find("disabled until"), std::string::npos) << profiles.out;
  EXPECT_NE(profiles.out.find("unauthenticated"), std::string::npos) << profiles.out;
  CliResult json = run({"profiles", "--json"});
  EXPECT_NE(json.out.find(R"({"provider":"openai","name":"key-C","state":"ready")"),
            std::string::npos)
      << json.out;
  for (const char* key : {"KEY_A", "KEY_B", "KEY_C"}) {
    EXPECT_EQ(json.out.find(env_[key]), std::string::npos);
  }

  CliResult reset = run({"profiles", "reset"});
  EXPECT_EQ(reset.exit_code, 0) << reset.err;
  CliResult after = run({"profiles", "--json"});
  EXPECT_EQ(after.out.find("cooling"), std::string::npos) << after.out;
  EXPECT_EQ(after.out.find("disabled"), std::string::npos) << after.out;
}

TEST_F(CliTest, EveryProfileCoolingDownFailsAtOnce) {
  FakeUpstream upstream([](const RecordedRequest&) {
    ScriptedResponse r = ScriptedResponse::with_body(
        429, "application/json",
        R"({"error":{"message":"Rate limit","code":"rate_limit_exceeded"}})");
    r.headers.push_back({"retry-after", "600"});
    return r;
  });
  write_config(openai_config(upstream));
  CliResult first = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(first.exit_code, 4) << first.err;
  CliResult second = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(second.exit_code, 4) << second.err;
  EXPECT_NE(second.err.find("cooling down"), std::string::npos) << second.err;
  EXPECT_EQ(upstream.requests().size(), 1u);  // the second call never reached the server
}

TEST_F(CliTest, FailsOverToTheNextProviderBeforeTheAnswerStarts) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  FakeUpstream failing([](const RecordedRequest&) {
    return ScriptedResponse::with_body(401, "application/json",
                                       R"({"error":{"message":"Incorrect API key"}})");
  });
  FakeUpstream healthy([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  write_config(openai_config(failing) + "[providers.backup]\ntype = \"openai\"\nbase_url = \"" +
               healthy.base_url() +
               "/v1\"\n[models]\nfallbacks = { \"openai/gpt-4o\" = [\"backup/llama\"] }\n");
  CliResult r = run({"chat", "-m", "openai/gpt-4o", "--verbose", "hi"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected_text(wire) + "\n");
  EXPECT_NE(r.err.find("failover: openai/gpt-4o -> backup/llama after unauthenticated (HTTP 401, "
                       "openai, profile main)"),
            std::string::npos)
      << r.err;
  ASSERT_EQ(healthy.requests().size(), 1u);
  EXPECT_NE(healthy.requests()[0].body.find("\"model\":\"llama\""), std::string::npos);
}

TEST_F(CliTest, NoFailoverAfterTheFirstChunk) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  const std::string head = wire.substr(0, wire.find("\n\n", 400) + 2);
  FakeUpstream breaking([&](const RecordedRequest&) {
    ScriptedResponse r = ScriptedResponse::sse(head);
    r.fault = ScriptedResponse::Fault::kResetAfterBody;
    return r;
  });
  FakeUpstream healthy([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  write_config(openai_config(breaking) + "[providers.backup]\ntype = \"openai\"\nbase_url = \"" +
               healthy.base_url() +
               "/v1\"\n[models]\nfallbacks = { \"openai/gpt-4o\" = [\"backup/llama\"] }\n");
  CliResult r = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(r.out.empty());  // the text before the reset reached the user
  EXPECT_NE(r.err.find("already started"), std::string::npos) << r.err;
  EXPECT_TRUE(healthy.requests().empty());
}

TEST_F(CliTest, CtrlCCancelsTheStream) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  const std::string head = wire.substr(0, wire.find("\n\n", 400) + 2);
  FakeUpstream upstream([&](const RecordedRequest&) {
    ScriptedResponse r = ScriptedResponse::sse(head);
    r.fault = ScriptedResponse::Fault::kStallAfterBody;
    return r;
  });
  write_config(openai_config(upstream));
  CliResult r = run({"chat", "-m", "openai/gpt-4o", "hi"}, "", /*interrupt=*/true);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_FALSE(r.out.empty());
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace aisopod::cli
