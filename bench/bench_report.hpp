// What every decode benchmark reports: bytes per second over the wire bytes, the number of
// chunks, and the time per chunk.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>

namespace aisopod::bench {

inline void report_decode(benchmark::State& state, std::size_t wire_bytes, std::size_t chunks) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * wire_bytes));
  state.counters["chunks"] = static_cast<double>(chunks);
  // Seconds per chunk (shown with an SI prefix: "250n" is 250 ns).
  state.counters["time_per_chunk"] = benchmark::Counter(
      static_cast<double>(chunks),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace aisopod::bench
