#include "codec/sse.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <string>
#include <utility>

namespace aisopod::codec {
namespace internal {
namespace {

// What an empty, never-allocated buffer points at, so that even an empty view is padded.
constexpr char kEmptyPadded[kJsonPadding] = {};

// The first allocation; big enough for a typical network read plus padding.
constexpr std::size_t kMinCapacity = 16 * 1024;

}  // namespace

const char* PaddedBuffer::data() const { return storage_ ? storage_.get() + begin_ : kEmptyPadded; }

std::size_t PaddedBuffer::spare() const { return storage_ ? capacity_ - end_ : kJsonPadding; }

void PaddedBuffer::swap(PaddedBuffer& other) noexcept {
  std::swap(storage_, other.storage_);
  std::swap(capacity_, other.capacity_);
  std::swap(begin_, other.begin_);
  std::swap(end_, other.end_);
}

void PaddedBuffer::reserve_back(std::size_t extra) {
  const std::size_t live = end_ - begin_;
  if (live == 0) {
    begin_ = end_ = 0;
  } else if (begin_ >= live) {
    // The consumed prefix is at least as large as what is moved, so compaction costs O(1)
    // per consumed byte.
    std::memmove(storage_.get(), storage_.get() + begin_, live);
    begin_ = 0;
    end_ = live;
  }
  if (end_ + extra + kJsonPadding <= capacity_) return;
  const std::size_t needed = live + extra + kJsonPadding;
  const std::size_t new_capacity = std::max({capacity_ * 2, needed, kMinCapacity});
  // Value-initialized, so the padding never holds indeterminate bytes.
  auto fresh = std::make_unique<char[]>(new_capacity);
  if (live != 0) std::memcpy(fresh.get(), storage_.get() + begin_, live);
  storage_ = std::move(fresh);
  capacity_ = new_capacity;
  begin_ = 0;
  end_ = live;
}

void PaddedBuffer::append(std::string_view bytes) {
  if (bytes.empty()) return;
  reserve_back(bytes.size());
  std::memcpy(storage_.get() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

void PaddedBuffer::append(char c) { append(std::string_view(&c, 1)); }

void PaddedBuffer::assign(std::string_view bytes) {
  clear();
  append(bytes);
}

void PaddedBuffer::consume(std::size_t n) { begin_ += std::min(n, size()); }

void LineReader::feed(std::string_view bytes) {
  if (overflowed_ || bytes.empty()) return;
  // Find the last terminator from the back: network reads usually end with one, so this stops
  // at once; without one it is a single pass over the new bytes.
  const bool cr_ends = endings_ == Endings::kLfCrlfCr;
  std::size_t last = std::string_view::npos;
  for (std::size_t i = bytes.size(); i-- > 0;) {
    const char c = bytes[i];
    if (c == '\n' || (cr_ends && c == '\r')) {
      last = i;
      break;
    }
  }
  const std::size_t tail =
      last == std::string_view::npos ? tail_bytes_ + bytes.size() : bytes.size() - last - 1;
  if (tail > max_line_bytes_) {
    // Keep the complete lines so that the caller still gets what came before the bad line;
    // drop the rest and everything after it.
    if (last != std::string_view::npos) buffer_.append(bytes.substr(0, last + 1));
    overflowed_ = true;
    return;
  }
  buffer_.append(bytes);
  tail_bytes_ = tail;
}

namespace {

// The first CR or LF in [p, end), or nullptr. Sixteen bytes at a time where SSE2 is available
// (every x86-64), so that a line is scanned once rather than once per terminator.
const char* find_cr_or_lf(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  while (end - p >= 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int mask =
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(bytes, lf), _mm_cmpeq_epi8(bytes, cr)));
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  for (; p < end; ++p) {
    if (*p == '\n' || *p == '\r') return p;
  }
  return nullptr;
}

}  // namespace

LineReader::Take LineReader::take_line(std::string_view* line) {
  const char* p = buffer_.data();
  std::size_t n = buffer_.size();
  if (skip_lf_ && n > 0) {
    skip_lf_ = false;
    if (p[0] == '\n') {
      buffer_.consume(1);
      ++p;
      --n;
    }
  }
  const std::size_t from = scanned_;
  std::size_t eol = 0;   // end of the line's content
  std::size_t next = 0;  // start of the following line
  if (endings_ == Endings::kLfCrlfCr) {
    // One pass for whichever of CR and LF comes first: a CR ends the line (alone or as CRLF).
    const char* end_of_line = find_cr_or_lf(p + from, p + n);
    if (end_of_line == nullptr) {
      scanned_ = n;
      return Take::kNeedMore;
    }
    eol = static_cast<std::size_t>(end_of_line - p);
    next = eol + 1;
    if (*end_of_line == '\r') {
      if (next < n) {
        if (p[next] == '\n') ++next;
      } else {
        skip_lf_ = true;  // the LF of a CRLF may still be on its way
      }
    }
  } else {
    const auto* lf = static_cast<const char*>(std::memchr(p + from, '\n', n - from));
    if (lf == nullptr) {
      scanned_ = n;
      return Take::kNeedMore;
    }
    next = static_cast<std::size_t>(lf - p) + 1;
    eol = next - 1;
  }
  if (eol > max_line_bytes_) {
    skip_lf_ = false;
    return Take::kTooLong;
  }
  if (endings_ == Endings::kLfCrlf && eol > 0 && p[eol - 1] == '\r') --eol;
  *line = std::string_view(p, eol);
  buffer_.consume(next);
  scanned_ = 0;
  return Take::kLine;
}

std::string_view LineReader::rest() const {
  std::string_view rest = buffer_.view();
  if (skip_lf_ && !rest.empty() && rest.front() == '\n') rest.remove_prefix(1);
  return rest;
}

std::string_view LineReader::take_rest() {
  const std::string_view rest = this->rest();
  buffer_.clear();
  scanned_ = 0;
  tail_bytes_ = 0;
  skip_lf_ = false;
  return rest;
}

}  // namespace internal

namespace {

constexpr char kBom[] = "\xEF\xBB\xBF";
constexpr std::size_t kBomSize = 3;

bool is_event_field(std::string_view name) {
  return name == "data" || name == "event" || name == "id" || name == "retry";
}

std::string_view field_name(std::string_view line) {
  return line.substr(0, std::min(line.find(':'), line.size()));
}

bool is_blank(std::string_view bytes) {
  return bytes.find_first_not_of(" \t") == std::string_view::npos;
}

// The value of a `retry:` field: base-10 ASCII digits only; std::nullopt otherwise (and on
// overflow).
std::optional<long long> parse_retry(std::string_view value) {
  if (value.empty()) return std::nullopt;
  long long ms = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    const int digit = c - '0';
    if (ms > (LLONG_MAX - digit) / 10) return std::nullopt;
    ms = ms * 10 + digit;
  }
  return ms;
}

Status line_too_long(std::size_t max_line_bytes) {
  return Status(StatusCode::kProtocolError,
                "sse: line longer than " + std::to_string(max_line_bytes) + " bytes");
}

}  // namespace

SseDecoder::SseDecoder(std::size_t max_line_bytes)
    : reader_(internal::LineReader::Endings::kLfCrlfCr, max_line_bytes),
      max_line_bytes_(max_line_bytes) {}

void SseDecoder::feed(std::string_view bytes) {
  if (!error_.ok() || finished_) return;
  if (!bom_checked_) {
    while (bom_seen_ < kBomSize && !bytes.empty() && bytes.front() == kBom[bom_seen_]) {
      ++bom_seen_;
      bytes.remove_prefix(1);
    }
    if (bom_seen_ == kBomSize) {
      bom_checked_ = true;
    } else if (!bytes.empty()) {
      // Not a BOM after all: the bytes held back so far are content.
      reader_.feed(std::string_view(kBom, bom_seen_));
      bom_checked_ = true;
    } else {
      return;  // every byte so far may still be the start of a BOM
    }
  }
  reader_.feed(bytes);
}

Result<std::optional<SseEvent>> SseDecoder::fail(Status status) {
  error_ = std::move(status);
  return error_;
}

Result<std::optional<SseEvent>> SseDecoder::next() {
  if (!error_.ok()) return error_;
  std::string_view line;
  for (;;) {
    const auto take = reader_.take_line(&line);
    if (take == internal::LineReader::Take::kNeedMore) break;
    if (take == internal::LineReader::Take::kTooLong) return fail(line_too_long(max_line_bytes_));
    if (line.empty()) {
      if (has_data_) return std::optional<SseEvent>(dispatch());
      reset_event();
      continue;
    }
    if (line.front() == ':') continue;  // comment
    Status status = process_field(line);
    if (!status.ok()) return fail(std::move(status));
  }
  // The reader's buffer may move on the next feed(): keep a pending single-line data.
  if (has_data_ && !data_owned_) {
    data_.assign(data_view_);
    data_owned_ = true;
  }
  if (reader_.overflowed()) return fail(line_too_long(max_line_bytes_));
  if (!end_status_.ok()) return fail(end_status_);
  return std::optional<SseEvent>();
}

Status SseDecoder::process_field(std::string_view line) {
  const std::size_t colon = line.find(':');
  std::string_view name = line;
  // An empty value still points into the (padded) buffer, never at null.
  std::string_view value = line.substr(line.size());
  if (colon != std::string_view::npos) {
    name = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (name == "data") {
    has_fields_ = true;
    if (!has_data_) {
      has_data_ = true;
      data_owned_ = false;
      data_view_ = value;
      return Status();
    }
    if (!data_owned_) {
      data_.assign(data_view_);
      data_owned_ = true;
    }
    if (data_.size() + 1 + value.size() > max_line_bytes_) {
      return Status(StatusCode::kProtocolError,
                    "sse: event data longer than " + std::to_string(max_line_bytes_) + " bytes");
    }
    data_.append('\n');
    data_.append(value);
  } else if (name == "event") {
    has_fields_ = true;
    event_.assign(value);
  } else if (name == "id") {
    has_fields_ = true;
    // The spec ignores an id containing NUL.
    if (value.find('\0') == std::string_view::npos) id_.assign(value);
  } else if (name == "retry") {
    has_fields_ = true;
    if (const auto ms = parse_retry(value)) retry_ms_ = ms;
  }
  return Status();
}

SseEvent SseDecoder::dispatch() {
  SseEvent event;
  event.data = data_owned_ ? data_.view() : data_view_;
  // Swap instead of copy: event_ is refilled by later lines while the view must stay.
  dispatched_event_.swap(event_);
  event.event = dispatched_event_.view();
  event.id = id_.view();
  event.retry_ms = retry_ms_;
  reset_event();
  return event;
}

void SseDecoder::reset_event() {
  has_data_ = false;
  has_fields_ = false;
  data_owned_ = false;
  data_view_ = {};
  event_.clear();
  retry_ms_.reset();
}

Status SseDecoder::finish() {
  if (!error_.ok()) return error_;
  if (finished_) return end_status_;
  finished_ = true;
  if (reader_.overflowed()) {
    end_status_ = line_too_long(max_line_bytes_);
    return end_status_;
  }
  if (!bom_checked_ && bom_seen_ > 0) {
    end_status_ = Status(StatusCode::kProtocolError, "sse: truncated: stream ended inside a line");
    return end_status_;
  }
  // Walk the lines next() has not seen yet without consuming them: the complete events among
  // them are still to be returned.
  bool pending_fields = has_fields_;
  std::string_view rest = reader_.rest();
  while (!rest.empty()) {
    const std::size_t eol = rest.find_first_of("\r\n");
    if (eol == std::string_view::npos) {
      if (!is_blank(rest)) {
        end_status_ =
            Status(StatusCode::kProtocolError, "sse: truncated: stream ended inside a line");
        return end_status_;
      }
      break;
    }
    const std::string_view line = rest.substr(0, eol);
    std::size_t next = eol + 1;
    if (rest[eol] == '\r' && next < rest.size() && rest[next] == '\n') ++next;
    rest.remove_prefix(next);
    if (line.empty()) {
      pending_fields = false;
    } else if (line.front() != ':' && is_event_field(field_name(line))) {
      pending_fields = true;
    }
  }
  if (pending_fields) {
    end_status_ = Status(StatusCode::kProtocolError,
                         "sse: truncated: stream ended before the blank line that ends an event");
  }
  return end_status_;
}

}  // namespace aisopod::codec
