// Model pulling (POST /api/pull): the progress decoder (NDJSON body bytes in, progress objects
// out; sans-I/O, one per pull, not thread-safe) and PullStream, which reads a pull's response.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/provider.hpp"
#include "aisopod/status.hpp"
#include "codec/ndjson.hpp"
#include "http/http.hpp"

namespace aisopod::ollama {

// One progress report of a pull (Ollama's ProgressResponse, reference/wire-formats.md 5.3).
struct PullProgress {
  // "pulling manifest", "pulling <digest prefix>", "verifying sha256 digest",
  // "writing manifest", "removing any unused layers", "success".
  std::string status;
  // The layer being downloaded ("sha256:..."); empty for the other steps.
  std::string digest;
  // Bytes of the layer in all, and downloaded so far; 0 when not sent.
  std::int64_t total = 0;
  std::int64_t completed = 0;
  friend bool operator==(const PullProgress&, const PullProgress&) = default;
};

// Decodes the NDJSON body of POST /api/pull. Each line becomes one PullProgress; the line with
// status "success" is the last (bytes after it are ignored).
// Errors, sticky and carrying the provider id: an `{"error":"..."}` line (mapped by
// status_from_stream_error: "pull model manifest: file does not exist" is not_found), a line
// that is not a JSON object with a string status (protocol_error), NDJSON framing errors, and
// a body that ends before "success" (protocol_error).
class PullDecoder {
 public:
  explicit PullDecoder(std::string provider_id = "ollama");

  // Appends body bytes (copied). Never fails. Ignored after "success", finish() or an error.
  void feed(std::string_view bytes);

  // The next progress report; std::nullopt when more bytes are needed, or after "success"
  // (or finish()) once every report has been returned; or the sticky error.
  Result<std::optional<PullProgress>> next();

  // End of body: a last line without a newline is still decoded by next(). Returns ok when
  // "success" is among the lines (decoding them as needed), the sticky error, or
  // protocol_error "the pull ended before success". Calling it again returns the same.
  Status finish();

 private:
  Result<std::optional<PullProgress>> decode_line(std::string_view line);

  codec::NdjsonDecoder ndjson_;
  std::string provider_id_;
  Status error_;
  std::optional<Status> finish_status_;
  bool success_ = false;
  // Decoded by finish() and not yet returned.
  std::vector<PullProgress> ready_;
  std::size_t ready_head_ = 0;
};

// The progress of one pull. Move-only, single consumer, owns its transfer: destroying it
// cancels the transfer. Use it on the io_context (thread) that started the pull.
class PullStream {
 public:
  class Impl;
  // An empty stream: next() returns std::nullopt at once.
  PullStream();
  explicit PullStream(std::unique_ptr<Impl> impl);
  PullStream(PullStream&&) noexcept;
  PullStream& operator=(PullStream&&) noexcept;
  PullStream(const PullStream&) = delete;
  PullStream& operator=(const PullStream&) = delete;
  ~PullStream();

  // The next progress report; std::nullopt after the "success" report; or an error (an error
  // line from the server, a broken connection, a timeout, cancelled). After the end or an
  // error, every later call returns the same.
  Task<Result<std::optional<PullProgress>>> next();

  // Stops the transfer and frees the connection. The next call to next() returns cancelled
  // (unless the stream had already ended).
  void cancel();

 private:
  std::unique_ptr<Impl> impl_;
};

// A PullStream reading `response` (a 2xx response of POST /api/pull). Errors carry
// `provider_id`. Used by OllamaProvider::pull_model.
PullStream make_pull_stream(http::Response response, std::string provider_id);

}  // namespace aisopod::ollama
