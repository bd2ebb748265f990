#include "codec/ndjson.hpp"

#include <string>
#include <utility>

namespace aisopod::codec {
namespace {

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

Status line_too_long(std::size_t max_line_bytes) {
  return Status(StatusCode::kProtocolError,
                "ndjson: line longer than " + std::to_string(max_line_bytes) + " bytes");
}

}  // namespace

NdjsonDecoder::NdjsonDecoder(std::size_t max_line_bytes)
    : reader_(internal::LineReader::Endings::kLfCrlf, max_line_bytes),
      max_line_bytes_(max_line_bytes) {}

void NdjsonDecoder::feed(std::string_view bytes) {
  if (!error_.ok() || finished_) return;
  reader_.feed(bytes);
}

Result<std::optional<std::string_view>> NdjsonDecoder::fail(Status status) {
  error_ = std::move(status);
  return error_;
}

Result<std::optional<std::string_view>> NdjsonDecoder::next() {
  if (!error_.ok()) return error_;
  std::string_view line;
  for (;;) {
    const auto take = reader_.take_line(&line);
    if (take == internal::LineReader::Take::kNeedMore) break;
    if (take == internal::LineReader::Take::kTooLong) return fail(line_too_long(max_line_bytes_));
    // Checking the first byte first keeps the common case (a JSON object) to one compare.
    if (line.empty() ||
        ((line.front() == ' ' || line.front() == '\t' || line.front() == '\r') && is_blank(line))) {
      continue;
    }
    return std::optional<std::string_view>(line);
  }
  if (reader_.overflowed()) return fail(line_too_long(max_line_bytes_));
  if (finished_) {
    // feed() already bounded this line's length.
    const std::string_view last = reader_.take_rest();
    if (!is_blank(last)) return std::optional<std::string_view>(last);
  }
  return std::optional<std::string_view>();
}

Status NdjsonDecoder::finish() {
  if (!error_.ok()) return error_;
  finished_ = true;
  if (reader_.overflowed()) return line_too_long(max_line_bytes_);
  return Status();
}

}  // namespace aisopod::codec
