// Helpers shared by the Gemini tests (test code only): turning recordings into response bodies
// and decoding them.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/accumulator.hpp"
#include "http/http.hpp"
#include "providers/gemini/stream_decoder.hpp"
#include "testing/testdata.hpp"

namespace aisopod {

// Readable failure messages for the values the tests compare.
inline void PrintTo(const ToolCall& call, std::ostream* os) {
  *os << "{id: " << call.id << ", name: " << call.name << ", arguments: " << call.arguments << "}";
}
inline void PrintTo(const ToolCallDelta& call, std::ostream* os) {
  *os << "{index: " << call.index << ", id: " << call.id << ", name: " << call.name
      << ", arguments: " << call.arguments << "}";
}

}  // namespace aisopod

namespace aisopod::gemini::test {

// A Vercel *.chunks.txt capture (one payload per line) as the SSE body Gemini sends:
// "data: <line>\r\n\r\n" per line.
inline std::string sse_from_chunks(std::string_view chunks) {
  std::string out;
  std::size_t pos = 0;
  while (pos < chunks.size()) {
    std::size_t end = chunks.find('\n', pos);
    if (end == std::string_view::npos) end = chunks.size();
    std::string_view line = chunks.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    out += "data: ";
    out += line;
    out += "\r\n\r\n";
  }
  return out;
}

// The response of the first exchange of a langchaingo *.httprr trace ("httprr trace v1\n<req>
// <resp>\n" then the raw request and response bytes).
struct RecordedResponse {
  int status = 0;
  http::Headers headers;
  std::string body;
};

inline RecordedResponse response_from_httprr(std::string_view trace) {
  const std::size_t line1 = trace.find('\n');
  const std::size_t line2 = trace.find('\n', line1 + 1);
  const std::string sizes(trace.substr(line1 + 1, line2 - line1 - 1));
  const std::size_t request_bytes = std::stoul(sizes.substr(0, sizes.find(' ')));
  const std::size_t response_bytes = std::stoul(sizes.substr(sizes.find(' ') + 1));
  const std::string_view response = trace.substr(line2 + 1 + request_bytes, response_bytes);
  const std::size_t head_end = response.find("\r\n\r\n");
  RecordedResponse out;
  std::string_view head = response.substr(0, head_end);
  std::size_t eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  out.status = std::stoi(std::string(status_line.substr(status_line.find(' ') + 1, 3)));
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 2);
    eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    out.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  }
  out.body = std::string(response.substr(head_end + 4));
  return out;
}

// Everything one decode produced: the chunks in order and the final status.
struct Decoded {
  std::vector<ChatCompletionChunk> chunks;
  Status status;  // the first error from next() or finish(); ok otherwise
};

inline bool drain(StreamDecoder& decoder, Decoded& out) {
  for (;;) {
    auto next = decoder.next();
    if (!next.ok()) {
      out.status = next.error();
      return false;
    }
    if (!next->has_value()) return true;
    out.chunks.push_back(std::move(**next));
  }
}

inline Decoded decode_pieces(const std::vector<std::string_view>& pieces) {
  StreamDecoder decoder("gemini");
  Decoded out;
  for (std::string_view piece : pieces) {
    decoder.feed(piece);
    if (!drain(decoder, out)) return out;
  }
  Status finished = decoder.finish();
  if (!drain(decoder, out)) return out;
  out.status = finished;
  return out;
}

inline Decoded decode(std::string_view wire) { return decode_pieces({wire}); }

inline ChatCompletion accumulate(const std::vector<ChatCompletionChunk>& chunks) {
  ChatCompletionAccumulator acc;
  for (const ChatCompletionChunk& chunk : chunks) acc.add(chunk);
  return acc.result();
}

// The text of the first `"<key>":"..."` (spaces allowed after the colon) after `after` in
// `text` (no escapes inside), read straight from a recording so that tests compare against the
// bytes the API sent.
inline std::string raw_string_after(std::string_view text, std::string_view after,
                                    std::string_view key) {
  std::size_t at = text.find(after);
  if (at == std::string_view::npos) return {};
  const std::string marker = "\"" + std::string(key) + "\":";
  at = text.find(marker, at);
  if (at == std::string_view::npos) return {};
  std::size_t start = at + marker.size();
  while (start < text.size() && text[start] == ' ') ++start;
  if (start >= text.size() || text[start] != '"') return {};
  ++start;
  return std::string(text.substr(start, text.find('"', start) - start));
}

}  // namespace aisopod::gemini::test
