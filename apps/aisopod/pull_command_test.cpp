// `aisopod pull`: the progress line rendering, and the command against the fake upstream in
// terminal and plain mode, with its errors and exit codes.
#include "pull_command.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "exit_codes.hpp"
#include "providers/ollama/provider.hpp"
#include "testing/fake_upstream.hpp"
#include "testing/run_task.hpp"

namespace aisopod::cli {
namespace {

using aisopod::testing::BodyPiece;
using aisopod::testing::FakeUpstream;
using aisopod::testing::RecordedRequest;
using aisopod::testing::run_task;
using aisopod::testing::ScriptedResponse;
using ollama::PullProgress;

TEST(RenderProgressLine, PlainLineWithSizesRateAndTimeLeft) {
  const PullProgress progress{"pulling 7cd4618c1faf", "sha256:7cd4", 4'700'000'000, 1'200'000'000};
  EXPECT_EQ(render_progress_line(progress, 35'100'000, false, 0),
            "pulling 7cd4618c1faf: 25% (1.2 GB / 4.7 GB, 35.1 MB/s, ETA 1m40s)");
  // Without a rate: no rate and no time left.
  EXPECT_EQ(render_progress_line(progress, 0, false, 0),
            "pulling 7cd4618c1faf: 25% (1.2 GB / 4.7 GB)");
  // Complete: no time left.
  const PullProgress done{"pulling e0a42594d802", "", 358, 358};
  EXPECT_EQ(render_progress_line(done, 1000, false, 0),
            "pulling e0a42594d802: 100% (358 B / 358 B, 1.0 KB/s)");
  // No total: the status alone.
  EXPECT_EQ(render_progress_line(PullProgress{"verifying sha256 digest", "", 0, 0}, 5, true, 80),
            "verifying sha256 digest");
  // Hours.
  const PullProgress slow{"pulling abc", "", 40'000'000'000, 1'000'000};
  EXPECT_EQ(render_progress_line(slow, 5'000'000, false, 0),
            "pulling abc: 0% (1.0 MB / 40.0 GB, 5.0 MB/s, ETA 2h13m)");
}

TEST(RenderProgressLine, TerminalBarFillsTheWidth) {
  const PullProgress progress{"pulling 7cd4618c1faf", "", 4'700'000'000, 2'360'000'000};
  const std::string line = render_progress_line(progress, 35'100'000, true, 80);
  EXPECT_EQ(line.size(), 80u) << line;
  EXPECT_EQ(line.rfind("pulling 7cd4618c1faf  50% [", 0), 0u) << line;
  EXPECT_NE(line.find("] 2.4 GB / 4.7 GB  35.1 MB/s  ETA 1m07s"), std::string::npos) << line;
  const std::size_t open = line.find('[');
  const std::size_t close = line.find(']');
  const std::string bar = line.substr(open + 1, close - open - 1);
  const auto filled = std::count(bar.begin(), bar.end(), '#');
  EXPECT_EQ(static_cast<std::size_t>(filled), bar.size() / 2) << line;
  // A narrow terminal still gets a 10-column bar.
  const std::string narrow = render_progress_line(progress, 0, true, 20);
  EXPECT_EQ(narrow.find(']') - narrow.find('[') - 1, 10u) << narrow;
}

ScriptedResponse ndjson(const std::string& body) {
  ScriptedResponse response;
  response.headers.push_back({"Content-Type", "application/x-ndjson"});
  for (std::size_t pos = 0; pos < body.size(); pos += 29) {
    response.body.push_back(BodyPiece{body.substr(pos, 29), {}});
  }
  return response;
}

std::string progress_line(std::int64_t completed) {
  return "{\"status\":\"pulling aabbccddeeff\",\"digest\":\"sha256:aabbccddeeff\",\"total\":"
         "1000000000,\"completed\":" +
         std::to_string(completed) + "}\n";
}

// A pull whose layer advances 1% at a time.
std::string many_steps_pull() {
  std::string wire = "{\"status\":\"pulling manifest\"}\n";
  for (int percent = 0; percent <= 100; ++percent) {
    wire += progress_line(static_cast<std::int64_t>(percent) * 10'000'000);
  }
  wire +=
      "{\"status\":\"verifying sha256 digest\"}\n{\"status\":\"writing manifest\"}\n"
      "{\"status\":\"success\"}\n";
  return wire;
}

struct PullRun {
  int code = -1;
  std::string out;
  std::string err;
};

PullRun run_pull(const std::string& base_url, bool terminal,
                 const std::string& model = "gemma3:1b") {
  ollama::OllamaOptions options;
  options.base_url = base_url;
  auto provider = ollama::make_provider(options, SecretSource{});
  std::ostringstream out;
  std::ostringstream err;
  PullRun run;
  run.code = run_task(pull_command(*provider, model, terminal, out, err));
  run.out = out.str();
  run.err = err.str();
  return run;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(PullCommand, PlainModePrintsStatusChangesAndTenPercentSteps) {
  const std::string wire = many_steps_pull();
  FakeUpstream upstream([&](const RecordedRequest&) { return ndjson(wire); });
  const PullRun run = run_pull(upstream.base_url(), false);
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out.find('\r'), std::string::npos);
  const std::vector<std::string> lines = lines_of(run.out);
  // manifest, 0%, 10%, ..., 100% (11 lines), verifying, writing, success.
  ASSERT_EQ(lines.size(), 15u) << run.out;
  EXPECT_EQ(lines[0], "pulling manifest");
  EXPECT_EQ(lines[1].rfind("pulling aabbccddeeff: 0% (0 B / 1.0 GB", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("pulling aabbccddeeff: 10% (100.0 MB / 1.0 GB", 0), 0u) << lines[2];
  EXPECT_EQ(lines[11].rfind("pulling aabbccddeeff: 100% (1.0 GB / 1.0 GB", 0), 0u) << lines[11];
  EXPECT_EQ(lines[12], "verifying sha256 digest");
  EXPECT_EQ(lines[13], "writing manifest");
  EXPECT_EQ(lines[14], "success");
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, R"({"model":"gemma3:1b","stream":true})");
}

TEST(PullCommand, TerminalModeRedrawsOneLinePerLayer) {
  const std::string wire = "{\"status\":\"pulling manifest\"}\n" + progress_line(0) +
                           progress_line(500'000'000) + progress_line(1'000'000'000) +
                           "{\"status\":\"success\"}\n";
  FakeUpstream upstream([&](const RecordedRequest&) { return ndjson(wire); });
  const PullRun run = run_pull(upstream.base_url(), true);
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_EQ(run.err, "");
  const std::vector<std::string> lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 3u) << run.out;
  EXPECT_EQ(lines[0], "pulling manifest");
  // The layer's line: three redraws, each starting with '\r' and clearing the rest.
  EXPECT_EQ(std::count(lines[1].begin(), lines[1].end(), '\r'), 3);
  EXPECT_NE(lines[1].find("  0% ["), std::string::npos);
  EXPECT_NE(lines[1].find(" 50% ["), std::string::npos);
  EXPECT_NE(lines[1].find("100% ["), std::string::npos);
  EXPECT_NE(lines[1].find("] 1.0 GB / 1.0 GB"), std::string::npos);
  EXPECT_EQ(lines[1].substr(lines[1].size() - 3), "\x1b[K");
  EXPECT_EQ(lines[2], "success");
}

TEST(PullCommand, MissingModelIsAClearErrorAndANonZeroExit) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ndjson(
        "{\"status\":\"pulling manifest\"}\n"
        "{\"error\":\"pull model manifest: file does not exist\"}\n");
  });
  const PullRun run = run_pull(upstream.base_url(), false, "nope:1b");
  EXPECT_NE(run.code, kExitOk);
  // The server's own answer, inside the stream: exit 5, like an HTTP error.
  EXPECT_EQ(run.code, kExitUpstream);
  EXPECT_EQ(run.out, "pulling manifest\n");
  EXPECT_EQ(run.err,
            "aisopod: error: not_found (ollama): pull model manifest: file does not exist\n");

  upstream.set_handler([](const RecordedRequest&) {
    return ScriptedResponse::with_body(500, "application/json",
                                       R"({"error":"pull model manifest: file does not exist"})");
  });
  const PullRun status = run_pull(upstream.base_url(), true, "nope:1b");
  EXPECT_EQ(status.code, kExitUpstream);
  EXPECT_EQ(status.out, "");
  EXPECT_EQ(status.err,
            "aisopod: error: not_found (HTTP 500, ollama): pull model manifest: file does not "
            "exist\n");
}

TEST(PullCommand, ErrorAfterABarEndsTheBarLineFirst) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ndjson(progress_line(500'000'000) + "{\"error\":\"max retries exceeded: EOF\"}\n");
  });
  const PullRun run = run_pull(upstream.base_url(), true);
  // The server reported its own failure (to reach the registry): its answer, not our network.
  EXPECT_EQ(run.code, kExitUpstream);
  ASSERT_FALSE(run.out.empty());
  EXPECT_EQ(run.out.back(), '\n');
  EXPECT_EQ(run.err, "aisopod: error: unavailable (ollama): max retries exceeded: EOF\n");
}

TEST(PullCommand, NotRunningSaysSo) {
  std::string base_url;
  {
    FakeUpstream upstream([](const RecordedRequest&) { return ScriptedResponse(); });
    base_url = upstream.base_url();
  }
  const PullRun run = run_pull(base_url, false);
  EXPECT_EQ(run.code, kExitNetwork);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "aisopod: error: unavailable (ollama): cannot reach Ollama at " + base_url +
                         ": is it running? (start it with `ollama serve`)\n");
}

}  // namespace
}  // namespace aisopod::cli
