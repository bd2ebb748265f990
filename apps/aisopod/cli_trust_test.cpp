// End-to-end tests of what a user must be able to trust: no key printed, bounded memory,
// deadlines that hold, exit codes scripts can use, and a command line that takes options where
// users put them. The real binary against the fake upstream.
#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "cli_harness.hpp"
#include "testing/fake_upstream.hpp"

namespace aisopod::cli {
namespace {

using aisopod::testing::BodyPiece;
using aisopod::testing::FakeUpstream;
using aisopod::testing::RecordedRequest;
using aisopod::testing::ScriptedResponse;
namespace fs = std::filesystem;
using std::chrono::milliseconds;

// One OpenAI streaming event whose choice has `delta` (a JSON object) and `finish` (JSON).
std::string openai_event(const std::string& delta, const std::string& finish = "null") {
  return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
         "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":" +
         delta + ",\"finish_reason\":" + finish + "}]}\n\n";
}

std::string content_event(const std::string& text) {
  return openai_event("{\"content\":\"" + text + "\"}");
}

ScriptedResponse sse_pieces(const std::vector<std::string>& events) {
  ScriptedResponse r;
  r.headers.push_back({"Content-Type", "text/event-stream"});
  for (const std::string& e : events) r.body.push_back({e, milliseconds(0)});
  return r;
}

// True when `text` holds 8 or more consecutive characters of `secret`.
bool has_piece(const std::string& text, const std::string& secret) {
  for (std::size_t i = 0; i + 8 <= secret.size(); ++i) {
    if (text.find(secret.substr(i, 8)) != std::string::npos) return true;
  }
  return false;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every byte of every file under `dir`.
std::string all_files(const fs::path& dir) {
  std::string bytes;
  if (!fs::exists(dir)) return bytes;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) bytes += read_file(entry.path());
  }
  return bytes;
}

class CliTrustTest : public CliTest {};

// -- Secrets -----------------------------------------------------------------------------------

TEST_F(CliTrustTest, StreamedTextToolCallsAndJsonlAreRedacted) {
  const std::string key = kKey;  // "sk-cli-secret-83b1f0c2"
  const std::vector<std::string> events = {
      openai_event("{\"role\":\"assistant\",\"content\":\"\"}"),
      content_event("Your key is sk-cli-sec"),
      content_event("ret-83b1f0c2, and half of it: sk-cli-secret"),
      openai_event(
          "{\"tool_calls\":[{\"index\":0,\"id\":\"call_" + key +
          "\",\"type\":\"function\",\"function\":{\"name\":\"echo\",\"arguments\":\"\"}}]}"),
      openai_event(
          "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"k\\\":\\\"sk-cli"
          "\"}}]}"),
      openai_event(
          "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"-secret-83b1f0c2\\\"}"
          "\"}}]}"),
      openai_event("{}", "\"tool_calls\""),
      "data: [DONE]\n\n",
  };
  FakeUpstream upstream([&](const RecordedRequest&) { return sse_pieces(events); });
  write_config(openai_config(upstream));
  CliResult text = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out,
            "Your key is [redacted], and half of it: [redacted]\n"
            "[tool call call_[redacted]] echo({\"k\":\"[redacted]\"})\n");
  EXPECT_FALSE(has_piece(text.out + text.err, key));

  CliResult jsonl = run({"chat", "-m", "openai/gpt-4o", "--format", "jsonl", "hi"});
  EXPECT_EQ(jsonl.exit_code, 0) << jsonl.err;
  EXPECT_FALSE(has_piece(jsonl.out + jsonl.err, key)) << jsonl.out;
  EXPECT_NE(jsonl.out.find("[redacted]"), std::string::npos) << jsonl.out;
}

TEST_F(CliTrustTest, AKeyEchoedNearTheCutOfAnErrorNeverLeaksAPrefix) {
  // A 100-character key, echoed by a 401 at offsets around the 500-byte cut of error messages.
  std::string key = "sk-proj-";
  for (int i = 0; key.size() < 100; ++i) key += "abcdefghijklmnopqrstuvwxyz0123456789"[i * 7 % 36];
  env_["LONG_KEY"] = key;
  int offset = 440;
  FakeUpstream upstream([&](const RecordedRequest&) {
    const std::string message = std::string(static_cast<std::size_t>(offset), 'x') + key;
    return ScriptedResponse::with_body(401, "application/json",
                                       "{\"error\":{\"message\":\"" + message + "\"}}");
  });
  write_config("[providers.openai]\nbase_url = \"" + upstream.base_url() +
               "/v1\"\n[[providers.openai.profiles]]\nname = \"main\"\napi_key_env = "
               "\"LONG_KEY\"\n");
  for (offset = 440; offset <= 500; offset += 6) {
    fs::remove_all(dir_ / "state");
    CliResult r = run({"chat", "-m", "openai/gpt-4o", "hi"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_FALSE(has_piece(r.err + r.out, key)) << "offset " << offset << ": " << r.err;
    EXPECT_FALSE(has_piece(all_files(dir_ / "state"), key)) << "offset " << offset;
    CliResult profiles = run({"profiles", "--json"});
    EXPECT_FALSE(has_piece(profiles.out, key)) << profiles.out;
  }
}

// -- Memory ------------------------------------------------------------------------------------

TEST_F(CliTrustTest, MemoryStaysFlatOnALongStream) {
  // 200 MB of answer text in 4 KB deltas.
  const std::string delta(4096, 'a');
  const std::string event = content_event(delta);
  constexpr int kEvents = 200 * 1000 * 1000 / 4096;
  ScriptedResponse response;
  response.headers.push_back({"Content-Type", "text/event-stream"});
  // Batches of 64 events per write keep the server quick.
  std::string batch;
  for (int i = 0; i < 64; ++i) batch += event;
  // Repeated by the server, not held here: the test process's own memory would count in the
  // child's peak (fork copies the parent's resident pages into the child's high-water mark).
  response.body.push_back({batch, milliseconds(0), kEvents / 64});
  response.body.push_back({openai_event("{}", "\"stop\"") + "data: [DONE]\n\n", milliseconds(0)});
  FakeUpstream upstream([&](const RecordedRequest&) { return response; });
  write_config(openai_config(upstream));
  RunOptions options;
  options.keep_stdout = false;
  options.limit = std::chrono::seconds(240);
#if defined(AISOPOD_SANITIZE_BUILD)
  // AddressSanitizer keeps freed memory in a quarantine (256 MB by default) to catch use after
  // free; a small one keeps the measurement about the program.
  env_["ASAN_OPTIONS"] = env_["ASAN_OPTIONS"] + ":quarantine_size_mb=4";
#endif
  CliResult r = run_with({"chat", "-m", "openai/gpt-4o", "hi"}, options);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out_bytes, static_cast<std::size_t>(kEvents / 64) * 64 * 4096 + 1);
#if defined(AISOPOD_SANITIZE_BUILD)
  // AddressSanitizer's shadow memory and quarantine add a fixed cost of their own.
  constexpr long kLimitKib = 192 * 1024;
#else
  constexpr long kLimitKib = 64 * 1024;
#endif
  EXPECT_LT(r.max_rss_kib, kLimitKib) << "peak RSS " << r.max_rss_kib << " KiB";
  std::cout << "200 MB through aisopod chat: peak RSS " << r.max_rss_kib << " KiB, "
            << r.elapsed.count() << " ms\n";
}

// -- Deadlines ---------------------------------------------------------------------------------

TEST_F(CliTrustTest, TimeoutIsOneDeadlineForTheWholeCommand) {
  auto silent = [](const RecordedRequest&) {
    ScriptedResponse r;
    r.fault = ScriptedResponse::Fault::kNoResponse;
    return r;
  };
  FakeUpstream first(silent);
  FakeUpstream second(silent);
  write_config(openai_config(first) + "[providers.backup]\ntype = \"openai\"\nbase_url = \"" +
               second.base_url() +
               "/v1\"\n[models]\nfallbacks = { \"openai/gpt-4o\" = [\"backup/llama\"] }\n");
  CliResult r = run({"chat", "-m", "openai/gpt-4o", "--timeout", "2", "hi"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_LT(r.elapsed, milliseconds(3500)) << r.err;  // 2 s, not 2 s per attempt and candidate
  EXPECT_NE(r.err.find("deadline of 2 s"), std::string::npos) << r.err;
}

TEST_F(CliTrustTest, HealthHasATimeoutOfItsOwn) {
  FakeUpstream hung([](const RecordedRequest&) {
    ScriptedResponse r;
    r.fault = ScriptedResponse::Fault::kNoResponse;
    return r;
  });
  write_config(openai_config(hung));
  CliResult r = run({"health", "--json", "--timeout", "1"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_LT(r.elapsed, milliseconds(2500));
  EXPECT_NE(r.out.find("\"state\":\"unhealthy\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"message\":\"timeout: no answer within 1 s\""), std::string::npos)
      << r.out;
  CliResult help = run({"health", "--help"});
  EXPECT_NE(help.out.find("default 10"), std::string::npos) << help.out;
}

// -- Exit codes --------------------------------------------------------------------------------

TEST_F(CliTrustTest, AnErrorInsideTheStreamIsTheProvidersAnswer) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return sse_pieces({content_event("Hello"),
                       "data: {\"error\":{\"message\":\"The server had an error while processing "
                       "your request.\",\"type\":\"server_error\"}}\n\n"});
  });
  write_config(openai_config(upstream));
  CliResult r = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_EQ(r.out, "Hello\n");

  FakeUpstream ollama([](const RecordedRequest&) {
    ScriptedResponse response;
    response.headers.push_back({"Content-Type", "application/x-ndjson"});
    response.body.push_back(
        {"{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":"
         "\"Hi\"},\"done\":false}\n",
         {}});
    response.body.push_back(
        {"{\"error\":\"an error was encountered while running the model\"}\n", milliseconds(5)});
    return response;
  });
  env_["OLLAMA_HOST"] = ollama.base_url();
  fs::remove(dir_ / "aisopod.toml");
  CliResult o = run({"chat", "-m", "ollama/m", "hi"});
  EXPECT_EQ(o.exit_code, 5) << o.err;
}

TEST_F(CliTrustTest, PullDigestMismatchIsTheServersError) {
  FakeUpstream upstream([](const RecordedRequest&) {
    ScriptedResponse r;
    r.headers.push_back({"Content-Type", "application/x-ndjson"});
    r.body.push_back({"{\"status\":\"pulling manifest\"}\n", {}});
    r.body.push_back(
        {"{\"error\":\"digest mismatch, file must be downloaded again: want "
         "sha256:aaa, got sha256:bbb\"}\n",
         milliseconds(5)});
    return r;
  });
  env_["OLLAMA_HOST"] = upstream.base_url();
  CliResult r = run({"pull", "gemma3:1b"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("digest mismatch"), std::string::npos) << r.err;
}

TEST_F(CliTrustTest, SigtermExits143) {
  FakeUpstream upstream([](const RecordedRequest&) {
    ScriptedResponse r = sse_pieces({content_event("Hello")});
    r.fault = ScriptedResponse::Fault::kStallAfterBody;
    return r;
  });
  write_config(openai_config(upstream));
  RunOptions options;
  options.signal_after_first_output = SIGTERM;
  CliResult r = run_with({"chat", "-m", "openai/gpt-4o", "hi"}, options);
  EXPECT_EQ(r.exit_code, 143) << r.err;
  EXPECT_EQ(r.err, "\naisopod: terminated\n");
}

TEST_F(CliTrustTest, AFailedWriteToStdoutIsAnError) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return sse_pieces({content_event("Hello"), openai_event("{}", "\"stop\""), "data: [DONE]\n\n"});
  });
  write_config(openai_config(upstream));
  RunOptions full;
  full.stdout_to = RunOptions::Stdout::kDevFull;
  CliResult r = run_with({"chat", "-m", "openai/gpt-4o", "hi"}, full);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err, "aisopod: error: cannot write to standard output: No space left on device\n");
  CliResult models = run_with({"profiles"}, full);
  EXPECT_EQ(models.exit_code, 1) << models.err;

  RunOptions closed;
  closed.stdout_to = RunOptions::Stdout::kClosed;
  CliResult c = run_with({"chat", "-m", "openai/gpt-4o", "hi"}, closed);
  EXPECT_EQ(c.exit_code, 1) << c.err;
  EXPECT_EQ(c.err, "aisopod: error: cannot write to standard output: it is closed\n");
}

TEST_F(CliTrustTest, TheAnswerHadAlreadyStartedIsSaidOnce) {
  FakeUpstream breaking([](const RecordedRequest&) {
    ScriptedResponse r = sse_pieces({content_event("Hello")});
    r.fault = ScriptedResponse::Fault::kResetAfterBody;
    return r;
  });
  FakeUpstream healthy([](const RecordedRequest&) {
    return sse_pieces({content_event("Other"), "data: [DONE]\n\n"});
  });
  write_config(openai_config(breaking) + "[providers.backup]\ntype = \"openai\"\nbase_url = \"" +
               healthy.base_url() +
               "/v1\"\n[models]\nfallbacks = { \"openai/gpt-4o\" = [\"backup/llama\"] }\n");
  CliResult r = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_EQ(r.out, "Hello\n");
  const std::string phrase = "the answer had already started";
  const std::size_t first = r.err.find(phrase);
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(phrase, first + 1), std::string::npos) << r.err;
  EXPECT_TRUE(healthy.requests().empty());
}

// -- Messages ----------------------------------------------------------------------------------

TEST_F(CliTrustTest, VerboseShowsCooldowns) {
  FakeUpstream upstream([](const RecordedRequest&) {
    ScriptedResponse r = ScriptedResponse::with_body(
        429, "application/json",
        R"({"error":{"message":"Rate limit","code":"rate_limit_exceeded"}})");
    r.headers.push_back({"retry-after", "90"});
    return r;
  });
  write_config(openai_config(upstream));
  CliResult r = run({"chat", "-m", "openai/gpt-4o", "--verbose", "hi"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("aisopod: cooldown: openai profile main for gpt-4o for "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(" s (rate_limited)\n"), std::string::npos) << r.err;
}

TEST_F(CliTrustTest, ControlCharactersFromUpstreamAreEscaped) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(
        400, "application/json",
        "{\"error\":{\"message\":\"bad \\u001b[2J\\u001b]0;owned\\u0007 request\"}}");
  });
  write_config(openai_config(upstream));
  CliResult r = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x07'), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad \\x1b[2J\\x1b]0;owned\\x07 request"), std::string::npos) << r.err;

  FakeUpstream pull([](const RecordedRequest&) {
    ScriptedResponse p;
    p.headers.push_back({"Content-Type", "application/x-ndjson"});
    p.body.push_back({"{\"status\":\"pulling \\u001b[31mred\"}\n{\"status\":\"success\"}\n", {}});
    return p;
  });
  env_["OLLAMA_HOST"] = pull.base_url();
  fs::remove(dir_ / "aisopod.toml");
  CliResult lines = run({"pull", "m"});
  EXPECT_EQ(lines.exit_code, 0) << lines.err;
  EXPECT_EQ(lines.out, "pulling \\x1b[31mred\nsuccess\n");
}

// -- The command line --------------------------------------------------------------------------

TEST_F(CliTrustTest, GlobalOptionsAfterTheCommand) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return sse_pieces({content_event("Hi"), "data: [DONE]\n\n"});
  });
  fs::create_directories(dir_ / "conf");
  std::ofstream(dir_ / "conf" / "my.toml") << openai_config(upstream);
  const std::string config = (dir_ / "conf" / "my.toml").string();
  CliResult chat = run({"chat", "--config", config, "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(chat.exit_code, 0) << chat.err;
  EXPECT_EQ(chat.out, "Hi\n");
  CliResult profiles = run({"profiles", "--config", config, "--json"});
  EXPECT_EQ(profiles.exit_code, 0) << profiles.err;
  EXPECT_EQ(profiles.out.rfind("[{\"provider\":\"openai\",\"name\":\"main\"", 0), 0u)
      << profiles.out;
}

TEST_F(CliTrustTest, BaseUrlAndApiKeyEnvOnEveryCommand) {
  FakeUpstream upstream([](const RecordedRequest& request) {
    if (request.target == "/v1/models") {
      return ScriptedResponse::with_body(
          200, "application/json",
          R"({"object":"list","data":[{"id":"llama","object":"model","created":1,"owned_by":"me"}]})");
    }
    return ScriptedResponse::with_body(404, "application/json", "{}");
  });
  env_["OTHER_KEY"] = "sk-other-key-1234567";
  CliResult models = run({"models", "myserver", "--base-url", upstream.base_url() + "/v1",
                          "--api-key-env", "OTHER_KEY", "--json"});
  EXPECT_EQ(models.exit_code, 0) << models.err;
  EXPECT_EQ(models.out.rfind("[{\"id\":\"llama\",\"provider\":\"myserver\"", 0), 0u) << models.out;
  CliResult health = run({"health", "myserver", "--base-url", upstream.base_url() + "/v1",
                          "--api-key-env", "OTHER_KEY", "--json"});
  EXPECT_EQ(health.exit_code, 0) << health.err;
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const RecordedRequest& request : requests) {
    EXPECT_EQ(request.header("Authorization"), "Bearer sk-other-key-1234567");
  }
  CliResult no_provider = run({"models", "--base-url", upstream.base_url()});
  EXPECT_EQ(no_provider.exit_code, 2) << no_provider.err;

  FakeUpstream ollama([](const RecordedRequest&) {
    ScriptedResponse p;
    p.headers.push_back({"Content-Type", "application/x-ndjson"});
    p.body.push_back({"{\"status\":\"success\"}\n", {}});
    return p;
  });
  CliResult pull = run({"pull", "m", "--base-url", ollama.base_url()});
  EXPECT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(ollama.requests().size(), 1u);
}

TEST_F(CliTrustTest, StopTakesOneValuePerFlag) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return sse_pieces({content_event("Hi"), "data: [DONE]\n\n"});
  });
  write_config(openai_config(upstream));
  CliResult r =
      run({"chat", "-m", "openai/gpt-4o", "--stop", "END", "--stop", "FIN", "the prompt"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].body.find("\"stop\":[\"END\",\"FIN\"]"), std::string::npos)
      << requests[0].body;
  EXPECT_NE(requests[0].body.find("\"content\":\"the prompt\""), std::string::npos)
      << requests[0].body;
}

TEST_F(CliTrustTest, AttachToolsSchemaAndProviderOptionsReachTheRequest) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return sse_pieces({content_event("Hi"), "data: [DONE]\n\n"});
  });
  write_config(openai_config(upstream));
  // A PNG by its content, whatever its name says.
  std::ofstream(dir_ / "picture.dat", std::ios::binary)
      << std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  std::ofstream(dir_ / "tools.json")
      << R"([{"type":"function","function":{"name":"get_weather","description":"Weather",)"
      << R"("parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}])";
  CliResult r = run({"chat", "-m", "openai/gpt-4o", "-a", "picture.dat", "--tools", "tools.json",
                     "--schema", R"({"type":"object","properties":{"a":{"type":"integer"}}})", "-o",
                     "top_k=40", "-o", "service_tier=flex", "Describe"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string& body = requests[0].body;
  EXPECT_NE(
      body.find(
          R"({"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="}})"),
      std::string::npos)
      << body;
  EXPECT_NE(
      body.find(
          R"("tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}})"),
      std::string::npos)
      << body;
  EXPECT_NE(body.find(R"("json_schema":{"name":"response")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("top_k":40)"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("service_tier":"flex")"), std::string::npos) << body;

  std::ofstream(dir_ / "bad.json") << R"([{"description":"no name"}])";
  CliResult bad = run({"chat", "-m", "openai/gpt-4o", "--tools", "bad.json", "hi"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_EQ(bad.err,
            "aisopod: error: invalid_argument: --tools bad.json: tool 0: missing \"name\"\n");
  CliResult missing = run({"chat", "-m", "openai/gpt-4o", "-a", "nosuch.png", "hi"});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_EQ(missing.err,
            "aisopod: error: invalid_argument: cannot read attachment nosuch.png: No such file or "
            "directory\n");
  EXPECT_EQ(upstream.requests().size(), 1u);
}

// -- State ---------------------------------------------------------------------------------------

TEST_F(CliTrustTest, ThreeRunsWithThreeGoodKeysUseEachKeyOnce) {
  env_["KEY_A"] = "sk-alpha-0000000001";
  env_["KEY_B"] = "sk-bravo-0000000002";
  env_["KEY_C"] = "sk-charlie-00000003";
  FakeUpstream upstream([](const RecordedRequest&) {
    return sse_pieces({content_event("Hi"), "data: [DONE]\n\n"});
  });
  std::string config = "[providers.openai]\nbase_url = \"" + upstream.base_url() + "/v1\"\n";
  for (const char* name : {"A", "B", "C"}) {
    config += std::string("[[providers.openai.profiles]]\nname = \"key-") + name +
              "\"\napi_key_env = \"KEY_" + name + "\"\n";
  }
  write_config(config);
  for (int i = 0; i < 3; ++i) {
    CliResult r = run({"chat", "-m", "openai/gpt-4o", "hi"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer " + env_["KEY_A"]);
  EXPECT_EQ(requests[1].header("Authorization"), "Bearer " + env_["KEY_B"]);
  EXPECT_EQ(requests[2].header("Authorization"), "Bearer " + env_["KEY_C"]);
}

TEST_F(CliTrustTest, ARejectedKeyIsRefusedNextRunAndANewKeyStartsClean) {
  env_["ROTATING_KEY"] = "sk-first-key-0000000001";
  FakeUpstream upstream([&](const RecordedRequest& request) {
    if (request.header("Authorization") == "Bearer sk-first-key-0000000001") {
      return ScriptedResponse::with_body(401, "application/json",
                                         R"({"error":{"message":"Incorrect API key"}})");
    }
    return sse_pieces({content_event("Welcome"), "data: [DONE]\n\n"});
  });
  write_config("[providers.openai]\nbase_url = \"" + upstream.base_url() +
               "/v1\"\n[[providers.openai.profiles]]\nname = \"main\"\napi_key_env = "
               "\"ROTATING_KEY\"\n");
  CliResult first = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(first.exit_code, 3) << first.err;
  CliResult second = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(second.exit_code, 3) << second.err;
  EXPECT_EQ(second.err.rfind(
                "aisopod: error: unauthenticated (openai, profile main): key rejected at ", 0),
            0u)
      << second.err;
  EXPECT_NE(second.err.find(" (profile 'main' of provider 'openai'): Incorrect API key\n"),
            std::string::npos)
      << second.err;
  EXPECT_EQ(upstream.requests().size(), 1u);  // refused without asking the server again
  // The database holds a fingerprint of the key, never the key.
  EXPECT_FALSE(has_piece(all_files(dir_ / "state"), env_["ROTATING_KEY"]));

  env_["ROTATING_KEY"] = "sk-second-key-000000002";
  CliResult third = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(third.out, "Welcome\n");
  EXPECT_EQ(upstream.requests().size(), 2u);
}

TEST_F(CliTrustTest, ACorruptStateDatabaseIsExplainedAndResetRecreatesIt) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return sse_pieces({content_event("Hi"), "data: [DONE]\n\n"});
  });
  write_config(openai_config(upstream));
  const fs::path db = dir_ / "state" / "aisopod" / "auth.db";
  fs::create_directories(db.parent_path());
  std::ofstream(db, std::ios::binary) << std::string(8192, 'Z');
  CliResult broken = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(broken.exit_code, 1) << broken.err;
  EXPECT_EQ(broken.err, "aisopod: error: unavailable: the auth state database " + db.string() +
                            " is corrupt (file is not a database); run 'aisopod profiles reset' "
                            "to recreate it\n");
  EXPECT_TRUE(upstream.requests().empty());
  CliResult reset = run({"profiles", "reset"});
  EXPECT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_EQ(reset.out, "reset every profile\n");
  CliResult fixed = run({"chat", "-m", "openai/gpt-4o", "hi"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_EQ(fixed.out, "Hi\n");
}

}  // namespace
}  // namespace aisopod::cli
