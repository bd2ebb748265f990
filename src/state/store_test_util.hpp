// Shared by the state store tests: a conformance suite every AuthStateStore passes (defined in
// memory_store_test.cpp, instantiated there and in sqlite_store_test.cpp) and a scratch
// directory.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "aisopod/auth.hpp"

namespace aisopod::testing_util {

// A fresh directory under the test temp dir, removed with everything in it on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("aisopod-state-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Makes a new, empty store; `dir` lives as long as the test.
using StoreFactory = std::function<std::shared_ptr<AuthStateStore>(const ScratchDir& dir)>;

struct StoreKind {
  std::string name;
  StoreFactory make;
};

class AuthStateStoreConformance : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    store_ = GetParam().make(dir_);
    ASSERT_NE(store_, nullptr);
  }
  ScratchDir dir_;
  std::shared_ptr<AuthStateStore> store_;
};

}  // namespace aisopod::testing_util
