// AWS event-stream decoder (content type application/vnd.amazon.eventstream, the body of
// Bedrock's converse-stream), sans-I/O: bytes in, messages out. One per response body; not
// thread-safe.
//
// Wire format, every integer big-endian:
//
//   total_length u32 | headers_length u32 | prelude_crc u32 | headers | payload | message_crc u32
//
// The first 12 bytes are the prelude. prelude_crc is the CRC-32 (IEEE 802.3, zlib's crc32()) of
// the first 8 bytes; message_crc is the CRC-32 of every byte of the message before it. The
// payload is total_length - headers_length - 16 bytes. A header is
//
//   name_length u8 | name | type u8 | value
//
// where the value depends on the type (EventStreamHeaderType): nothing for the booleans, a signed
// 1, 2, 4 or 8-byte integer, a u16 length and that many bytes (byte array, string), an int64 of
// milliseconds since the Unix epoch (timestamp), or 16 raw bytes (uuid).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "aisopod/status.hpp"
#include "codec/sse.hpp"

namespace aisopod::codec {

// The prelude: total length, headers length, prelude CRC.
inline constexpr std::size_t kEventStreamPreludeBytes = 12;
// The smallest message: a prelude and a message CRC, no headers, no payload.
inline constexpr std::size_t kEventStreamMinMessageBytes = 16;
// AWS's limits (the same as the AWS SDKs enforce): a payload of at most 16 MiB and a headers
// section of at most 128 KiB.
inline constexpr std::size_t kEventStreamMaxPayloadBytes = 16 * 1024 * 1024;
inline constexpr std::size_t kEventStreamMaxHeadersBytes = 128 * 1024;

// A header's value type; the enumerator's value is the type code on the wire.
enum class EventStreamHeaderType : std::uint8_t {
  kBoolTrue = 0,
  kBoolFalse = 1,
  kByte = 2,
  kShort = 3,
  kInt = 4,
  kLong = 5,
  kByteArray = 6,
  kString = 7,
  kTimestamp = 8,
  kUuid = 9,
};

// One header of a decoded message. The views point into the decoder's buffer; see
// EventStreamMessage for how long they stay valid.
struct EventStreamHeader {
  std::string_view name;
  EventStreamHeaderType type = EventStreamHeaderType::kBoolTrue;
  // kBoolTrue: 1, kBoolFalse: 0; kByte, kShort, kInt, kLong: the value, sign-extended (a byte
  // 0xCF is -49); kTimestamp: milliseconds since the Unix epoch; 0 for the other types.
  std::int64_t integer = 0;
  // kByteArray and kString: the value's bytes (a string is UTF-8, not checked); kUuid: the 16
  // raw bytes; empty for the other types.
  std::string_view bytes;

  friend bool operator==(const EventStreamHeader&, const EventStreamHeader&) = default;
};

// One decoded message. The views (headers, their names and values, the payload) stay valid until
// the next call to feed(), next() or finish() on the decoder that produced them; the payload is
// followed by at least kJsonPadding readable bytes, so simdjson can parse it in place.
struct EventStreamMessage {
  // In wire order; duplicates are kept.
  std::span<const EventStreamHeader> headers;
  std::string_view payload;
  // Where the message starts in the stream (bytes fed before it), and its total length.
  std::uint64_t offset = 0;
  std::uint32_t total_length = 0;

  // The first header named `name` (exact, case-sensitive match, as AWS header names are
  // lower-case by convention: ":event-type"), or nullptr.
  const EventStreamHeader* find_header(std::string_view name) const;
  // The value of the first header named `name` when that header is a string; empty when there is
  // no such header or it has another type. For ":event-type", ":message-type", ":exception-type",
  // ":content-type" and the like.
  std::string_view string_header(std::string_view name) const;
};

class EventStreamDecoder {
 public:
  // `max_payload_bytes` bounds one message's payload (AWS's limit by default). A message whose
  // prelude announces more, or a headers section over kEventStreamMaxHeadersBytes, is a
  // protocol_error as soon as its 12-byte prelude has arrived, before its bytes are buffered.
  explicit EventStreamDecoder(std::size_t max_payload_bytes = kEventStreamMaxPayloadBytes);

  // Appends bytes. Never blocks, never fails; errors surface from next(). The bytes are copied
  // and buffered until next() consumes them. Ignored after finish() or an error.
  void feed(std::string_view bytes);

  // The next complete message, std::nullopt when more bytes are needed (or, after finish(), when
  // the stream is over), or a sticky protocol_error: once an error is returned every later call
  // returns the same one. The messages before a bad one are returned before the error. Each
  // error message names what was wrong and the byte offset at which the bad message starts:
  //   "event-stream: prelude checksum mismatch in the message at byte offset N: computed
  //    0x..., the prelude says 0x..."
  //   "event-stream: message checksum mismatch in the message at byte offset N: computed
  //    0x..., the message says 0x..."
  //   "event-stream: bad length in the message at byte offset N: ..." (total length under 16,
  //    or a headers length that does not fit in the total length)
  //   "event-stream: message at byte offset N too large: ..." (over the limits above)
  //   "event-stream: bad header in the message at byte offset N: ..." (an unknown value type,
  //    or a header that runs past the end of the headers section)
  // The prelude is checked as soon as its 12 bytes are there; the message checksum and the
  // headers when the whole message is. A message never comes out before both checksums match.
  Result<std::optional<EventStreamMessage>> next();

  // End of body. Returns protocol_error "event-stream: truncated: ..." (naming the offset of the
  // unfinished message and how many of its bytes arrived) when the bytes after the last complete
  // message hold part of a message, and the prelude error of a buffered message when one is
  // found on the way there. Complete messages still buffered are returned by next() afterwards,
  // followed by the same error (or by std::nullopt when finish() returned ok). Checksum and
  // header errors inside complete messages surface from next() only. Calling it again returns
  // the same status. If next() already failed, returns that error.
  Status finish();

 private:
  struct Prelude {
    std::uint32_t total_length;
    std::uint32_t headers_length;
  };
  // Checks the 12 prelude bytes at `p` of the message at stream offset `offset`.
  Result<Prelude> check_prelude(const char* p, std::uint64_t offset) const;
  // Parses the headers section of the message at `offset` into headers_.
  Status parse_headers(std::string_view section, std::uint64_t offset);
  Result<std::optional<EventStreamMessage>> fail(Status status);

  std::size_t max_payload_bytes_;
  internal::PaddedBuffer buffer_;
  // Stream offset of the first byte in buffer_.
  std::uint64_t consumed_ = 0;
  // The headers of the last message returned (reused, so steady state allocates nothing).
  std::vector<EventStreamHeader> headers_;
  // Sticky: once set, every call returns it.
  Status error_;
  // Set by finish() when the stream ended badly; next() returns it once the complete messages
  // before the bad part are out.
  Status end_status_;
  bool finished_ = false;
};

}  // namespace aisopod::codec
