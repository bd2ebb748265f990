// The asynchronous core contract: ModelProvider and ChunkStream, on Boost.Asio C++20
// coroutines. For blocking use without Asio, see aisopod/client.hpp.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/observer.hpp"
#include "aisopod/pull.hpp"
#include "aisopod/status.hpp"
#include "aisopod/types.hpp"

namespace aisopod {

template <class T>
using Task = boost::asio::awaitable<T>;

// Per-call settings. Every duration left unset takes the provider's default (for HTTP
// providers, chat_timeouts() in core/http_provider.hpp and the provider's `timeout` option).
// The four durations apply to each attempt (each HTTP exchange) on its own; `deadline` bounds
// the whole call. When the deadline passes, the call ends with StatusCode::kTimeout and the
// message "the call's deadline of <length> passed after <n> attempt(s)" (see run_chat_call),
// and a FailoverProvider starts no further candidate.
struct CallOptions {
  // Connecting (DNS, TCP, TLS).
  std::optional<std::chrono::milliseconds> connect_timeout;
  // From the request being sent to the first byte of the response (its headers).
  std::optional<std::chrono::milliseconds> first_byte_timeout;
  // Longest silence between two pieces of the body, once the headers are in.
  std::optional<std::chrono::milliseconds> idle_timeout;
  // The whole exchange, body included.
  std::optional<std::chrono::milliseconds> total_timeout;
  // The whole call: every attempt, backoff, profile and failover candidate, and the body of
  // the committed stream. Unset: none.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Receives the attempt, rotation and cooldown events of this call (null: none).
  std::shared_ptr<Observer> observer;
  // Sticky mode: calls with the same non-empty key stay on one auth profile while it is
  // usable, so the provider's prompt cache stays warm.
  std::string session_key;
  // How many times an overloaded, unavailable or timeout error before the first content chunk
  // is retried, with exponential backoff (0.5 s x 2^n, at most 8 s, jittered) or the server's
  // Retry-After (a Retry-After above max_retry_after is not waited for).
  int max_retries = 2;
  std::chrono::milliseconds max_retry_after{120'000};
  // When every auth profile is cooling down: wait up to this long for the first to be ready
  // (0: fail at once with rate_limited naming the earliest expiry).
  std::chrono::milliseconds max_cooldown_wait{0};
};

// The source behind a ChunkStream: one per request, implemented by providers. Not thread-safe;
// used by one consumer at a time.
class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  // The next chunk, std::nullopt at the end, or an error. Called again after the end or an
  // error only through ChunkStream, which makes both sticky.
  virtual Task<Result<std::optional<ChatCompletionChunk>>> next() = 0;
  // Stops the transfer and frees its connection; a pending or later next() returns cancelled.
  // Safe to call from the thread that runs the stream's io_context.
  virtual void cancel() = 0;
};

// A stream of normalized chunks. Move-only, single consumer, owns its transfer: destroying it
// cancels the transfer, so a stream read over HTTP must be destroyed on the thread that runs its
// io_context and before that io_context is.
class ChunkStream {
 public:
  // An empty stream: next() returns std::nullopt at once.
  ChunkStream() = default;
  explicit ChunkStream(std::unique_ptr<ChunkSource> source);
  // A stream that yields the given chunks, then ends (non-streaming answers, tests).
  static ChunkStream from_chunks(std::vector<ChatCompletionChunk> chunks);

  ChunkStream(ChunkStream&&) noexcept = default;
  ChunkStream& operator=(ChunkStream&&) noexcept = default;
  ChunkStream(const ChunkStream&) = delete;
  ChunkStream& operator=(const ChunkStream&) = delete;
  ~ChunkStream();

  // A chunk; std::nullopt after the last one; or an error. After the end or an error, every
  // later call returns the same.
  Task<Result<std::optional<ChatCompletionChunk>>> next();

  // Stops the transfer and frees the connection. The next call to next() returns cancelled
  // (unless the stream had already ended).
  void cancel();

  // True for a stream returned by read_to_first_content(): its answer has started (or it has
  // ended without content), so no retry or failover happens after this point. Moving a stream
  // keeps the mark.
  bool committed() const { return committed_; }

 private:
  friend Task<Result<ChunkStream>> read_to_first_content(ChunkStream stream);

  std::unique_ptr<ChunkSource> source_;
  // Set once the stream has ended (ok) or failed; returned by every later next().
  std::optional<Status> final_;
  bool committed_ = false;
};

// Reads `stream` up to its first chunk that has content (text, reasoning or a tool call), or to
// its end, holding the chunks before it: the point at which a stream counts as committed
// (DESIGN.md section 6). Returns a stream that replays the held chunks and then continues with
// the rest, or the error that arrived before any content (so a caller can still retry or fail
// over). A later error keeps its code and context, and its message says (once) that the answer
// had already started: "the answer had already started, so no retry or failover: <message>".
// A stream that is already committed() is returned unchanged, so reading ahead at several
// levels (provider, failover) is harmless. Must be awaited on the stream's io_context.
Task<Result<ChunkStream>> read_to_first_content(ChunkStream stream);

// One configured provider. Implementations are thread-safe: one object serves every
// io_context that calls it, and holds no I/O resources of its own.
class ModelProvider {
 public:
  virtual ~ModelProvider() = default;

  // The provider id from configuration ("openai", or a user-chosen id such as "local").
  virtual std::string_view id() const = 0;

  // The models the provider offers. Errors: unauthenticated, unavailable, timeout, ...
  virtual Task<Result<std::vector<ModelInfo>>> list_models() = 0;

  // Starts a chat completion. Returns once the stream is committed: the response headers have
  // arrived with a success status and the first chunk with content has been read (held for
  // the caller), so every error detectable before the answer starts (HTTP status, auth, rate
  // limit, an error event before any content) comes back here. Implementations return a stream
  // produced by read_to_first_content() (ChunkStream::committed()). With request.stream ==
  // false the stream yields the whole answer as one chunk.
  Task<Result<ChunkStream>> chat_completion(ChatCompletionRequest request, CallOptions options) {
    return start_chat_completion(std::move(request), std::move(options));
  }
  // The same with default call options. An overload, not a default argument: g++ 12 destroys a
  // non-trivial default argument twice when the call is the operand of co_await.
  Task<Result<ChunkStream>> chat_completion(ChatCompletionRequest request) {
    return start_chat_completion(std::move(request), CallOptions());
  }

  // Whether the provider answers, and how fast. Never fails; problems are in the status.
  virtual Task<HealthStatus> health_check() = 0;

  // Downloads `model` into a provider that hosts models itself (Ollama): returns once the
  // transfer has started, then the stream reports its progress up to "success". Errors:
  // invalid_argument for a provider that cannot pull (the default), and the provider's own.
  Task<Result<PullStream>> pull_model(std::string model, CallOptions options) {
    return start_pull_model(std::move(model), std::move(options));
  }
  // The same with default call options (an overload: see chat_completion).
  Task<Result<PullStream>> pull_model(std::string model) {
    return start_pull_model(std::move(model), CallOptions());
  }

 protected:
  // The implementation of chat_completion(), with the same contract.
  virtual Task<Result<ChunkStream>> start_chat_completion(ChatCompletionRequest request,
                                                          CallOptions options) = 0;
  // The implementation of pull_model(); by default refuses with invalid_argument.
  virtual Task<Result<PullStream>> start_pull_model(std::string model, CallOptions options);
};

}  // namespace aisopod

// Coroutine forms of the early-return macros in status.hpp.
#define AISOPOD_CO_TRY_STATUS(expr)                               \
  do {                                                            \
    ::aisopod::Status aisopod_try_status_ = (expr);               \
    if (!aisopod_try_status_.ok()) co_return aisopod_try_status_; \
  } while (false)
#define AISOPOD_CO_ASSIGN_OR_RETURN(decl, expr)                   \
  auto AISOPOD_CONCAT_(aisopod_result_, __LINE__) = (expr);       \
  if (!AISOPOD_CONCAT_(aisopod_result_, __LINE__).ok())           \
    co_return AISOPOD_CONCAT_(aisopod_result_, __LINE__).error(); \
  decl = std::move(*AISOPOD_CONCAT_(aisopod_result_, __LINE__))
