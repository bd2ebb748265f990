// Server-sent events decoder (WHATWG event-stream), sans-I/O: bytes in, events out.
// One per response body; not thread-safe.
//
// This header also holds the two internal building blocks shared with NdjsonDecoder
// (ndjson.hpp): PaddedBuffer and LineReader. They are not part of the public API.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aisopod/status.hpp"

namespace aisopod::codec {

// Bytes readable after the end of every view a decoder hands out, so that simdjson can parse
// the view in place (SIMDJSON_PADDING is 64). The content of those bytes is unspecified.
inline constexpr std::size_t kJsonPadding = 64;

namespace internal {

// A growable byte buffer that always keeps at least kJsonPadding allocated, initialized bytes
// after its last byte. Bytes are appended at the back and consumed from the front. consume()
// and clear() never move bytes, so a view into the buffer stays valid (and padded) until the
// next append(); append() reclaims the consumed prefix lazily (when it is at least as large as
// the live part, so each byte is moved at most once on average) and may reallocate.
// Not thread-safe.
class PaddedBuffer {
 public:
  PaddedBuffer() = default;
  PaddedBuffer(const PaddedBuffer&) = delete;
  PaddedBuffer& operator=(const PaddedBuffer&) = delete;
  PaddedBuffer(PaddedBuffer&& other) noexcept { swap(other); }
  PaddedBuffer& operator=(PaddedBuffer&& other) noexcept {
    swap(other);
    return *this;
  }

  // The unconsumed bytes. Never null: an empty buffer points at a static padded block.
  const char* data() const;
  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return end_ == begin_; }
  std::string_view view() const { return {data(), size()}; }
  // Allocated bytes after the last byte (>= kJsonPadding, or kJsonPadding for the static
  // block of an empty, never-allocated buffer).
  std::size_t spare() const;
  // Allocated bytes in all (consumed prefix, content, spare).
  std::size_t capacity() const { return capacity_; }

  // Appends bytes (which must not point into this buffer); may move or reallocate,
  // invalidating earlier views.
  void append(std::string_view bytes);
  void append(char c);
  // Replaces the content (clear() then append()).
  void assign(std::string_view bytes);
  // Drops the first n bytes (n <= size()). Never moves bytes.
  void consume(std::size_t n);
  // Drops everything. Never moves bytes.
  void clear() { begin_ = end_ = 0; }

  void swap(PaddedBuffer& other) noexcept;

 private:
  // Makes room for `extra` more bytes plus the padding.
  void reserve_back(std::size_t extra);

  std::unique_ptr<char[]> storage_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

// Splits fed bytes into lines without copying them, with a bounded buffer. In
// kLfCrlfCr mode (SSE) a line ends at LF, CRLF or CR, including a CRLF split across feeds; in
// kLfCrlf mode (NDJSON) a line ends at LF and one CR before the LF is removed. A line's length
// is counted without its terminator (in kLfCrlf mode with the CR). Not thread-safe.
class LineReader {
 public:
  enum class Endings { kLfCrlfCr, kLfCrlf };
  enum class Take {
    // *line holds the next complete line.
    kLine,
    // No complete line is buffered.
    kNeedMore,
    // The next complete line is longer than max_line_bytes; nothing was consumed.
    kTooLong,
  };

  LineReader(Endings endings, std::size_t max_line_bytes)
      : endings_(endings), max_line_bytes_(max_line_bytes) {}

  // Appends bytes. Once the unterminated last line grows past max_line_bytes the reader stops
  // buffering (the bytes after the last complete line are dropped from then on) and
  // overflowed() becomes true, so memory stays bounded by what the caller has not consumed.
  void feed(std::string_view bytes);

  // The next complete line without its terminator. The view points into the buffer and stays
  // valid, followed by at least kJsonPadding readable bytes, until the next feed().
  Take take_line(std::string_view* line);

  // True once feed() dropped bytes because an unterminated line grew too long.
  bool overflowed() const { return overflowed_; }

  // The buffered bytes after the last complete line (the LF of a CRLF split at the previous
  // take_line() excluded); take_line() never returns them.
  std::string_view rest() const;
  // rest(), consumed: for a final line that needs no terminator (NDJSON after finish()).
  std::string_view take_rest();

 private:
  Endings endings_;
  std::size_t max_line_bytes_;
  PaddedBuffer buffer_;
  // Leading buffered bytes already known to hold no line terminator.
  std::size_t scanned_ = 0;
  // Bytes after the last line terminator fed so far (the unterminated last line).
  std::size_t tail_bytes_ = 0;
  // The previous line ended with CR at the end of the buffer; an LF that follows belongs to it.
  bool skip_lf_ = false;
  bool overflowed_ = false;
};

}  // namespace internal

// One dispatched event. The views stay valid until the next call to feed(), next() or
// finish() on the decoder that produced them, and each is followed by at least kJsonPadding
// readable bytes.
struct SseEvent {
  // The `event:` field; empty when the event had none (the default type "message").
  std::string_view event;
  // The `data:` lines joined with '\n'.
  std::string_view data;
  // The last `id:` seen so far in the stream (sticky, as the spec says).
  std::string_view id;
  // The `retry:` field of this event when it had a valid one (ASCII digits only), in
  // milliseconds.
  std::optional<long long> retry_ms;
};

class SseDecoder {
 public:
  // `max_line_bytes` bounds one line and one event's data; going past it is a protocol_error,
  // never unbounded growth. An unterminated line is checked as its bytes arrive, so the error
  // comes before the line's terminator does.
  explicit SseDecoder(std::size_t max_line_bytes = 4 * 1024 * 1024);

  // Appends bytes. Never blocks, never fails; errors surface from next(). The bytes are
  // copied; they are buffered until next() consumes them. Ignored after finish() or an error.
  void feed(std::string_view bytes);

  // The next complete event, std::nullopt when more bytes are needed (or, after finish(), when
  // the stream is over), or a sticky protocol_error: once an error is returned every later
  // call returns the same one. Handles LF, CRLF and CR line endings (a CRLF split across feeds
  // included), a UTF-8 BOM at the very start, comments (lines starting with ':'), fields
  // `data`, `event`, `id`, `retry` (one space after the colon is removed; a line without a
  // colon is a field name with an empty value; unknown fields are ignored), multi-line data
  // (joined with '\n'). An event is dispatched at the blank line that ends it, and only if it
  // had at least one `data` line. The events before a bad line are returned before the error.
  // A single-line event's data is a view into the input buffer (no copy).
  Result<std::optional<SseEvent>> next();

  // End of body. Returns protocol_error "truncated ..." when the bytes after the last blank
  // line hold a partial line (anything but spaces and tabs after the last line terminator) or
  // a `data`, `event`, `id` or `retry` line of an event whose closing blank line never came:
  // such an event is never dispatched. Whitespace, blank lines, comments and unknown fields
  // at the end are fine. Complete events still buffered are returned by next() afterwards,
  // followed by the same error (or by std::nullopt when finish() returned ok). Calling it
  // again returns the same status. If next() already failed, returns that error.
  Status finish();

 private:
  // Handles one non-blank, non-comment line.
  Status process_field(std::string_view line);
  SseEvent dispatch();
  void reset_event();
  Result<std::optional<SseEvent>> fail(Status status);

  internal::LineReader reader_;
  std::size_t max_line_bytes_;
  // Sticky: once set, every call returns it.
  Status error_;
  // Set by finish() when the stream ended truncated; next() returns it once the complete
  // events before the truncation are out.
  Status end_status_;
  bool finished_ = false;
  // How many bytes of a leading UTF-8 BOM have arrived, and whether the check is over.
  std::size_t bom_seen_ = 0;
  bool bom_checked_ = false;

  // The event being assembled.
  bool has_data_ = false;
  // Whether a data, event, id or retry line arrived since the last blank line.
  bool has_fields_ = false;
  // Where the data lives: in data_ (several lines, or kept across a next() that returned
  // std::nullopt), or else in data_view_, a view into the reader's buffer that is only used
  // within one next() call (a later feed() may move the buffer).
  bool data_owned_ = false;
  std::string_view data_view_;
  internal::PaddedBuffer data_;
  internal::PaddedBuffer event_;
  std::optional<long long> retry_ms_;

  // Backing storage of the views in the last dispatched event.
  internal::PaddedBuffer dispatched_event_;
  // The last event id (sticky across events).
  internal::PaddedBuffer id_;
};

}  // namespace aisopod::codec
