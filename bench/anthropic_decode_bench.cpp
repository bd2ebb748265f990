// Anthropic stream decoding throughput (see BENCHMARKS.md, "Chunk assembler A/B").
//
// BM_AnthropicStreamDecoder: a ~1 MB SSE body built from a recorded claude-sonnet-4 stream with
// extended thinking (tests/testdata/anthropic/pydantic-ai/
// test_anthropic_model_thinking_part_stream.response.sse, the API's own bytes with its padded
// data lines): message_start, the thinking block and the start of the text block as recorded,
// the text_delta events repeated to 1 MiB, then the recorded end (content_block_stop,
// message_delta, message_stop). Fed to anthropic::StreamDecoder in 4 KiB pieces, every chunk
// drained.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <vector>

#include "bench_report.hpp"
#include "providers/anthropic/stream_decoder.hpp"
#include "testing/testdata.hpp"

namespace {

constexpr std::size_t kTargetBytes = 1 << 20;
constexpr std::size_t kPieceBytes = 4096;

const std::string& anthropic_wire() {
  static const std::string wire = [] {
    const std::string recording = aisopod::testing::read_testdata(
        "anthropic/pydantic-ai/test_anthropic_model_thinking_part_stream.response.sse");
    // The recording's events ("event: ...\ndata: ...\n\n"), split into what comes before the
    // first text_delta, the text_delta events, and what follows the last one.
    std::vector<std::string> head, middle, tail;
    std::size_t start = 0;
    while (start < recording.size()) {
      std::size_t end = recording.find("\n\n", start);
      end = end == std::string::npos ? recording.size() : end + 2;
      std::string event = recording.substr(start, end - start);
      start = end;
      if (event.find("\"text_delta\"") != std::string::npos) {
        middle.push_back(std::move(event));
      } else if (middle.empty()) {
        head.push_back(std::move(event));
      } else {
        tail.push_back(std::move(event));
      }
    }
    std::string out;
    for (const std::string& e : head) out += e;
    while (out.size() < kTargetBytes) {
      for (const std::string& e : middle) out += e;
    }
    for (const std::string& e : tail) out += e;
    return out;
  }();
  return wire;
}

void BM_AnthropicStreamDecoder(benchmark::State& state) {
  const std::string_view wire(anthropic_wire());
  std::int64_t chunks = 0;
  for (auto _ : state) {
    aisopod::anthropic::StreamDecoder decoder("anthropic");
    chunks = 0;
    std::size_t content_bytes = 0;
    for (std::size_t at = 0; at < wire.size(); at += kPieceBytes) {
      decoder.feed(wire.substr(at, kPieceBytes));
      for (;;) {
        auto next = decoder.next();
        if (!next.ok()) {
          state.SkipWithError(next.error().to_string().c_str());
          return;
        }
        if (!next->has_value()) break;
        content_bytes += (*next)->delta.content.size() + (*next)->delta.reasoning.size();
        ++chunks;
      }
    }
    if (!decoder.finish().ok()) {
      state.SkipWithError("finish failed");
      return;
    }
    benchmark::DoNotOptimize(content_bytes);
  }
  aisopod::bench::report_decode(state, wire.size(), chunks);
}
BENCHMARK(BM_AnthropicStreamDecoder)->Unit(benchmark::kMicrosecond);

}  // namespace
