// OpenAI stream decoding throughput (see BENCHMARKS.md, "OpenAI stream decoding").
//
// BM_StreamDecoder: a ~1 MB realistic SSE body (the gpt-4.1-nano text stream of
// tests/testdata/openai/vercel-ai/openai-text.chunks.txt, its content deltas repeated) fed to
// openai::StreamDecoder in 4 KiB pieces, every chunk drained.
// BM_SimdjsonPlainParse: the same payloads, already unframed and padded, each parsed whole
// with simdjson's DOM parser: the plain-parse ceiling the 50% target refers to.
// BM_SimdjsonCeiling: a stricter bound: simdjson on-demand touching only the fields the
// decoder needs (id, model, choices[0].delta.content, finish_reason): no SSE framing and no
// chunk building. Figures and ratios are in BENCHMARKS.md.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "bench_report.hpp"
#include "providers/openai/stream_decoder.hpp"
#include "testing/testdata.hpp"

namespace {

constexpr std::size_t kTargetBytes = 1 << 20;
constexpr std::size_t kPieceBytes = 4096;

struct Workload {
  std::string wire;                   // the SSE body
  std::vector<std::string> payloads;  // the JSON of each data line, in order
};

const Workload& workload() {
  static const Workload w = [] {
    const std::string lines =
        aisopod::testing::read_testdata("openai/vercel-ai/openai-text.chunks.txt");
    std::vector<std::string> head, middle, tail;
    std::size_t start = 0;
    while (start < lines.size()) {
      std::size_t end = lines.find('\n', start);
      if (end == std::string::npos) end = lines.size();
      std::string line = lines.substr(start, end - start);
      start = end + 1;
      if (line.empty()) continue;
      if (line.find("\"role\"") != std::string::npos) {
        head.push_back(std::move(line));
      } else if (line.find("\"finish_reason\":null") != std::string::npos) {
        middle.push_back(std::move(line));
      } else {
        tail.push_back(std::move(line));  // the finish chunk and the usage chunk
      }
    }
    Workload out;
    auto add = [&out](const std::string& payload) {
      out.payloads.push_back(payload);
      out.wire += "data: ";
      out.wire += payload;
      out.wire += "\n\n";
    };
    for (const std::string& l : head) add(l);
    while (out.wire.size() < kTargetBytes) {
      for (const std::string& l : middle) add(l);
    }
    for (const std::string& l : tail) add(l);
    out.wire += "data: [DONE]\n\n";
    return out;
  }();
  return w;
}

void BM_StreamDecoder(benchmark::State& state) {
  const Workload& w = workload();
  const std::string_view wire(w.wire);
  std::int64_t chunks = 0;
  for (auto _ : state) {
    aisopod::openai::StreamDecoder decoder("openai");
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
        content_bytes += (*next)->delta.content.size();
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
BENCHMARK(BM_StreamDecoder)->Unit(benchmark::kMicrosecond);

// The SSE framing alone (codec::SseDecoder over the same body and pieces): the part of
// BM_StreamDecoder that is not JSON or chunk building.
void BM_SseFramingOnly(benchmark::State& state) {
  const Workload& w = workload();
  const std::string_view wire(w.wire);
  for (auto _ : state) {
    aisopod::codec::SseDecoder decoder;
    std::size_t data_bytes = 0;
    for (std::size_t at = 0; at < wire.size(); at += kPieceBytes) {
      decoder.feed(wire.substr(at, kPieceBytes));
      for (;;) {
        auto next = decoder.next();
        if (!next.ok() || !next->has_value()) break;
        data_bytes += (*next)->data.size();
      }
    }
    benchmark::DoNotOptimize(data_bytes);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_SseFramingOnly)->Unit(benchmark::kMicrosecond);

void BM_SimdjsonCeiling(benchmark::State& state) {
  const Workload& w = workload();
  std::vector<simdjson::padded_string> padded;
  padded.reserve(w.payloads.size());
  for (const std::string& p : w.payloads) padded.emplace_back(p);
  simdjson::ondemand::parser parser;
  for (auto _ : state) {
    std::size_t touched = 0;
    for (const simdjson::padded_string& json : padded) {
      simdjson::ondemand::document doc;
      if (parser.iterate(json).get(doc) != simdjson::SUCCESS) {
        state.SkipWithError("parse failed");
        return;
      }
      std::string_view id, model, content, finish;
      // Fields in wire order (id, model, choices), as the decoder reads them.
      if (doc["id"].get_string().get(id) == simdjson::SUCCESS) touched += id.size();
      if (doc["model"].get_string().get(model) == simdjson::SUCCESS) touched += model.size();
      simdjson::ondemand::array choices;
      if (doc["choices"].get_array().get(choices) != simdjson::SUCCESS) continue;
      for (auto choice : choices) {
        simdjson::ondemand::object object;
        if (choice.get_object().get(object) != simdjson::SUCCESS) break;
        simdjson::ondemand::object delta;
        if (object["delta"].get_object().get(delta) == simdjson::SUCCESS &&
            delta["content"].get_string().get(content) == simdjson::SUCCESS) {
          touched += content.size();
        }
        if (object["finish_reason"].get_string().get(finish) == simdjson::SUCCESS) {
          touched += finish.size();
        }
        break;  // choice 0 only
      }
    }
    benchmark::DoNotOptimize(touched);
  }
  aisopod::bench::report_decode(state, w.wire.size(), padded.size());
}
BENCHMARK(BM_SimdjsonCeiling)->Unit(benchmark::kMicrosecond);

// The plain simdjson parse of the same payloads: each one parsed whole into simdjson's DOM
// (dom::parser::parse, the library's ordinary entry point), nothing else. The ceiling named in
// the project's issue ("a plain simdjson parse of the same payloads").
void BM_SimdjsonPlainParse(benchmark::State& state) {
  const Workload& w = workload();
  std::vector<simdjson::padded_string> padded;
  padded.reserve(w.payloads.size());
  for (const std::string& p : w.payloads) padded.emplace_back(p);
  simdjson::dom::parser parser;
  for (auto _ : state) {
    std::size_t elements = 0;
    for (const simdjson::padded_string& json : padded) {
      simdjson::dom::element root;
      if (parser.parse(json).get(root) != simdjson::SUCCESS) {
        state.SkipWithError("parse failed");
        return;
      }
      elements += root.is_object() ? 1 : 0;
    }
    benchmark::DoNotOptimize(elements);
  }
  aisopod::bench::report_decode(state, w.wire.size(), padded.size());
}
BENCHMARK(BM_SimdjsonPlainParse)->Unit(benchmark::kMicrosecond);

}  // namespace
