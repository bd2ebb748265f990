#include "codec/event_stream.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "testing/split_points.hpp"
#include "testing/testdata.hpp"

namespace aisopod::codec {
namespace {

using ::aisopod::testing::kSplitStep;
using ::aisopod::testing::read_testdata;

// ---------------------------------------------------------------------------------------------
// Owned, comparable, printable copies of what the decoder returns.

// Prints bytes with everything but printable ASCII escaped, so a failure shows binary values.
std::string escaped(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

struct Header {
  std::string name;
  int type = 0;
  std::int64_t integer = 0;
  std::string bytes;

  friend bool operator==(const Header&, const Header&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Header& h) {
    return os << "{" << h.name << " type=" << h.type << " integer=" << h.integer << " bytes=\""
              << escaped(h.bytes) << "\"}";
  }
};

struct Message {
  std::vector<Header> headers;
  std::string payload;
  std::uint64_t offset = 0;
  std::uint32_t total_length = 0;

  friend bool operator==(const Message&, const Message&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Message& m) {
    os << "{offset=" << m.offset << " total_length=" << m.total_length << " headers=[";
    for (const Header& h : m.headers) os << h;
    return os << "] payload=\"" << escaped(m.payload) << "\"}";
  }
};

// Reads the kJsonPadding bytes after the payload as simdjson would; with AISOPOD_SANITIZE=ON an
// out-of-bounds read fails the test.
volatile unsigned char g_padding_sink = 0;
void touch_padding(std::string_view view) {
  unsigned char sum = 0;
  for (std::size_t i = 0; i < kJsonPadding; ++i) {
    sum =
        static_cast<unsigned char>(sum + static_cast<unsigned char>(view.data()[view.size() + i]));
  }
  g_padding_sink = sum;
}

Message own(const EventStreamMessage& m) {
  touch_padding(m.payload);
  Message out;
  for (const EventStreamHeader& h : m.headers) {
    out.headers.push_back(
        Header{std::string(h.name), static_cast<int>(h.type), h.integer, std::string(h.bytes)});
  }
  out.payload = std::string(m.payload);
  out.offset = m.offset;
  out.total_length = m.total_length;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Feeding helpers.

struct Decoded {
  std::vector<Message> messages;
  // The error next() returned, ok if none.
  Status next_error;
  // What finish() returned (called in every case, also after next() failed).
  Status finish_status;
};

void drain(EventStreamDecoder& decoder, Decoded& out) {
  while (out.next_error.ok()) {
    auto result = decoder.next();
    if (!result.ok()) {
      out.next_error = result.status();
      return;
    }
    if (!result->has_value()) return;
    out.messages.push_back(own(**result));
  }
}

// Feeds the pieces in order, draining after each, then finishes and drains again.
Decoded decode(const std::vector<std::string_view>& pieces,
               std::size_t max_payload_bytes = kEventStreamMaxPayloadBytes) {
  EventStreamDecoder decoder(max_payload_bytes);
  Decoded out;
  for (const std::string_view piece : pieces) {
    decoder.feed(piece);
    drain(decoder, out);
  }
  out.finish_status = decoder.finish();
  drain(decoder, out);
  return out;
}

Decoded decode_whole(std::string_view wire) { return decode({wire}); }

// Checks that every two-piece split and the byte-at-a-time feed decode like the whole.
void expect_split_invariant(std::string_view wire) {
  const Decoded whole = decode_whole(wire);
  for (std::size_t cut = 0; cut <= wire.size(); cut += kSplitStep) {
    const Decoded split = decode({wire.substr(0, cut), wire.substr(cut)});
    ASSERT_EQ(split.messages, whole.messages) << "cut at " << cut;
    ASSERT_EQ(split.next_error, whole.next_error) << "cut at " << cut;
    ASSERT_EQ(split.finish_status, whole.finish_status) << "cut at " << cut;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < wire.size(); ++i) bytes.push_back(wire.substr(i, 1));
  const Decoded bytewise = decode(bytes);
  EXPECT_EQ(bytewise.messages, whole.messages);
  EXPECT_EQ(bytewise.next_error, whole.next_error);
  EXPECT_EQ(bytewise.finish_status, whole.finish_status);
}

Status protocol_error(std::string message) {
  return Status(StatusCode::kProtocolError, std::move(message));
}

// ---------------------------------------------------------------------------------------------
// A test-only encoder, for messages the vectors and recordings do not have (exception frames,
// extreme header values, malformed headers with valid checksums).

std::string big_endian(std::uint64_t value, int width) {
  std::string out;
  for (int i = width - 1; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

std::uint32_t crc(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

// A prelude with the given lengths and a correct prelude checksum.
std::string prelude(std::uint32_t total_length, std::uint32_t headers_length) {
  std::string out = big_endian(total_length, 4) + big_endian(headers_length, 4);
  return out + big_endian(crc(out), 4);
}

// A whole message with correct lengths and checksums around raw header bytes and a payload.
std::string encode_message(std::string_view headers, std::string_view payload) {
  const auto total = static_cast<std::uint32_t>(16 + headers.size() + payload.size());
  std::string out = prelude(total, static_cast<std::uint32_t>(headers.size()));
  out += headers;
  out += payload;
  return out + big_endian(crc(out), 4);
}

// One header: name length, name, type code, then the already encoded value.
std::string raw_header(std::string_view name, int type, std::string_view value) {
  std::string out(1, static_cast<char>(name.size()));
  out += name;
  out += static_cast<char>(type);
  out += value;
  return out;
}

std::string string_header(std::string_view name, std::string_view value) {
  return raw_header(name, 7, big_endian(value.size(), 2) + std::string(value));
}

Header str(std::string name, std::string value) {
  return Header{std::move(name), 7, 0, std::move(value)};
}

// ---------------------------------------------------------------------------------------------
// The aws-sdk-go test vectors.

std::string base64_decode(std::string_view text) {
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (const char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '+') v = 62;
    if (c == '/') v = 63;
    if (v < 0) continue;  // '=' padding
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

// The message a decoded/positive JSON file describes.
Message expected_from_json(std::string_view json) {
  const boost::json::object doc = boost::json::parse(json).as_object();
  Message m;
  m.total_length = static_cast<std::uint32_t>(doc.at("total_length").as_int64());
  m.payload = base64_decode(doc.at("payload").as_string());
  for (const boost::json::value& item : doc.at("headers").as_array()) {
    const boost::json::object& h = item.as_object();
    Header header;
    header.name = std::string(h.at("name").as_string());
    header.type = static_cast<int>(h.at("type").as_int64());
    const boost::json::value& value = h.at("value");
    switch (header.type) {
      case 0:
      case 1:
        header.integer = value.as_bool() ? 1 : 0;
        break;
      case 6:
      case 7:
      case 9:
        header.bytes = base64_decode(value.as_string());
        break;
      default:
        header.integer = value.as_int64();
        break;
    }
    m.headers.push_back(header);
  }
  return m;
}

const char* const kPositiveVectors[] = {"all_headers", "empty_message", "int32_header",
                                        "payload_no_headers", "payload_one_str_header"};

TEST(EventStreamVectors, EveryPositiveVectorDecodesAsItsJsonSays) {
  for (const char* name : kPositiveVectors) {
    SCOPED_TRACE(name);
    const std::string wire =
        read_testdata(std::string("codec/eventstream/encoded/positive/") + name);
    const Message expected = expected_from_json(
        read_testdata(std::string("codec/eventstream/decoded/positive/") + name));
    const Decoded decoded = decode_whole(wire);
    ASSERT_EQ(decoded.messages.size(), 1u);
    EXPECT_EQ(decoded.messages[0], expected);
    EXPECT_EQ(decoded.messages[0].total_length, wire.size());
    EXPECT_EQ(decoded.next_error, Status());
    EXPECT_EQ(decoded.finish_status, Status());
    expect_split_invariant(wire);
  }
}

TEST(EventStreamVectors, AllHeadersHasEveryTypeWithSignedByte) {
  // Spelled out as well, so that a wrong JSON reading cannot hide a wrong decoder.
  const Decoded decoded =
      decode_whole(read_testdata("codec/eventstream/encoded/positive/all_headers"));
  ASSERT_EQ(decoded.messages.size(), 1u);
  const std::vector<Header> expected = {
      {"event-type", 4, 40972, ""},
      str("content-type", "application/json"),
      {"bool false", 1, 0, ""},
      {"bool true", 0, 1, ""},
      {"byte", 2, -49, ""},
      {"byte buf", 6, 0, "I'm a little teapot!"},
      {"timestamp", 8, 8675309, ""},
      {"int16", 3, 42, ""},
      {"int64", 5, 42424242, ""},
      {"uuid", 9, 0,
       std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10")},
  };
  EXPECT_EQ(decoded.messages[0].headers, expected);
  EXPECT_EQ(decoded.messages[0].payload, "{'foo':'bar'}");
}

struct NegativeVector {
  const char* name;
  // The content of decoded/negative/<name>: the kind of error the vector expects.
  const char* kind;
  const char* message;
};

const NegativeVector kNegativeVectors[] = {
    {"corrupted_header_len", "Prelude checksum mismatch",
     "event-stream: prelude checksum mismatch in the message at byte offset 0: computed "
     "0x70fab300, the prelude says 0x07fd8396"},
    {"corrupted_length", "Prelude checksum mismatch",
     "event-stream: prelude checksum mismatch in the message at byte offset 0: computed "
     "0x405df946, the prelude says 0x07fd8396"},
    {"corrupted_headers", "Message checksum mismatch",
     "event-stream: message checksum mismatch in the message at byte offset 0: computed "
     "0x52c21aa1, the message says 0x8d9c08b1"},
    {"corrupted_payload", "Message checksum mismatch",
     "event-stream: message checksum mismatch in the message at byte offset 0: computed "
     "0x701b72c3, the message says 0xc3653936"},
};

TEST(EventStreamVectors, EveryNegativeVectorFailsWithItsChecksumError) {
  for (const NegativeVector& v : kNegativeVectors) {
    SCOPED_TRACE(v.name);
    EXPECT_EQ(read_testdata(std::string("codec/eventstream/decoded/negative/") + v.name), v.kind);
    const std::string wire =
        read_testdata(std::string("codec/eventstream/encoded/negative/") + v.name);
    const Decoded decoded = decode_whole(wire);
    EXPECT_EQ(decoded.messages, std::vector<Message>());
    EXPECT_EQ(decoded.next_error, protocol_error(v.message));
    EXPECT_EQ(decoded.finish_status, protocol_error(v.message));
    expect_split_invariant(wire);
  }
}

TEST(EventStreamVectors, ErrorOffsetIsWhereTheBadMessageStarts) {
  const std::string good = read_testdata("codec/eventstream/encoded/positive/payload_no_headers");
  const std::string bad = read_testdata("codec/eventstream/encoded/negative/corrupted_payload");
  const std::string wire = good + good + bad + good;
  const Decoded decoded = decode_whole(wire);
  ASSERT_EQ(decoded.messages.size(), 2u);
  EXPECT_EQ(decoded.messages[0].offset, 0u);
  EXPECT_EQ(decoded.messages[1].offset, 29u);
  EXPECT_EQ(decoded.messages[1].payload, "{'foo':'bar'}");
  const Status expected = protocol_error(
      "event-stream: message checksum mismatch in the message at byte offset 58: computed "
      "0x701b72c3, the message says 0xc3653936");
  EXPECT_EQ(decoded.next_error, expected);
  EXPECT_EQ(decoded.finish_status, expected);
  expect_split_invariant(wire);
}

// ---------------------------------------------------------------------------------------------
// Real converse-stream bodies.

struct Event {
  std::string type;
  std::string payload;
  friend bool operator==(const Event&, const Event&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Event& e) {
    return os << "{" << e.type << " " << e.payload << "}";
  }
};

// Checks the framing every Bedrock event has (three string headers in this order, contiguous
// offsets, the whole body used) and returns the events.
std::vector<Event> bedrock_events(const Decoded& decoded, std::size_t body_size) {
  EXPECT_EQ(decoded.next_error, Status());
  EXPECT_EQ(decoded.finish_status, Status());
  std::vector<Event> events;
  std::uint64_t offset = 0;
  for (const Message& m : decoded.messages) {
    EXPECT_EQ(m.offset, offset);
    offset += m.total_length;
    if (m.headers.size() != 3) {
      ADD_FAILURE() << "expected three headers in " << m;
      continue;
    }
    EXPECT_EQ(m.headers[0].name, ":event-type");
    EXPECT_EQ(m.headers[1], str(":content-type", "application/json"));
    EXPECT_EQ(m.headers[2], str(":message-type", "event"));
    events.push_back(Event{m.headers[0].bytes, m.payload});
  }
  EXPECT_EQ(offset, body_size);
  return events;
}

// The events of the recordings, written out from a separate decoding of the files (a short
// Python reading of the framing); the payloads keep Bedrock's "p" padding field.

// test_bedrock_model_iter_stream.1.response.eventstream
const std::vector<Event> kIterStream1 = {
    {"messageStart", R"json({"p":"abcdefghijklmnopqrs","role":"assistant"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":"<thinking"},"p":"abcdefghijklmnopqrstuvwxyz"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":"> To find"},"p":"abcdefghijklmn"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" the temperature"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" of the capital of France,"},"p":"abcdefghijklmnopqrstuvwxyzABCDE"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" I need to first"},"p":"abcdefghijklmnopqrst"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" determine the capital"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" of France and"},"p":"abc"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" then get"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" the current"},"p":"abcdefghijklmnopqrstuvwx"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" temperature in"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" that city. The"},"p":"abcdefghijklmnopqrst"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" capital of France is Paris"},"p":"abcdefghijklmnopqrst"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":". I"},"p":"abcdefghijkl"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" will use"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" the \"get_temperature\""},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" tool to find the current temperature"},"p":"abcdefghijklmnop"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" in Paris.</"},"p":"abcdef"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":"thinking"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":">\n"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012"})json"},
    {"contentBlockStop",
     R"json({"contentBlockIndex":0,"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567"})json"},
    {"contentBlockStart",
     R"json({"contentBlockIndex":1,"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS","start":{"toolUse":{"name":"get_temperature","toolUseId":"tooluse_lAG_zP8QRHmSYOwZzzaCqA"}}})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":\"Paris\"}"}},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"})json"},
    {"contentBlockStop", R"json({"contentBlockIndex":1,"p":"abcdefghijklmnop"})json"},
    {"messageStop",
     R"json({"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO","stopReason":"tool_use"})json"},
    {"metadata",
     R"json({"metrics":{"latencyMs":422},"p":"abcdefghijklm","usage":{"inputTokens":471,"outputTokens":91,"totalTokens":562}})json"},
};

// test_bedrock_model_iter_stream.2.response.eventstream
const std::vector<Event> kIterStream2 = {
    {"messageStart", R"json({"p":"abcde","role":"assistant"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":"The"},"p":"abcdefghijklmno"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" current temperature in Paris, the"},"p":"abcdefghijklmnop"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" capital of France,"},"p":"abc"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" is 30°C"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL"})json"},
    {"contentBlockDelta", R"json({"contentBlockIndex":0,"delta":{"text":"."},"p":"abcdef"})json"},
    {"contentBlockStop", R"json({"contentBlockIndex":0,"p":"abcdefghijklmnopqrstuvwxyzA"})json"},
    {"messageStop", R"json({"p":"abcdefghijklmnopqrstuvwxyz","stopReason":"end_turn"})json"},
    {"metadata",
     R"json({"metrics":{"latencyMs":223},"p":"abcdefghijklmn","usage":{"inputTokens":577,"outputTokens":18,"totalTokens":595}})json"},
};

// test_bedrock_model_stream_empty_text_delta.response.eventstream
const std::vector<Event> kEmptyTextDelta = {
    {"messageStart",
     R"json({"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0","role":"assistant"})json"},
    {"contentBlockDelta", R"json({"contentBlockIndex":0,"delta":{"text":""},"p":"abcdefghi"})json"},
    {"contentBlockStop",
     R"json({"contentBlockIndex":0,"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":1,"delta":{"reasoningContent":{"text":"The user just says \"Hi\". We need to respond appropriately, friendly greeting. No special instructions. Should be short."}},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"})json"},
    {"contentBlockStop",
     R"json({"contentBlockIndex":1,"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":2,"delta":{"text":"Hello! How can I help"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":2,"delta":{"text":" you today?"},"p":"abcdefghijklmnopqrstuvw"})json"},
    {"contentBlockStop", R"json({"contentBlockIndex":2,"p":"abcdefghij"})json"},
    {"messageStop", R"json({"p":"ab","stopReason":"end_turn"})json"},
    {"metadata",
     R"json({"metrics":{"latencyMs":753},"p":"abcdefghijklmn","usage":{"inputTokens":70,"outputTokens":43,"serverToolUsage":{},"totalTokens":113}})json"},
};

// test_bedrock_model_stream.response.eventstream
const std::vector<Event> kModelStream = {
    {"messageStart", R"json({"p":"abcdefghijklmnopqr","role":"assistant"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":"The"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" capital of France is Paris."},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJK"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" Paris is not"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" only the capital city but"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" also the most"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" populous city in France"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012"})json"},
    {"contentBlockDelta", R"json({"contentBlockIndex":0,"delta":{"text":", and"},"p":"ab"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" it is"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" a"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" major center"},"p":"abcdefghijklmnopqrstuvwx"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" for"},"p":"abcdefghijk"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" culture"},"p":"abcdefghijklmnopqrstuvwxyzABCD"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":", commerce, fashion"},"p":"abcdefghijklmn"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":", and international diplomacy"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":". Known"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" for its"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" historical"},"p":"abcdefghijklm"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" landmarks, such"},"p":"abcdef"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" as the Eiffel Tower, the"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" Louvre Museum, and Notre"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":"-Dame Cathedral"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":", Paris is often"},"p":"abcdefghijklmnopqrstuvwx"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" referred to as \""},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":"The City of Light"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":"\""},"p":"abcdefgh"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" or \"The"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" City"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":" of Love"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"})json"},
    {"contentBlockDelta",
     R"json({"contentBlockIndex":0,"delta":{"text":".\""},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGH"})json"},
    {"contentBlockStop",
     R"json({"contentBlockIndex":0,"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"})json"},
    {"messageStop", R"json({"p":"abcdefghijklmno","stopReason":"end_turn"})json"},
    {"metadata",
     R"json({"metrics":{"latencyMs":522},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW","usage":{"inputTokens":13,"outputTokens":82,"serverToolUsage":{},"totalTokens":95}})json"},
};

// test_bedrock_model_thinking_part_stream.response.eventstream: event types
const std::vector<std::string> kThinkingTypes = {
    "messageStart",      "contentBlockDelta", "contentBlockDelta", "contentBlockDelta",
    "contentBlockDelta", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta",
    "contentBlockDelta", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta",
    "contentBlockDelta", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta",
    "contentBlockStop",  "contentBlockDelta", "contentBlockDelta", "contentBlockDelta",
    "contentBlockDelta", "contentBlockDelta", "contentBlockStop",  "messageStop",
    "metadata"};
// test_bedrock_model_thinking_part_stream.response.eventstream: payload sizes
const std::vector<std::size_t> kThinkingSizes = {55,  117, 134, 118, 120, 120, 118, 97, 114,
                                                 99,  128, 112, 122, 131, 115, 615, 61, 93,
                                                 102, 119, 126, 94,  79,  65,  142};
// test_bedrock_model_thinking_part_redacted_stream.response.eventstream: event types
const std::vector<std::string> kRedactedTypes = {
    "messageStart",      "contentBlockDelta", "contentBlockStop",  "contentBlockDelta",
    "contentBlockStop",  "contentBlockDelta", "contentBlockDelta", "contentBlockDelta",
    "contentBlockDelta", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta",
    "contentBlockDelta", "contentBlockDelta", "contentBlockDelta", "contentBlockStop",
    "messageStop",       "metadata"};
// test_bedrock_model_thinking_part_redacted_stream.response.eventstream: payload sizes
const std::vector<std::size_t> kRedactedSizes = {32, 1181, 37,  839, 47,  142, 126, 118, 121,
                                                 96, 123,  122, 93,  109, 100, 87,  46,  140};

struct Recording {
  const char* file;
  const std::vector<Event>* events;
};

TEST(EventStreamRecordings, ConverseStreamBodiesDecodeToTheirEvents) {
  const Recording recordings[] = {
      {"bedrock/pydantic-ai/test_bedrock_model_iter_stream.1.response.eventstream", &kIterStream1},
      {"bedrock/pydantic-ai/test_bedrock_model_iter_stream.2.response.eventstream", &kIterStream2},
      {"bedrock/pydantic-ai/test_bedrock_model_stream_empty_text_delta.response.eventstream",
       &kEmptyTextDelta},
      {"bedrock/pydantic-ai/test_bedrock_model_stream.response.eventstream", &kModelStream},
  };
  for (const Recording& r : recordings) {
    SCOPED_TRACE(r.file);
    const std::string wire = read_testdata(r.file);
    EXPECT_EQ(bedrock_events(decode_whole(wire), wire.size()), *r.events);
    expect_split_invariant(wire);
  }
}

TEST(EventStreamRecordings, ThinkingStreamDecodes) {
  const std::string wire = read_testdata(
      "bedrock/pydantic-ai/test_bedrock_model_thinking_part_stream.response.eventstream");
  const std::vector<Event> events = bedrock_events(decode_whole(wire), wire.size());
  std::vector<std::string> types;
  std::vector<std::size_t> sizes;
  for (const Event& e : events) {
    types.push_back(e.type);
    sizes.push_back(e.payload.size());
  }
  EXPECT_EQ(types, kThinkingTypes);
  EXPECT_EQ(sizes, kThinkingSizes);
  ASSERT_EQ(events.size(), 25u);
  EXPECT_EQ(events[0].payload,
            R"json({"p":"abcdefghijklmnopqrstuvwxyzAB","role":"assistant"})json");
  EXPECT_EQ(
      events[1].payload,
      R"json({"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"The"}},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"})json");
  EXPECT_EQ(
      events[15].payload,
      R"json({"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"Eu0CCkgIBxABGAIqQJDccbDQkr81n7QjZ0Fi43umSvw0YvnGkMPEpaGAa2btYHyWw06KhwckvsnKzpKcxiRJT35meoG4/pdrTUiy2UISDPDaEWfOl3+HlRVsCxoMzfiqBp252RMvpmEyIjCbQ97Ac9Epkr5mgxeu1vGtJg+fDWIg0UnpMM8NYknhhvJmsXpYrfquwGL1ZnlBslUq0gHtbAAPwlWPmiQXU7gDQCDW9IdMVyw42b4f5MrAlpWkPWOJc9H+yYv0TpP/jY72SD1opqwkWnBgkzbi7A2jPmEFzIMQSO1KDXha5ADqQ3cLYMmVdNTSH9wlM7G7/JJ2/cqowqkwD6/q1AnYzcPte9iC67fY1LYN0NMCOSABFojP1rmkv9YBEulx5Y6eQpeVXBQiIqcGoCmWSumpGBskS1KxGerUmzUB0JmJnTENv4x3fSGSUSEPqMiz6Ebao8sVkb1wCWuZEXWJGtiQLMIm1o471iEYAQ=="}},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"})json");
  EXPECT_EQ(events[23].payload,
            R"json({"p":"abcdefghijklmnopqrstuvwxyzABCDEFG","stopReason":"end_turn"})json");
  EXPECT_EQ(
      events[24].payload,
      R"json({"metrics":{"latencyMs":1999},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP","usage":{"inputTokens":36,"outputTokens":73,"totalTokens":109}})json");
  expect_split_invariant(wire);
}

TEST(EventStreamRecordings, RedactedThinkingStreamDecodes) {
  const std::string wire = read_testdata(
      "bedrock/pydantic-ai/test_bedrock_model_thinking_part_redacted_stream.response.eventstream");
  const std::vector<Event> events = bedrock_events(decode_whole(wire), wire.size());
  std::vector<std::string> types;
  std::vector<std::size_t> sizes;
  for (const Event& e : events) {
    types.push_back(e.type);
    sizes.push_back(e.payload.size());
  }
  EXPECT_EQ(types, kRedactedTypes);
  EXPECT_EQ(sizes, kRedactedSizes);
  ASSERT_EQ(events.size(), 18u);
  EXPECT_EQ(events[0].payload, R"json({"p":"abcde","role":"assistant"})json");
  EXPECT_EQ(events[2].payload, R"json({"contentBlockIndex":0,"p":"abcdefg"})json");
  EXPECT_EQ(
      events[5].payload,
      R"json({"contentBlockIndex":2,"delta":{"text":"I notice you've sent what appears to be some"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"})json");
  EXPECT_EQ(events[16].payload, R"json({"p":"abcdefghijklmn","stopReason":"end_turn"})json");
  EXPECT_EQ(
      events[17].payload,
      R"json({"metrics":{"latencyMs":8069},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM","usage":{"inputTokens":92,"outputTokens":253,"totalTokens":345}})json");
  expect_split_invariant(wire);
}

// ---------------------------------------------------------------------------------------------
// Hand-built messages.

TEST(EventStreamDecoder, ExceptionFrameHeadersAreFoundByName) {
  // The shape of a mid-stream error (wire-formats.md 4.3); no recording has one.
  const std::string wire = encode_message(
      string_header(":exception-type", "throttlingException") +
          string_header(":content-type", "application/json") +
          string_header(":message-type", "exception") + raw_header("retry", 4, big_endian(3, 4)),
      R"({"message":"Too many requests, please wait before trying again."})");
  EventStreamDecoder decoder;
  decoder.feed(wire);
  auto result = decoder.next();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  ASSERT_TRUE(result->has_value());
  const EventStreamMessage& message = **result;
  EXPECT_EQ(message.string_header(":message-type"), "exception");
  EXPECT_EQ(message.string_header(":exception-type"), "throttlingException");
  EXPECT_EQ(message.string_header(":content-type"), "application/json");
  EXPECT_EQ(message.string_header(":event-type"), "");
  // A header of another type is found, but has no string value.
  EXPECT_EQ(message.string_header("retry"), "");
  const EventStreamHeader* retry = message.find_header("retry");
  ASSERT_NE(retry, nullptr);
  EXPECT_EQ(retry->type, EventStreamHeaderType::kInt);
  EXPECT_EQ(retry->integer, 3);
  EXPECT_EQ(message.find_header(":Message-Type"), nullptr);
  EXPECT_EQ(message.find_header("missing"), nullptr);
  EXPECT_EQ(message.payload,
            R"({"message":"Too many requests, please wait before trying again."})");
  EXPECT_EQ(message.offset, 0u);
  EXPECT_EQ(message.total_length, wire.size());
  auto end = decoder.next();
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, std::nullopt);
  EXPECT_EQ(decoder.finish(), Status());
}

TEST(EventStreamDecoder, FindHeaderReturnsTheFirstOfDuplicates) {
  const std::string wire =
      encode_message(string_header("k", "first") + string_header("k", "second"), "");
  EventStreamDecoder decoder;
  decoder.feed(wire);
  auto result = decoder.next();
  ASSERT_TRUE(result.ok());
  ASSERT_TRUE(result->has_value());
  EXPECT_EQ((*result)->headers.size(), 2u);
  EXPECT_EQ((*result)->string_header("k"), "first");
}

TEST(EventStreamDecoder, ExtremeHeaderValues) {
  const std::string headers =
      raw_header("b-", 2, big_endian(0x80, 1)) + raw_header("b+", 2, big_endian(0x7f, 1)) +
      raw_header("s-", 3, big_endian(0x8000, 2)) + raw_header("s+", 3, big_endian(0x7fff, 2)) +
      raw_header("i-", 4, big_endian(0x80000000u, 4)) +
      raw_header("i1", 4, big_endian(0xffffffffu, 4)) +
      raw_header("l-", 5, big_endian(0x8000000000000000u, 8)) +
      raw_header("l+", 5, big_endian(0x7fffffffffffffffu, 8)) +
      raw_header("t-", 8, big_endian(static_cast<std::uint64_t>(-1000), 8)) +
      raw_header("bytes", 6, big_endian(3, 2) + std::string("a\0b", 3)) +
      raw_header("empty", 7, big_endian(0, 2)) + raw_header(std::string(255, 'n'), 1, "") +
      raw_header("", 0, "");
  const Decoded decoded = decode_whole(encode_message(headers, ""));
  ASSERT_EQ(decoded.messages.size(), 1u);
  const std::vector<Header> expected = {
      {"b-", 2, -128, ""},
      {"b+", 2, 127, ""},
      {"s-", 3, -32768, ""},
      {"s+", 3, 32767, ""},
      {"i-", 4, std::numeric_limits<std::int32_t>::min(), ""},
      {"i1", 4, -1, ""},
      {"l-", 5, std::numeric_limits<std::int64_t>::min(), ""},
      {"l+", 5, std::numeric_limits<std::int64_t>::max(), ""},
      {"t-", 8, -1000, ""},
      {"bytes", 6, 0, std::string("a\0b", 3)},
      {"empty", 7, 0, ""},
      {std::string(255, 'n'), 1, 0, ""},
      {"", 0, 1, ""},
  };
  EXPECT_EQ(decoded.messages[0].headers, expected);
  EXPECT_EQ(decoded.messages[0].payload, "");
  EXPECT_EQ(decoded.finish_status, Status());
}

TEST(EventStreamDecoder, UnknownHeaderTypeIsAnError) {
  const std::string wire =
      encode_message(string_header("ok", "v") + raw_header("we\x01rd", 10, "xxxx"), "payload");
  const Status expected = protocol_error(
      "event-stream: bad header in the message at byte offset 0: header 1 (\"we?rd\") has "
      "unknown value type 10");
  const Decoded decoded = decode_whole(wire);
  EXPECT_EQ(decoded.messages, std::vector<Message>());
  EXPECT_EQ(decoded.next_error, expected);
  EXPECT_EQ(decoded.finish_status, expected);
  expect_split_invariant(wire);
}

TEST(EventStreamDecoder, HeaderRunningPastTheSectionIsAnError) {
  struct Case {
    const char* what;
    std::string headers;
    const char* message;
  };
  const Case cases[] = {
      {"string value longer than the section", raw_header("s", 7, big_endian(100, 2) + "abc"),
       "event-stream: bad header in the message at byte offset 0: header 0 runs past the end "
       "of the 8-byte headers section"},
      {"name longer than the section",
       std::string("\x09"
                   "abc",
                   4),
       "event-stream: bad header in the message at byte offset 0: header 0 runs past the end "
       "of the 4-byte headers section"},
      {"no type byte",
       string_header("a", "b") + std::string("\x01"
                                             "x",
                                             2),
       "event-stream: bad header in the message at byte offset 0: header 1 runs past the end "
       "of the 8-byte headers section"},
      {"cut inside a length prefix", raw_header("s", 6, std::string(1, '\0')),
       "event-stream: bad header in the message at byte offset 0: header 0 runs past the end "
       "of the 4-byte headers section"},
      {"cut inside an int64", raw_header("l", 5, std::string(3, '\0')),
       "event-stream: bad header in the message at byte offset 0: header 0 runs past the end "
       "of the 6-byte headers section"},
      {"cut inside a uuid", raw_header("u", 9, std::string(15, 'u')),
       "event-stream: bad header in the message at byte offset 0: header 0 runs past the end "
       "of the 18-byte headers section"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string wire = encode_message(c.headers, "{}");
    const Decoded decoded = decode_whole(wire);
    EXPECT_EQ(decoded.messages, std::vector<Message>());
    EXPECT_EQ(decoded.next_error, protocol_error(c.message));
    EXPECT_EQ(decoded.finish_status, protocol_error(c.message));
  }
}

TEST(EventStreamDecoder, BadLengthsFailAsSoonAsThePreludeArrives) {
  struct Case {
    const char* what;
    std::string prelude;
    const char* message;
  };
  const Case cases[] = {
      {"total below the minimum", prelude(15, 0),
       "event-stream: bad length in the message at byte offset 0: total length 15 is below the "
       "16-byte minimum"},
      {"zero total", prelude(0, 0),
       "event-stream: bad length in the message at byte offset 0: total length 0 is below the "
       "16-byte minimum"},
      {"headers longer than the message", prelude(20, 5),
       "event-stream: bad length in the message at byte offset 0: headers length 5 does not fit "
       "in total length 20"},
      {"headers over 128 KiB", prelude(16 + 131073, 131073),
       "event-stream: message at byte offset 0 too large: headers length 131073 exceeds the "
       "limit of 131072 bytes"},
      {"payload over 16 MiB", prelude(16 + 16777217, 0),
       "event-stream: message at byte offset 0 too large: payload length 16777217 exceeds the "
       "limit of 16777216 bytes"},
      {"largest u32 total", prelude(0xffffffffu, 0),
       "event-stream: message at byte offset 0 too large: payload length 4294967279 exceeds the "
       "limit of 16777216 bytes"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    // Only the prelude: the error must not wait for the rest of the message.
    EventStreamDecoder decoder;
    decoder.feed(c.prelude);
    auto result = decoder.next();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status(), protocol_error(c.message));
    EXPECT_EQ(result.status().code(), StatusCode::kProtocolError);
    // Sticky, also after more bytes and at the end.
    decoder.feed(read_testdata("codec/eventstream/encoded/positive/empty_message"));
    EXPECT_EQ(decoder.next().status(), protocol_error(c.message));
    EXPECT_EQ(decoder.finish(), protocol_error(c.message));
    EXPECT_EQ(decoder.next().status(), protocol_error(c.message));
  }
}

TEST(EventStreamDecoder, PayloadLimitIsInclusive) {
  const std::string at_limit = encode_message(string_header("h", "v"), "0123456789");
  const std::string over_limit = encode_message(string_header("h", "v"), "0123456789A");
  const Decoded ok = decode({at_limit}, 10);
  ASSERT_EQ(ok.messages.size(), 1u);
  EXPECT_EQ(ok.messages[0].payload, "0123456789");
  EXPECT_EQ(ok.finish_status, Status());
  const Decoded too_big = decode({at_limit + over_limit}, 10);
  ASSERT_EQ(too_big.messages.size(), 1u);
  const Status expected = protocol_error(
      "event-stream: message at byte offset 32 too large: payload length 11 exceeds the limit "
      "of 10 bytes");
  EXPECT_EQ(too_big.next_error, expected);
  EXPECT_EQ(too_big.finish_status, expected);
}

TEST(EventStreamDecoder, LargestPayloadAwsAllowsIsAccepted) {
  const std::string payload(kEventStreamMaxPayloadBytes, 'x');
  const std::string wire = encode_message(string_header(":event-type", "big"), payload);
  const Decoded decoded = decode({wire.substr(0, 1000), wire.substr(1000)});
  ASSERT_EQ(decoded.messages.size(), 1u);
  EXPECT_EQ(decoded.messages[0].payload, payload);
  EXPECT_EQ(decoded.messages[0].total_length, 16 + 18 + kEventStreamMaxPayloadBytes);
  EXPECT_EQ(decoded.finish_status, Status());
}

TEST(EventStreamDecoder, TruncatedStreamsFailAtFinish) {
  const std::string one =
      read_testdata("codec/eventstream/encoded/positive/payload_one_str_header");
  struct Case {
    const char* what;
    std::string wire;
    std::size_t complete_messages;
    const char* message;
  };
  const Case cases[] = {
      {"inside the first prelude", one.substr(0, 5), 0,
       "event-stream: truncated: the stream ended 5 bytes into the message at byte offset 0, "
       "inside its 12-byte prelude"},
      {"right after the prelude", one.substr(0, 12), 0,
       "event-stream: truncated: the stream ended 12 bytes into the message at byte offset 0, "
       "which is 61 bytes long"},
      {"one byte short", one.substr(0, 60), 0,
       "event-stream: truncated: the stream ended 60 bytes into the message at byte offset 0, "
       "which is 61 bytes long"},
      {"after a whole message", one + one.substr(0, 30), 1,
       "event-stream: truncated: the stream ended 30 bytes into the message at byte offset 61, "
       "which is 61 bytes long"},
      {"one byte after two messages", one + one + one.substr(0, 1), 2,
       "event-stream: truncated: the stream ended 1 bytes into the message at byte offset 122, "
       "inside its 12-byte prelude"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const Decoded decoded = decode_whole(c.wire);
    EXPECT_EQ(decoded.messages.size(), c.complete_messages);
    EXPECT_EQ(decoded.finish_status, protocol_error(c.message));
    EXPECT_EQ(decoded.next_error, protocol_error(c.message));
    expect_split_invariant(c.wire);
  }
}

TEST(EventStreamDecoder, FinishBeforeNextStillReturnsBufferedMessages) {
  const std::string one = read_testdata("codec/eventstream/encoded/positive/int32_header");
  const Status truncated = protocol_error(
      "event-stream: truncated: the stream ended 7 bytes into the message at byte offset 90, "
      "inside its 12-byte prelude");
  EventStreamDecoder decoder;
  decoder.feed(one + one + one.substr(0, 7));
  EXPECT_EQ(decoder.finish(), truncated);
  EXPECT_EQ(decoder.finish(), truncated);
  for (std::uint64_t offset : {0u, 45u}) {
    auto result = decoder.next();
    ASSERT_TRUE(result.ok()) << result.status().to_string();
    ASSERT_TRUE(result->has_value());
    EXPECT_EQ((*result)->offset, offset);
    EXPECT_EQ((*result)->payload, "{'foo':'bar'}");
  }
  EXPECT_EQ(decoder.next().status(), truncated);
  EXPECT_EQ(decoder.next().status(), truncated);
  EXPECT_EQ(decoder.finish(), truncated);
}

TEST(EventStreamDecoder, FinishReportsABadPreludeAfterBufferedMessages) {
  const std::string good = read_testdata("codec/eventstream/encoded/positive/empty_message");
  const std::string bad = read_testdata("codec/eventstream/encoded/negative/corrupted_length");
  const Status expected = protocol_error(
      "event-stream: prelude checksum mismatch in the message at byte offset 16: computed "
      "0x405df946, the prelude says 0x07fd8396");
  EventStreamDecoder decoder;
  decoder.feed(good + bad);
  EXPECT_EQ(decoder.finish(), expected);
  auto first = decoder.next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->total_length, 16u);
  EXPECT_EQ(decoder.next().status(), expected);
}

TEST(EventStreamDecoder, EmptyStreamIsFine) {
  EventStreamDecoder decoder;
  auto before = decoder.next();
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before, std::nullopt);
  decoder.feed("");
  EXPECT_EQ(decoder.finish(), Status());
  auto after = decoder.next();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, std::nullopt);
  EXPECT_EQ(decoder.finish(), Status());
}

TEST(EventStreamDecoder, BytesAfterFinishAreIgnored) {
  EventStreamDecoder decoder;
  EXPECT_EQ(decoder.finish(), Status());
  decoder.feed(read_testdata("codec/eventstream/encoded/positive/empty_message"));
  auto result = decoder.next();
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, std::nullopt);
}

TEST(EventStreamDecoder, ViewsSurviveUntilTheNextCall) {
  // Two messages in one feed: the first one's views must still be right after it is returned,
  // while the second is still buffered behind it.
  const std::string wire = encode_message(string_header(":event-type", "a"), "first") +
                           encode_message(string_header(":event-type", "b"), "second");
  EventStreamDecoder decoder;
  decoder.feed(wire);
  auto first = decoder.next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  const std::string_view first_payload = (*first)->payload;
  const std::string_view first_type = (*first)->string_header(":event-type");
  EXPECT_EQ(first_payload, "first");
  EXPECT_EQ(first_type, "a");
  auto second = decoder.next();
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->payload, "second");
  EXPECT_EQ((*second)->string_header(":event-type"), "b");
  EXPECT_EQ((*second)->offset, 37u);
}

}  // namespace
}  // namespace aisopod::codec
