// UsageAggregator: token usage summed per (provider, model, auth profile). Standard-library
// types only.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "aisopod/types.hpp"

namespace aisopod {

// Sums the Usage of finished calls. Thread-safe: add(), rows() and total() may be called
// concurrently from any threads; each is one short critical section.
class UsageAggregator {
 public:
  // The totals of one (provider, model, profile).
  struct Row {
    std::string provider;
    std::string model;
    // Empty when the provider has no auth profiles.
    std::string profile;
    // Field-wise sum of every add() for this key.
    Usage usage;
    // How many add() calls were made for this key.
    std::int64_t requests = 0;
    friend bool operator==(const Row&, const Row&) = default;
  };

  // Adds the usage of one call (one request) to the row of (provider, model, profile), creating
  // the row on first use. Never fails.
  void add(std::string_view provider, std::string_view model, std::string_view profile,
           const Usage& usage);

  // Every row, sorted by provider, then model, then profile. A snapshot: later add() calls do
  // not change the returned vector.
  std::vector<Row> rows() const;

  // Field-wise sum over every row; all zero when nothing was added.
  Usage total() const;

 private:
  struct Totals {
    Usage usage;
    std::int64_t requests = 0;
  };
  using Key = std::tuple<std::string, std::string, std::string>;

  mutable std::mutex mutex_;
  // Guarded by mutex_. std::less<> lets add() look a key up by string_views.
  std::map<Key, Totals, std::less<>> totals_;
};

}  // namespace aisopod
