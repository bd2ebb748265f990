#include <utility>

#include "aisopod/usage.hpp"

namespace aisopod {

void UsageAggregator::add(std::string_view provider, std::string_view model,
                          std::string_view profile, const Usage& usage) {
  const std::tuple<std::string_view, std::string_view, std::string_view> probe(provider, model,
                                                                               profile);
  std::lock_guard lock(mutex_);
  auto it = totals_.find(probe);
  if (it == totals_.end()) {
    it =
        totals_
            .emplace(Key(std::string(provider), std::string(model), std::string(profile)), Totals{})
            .first;
  }
  it->second.usage += usage;
  ++it->second.requests;
}

std::vector<UsageAggregator::Row> UsageAggregator::rows() const {
  std::lock_guard lock(mutex_);
  std::vector<Row> out;
  out.reserve(totals_.size());
  // The map is ordered by (provider, model, profile), so the rows come out sorted.
  for (const auto& [key, totals] : totals_) {
    out.push_back(
        Row{std::get<0>(key), std::get<1>(key), std::get<2>(key), totals.usage, totals.requests});
  }
  return out;
}

Usage UsageAggregator::total() const {
  std::lock_guard lock(mutex_);
  Usage sum;
  for (const auto& [key, totals] : totals_) sum += totals.usage;
  return sum;
}

}  // namespace aisopod
