// The exit codes of the aisopod command, for scripts. Documented in --help and the README.
#pragma once

#include "aisopod/status.hpp"

namespace aisopod::cli {

inline constexpr int kExitOk = 0;
// An error that fits no other class (a bug, an unexpected answer).
inline constexpr int kExitFailure = 1;
// Bad command line or configuration (also a request the library refused before sending).
inline constexpr int kExitUsage = 2;
// The provider rejected the credential (401, 403) or none was available.
inline constexpr int kExitAuth = 3;
// Rate limited, or out of quota / credit.
inline constexpr int kExitRateLimit = 4;
// The provider answered with an error (5xx, overloaded, bad request, unknown model, a broken
// stream).
inline constexpr int kExitUpstream = 5;
// The provider could not be reached, or a deadline passed.
inline constexpr int kExitNetwork = 6;
// Interrupted (Ctrl-C), as shells report SIGINT.
inline constexpr int kExitInterrupted = 130;
// Terminated (SIGTERM), as shells report it.
inline constexpr int kExitTerminated = 143;

// The exit code for an error Status.
int exit_code_for(const Status& status);

}  // namespace aisopod::cli
