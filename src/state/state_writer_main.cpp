// Test helper for sqlite_store_test: writes profile states to an SQLite auth store in a loop
// until killed, printing the number of each committed write on its own line on stdout.
//
//   aisopod_state_writer <db path>
//
// Write n (1, 2, ...) saves profile "p<n % 3>" of provider "writer" with every field derived
// from n, so a reader can check that each row is internally consistent (see
// sqlite_store_test.cpp, KilledWriterLeavesConsistentStore).
#include <chrono>
#include <cstdio>
#include <string>

#include "aisopod/auth.hpp"

namespace {

aisopod::ProfileState state_for(long n) {
  using std::chrono::milliseconds;
  aisopod::ProfileState state;
  state.provider = "writer";
  state.profile = "p" + std::to_string(n % 3);
  state.failure_count = static_cast<int>(n);
  state.billing_failures = static_cast<int>(n % 7);
  state.last_failure = aisopod::SystemTime(milliseconds(n));
  state.disabled_until = aisopod::SystemTime(milliseconds(2 * n));
  state.disabled_reason = "reason-" + std::to_string(n);
  for (long m = 0; m <= n % 5; ++m) {
    state.model_cooldowns["model-" + std::to_string(m)] = aisopod::SystemTime(milliseconds(n + m));
  }
  return state;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <db path>\n", argv[0]);
    return 2;
  }
  auto store = aisopod::open_sqlite_auth_store(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.error().to_string().c_str());
    return 1;
  }
  for (long n = 1;; ++n) {
    aisopod::Status status = (*store)->save(state_for(n));
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.to_string().c_str());
      return 1;
    }
    std::printf("%ld\n", n);
    std::fflush(stdout);
  }
}
