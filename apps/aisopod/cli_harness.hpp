// The harness of the aisopod command's end-to-end tests: runs the real binary in a temporary
// directory with an empty environment, feeds stdin, collects stdout and stderr, and reports the
// exit code and the child's peak memory.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace aisopod::cli {

inline constexpr const char* kKey = "sk-cli-secret-83b1f0c2";

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  // Bytes written to stdout (also counted when RunOptions::keep_stdout is false).
  std::size_t out_bytes = 0;
  // The child's peak resident set size (getrusage of the child), in KiB.
  long max_rss_kib = 0;
  std::chrono::milliseconds elapsed{0};
};

struct RunOptions {
  std::string input;
  // Sent once the first stdout bytes arrive (0: none).
  int signal_after_first_output = 0;
  enum class Stdout {
    kPipe,     // read by the test
    kDevFull,  // /dev/full: every write fails with ENOSPC
    kClosed,   // file descriptor 1 closed
  };
  Stdout stdout_to = Stdout::kPipe;
  // false: stdout is read and counted but not kept (long streams).
  bool keep_stdout = true;
  std::chrono::seconds limit{20};
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/aisopod-cli-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    env_ = {{"PATH", "/usr/bin:/bin"},
            {"HOME", dir_.string()},
            {"XDG_CONFIG_HOME", (dir_ / "xdg").string()},
            {"XDG_STATE_HOME", (dir_ / "state").string()},
            {"TEST_KEY", kKey}};
    // The sanitizers' own reports must not be taken for the program's output.
    if (const char* asan = std::getenv("ASAN_OPTIONS")) env_["ASAN_OPTIONS"] = asan;
    if (const char* ubsan = std::getenv("UBSAN_OPTIONS")) env_["UBSAN_OPTIONS"] = ubsan;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_config(const std::string& text) { std::ofstream(dir_ / "aisopod.toml") << text; }

  std::string openai_config(const std::string& base_url) {
    return "[providers.openai]\nbase_url = \"" + base_url +
           "/v1\"\n[[providers.openai.profiles]]\nname = \"main\"\napi_key_env = \"TEST_KEY\"\n";
  }
  template <class Upstream>
  std::string openai_config(const Upstream& upstream) {
    return openai_config(upstream.base_url());
  }

  CliResult run(const std::vector<std::string>& args, const std::string& input = "",
                bool interrupt_after_first_output = false) {
    RunOptions options;
    options.input = input;
    if (interrupt_after_first_output) options.signal_after_first_output = SIGINT;
    return run_with(args, options);
  }

  CliResult run_with(const std::vector<std::string>& args, const RunOptions& options) {
    int in_pipe[2], out_pipe[2], err_pipe[2];
    EXPECT_EQ(pipe(in_pipe), 0);
    EXPECT_EQ(pipe(out_pipe), 0);
    EXPECT_EQ(pipe(err_pipe), 0);
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
      dup2(in_pipe[0], 0);
      if (options.stdout_to == RunOptions::Stdout::kPipe) {
        dup2(out_pipe[1], 1);
      } else if (options.stdout_to == RunOptions::Stdout::kDevFull) {
        const int full = open("/dev/full", O_WRONLY);
        dup2(full, 1);
        close(full);
      } else {
        close(1);
      }
      dup2(err_pipe[1], 2);
      for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
        close(fd);
      }
      if (chdir(dir_.c_str()) != 0) _exit(120);
      std::vector<std::string> env_strings;
      for (const auto& [k, v] : env_) env_strings.push_back(k + "=" + v);
      std::vector<char*> envp;
      for (auto& s : env_strings) envp.push_back(s.data());
      envp.push_back(nullptr);
      std::vector<std::string> argv_strings = {AISOPOD_CLI_PATH};
      argv_strings.insert(argv_strings.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& s : argv_strings) argv.push_back(s.data());
      argv.push_back(nullptr);
      execve(AISOPOD_CLI_PATH, argv.data(), envp.data());
      _exit(121);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (!options.input.empty()) {
      EXPECT_EQ(write(in_pipe[1], options.input.data(), options.input.size()),
                static_cast<ssize_t>(options.input.size()));
    }
    close(in_pipe[1]);
    CliResult result;
    bool signalled = false;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_fds = 2;
    const auto give_up = start + options.limit;
    std::vector<char> buf(1 << 16);
    while (open_fds > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          give_up - std::chrono::steady_clock::now());
      if (left.count() <= 0 || poll(fds, 2, static_cast<int>(left.count())) <= 0) {
        kill(pid, SIGKILL);
        ADD_FAILURE() << "aisopod did not finish within " << options.limit.count() << " s";
        break;
      }
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
        const ssize_t n = read(fds[i].fd, buf.data(), buf.size());
        if (n <= 0) {
          close(fds[i].fd);
          fds[i].fd = -1;
          --open_fds;
          continue;
        }
        if (i == 0) {
          result.out_bytes += static_cast<std::size_t>(n);
          if (options.keep_stdout) result.out.append(buf.data(), static_cast<std::size_t>(n));
        } else {
          result.err.append(buf.data(), static_cast<std::size_t>(n));
        }
        if (i == 0 && options.signal_after_first_output != 0 && !signalled) {
          signalled = true;
          kill(pid, options.signal_after_first_output);
        }
      }
    }
    for (const pollfd& fd : fds) {
      if (fd.fd >= 0) close(fd.fd);
    }
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    result.max_rss_kib = usage.ru_maxrss;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    EXPECT_EQ(result.out.find(kKey), std::string::npos) << "key in stdout";
    EXPECT_EQ(result.err.find(kKey), std::string::npos) << "key in stderr";
    return result;
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

}  // namespace aisopod::cli
