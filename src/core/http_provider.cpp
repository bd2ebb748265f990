#include "core/http_provider.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <random>
#include <utility>

namespace aisopod {
namespace {

class HttpChunkSource final : public ChunkSource {
 public:
  HttpChunkSource(http::Response response, std::unique_ptr<ChunkDecoder> decoder,
                  std::string provider_id)
      : response_(std::move(response)),
        decoder_(std::move(decoder)),
        provider_id_(std::move(provider_id)) {}

  Task<Result<std::optional<ChatCompletionChunk>>> next() override {
    for (;;) {
      Result<std::optional<ChatCompletionChunk>> decoded = decoder_->next();
      if (!decoded.ok()) {
        response_.cancel();
        co_return tag(decoded.error());
      }
      if (decoded->has_value() || body_done_) co_return decoded;
      buffer_.clear();
      Result<std::size_t> got = co_await response_.read(buffer_);
      if (!got.ok()) co_return tag(got.error());
      if (*got == 0) {
        body_done_ = true;
        Status finished = decoder_->finish();
        if (!finished.ok()) co_return tag(std::move(finished));
        continue;  // the decoder may still hold complete chunks
      }
      decoder_->feed(buffer_);
    }
  }

  void cancel() override { response_.cancel(); }

 private:
  Status tag(Status status) const {
    if (status.provider().empty()) status.set_provider(provider_id_);
    return status;
  }

  http::Response response_;
  std::unique_ptr<ChunkDecoder> decoder_;
  std::string provider_id_;
  std::string buffer_;
  bool body_done_ = false;
};

}  // namespace

std::unique_ptr<ChunkSource> make_http_chunk_source(http::Response response,
                                                    std::unique_ptr<ChunkDecoder> decoder,
                                                    std::string provider_id) {
  return std::make_unique<HttpChunkSource>(std::move(response), std::move(decoder),
                                           std::move(provider_id));
}

void apply_call_options(const CallOptions& options, http::Timeouts& timeouts) {
  if (options.connect_timeout) timeouts.connect = *options.connect_timeout;
  if (options.first_byte_timeout) timeouts.first_byte = *options.first_byte_timeout;
  if (options.idle_timeout) timeouts.idle = *options.idle_timeout;
  if (options.total_timeout) timeouts.total = *options.total_timeout;
}

Task<Result<http::Response>> send_checked(http::Request request, const ErrorMapper& map_error,
                                          std::string_view provider_id) {
  Result<http::Response> response = co_await http::send(std::move(request));
  if (!response.ok()) {
    Status status = response.error();
    if (status.provider().empty()) status.set_provider(std::string(provider_id));
    co_return status;
  }
  const int code = response->status();
  if (code >= 200 && code < 300) co_return response;
  constexpr std::size_t kErrorBodyLimit = 1024 * 1024;
  Result<std::string> body = co_await response->read_all(kErrorBodyLimit);
  Status status = map_error(code, response->headers(), body.ok() ? *body : std::string_view());
  if (status.ok()) {
    status = Status(StatusCode::kInternal, "error mapper accepted HTTP " + std::to_string(code));
  }
  if (status.http_status() == 0) status.set_http_status(code);
  if (status.provider().empty()) status.set_provider(std::string(provider_id));
  co_return status;
}

Task<Result<std::string>> fetch_body(http::Request request, const ErrorMapper& map_error,
                                     std::string_view provider_id, std::size_t limit) {
  AISOPOD_CO_ASSIGN_OR_RETURN(http::Response response,
                              co_await send_checked(std::move(request), map_error, provider_id));
  Result<std::string> body = co_await response.read_all(limit);
  if (!body.ok()) {
    Status status = body.error();
    if (status.provider().empty()) status.set_provider(std::string(provider_id));
    co_return status;
  }
  co_return body;
}

Task<HealthStatus> run_health_probe(std::function<Task<Status>()> probe) {
  const auto start = std::chrono::steady_clock::now();
  Status status = co_await probe();
  HealthStatus health;
  health.latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (status.ok()) {
    health.state = HealthStatus::State::kHealthy;
    health.message = "ok";
  } else {
    const StatusCode code = status.code();
    const bool answered = code == StatusCode::kUnauthenticated ||
                          code == StatusCode::kPermissionDenied || code == StatusCode::kBilling ||
                          code == StatusCode::kRateLimited || code == StatusCode::kNotFound;
    health.state = answered ? HealthStatus::State::kDegraded : HealthStatus::State::kUnhealthy;
    health.message = status.to_string();
  }
  co_return health;
}

std::string trim_base_url(std::string_view base_url) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  return std::string(base_url);
}

void add_bearer_token(http::Request& request, std::string_view token) {
  if (!token.empty()) request.headers.push_back({"Authorization", "Bearer " + std::string(token)});
}

std::shared_ptr<AuthProfileManager> auth_for_secret(std::string_view provider_id,
                                                    SecretSource secret) {
  if (!secret) return nullptr;
  return AuthProfileManager::single(std::string(provider_id), std::move(secret));
}

Result<std::optional<AuthLease>> lease_for(AuthProfileManager* auth, std::string_view provider_id) {
  if (auth == nullptr || !auth->has_profiles(provider_id)) return std::optional<AuthLease>();
  Result<AuthLease> lease = auth->acquire(provider_id, "");
  if (!lease.ok()) {
    Status status = lease.error();
    if (status.provider().empty()) status.set_provider(std::string(provider_id));
    return status;
  }
  return std::optional<AuthLease>(std::move(*lease));
}

namespace {

Task<void> sleep_for(std::chrono::milliseconds delay) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  boost::system::error_code ignored;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
}

// Exponential backoff as the official SDKs do it: 0.5 s x 2^n, capped at 8 s, times a jitter
// factor in [0.75, 1].
std::chrono::milliseconds backoff_delay(int retry) {
  thread_local std::mt19937 random(std::random_device{}());
  const double base = std::min(8000.0, 500.0 * static_cast<double>(1 << std::min(retry, 10)));
  std::uniform_real_distribution<double> jitter(0.75, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(base * jitter(random)));
}

// One attempt: send with the lease's secret and read ahead to the first content chunk.
Task<Result<ChunkStream>> attempt_chat(const ChatCall& call, const AuthLease* lease) {
  http::Request request = call.request;
  if (call.authorize) call.authorize(request, lease ? std::string_view(lease->secret) : "");
  Result<http::Response> sent =
      co_await send_checked(std::move(request), call.map_error, call.provider_id);
  if (!sent.ok()) {
    Status status = sent.error();
    if (call.map_send_error && status.http_status() == 0) status = call.map_send_error(status);
    co_return status;
  }
  http::Response response = std::move(*sent);
  if (!call.stream) {
    Result<std::string> body = co_await response.read_all();
    if (!body.ok()) {
      Status status = body.error();
      if (status.provider().empty()) status.set_provider(call.provider_id);
      co_return status;
    }
    Result<std::vector<ChatCompletionChunk>> chunks = call.decode_body(*body);
    if (!chunks.ok()) {
      Status status = chunks.error();
      if (status.provider().empty()) status.set_provider(call.provider_id);
      co_return status;
    }
    co_return ChunkStream::from_chunks(std::move(*chunks));
  }
  ChunkStream stream(
      make_http_chunk_source(std::move(response), call.make_decoder(), call.provider_id));
  co_return co_await read_to_first_content(std::move(stream));
}

}  // namespace

Task<Result<ChunkStream>> run_chat_call(ChatCall call, AuthProfileManager* auth,
                                        const CallOptions& options) {
  const bool with_profiles = auth != nullptr && auth->has_profiles(call.provider_id);
  Observer* observer = options.observer.get();
  std::vector<std::string> tried;  // profiles that failed with a credential error
  std::string previous_profile;
  std::optional<Status> last_error;
  int backoffs = 0;
  bool waited_for_cooldown = false;
  for (int attempt = 1;; ++attempt) {
    std::optional<AuthLease> lease;
    if (with_profiles) {
      Result<AuthLease> acquired =
          auth->acquire(call.provider_id, call.model, options.session_key, tried);
      if (!acquired.ok()) {
        Status status = acquired.error();
        if (status.provider().empty()) status.set_provider(call.provider_id);
        const auto wait = status.retry_after();
        if (status.code() == StatusCode::kRateLimited && wait && !waited_for_cooldown &&
            *wait <= options.max_cooldown_wait) {
          waited_for_cooldown = true;
          co_await sleep_for(*wait);
          --attempt;
          continue;
        }
        // Every profile tried: the last upstream error says more than "none left".
        co_return last_error ? *last_error : status;
      }
      lease = std::move(*acquired);
      if (!previous_profile.empty() && observer && previous_profile != lease->profile) {
        observer->on_profile_rotated(call.provider_id, previous_profile, lease->profile);
      }
      previous_profile = lease->profile;
    }
    const AttemptInfo info{call.provider_id, call.model, lease ? lease->profile : "", attempt};
    if (observer) observer->on_attempt_started(info);
    Result<ChunkStream> result = co_await attempt_chat(call, lease ? &*lease : nullptr);
    if (result.ok()) {
      if (lease) auth->report(*lease, call.model, Status());
      if (observer) observer->on_attempt_succeeded(info);
      co_return result;
    }
    Status error = result.error();
    if (lease) {
      error.set_profile(lease->profile);
      auth->report(*lease, call.model, error);
    }
    if (observer) observer->on_attempt_failed(info, error);
    last_error = error;
    if (error.code() == StatusCode::kCancelled) co_return error;
    if (lease && rotates_credentials(error.code())) {
      tried.push_back(lease->profile);
      continue;
    }
    const bool backs_off = error.code() == StatusCode::kOverloaded ||
                           error.code() == StatusCode::kUnavailable ||
                           error.code() == StatusCode::kTimeout;
    if (!backs_off || backoffs >= options.max_retries) co_return error;
    std::chrono::milliseconds delay = backoff_delay(backoffs);
    if (const auto server = error.retry_after()) {
      if (*server > options.max_retry_after) co_return error;
      delay = *server;
    }
    ++backoffs;
    co_await sleep_for(delay);
  }
}

}  // namespace aisopod
