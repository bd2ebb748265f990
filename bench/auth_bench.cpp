// AuthProfileManager on the request path (see BENCHMARKS.md, "Auth state off the request path").
//
// BM_AcquireReport: one request's worth of auth bookkeeping, acquire() then report(ok), with
// three profiles of one provider handed out round-robin, on the calling thread. Once with the
// SQLite store (a fresh database in a temp directory, WAL, as the CLI opens it) and once with the
// memory store. Only the calling thread is timed: work that the manager does behind, on its own
// thread, shows up only as far as it competes for the CPU.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "aisopod/auth.hpp"

namespace {

using aisopod::AuthProfileManager;
using aisopod::AuthStateStore;

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    path_ = std::filesystem::path(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") /
            ("aisopod-auth-bench-" + std::to_string(::getpid()) + "-" + std::to_string(++count_));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int count_ = 0;
  std::filesystem::path path_;
};

void run(benchmark::State& state, std::shared_ptr<AuthStateStore> store) {
  auto manager = std::make_unique<AuthProfileManager>(std::move(store));
  for (const char* name : {"k1", "k2", "k3"}) {
    manager->add_profile(
        "openai", name, [name] { return aisopod::Result<std::string>(std::string("sk-") + name); });
  }
  for (auto _ : state) {
    auto lease = manager->acquire("openai", "gpt-4o");
    if (!lease.ok()) {
      state.SkipWithError(lease.error().to_string().c_str());
      break;
    }
    manager->report(*lease, "gpt-4o", aisopod::Status());
    benchmark::DoNotOptimize(lease);
  }
  // After the timed loop: the destructor writes what is still pending.
  manager.reset();
}

void BM_AcquireReport_Sqlite(benchmark::State& state) {
  ScratchDir dir;
  auto store = aisopod::open_sqlite_auth_store(dir.file("auth.db"));
  if (!store.ok()) {
    state.SkipWithError(store.error().to_string().c_str());
    return;
  }
  run(state, *store);
}
BENCHMARK(BM_AcquireReport_Sqlite)->UseRealTime();

void BM_AcquireReport_Memory(benchmark::State& state) {
  run(state, aisopod::make_memory_auth_store());
}
BENCHMARK(BM_AcquireReport_Memory)->UseRealTime();

}  // namespace
