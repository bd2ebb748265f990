// Helpers shared by the Anthropic tests (test code only): turning recordings into response
// bodies and decoding them.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/accumulator.hpp"
#include "providers/anthropic/stream_decoder.hpp"
#include "testing/testdata.hpp"

namespace aisopod::anthropic::test {

// A Vercel *.chunks.txt capture (one event payload per line) as the SSE body the API sent:
// "event: <type>\ndata: <line>\n\n" per line, the type read from the line's first "type".
inline std::string sse_from_chunks(std::string_view chunks) {
  std::string out;
  std::size_t pos = 0;
  while (pos < chunks.size()) {
    std::size_t end = chunks.find('\n', pos);
    if (end == std::string_view::npos) end = chunks.size();
    std::string_view line = chunks.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    const std::string_view marker = "\"type\":\"";
    const std::size_t at = line.find(marker);
    std::string_view type;
    if (at != std::string_view::npos) {
      const std::size_t start = at + marker.size();
      type = line.substr(start, line.find('"', start) - start);
    }
    out += "event: ";
    out += type;
    out += "\ndata: ";
    out += line;
    out += "\n\n";
  }
  return out;
}

// The response body of a langchaingo *.httprr trace ("httprr trace v1\n<req> <resp>\n" then the
// raw request and response bytes).
inline std::string body_from_httprr(std::string_view trace) {
  std::size_t line1 = trace.find('\n');
  std::size_t line2 = trace.find('\n', line1 + 1);
  const std::string sizes(trace.substr(line1 + 1, line2 - line1 - 1));
  const std::size_t request_bytes = std::stoul(sizes.substr(0, sizes.find(' ')));
  std::string_view response = trace.substr(line2 + 1 + request_bytes);
  const std::size_t head_end = response.find("\r\n\r\n");
  return std::string(response.substr(head_end + 4));
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

inline Decoded decode_pieces(const std::vector<std::string_view>& pieces,
                             const DecodeOptions& options = {}) {
  StreamDecoder decoder("anthropic", options);
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

inline Decoded decode(std::string_view wire, const DecodeOptions& options = {}) {
  return decode_pieces({wire}, options);
}

inline ChatCompletion accumulate(const std::vector<ChatCompletionChunk>& chunks) {
  ChatCompletionAccumulator acc;
  for (const ChatCompletionChunk& chunk : chunks) acc.add(chunk);
  return acc.result();
}

// The text of the first `"<key>":"..."` after `after` in `text` (no escapes inside), read
// straight from a recording so that tests compare against the bytes the API sent.
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

// The recording pydantic-ai/test_anthropic_tool_with_thinking.yaml (a cassette of a thinking +
// tool-use exchange with claude-sonnet-4-0): facts read from it, and its first response body
// rebuilt as JSON (the cassette stores bodies as parsed YAML).
struct ToolWithThinking {
  std::string signature;
  std::string thinking;
  std::string text;
  std::string tool_id = "toolu_01YGzqpRE16Vricda3Aqcejo";
  std::string turn1_body;
};

inline ToolWithThinking tool_with_thinking() {
  const std::string yaml = aisopod::testing::read_testdata(
      "anthropic/pydantic-ai/test_anthropic_tool_with_thinking.yaml");
  ToolWithThinking out;
  const std::string marker = "signature: ";
  const std::size_t at = yaml.find(marker) + marker.size();
  out.signature = yaml.substr(at, yaml.find('\n', at) - at);
  out.thinking =
      "The user is asking about the largest city in \"the user country\". To answer this "
      "question, I first need to determine what country the user is from. I have access to a "
      "function called \"get_user_country\" that can help me find out the user's country. Once I "
      "know the country, I can then provide information about its largest city.\n\nLet me call "
      "the get_user_country function first.";
  out.text =
      "I'll help you find the largest city in your country. First, let me determine which "
      "country you're from.";
  boost::json::object body{
      {"id", "msg_01WvueFjZVbHcj4H4zUzeGv2"},
      {"type", "message"},
      {"role", "assistant"},
      {"model", "claude-sonnet-4-20250514"},
      {"content", boost::json::array{boost::json::object{{"type", "thinking"},
                                                         {"thinking", out.thinking},
                                                         {"signature", out.signature}},
                                     boost::json::object{{"type", "text"}, {"text", out.text}},
                                     boost::json::object{{"type", "tool_use"},
                                                         {"id", out.tool_id},
                                                         {"name", "get_user_country"},
                                                         {"input", boost::json::object()}}}},
      {"stop_reason", "tool_use"},
      {"stop_sequence", nullptr},
      {"usage", boost::json::object{{"input_tokens", 398},
                                    {"cache_creation_input_tokens", 0},
                                    {"cache_read_input_tokens", 0},
                                    {"output_tokens", 155}}}};
  out.turn1_body = boost::json::serialize(body);
  return out;
}

}  // namespace aisopod::anthropic::test
