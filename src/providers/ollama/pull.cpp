#include "providers/ollama/pull.hpp"

#include <boost/json.hpp>
#include <cmath>
#include <utility>

#include "core/error_mapping.hpp"
#include "core/error_text.hpp"
#include "providers/ollama/error_mapper.hpp"

namespace aisopod::ollama {
namespace {

namespace json = boost::json;

constexpr std::size_t kExcerptBytes = 80;

std::string excerpt(std::string_view text) { return truncate_utf8(text, kExcerptBytes); }

std::int64_t count_member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return 0;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->get_uint64());
  if (value->is_double()) return static_cast<std::int64_t>(std::llround(value->get_double()));
  return 0;
}

// The end of a pull: built outside the coroutines, because g++ 12 with -fsanitize warns
// (maybe-uninitialized, a false positive) about an empty optional made in a co_return.

}  // namespace

PullDecoder::PullDecoder(std::string provider_id) : provider_id_(std::move(provider_id)) {}

void PullDecoder::feed(std::string_view bytes) {
  if (!error_.ok() || success_ || finish_status_) return;
  ndjson_.feed(bytes);
}

Result<std::optional<PullProgress>> PullDecoder::decode_line(std::string_view line) {
  boost::system::error_code ec;
  const json::value root = json::parse(line, ec);
  if (ec || !root.is_object()) {
    error_ = protocol_error(provider_id_,
                            "malformed JSON line in the Ollama pull stream: " + excerpt(line));
    return error_;
  }
  const json::object& object = root.get_object();
  if (const json::value* error = object.if_contains("error"); error != nullptr) {
    std::string text;
    if (error->is_string()) {
      text = std::string(error->get_string());
    } else if (error->is_object()) {
      const json::value* message = error->get_object().if_contains("message");
      if (message != nullptr && message->is_string()) text = std::string(message->get_string());
    }
    error_ = status_from_stream_error(text, provider_id_);
    return error_;
  }
  const json::value* status = object.if_contains("status");
  if (status == nullptr || !status->is_string()) {
    error_ = protocol_error(provider_id_,
                            "a line of the Ollama pull stream has no status: " + excerpt(line));
    return error_;
  }
  PullProgress progress;
  progress.status = std::string(status->get_string());
  if (const json::value* digest = object.if_contains("digest");
      digest != nullptr && digest->is_string()) {
    progress.digest = std::string(digest->get_string());
  }
  progress.total = count_member(object, "total");
  progress.completed = count_member(object, "completed");
  if (progress.status == "success") success_ = true;
  return std::optional<PullProgress>(std::move(progress));
}

Result<std::optional<PullProgress>> PullDecoder::next() {
  if (ready_head_ < ready_.size()) {
    PullProgress progress = std::move(ready_[ready_head_++]);
    if (ready_head_ == ready_.size()) {
      ready_.clear();
      ready_head_ = 0;
    }
    return std::optional<PullProgress>(std::move(progress));
  }
  if (!error_.ok()) return error_;
  if (success_) return std::optional<PullProgress>();
  Result<std::optional<std::string_view>> line = ndjson_.next();
  if (!line.ok()) {
    error_ = line.error();
    if (error_.provider().empty()) error_.set_provider(provider_id_);
    return error_;
  }
  if (!line->has_value()) return std::optional<PullProgress>();
  return decode_line(**line);
}

Status PullDecoder::finish() {
  if (finish_status_) return *finish_status_;
  if (error_.ok() && !success_) {
    Status framing = ndjson_.finish();
    if (!framing.ok()) {
      error_ = framing;
      if (error_.provider().empty()) error_.set_provider(provider_id_);
    }
    // Decode what is still buffered (a last line without a newline) into ready_.
    while (error_.ok() && !success_) {
      Result<std::optional<std::string_view>> line = ndjson_.next();
      if (!line.ok()) {
        error_ = line.error();
        if (error_.provider().empty()) error_.set_provider(provider_id_);
        break;
      }
      if (!line->has_value()) break;
      Result<std::optional<PullProgress>> progress = decode_line(**line);
      if (progress.ok() && progress->has_value()) ready_.push_back(std::move(**progress));
    }
  }
  if (!error_.ok()) {
    finish_status_ = error_;
  } else if (!success_) {
    error_ = protocol_error(provider_id_, "the Ollama pull stream ended before \"success\"");
    finish_status_ = error_;
  } else {
    finish_status_ = Status();
  }
  return *finish_status_;
}

class OllamaPullSource final : public PullSource {
 public:
  OllamaPullSource(http::Response response, std::string provider_id)
      : response_(std::move(response)),
        decoder_(provider_id),
        provider_id_(std::move(provider_id)) {}

  // PullStream makes the end and errors sticky and cancels after an error.
  Task<Result<std::optional<PullProgress>>> next() override { co_return co_await read_next(); }

  void cancel() override { response_.cancel(); }

 private:
  Task<Result<std::optional<PullProgress>>> read_next() {
    for (;;) {
      Result<std::optional<PullProgress>> decoded = decoder_.next();
      if (!decoded.ok()) co_return answered(decoded.error());
      if (decoded->has_value() || body_done_) co_return decoded;
      buffer_.clear();
      Result<std::size_t> got = co_await response_.read(buffer_);
      if (!got.ok()) {
        Status status = got.error();
        if (status.provider().empty()) status.set_provider(provider_id_);
        co_return status;
      }
      if (*got == 0) {
        body_done_ = true;
        Status finished = decoder_.finish();
        // Reports decoded by finish() come before its error (if any) only when it is ok;
        // an error after a partial last line is reported at once.
        if (!finished.ok()) co_return answered(std::move(finished));
        continue;
      }
      decoder_.feed(buffer_);
    }
  }

  // An error the server wrote into the stream (a digest mismatch, a missing model) or a
  // broken stream is the server's answer, not a network failure: it carries the response's
  // HTTP status, so callers can tell the two apart.
  Status answered(Status status) const {
    if (status.http_status() == 0) status.set_http_status(response_.status());
    return status;
  }

  http::Response response_;
  PullDecoder decoder_;
  std::string provider_id_;
  std::string buffer_;
  bool body_done_ = false;
};

PullStream make_pull_stream(http::Response response, std::string provider_id) {
  return PullStream(
      std::make_unique<OllamaPullSource>(std::move(response), std::move(provider_id)));
}

}  // namespace aisopod::ollama
