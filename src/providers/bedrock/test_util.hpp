// Helpers shared by the Bedrock tests (test code only): building AWS event-stream frames (with
// correct CRCs) and decoding converse-stream bodies.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aisopod/accumulator.hpp"
#include "providers/bedrock/stream_decoder.hpp"

namespace aisopod::bedrock::test {

inline void append_u32(std::string& out, std::uint32_t value) {
  out += static_cast<char>((value >> 24) & 0xFF);
  out += static_cast<char>((value >> 16) & 0xFF);
  out += static_cast<char>((value >> 8) & 0xFF);
  out += static_cast<char>(value & 0xFF);
}

inline std::uint32_t crc32_of(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

// One string header (type 7): name length, name, 7, u16 value length, value.
inline std::string string_header(std::string_view name, std::string_view value) {
  std::string out;
  out += static_cast<char>(name.size());
  out += name;
  out += static_cast<char>(7);
  out += static_cast<char>((value.size() >> 8) & 0xFF);
  out += static_cast<char>(value.size() & 0xFF);
  out += value;
  return out;
}

// A whole event-stream message: prelude (total length, headers length, prelude CRC), the
// encoded headers, the payload, the message CRC.
inline std::string encode_message(std::string_view headers, std::string_view payload) {
  std::string out;
  append_u32(out, static_cast<std::uint32_t>(16 + headers.size() + payload.size()));
  append_u32(out, static_cast<std::uint32_t>(headers.size()));
  append_u32(out, crc32_of(out));
  out += headers;
  out += payload;
  append_u32(out, crc32_of(out));
  return out;
}

// An event frame as Bedrock sends it: `:event-type`, `:content-type`, `:message-type` event.
inline std::string event_frame(std::string_view event_type, std::string_view payload) {
  return encode_message(string_header(":event-type", event_type) +
                            string_header(":content-type", "application/json") +
                            string_header(":message-type", "event"),
                        payload);
}

// An exception frame: `:exception-type`, `:content-type`, `:message-type` exception.
inline std::string exception_frame(std::string_view exception_type, std::string_view payload) {
  return encode_message(string_header(":exception-type", exception_type) +
                            string_header(":content-type", "application/json") +
                            string_header(":message-type", "exception"),
                        payload);
}

// A Vercel *.chunks.txt capture (one `{"<event type>": <payload>}` per line) as the
// event-stream body Bedrock sent: one event frame per line, the payload written compactly.
inline std::string frames_from_chunks(std::string_view chunks) {
  std::string out;
  std::size_t pos = 0;
  while (pos < chunks.size()) {
    std::size_t end = chunks.find('\n', pos);
    if (end == std::string_view::npos) end = chunks.size();
    const std::string_view line = chunks.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    const boost::json::object event = boost::json::parse(line).as_object();
    for (const auto& member : event) {
      out += event_frame(member.key(), boost::json::serialize(member.value()));
    }
  }
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

inline Decoded decode_pieces(const std::vector<std::string_view>& pieces,
                             const DecodeOptions& options = {}) {
  StreamDecoder decoder("bedrock", options);
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

}  // namespace aisopod::bedrock::test
