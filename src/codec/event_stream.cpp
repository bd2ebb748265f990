#include "codec/event_stream.hpp"

#include <zlib.h>

#include <cstdio>
#include <string>
#include <utility>

namespace aisopod::codec {
namespace {

std::uint32_t read_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         std::uint32_t{u[3]};
}

std::uint16_t read_u16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint16_t>((u[0] << 8) | u[1]);
}

// A big-endian two's-complement integer of `width` bytes, sign-extended.
std::int64_t read_signed(const char* p, std::size_t width) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width; ++i) value = (value << 8) | u[i];
  if (width < 8) {
    const std::uint64_t sign = std::uint64_t{1} << (8 * width - 1);
    value = (value ^ sign) - sign;
  }
  return static_cast<std::int64_t>(value);
}

std::uint32_t crc32_of(const char* p, std::size_t n) {
  return static_cast<std::uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(p), static_cast<uInt>(n)));
}

std::string hex32(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

std::string at_offset(std::uint64_t offset) {
  return "the message at byte offset " + std::to_string(offset);
}

Status protocol_error(std::string message) {
  return Status(StatusCode::kProtocolError, "event-stream: " + std::move(message));
}

// A header name for an error message: printable ASCII kept, anything else shown as '?', so that a
// hostile name cannot put control characters into logs.
std::string printable(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

// Bytes of a fixed-size value after the type byte; -1 for the variable-length types (a u16
// length first), -2 for an unknown type.
int fixed_value_size(unsigned type) {
  switch (type) {
    case 0:
    case 1:
      return 0;
    case 2:
      return 1;
    case 3:
      return 2;
    case 4:
      return 4;
    case 5:
    case 8:
      return 8;
    case 9:
      return 16;
    case 6:
    case 7:
      return -1;
    default:
      return -2;
  }
}

}  // namespace

const EventStreamHeader* EventStreamMessage::find_header(std::string_view name) const {
  for (const EventStreamHeader& header : headers) {
    if (header.name == name) return &header;
  }
  return nullptr;
}

std::string_view EventStreamMessage::string_header(std::string_view name) const {
  const EventStreamHeader* header = find_header(name);
  if (header == nullptr || header->type != EventStreamHeaderType::kString) return {};
  return header->bytes;
}

EventStreamDecoder::EventStreamDecoder(std::size_t max_payload_bytes)
    : max_payload_bytes_(max_payload_bytes) {}

void EventStreamDecoder::feed(std::string_view bytes) {
  if (!error_.ok() || finished_) return;
  buffer_.append(bytes);
}

Result<std::optional<EventStreamMessage>> EventStreamDecoder::fail(Status status) {
  error_ = std::move(status);
  return error_;
}

Result<EventStreamDecoder::Prelude> EventStreamDecoder::check_prelude(const char* p,
                                                                      std::uint64_t offset) const {
  const Prelude prelude{read_u32(p), read_u32(p + 4)};
  // The checksum first: a corrupted length field should read as corruption, not as a length.
  const std::uint32_t stated = read_u32(p + 8);
  const std::uint32_t computed = crc32_of(p, 8);
  if (computed != stated) {
    return protocol_error("prelude checksum mismatch in " + at_offset(offset) + ": computed " +
                          hex32(computed) + ", the prelude says " + hex32(stated));
  }
  if (prelude.total_length < kEventStreamMinMessageBytes) {
    return protocol_error("bad length in " + at_offset(offset) + ": total length " +
                          std::to_string(prelude.total_length) + " is below the " +
                          std::to_string(kEventStreamMinMessageBytes) + "-byte minimum");
  }
  if (prelude.headers_length > prelude.total_length - kEventStreamMinMessageBytes) {
    return protocol_error("bad length in " + at_offset(offset) + ": headers length " +
                          std::to_string(prelude.headers_length) +
                          " does not fit in total length " + std::to_string(prelude.total_length));
  }
  if (prelude.headers_length > kEventStreamMaxHeadersBytes) {
    return protocol_error("message at byte offset " + std::to_string(offset) +
                          " too large: headers length " + std::to_string(prelude.headers_length) +
                          " exceeds the limit of " + std::to_string(kEventStreamMaxHeadersBytes) +
                          " bytes");
  }
  const std::size_t payload_length =
      prelude.total_length - prelude.headers_length - kEventStreamMinMessageBytes;
  if (payload_length > max_payload_bytes_) {
    return protocol_error("message at byte offset " + std::to_string(offset) +
                          " too large: payload length " + std::to_string(payload_length) +
                          " exceeds the limit of " + std::to_string(max_payload_bytes_) + " bytes");
  }
  return prelude;
}

Status EventStreamDecoder::parse_headers(std::string_view section, std::uint64_t offset) {
  headers_.clear();
  std::size_t pos = 0;
  while (pos < section.size()) {
    const std::size_t index = headers_.size();
    auto runs_past = [&] {
      return protocol_error("bad header in " + at_offset(offset) + ": header " +
                            std::to_string(index) + " runs past the end of the " +
                            std::to_string(section.size()) + "-byte headers section");
    };
    const std::size_t name_length = static_cast<unsigned char>(section[pos]);
    // The name, then at least the type byte.
    if (section.size() - pos < 1 + name_length + 1) return runs_past();
    EventStreamHeader header;
    header.name = section.substr(pos + 1, name_length);
    pos += 1 + name_length;
    const unsigned type = static_cast<unsigned char>(section[pos]);
    ++pos;
    const int fixed = fixed_value_size(type);
    if (fixed == -2) {
      return protocol_error("bad header in " + at_offset(offset) + ": header " +
                            std::to_string(index) + " (\"" + printable(header.name) +
                            "\") has unknown value type " + std::to_string(type));
    }
    header.type = static_cast<EventStreamHeaderType>(type);
    std::size_t value_size = 0;
    std::size_t value_start = pos;
    if (fixed == -1) {
      if (section.size() - pos < 2) return runs_past();
      value_size = read_u16(section.data() + pos);
      value_start = pos + 2;
    } else {
      value_size = static_cast<std::size_t>(fixed);
    }
    if (section.size() - value_start < value_size) return runs_past();
    const char* value = section.data() + value_start;
    switch (header.type) {
      case EventStreamHeaderType::kBoolTrue:
        header.integer = 1;
        break;
      case EventStreamHeaderType::kBoolFalse:
        header.integer = 0;
        break;
      case EventStreamHeaderType::kByte:
      case EventStreamHeaderType::kShort:
      case EventStreamHeaderType::kInt:
      case EventStreamHeaderType::kLong:
      case EventStreamHeaderType::kTimestamp:
        header.integer = read_signed(value, value_size);
        break;
      case EventStreamHeaderType::kByteArray:
      case EventStreamHeaderType::kString:
      case EventStreamHeaderType::kUuid:
        header.bytes = std::string_view(value, value_size);
        break;
    }
    headers_.push_back(header);
    pos = value_start + value_size;
  }
  return Status();
}

Result<std::optional<EventStreamMessage>> EventStreamDecoder::next() {
  if (!error_.ok()) return error_;
  const char* p = buffer_.data();
  const std::size_t available = buffer_.size();
  if (available >= kEventStreamPreludeBytes) {
    auto prelude = check_prelude(p, consumed_);
    if (!prelude.ok()) return fail(prelude.error());
    const std::uint32_t total = prelude->total_length;
    if (available >= total) {
      const std::uint32_t stated = read_u32(p + total - 4);
      const std::uint32_t computed = crc32_of(p, total - 4);
      if (computed != stated) {
        return fail(protocol_error("message checksum mismatch in " + at_offset(consumed_) +
                                   ": computed " + hex32(computed) + ", the message says " +
                                   hex32(stated)));
      }
      const std::uint32_t headers_length = prelude->headers_length;
      Status headers_status =
          parse_headers(std::string_view(p + kEventStreamPreludeBytes, headers_length), consumed_);
      if (!headers_status.ok()) return fail(std::move(headers_status));
      EventStreamMessage message;
      message.headers = headers_;
      message.payload = std::string_view(p + kEventStreamPreludeBytes + headers_length,
                                         total - headers_length - kEventStreamMinMessageBytes);
      message.offset = consumed_;
      message.total_length = total;
      // consume() never moves bytes, so the views stay valid until the next feed().
      buffer_.consume(total);
      consumed_ += total;
      return std::optional<EventStreamMessage>(message);
    }
  }
  if (!end_status_.ok()) return fail(end_status_);
  return std::optional<EventStreamMessage>();
}

Status EventStreamDecoder::finish() {
  if (!error_.ok()) return error_;
  if (finished_) return end_status_;
  finished_ = true;
  // Walk the preludes of what next() has not returned yet, without consuming it: the complete
  // messages among it are still to come out of next().
  const std::string_view rest = buffer_.view();
  std::size_t pos = 0;
  while (pos < rest.size()) {
    const std::size_t remaining = rest.size() - pos;
    const std::uint64_t offset = consumed_ + pos;
    if (remaining < kEventStreamPreludeBytes) {
      end_status_ = protocol_error("truncated: the stream ended " + std::to_string(remaining) +
                                   " bytes into " + at_offset(offset) + ", inside its " +
                                   std::to_string(kEventStreamPreludeBytes) + "-byte prelude");
      break;
    }
    auto prelude = check_prelude(rest.data() + pos, offset);
    if (!prelude.ok()) {
      end_status_ = prelude.error();
      break;
    }
    if (remaining < prelude->total_length) {
      end_status_ = protocol_error("truncated: the stream ended " + std::to_string(remaining) +
                                   " bytes into " + at_offset(offset) + ", which is " +
                                   std::to_string(prelude->total_length) + " bytes long");
      break;
    }
    pos += prelude->total_length;
  }
  return end_status_;
}

}  // namespace aisopod::codec
