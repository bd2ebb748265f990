#include "pull_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>

#include "exit_codes.hpp"
#include "output.hpp"

namespace aisopod::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Columns of the redrawn terminal line.
constexpr int kTerminalWidth = 80;
// Below this much time on a layer the rate is too noisy to show.
constexpr double kMinRateSeconds = 0.5;

// Decimal units, as Ollama's own CLI shows them: "512 B", "1.2 GB".
std::string format_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  if (bytes < 1000) return std::to_string(static_cast<std::int64_t>(bytes)) + " B";
  std::size_t unit = 0;
  while (bytes >= 1000 && unit + 1 < std::size(kUnits)) {
    bytes /= 1000;
    ++unit;
  }
  // 999.96 KB would print as "1000.0 KB".
  if (bytes >= 999.95 && unit + 1 < std::size(kUnits)) {
    bytes /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", bytes, kUnits[unit]);
  return text;
}

// "45s", "1m40s", "2h05m".
std::string format_duration(double seconds) {
  const auto total = static_cast<std::int64_t>(std::ceil(seconds));
  char text[32];
  if (total < 60) {
    std::snprintf(text, sizeof text, "%llds", static_cast<long long>(total));
  } else if (total < 3600) {
    std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  } else {
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(total / 3600),
                  static_cast<long long>(total % 3600 / 60));
  }
  return text;
}

// Prints the reports of one pull; see pull_command() for the two modes. Not thread-safe.
class ProgressPrinter {
 public:
  ProgressPrinter(bool terminal, std::ostream& out) : terminal_(terminal), out_(out) {}

  void show(const PullProgress& reported, Clock::time_point now) {
    // The status is the server's text: it must not drive the terminal.
    PullProgress progress = reported;
    progress.status = escape_control(reported.status);
    const bool new_step = !last_status_ || *last_status_ != progress.status;
    if (new_step || progress.digest != rate_digest_) {
      rate_digest_ = progress.digest;
      rate_start_ = now;
      rate_start_bytes_ = progress.completed;
    }
    const double rate = rate_since_start(progress.completed, now);
    if (terminal_) {
      show_on_terminal(progress, rate, new_step);
    } else {
      show_as_lines(progress, rate, new_step);
    }
    last_status_ = progress.status;
  }

  // Ends a line redrawn in place, so that what follows starts on a line of its own.
  void end_line() {
    if (!line_open_) return;
    out_ << '\n';
    out_.flush();
    line_open_ = false;
  }

 private:
  double rate_since_start(std::int64_t completed, Clock::time_point now) const {
    const double seconds = std::chrono::duration<double>(now - rate_start_).count();
    if (seconds < kMinRateSeconds || completed <= rate_start_bytes_) return 0;
    return static_cast<double>(completed - rate_start_bytes_) / seconds;
  }

  void show_on_terminal(const PullProgress& progress, double rate, bool new_step) {
    if (progress.total > 0) {
      if (new_step) end_line();
      out_ << '\r' << render_progress_line(progress, rate, true, kTerminalWidth) << "\x1b[K";
      line_open_ = true;
    } else if (new_step) {
      end_line();
      out_ << progress.status << '\n';
    }
    out_.flush();
  }

  void show_as_lines(const PullProgress& progress, double rate, bool new_step) {
    if (progress.total <= 0) {
      if (new_step) out_ << progress.status << '\n';
      return;
    }
    const std::int64_t completed = std::clamp<std::int64_t>(progress.completed, 0, progress.total);
    const int decile = static_cast<int>(completed * 10 / progress.total);
    if (!new_step && decile <= last_decile_) return;
    last_decile_ = decile;
    out_ << render_progress_line(progress, rate, false, 0) << '\n';
  }

  bool terminal_;
  std::ostream& out_;
  std::optional<std::string> last_status_;
  int last_decile_ = -1;
  bool line_open_ = false;
  std::string rate_digest_;
  Clock::time_point rate_start_;
  std::int64_t rate_start_bytes_ = 0;
};

}  // namespace

std::string render_progress_line(const PullProgress& progress, double bytes_per_second,
                                 bool terminal_bar, int width) {
  if (progress.total <= 0) return progress.status;
  const std::int64_t total = progress.total;
  const std::int64_t completed = std::clamp<std::int64_t>(progress.completed, 0, total);
  const auto percent = static_cast<int>(completed * 100 / total);
  const std::string bytes = format_bytes(static_cast<double>(completed)) + " / " +
                            format_bytes(static_cast<double>(total));
  std::string rate;
  std::string eta;
  if (bytes_per_second > 0) {
    rate = format_bytes(bytes_per_second) + "/s";
    if (completed < total) {
      eta = "ETA " + format_duration(static_cast<double>(total - completed) / bytes_per_second);
    }
  }
  if (!terminal_bar) {
    std::string line = progress.status + ": " + std::to_string(percent) + "% (" + bytes;
    if (!rate.empty()) line += ", " + rate;
    if (!eta.empty()) line += ", " + eta;
    line += ")";
    return line;
  }
  char percent_text[8];
  std::snprintf(percent_text, sizeof percent_text, "%3d%%", percent);
  const std::string left = progress.status + " " + percent_text + " ";
  std::string right = " " + bytes;
  if (!rate.empty()) right += "  " + rate;
  if (!eta.empty()) right += "  " + eta;
  constexpr int kMinBar = 10;
  const int bar = std::max(kMinBar, width - static_cast<int>(left.size() + right.size()) - 2);
  const auto filled = static_cast<int>(static_cast<std::int64_t>(bar) * completed / total);
  return left + "[" + std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(bar - filled), ' ') + "]" + right;
}

Task<int> pull_command(ModelProvider& provider, std::string model, bool is_terminal,
                       std::ostream& out, std::ostream& err) {
  ProgressPrinter printer(is_terminal, out);
  std::optional<Status> failure;
  const CallOptions options;  // a named value: see the note on CallOptions in provider.hpp
  Result<PullStream> stream = co_await provider.pull_model(std::move(model), options);
  if (!stream.ok()) {
    failure = stream.error();
  } else {
    for (;;) {
      Result<std::optional<PullProgress>> next = co_await stream->next();
      if (!next.ok()) {
        failure = next.error();
        break;
      }
      if (!next->has_value()) break;
      printer.show(**next, Clock::now());
    }
  }
  printer.end_line();
  if (failure) {
    err << "aisopod: error: " << escape_control(failure->to_string()) << std::endl;
    co_return exit_code_for(*failure);
  }
  co_return kExitOk;
}

}  // namespace aisopod::cli
