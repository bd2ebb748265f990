// Newline-delimited JSON decoder (Ollama's streaming format), sans-I/O: bytes in, lines out.
// One per response body; not thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "aisopod/status.hpp"
#include "codec/sse.hpp"  // kJsonPadding and the shared line reader

namespace aisopod::codec {

class NdjsonDecoder {
 public:
  // `max_line_bytes` bounds one line (the bytes before its LF, so a CR of a CRLF counts);
  // going past it is a protocol_error, never unbounded growth. An unterminated line is
  // checked as its bytes arrive, so the error comes before the line's terminator does.
  explicit NdjsonDecoder(std::size_t max_line_bytes = 4 * 1024 * 1024);

  // Appends bytes. Never blocks, never fails; errors surface from next(). The bytes are
  // copied; they are buffered until next() consumes them. Ignored after finish() or an error.
  void feed(std::string_view bytes);

  // The next non-blank line without its terminator (LF or CRLF; other trailing whitespace may
  // remain, which JSON parsers accept), std::nullopt when more bytes are needed (or, after
  // finish(), when the stream is over), or a sticky protocol_error: once an error is returned
  // every later call returns the same one. Lines holding only spaces, tabs and CRs are
  // skipped. The line is not parsed. The view points into the decoder's buffer and stays
  // valid, followed by at least kJsonPadding readable bytes, until the next call to feed(),
  // next() or finish(). After finish(), a final line without a trailing newline is returned
  // too.
  Result<std::optional<std::string_view>> next();

  // End of body. A final line without a trailing newline is valid NDJSON: it stays buffered
  // and next() returns it after the complete lines. Returns ok, or the error already found
  // (a line longer than max_line_bytes that feed() saw, or the sticky error of next()).
  // Calling it again returns the same status.
  Status finish();

 private:
  Result<std::optional<std::string_view>> fail(Status status);

  internal::LineReader reader_;
  std::size_t max_line_bytes_;
  // Sticky: once set, every call returns it.
  Status error_;
  bool finished_ = false;
};

}  // namespace aisopod::codec
