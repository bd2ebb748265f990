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
#include "aisopod/pull.hpp"
#include "aisopod/status.hpp"
#include "codec/ndjson.hpp"
#include "http/http.hpp"

namespace aisopod::ollama {

// The progress reports and the stream are public (aisopod/pull.hpp); the names stay here too.
using PullProgress = aisopod::PullProgress;
using PullStream = aisopod::PullStream;

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

// A PullStream reading `response` (a 2xx response of POST /api/pull). Errors carry
// `provider_id`. Used by OllamaProvider::pull_model.
PullStream make_pull_stream(http::Response response, std::string provider_id);

}  // namespace aisopod::ollama
