// `aisopod pull MODEL`: downloads a model into the Ollama server, showing its progress.
#pragma once

#include <ostream>
#include <string>

#include "aisopod/provider.hpp"
#include "aisopod/pull.hpp"

namespace aisopod::cli {

// Pulls `model` through `provider` (borrowed for the call; a provider that cannot pull fails
// with its invalid_argument) and reports the progress on `out`:
//   - is_terminal: each downloading layer is one line redrawn in place with '\r' (bar,
//     percent, "1.2 GB / 4.7 GB", rate "35.1 MB/s", "ETA 1m40s"), ended with a newline when
//     the next step starts; the other steps ("pulling manifest", "verifying sha256 digest",
//     "writing manifest", "success") are one line each.
//   - otherwise (a pipe or a file): one line per status change, and for a downloading layer at
//     most one more line per 10 percent.
// Returns kExitOk once the server reports "success". On an error (not running, unknown model,
// a failed pull, a broken stream) prints "aisopod: error: <status.to_string()>" to `err` and
// returns exit_code_for(status). Must run on the io_context thread that drives the call.
Task<int> pull_command(ModelProvider& provider, std::string model, bool is_terminal,
                       std::ostream& out, std::ostream& err);

// One progress line, without a line terminator. A report without a total is its status alone.
// Otherwise, with `terminal_bar`:
//   "pulling 7cd4618c1faf  42% [##########              ] 1.2 GB / 4.7 GB  35.1 MB/s  ETA 1m40s"
// with the bar sized so the line is `width` columns (the bar is never under 10 columns), and
// without it: "pulling 7cd4618c1faf: 42% (1.2 GB / 4.7 GB, 35.1 MB/s, ETA 1m40s)". Sizes use
// decimal units (B, KB, MB, GB, TB); the rate and the time left are left out when
// `bytes_per_second` is not positive, and the time left also once the layer is complete.
std::string render_progress_line(const PullProgress& progress, double bytes_per_second,
                                 bool terminal_bar, int width);

}  // namespace aisopod::cli
