// Pulling a model into a provider that hosts models itself (Ollama): the progress reports and
// the stream that yields them. Standard-library types and Asio's awaitable only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "aisopod/status.hpp"

namespace aisopod {

// One progress report of a pull.
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

// What a PullStream reads from; implemented by providers. One per pull; not thread-safe.
class PullSource {
 public:
  virtual ~PullSource() = default;
  // The next report, std::nullopt after the last, or an error. Called again after the end or an
  // error only through PullStream, which makes both sticky.
  virtual boost::asio::awaitable<Result<std::optional<PullProgress>>> next() = 0;
  // Stops the transfer and frees its connection.
  virtual void cancel() = 0;
};

// The progress of one pull. Move-only, single consumer, owns its transfer: destroying it
// cancels the transfer. Use it on the io_context (thread) that started the pull.
class PullStream {
 public:
  // An empty stream: next() returns std::nullopt at once.
  PullStream();
  explicit PullStream(std::unique_ptr<PullSource> source);
  PullStream(PullStream&&) noexcept;
  PullStream& operator=(PullStream&&) noexcept;
  PullStream(const PullStream&) = delete;
  PullStream& operator=(const PullStream&) = delete;
  ~PullStream();

  // The next progress report; std::nullopt after the "success" report; or an error (an error
  // from the server, a broken connection, a timeout, cancelled). After the end or an error,
  // every later call returns the same.
  boost::asio::awaitable<Result<std::optional<PullProgress>>> next();

  // Stops the transfer and frees the connection. The next call to next() returns cancelled
  // (unless the stream had already ended).
  void cancel();

 private:
  std::unique_ptr<PullSource> source_;
  // Set once the stream has ended (ok) or failed; returned by every later next().
  std::optional<Status> final_;
};

}  // namespace aisopod
