#include "core/http_provider.hpp"

#include <algorithm>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "aisopod/redact.hpp"

namespace aisopod {
namespace {

using SteadyClock = std::chrono::steady_clock;

// `status` with `message` in place of its message, every other field kept.
Status with_message(const Status& status, std::string message) {
  Status out(status.code(), std::move(message));
  out.set_http_status(status.http_status());
  out.set_provider(status.provider());
  out.set_profile(status.profile());
  out.set_retry_after(status.retry_after());
  return out;
}

// `status` with every piece of `secrets` removed from its message.
Status redacted(Status status, const std::vector<std::string>& secrets) {
  if (secrets.empty() || status.ok()) return status;
  std::string message = redact_secrets(status.message(), secrets);
  if (message == status.message()) return status;
  return with_message(status, std::move(message));
}

Status tagged(Status status, std::string_view provider_id) {
  if (status.provider().empty()) status.set_provider(std::string(provider_id));
  return status;
}

// A call's deadline, as a stream that it bounds needs to know it.
struct CallDeadline {
  SteadyClock::time_point at;
  // From the start of the call to `at`, for messages.
  SteadyClock::duration length;
};

class HttpChunkSource final : public ChunkSource {
 public:
  // `deadline`: the call's, when the exchange's total timeout was set from it.
  HttpChunkSource(http::Response response, std::unique_ptr<ChunkDecoder> decoder,
                  std::string provider_id, std::vector<std::string> secrets,
                  std::optional<CallDeadline> deadline)
      : response_(std::move(response)),
        decoder_(std::move(decoder)),
        provider_id_(std::move(provider_id)),
        secrets_(std::move(secrets)),
        deadline_(deadline),
        http_status_(response_.status()) {}

  Task<Result<std::optional<ChatCompletionChunk>>> next() override {
    for (;;) {
      Result<std::optional<ChatCompletionChunk>> decoded = decoder_->next();
      if (!decoded.ok()) {
        response_.cancel();
        co_return from_decoder(decoded.error());
      }
      if (decoded->has_value() || body_done_) co_return decoded;
      buffer_.clear();
      Result<std::size_t> got = co_await response_.read(buffer_);
      if (!got.ok()) co_return from_transport(got.error());
      if (*got == 0) {
        body_done_ = true;
        Status finished = decoder_->finish();
        if (!finished.ok()) co_return from_decoder(std::move(finished));
        continue;  // the decoder may still hold complete chunks
      }
      decoder_->feed(buffer_);
    }
  }

  void cancel() override { response_.cancel(); }

 private:
  // The provider said so in the stream, or its bytes broke the protocol: the answer came, with
  // this HTTP status.
  Status from_decoder(Status status) const {
    if (status.http_status() == 0) status.set_http_status(http_status_);
    return from_transport(std::move(status));
  }
  // Reset, timeout, cancelled: no HTTP status of its own.
  Status from_transport(Status status) const {
    if (status.code() == StatusCode::kTimeout && deadline_ && SteadyClock::now() >= deadline_->at) {
      // The exchange's total deadline was the call's.
      status =
          with_message(status, "the call's deadline of " + deadline_length_text(deadline_->length) +
                                   " passed during the answer");
    }
    return redacted(tagged(std::move(status), provider_id_), secrets_);
  }

  http::Response response_;
  std::unique_ptr<ChunkDecoder> decoder_;
  std::string provider_id_;
  std::vector<std::string> secrets_;
  std::optional<CallDeadline> deadline_;
  int http_status_ = 0;
  std::string buffer_;
  bool body_done_ = false;
};

}  // namespace

std::unique_ptr<ChunkSource> make_http_chunk_source(http::Response response,
                                                    std::unique_ptr<ChunkDecoder> decoder,
                                                    std::string provider_id,
                                                    std::vector<std::string> secrets) {
  return std::make_unique<HttpChunkSource>(std::move(response), std::move(decoder),
                                           std::move(provider_id), std::move(secrets),
                                           std::nullopt);
}

std::string deadline_length_text(std::chrono::steady_clock::duration length) {
  const long long ms =
      std::max<long long>(0, std::chrono::round<std::chrono::milliseconds>(length).count());
  if (ms < 995) return std::to_string((ms + 5) / 10 * 10) + " ms";
  const long long tenths = (ms + 50) / 100;
  std::string text = std::to_string(tenths / 10);
  if (tenths % 10 != 0) text += "." + std::to_string(tenths % 10);
  return text + " s";
}

http::Timeouts chat_timeouts(bool stream) {
  http::Timeouts timeouts;
  timeouts.connect = kChatConnectTimeout;
  timeouts.first_byte = stream ? kChatStreamingHeadersTimeout : kChatNonStreamingHeadersTimeout;
  timeouts.idle = kChatIdleTimeout;
  timeouts.total = kChatTotalTimeout;
  return timeouts;
}

void apply_call_options(const CallOptions& options, http::Timeouts& timeouts) {
  if (options.connect_timeout) timeouts.connect = *options.connect_timeout;
  if (options.first_byte_timeout) timeouts.first_byte = *options.first_byte_timeout;
  if (options.idle_timeout) timeouts.idle = *options.idle_timeout;
  if (options.total_timeout) timeouts.total = *options.total_timeout;
}

Task<Result<http::Response>> send_checked(http::Request request, const ErrorMapper& map_error,
                                          std::string_view provider_id,
                                          std::vector<std::string> secrets) {
  Result<http::Response> response = co_await http::send(std::move(request));
  if (!response.ok()) co_return redacted(tagged(response.error(), provider_id), secrets);
  const int code = response->status();
  if (code >= 200 && code < 300) co_return response;
  constexpr std::size_t kErrorBodyLimit = 1024 * 1024;
  Result<std::string> body = co_await response->read_all(kErrorBodyLimit);
  std::string text;
  if (body.ok()) {
    // Before the mapper cuts the body to a length: a cut through a key would leave a prefix
    // that no longer matches the whole key.
    text = secrets.empty() ? std::move(*body) : redact_secrets(*body, secrets);
  }
  Status status = map_error(code, response->headers(), text);
  if (status.ok()) {
    status = Status(StatusCode::kInternal, "error mapper accepted HTTP " + std::to_string(code));
  }
  if (status.http_status() == 0) status.set_http_status(code);
  co_return redacted(tagged(std::move(status), provider_id), secrets);
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

namespace {

class HeaderAuthorizer final : public Authorizer {
 public:
  HeaderAuthorizer(std::string provider_id, std::string header, std::string prefix)
      : provider_id_(std::move(provider_id)),
        header_(std::move(header)),
        prefix_(std::move(prefix)) {}

  Task<Status> authorize(http::Request& request, const Credential& credential) override {
    switch (credential.kind) {
      case Credential::Kind::kNone:
        break;
      case Credential::Kind::kApiKey:
        request.headers.push_back({header_, prefix_ + credential.secret});
        break;
      case Credential::Kind::kBearerToken:
        request.headers.push_back({"Authorization", "Bearer " + credential.secret});
        break;
      case Credential::Kind::kAwsKeys:
        co_return Status(StatusCode::kInvalidArgument,
                         "provider '" + provider_id_ +
                             "' cannot sign requests with AWS keys; give the profile an api_key")
            .set_provider(provider_id_);
    }
    co_return Status();
  }

 private:
  const std::string provider_id_;
  const std::string header_;
  const std::string prefix_;
};

}  // namespace

std::shared_ptr<Authorizer> make_header_authorizer(std::string provider_id,
                                                   std::string api_key_header,
                                                   std::string api_key_prefix) {
  return std::make_shared<HeaderAuthorizer>(std::move(provider_id), std::move(api_key_header),
                                            std::move(api_key_prefix));
}

std::shared_ptr<AuthProfileManager> auth_for_secret(std::string_view provider_id,
                                                    SecretSource secret, SecretKind kind) {
  if (!secret) return nullptr;
  return AuthProfileManager::single(std::string(provider_id), std::move(secret), kind);
}

namespace {

// Waits `delay`; false when the awaiting coroutine was cancelled meanwhile (its cancellation
// slot also ends the wait early).
Task<bool> sleep_for(std::chrono::milliseconds delay) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  boost::system::error_code ec;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  const boost::asio::cancellation_state state = co_await boost::asio::this_coro::cancellation_state;
  co_return state.cancelled() == boost::asio::cancellation_type::none;
}

// Exponential backoff as the official SDKs do it: 0.5 s x 2^n, capped at 8 s, times a jitter
// factor in [0.75, 1].
std::chrono::milliseconds backoff_delay(int retry) {
  thread_local std::mt19937 random(std::random_device{}());
  const double base = std::min(8000.0, 500.0 * static_cast<double>(1 << std::min(retry, 10)));
  std::uniform_real_distribution<double> jitter(0.75, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(base * jitter(random)));
}

// The error of a call whose deadline (`length` after its start) passed after `attempts`
// attempts; `last` is the last attempt's error when the deadline was not what ended it.
Status deadline_passed(SteadyClock::duration length, int attempts,
                       const std::optional<Status>& last) {
  std::string message = "the call's deadline of " + deadline_length_text(length) + " passed ";
  if (attempts == 0) {
    message += "before the first attempt";
  } else {
    message += "after " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
  }
  if (last) {
    message += "; the last one failed with ";
    message += status_code_name(last->code());
    if (last->shows_http_status()) {
      message += " (HTTP " + std::to_string(last->http_status()) + ")";
    }
    if (!last->message().empty()) message += ": " + last->message();
  }
  return Status(StatusCode::kTimeout, std::move(message));
}

// The credential of one attempt and what must be redacted from its errors.
struct AttemptAuth {
  // Null when the provider has no profile.
  const AuthLease* lease = nullptr;
  Credential credential;
  // The credential's secrets and the lease's identity.
  std::vector<std::string> secrets;
};

// The sending part of every attempt: a copy of `base` with the attempt's timeouts, authorized
// with the attempt's credential (the last step), sent, and a failure mapped and redacted. A
// coroutine taking references: each argument belongs to the call, which outlives the attempt.
Task<Result<http::Response>> send_attempt(const std::string& provider_id, const http::Request& base,
                                          Authorizer* authorizer, const ErrorMapper& map_error,
                                          const std::function<Status(Status)>& map_send_error,
                                          const AttemptAuth& auth, http::Timeouts timeouts) {
  http::Request request = base;
  request.timeouts = timeouts;
  if (authorizer != nullptr) {
    Status authorized = co_await authorizer->authorize(request, auth.credential);
    if (!authorized.ok())
      co_return redacted(tagged(std::move(authorized), provider_id), auth.secrets);
  }
  Result<http::Response> sent =
      co_await send_checked(std::move(request), map_error, provider_id, auth.secrets);
  if (!sent.ok()) {
    Status status = sent.error();
    if (map_send_error && status.http_status() == 0) status = map_send_error(status);
    co_return redacted(tagged(std::move(status), provider_id), auth.secrets);
  }
  co_return sent;
}

// One attempt: send with the lease's secret and read ahead to the first content chunk.
// `deadline`: the call's, when it set timeouts.total.
Task<Result<ChunkStream>> attempt_chat(const ChatCall& call, const AttemptAuth& auth,
                                       http::Timeouts timeouts,
                                       std::optional<CallDeadline> deadline) {
  const std::vector<std::string>& secrets = auth.secrets;
  Result<http::Response> sent =
      co_await send_attempt(call.provider_id, call.request, call.authorizer.get(), call.map_error,
                            call.map_send_error, auth, timeouts);
  if (!sent.ok()) co_return sent.error();
  http::Response response = std::move(*sent);
  if (!call.stream) {
    Result<std::string> body = co_await response.read_all();
    if (!body.ok()) co_return redacted(tagged(body.error(), call.provider_id), secrets);
    Result<std::vector<ChatCompletionChunk>> chunks = call.decode_body(*body);
    if (!chunks.ok()) {
      // The provider answered, with bytes that say "error" or break the protocol.
      Status status = chunks.error();
      if (status.http_status() == 0) status.set_http_status(response.status());
      co_return redacted(tagged(std::move(status), call.provider_id), secrets);
    }
    co_return co_await read_to_first_content(ChunkStream::from_chunks(std::move(*chunks)));
  }
  ChunkStream stream(std::make_unique<HttpChunkSource>(std::move(response), call.make_decoder(),
                                                       call.provider_id, secrets, deadline));
  co_return co_await read_to_first_content(std::move(stream));
}

// What the retry loop needs to know of a request, whatever it is.
struct LoopSpec {
  std::string provider_id;
  // The model the request is about, for per-model cooldowns; "" for models, health, pull.
  std::string model;
  // Each attempt's timeouts before the call's deadline shortens them.
  http::Timeouts timeouts;
};

// One attempt with its credential, its timeouts, and the call's deadline when it set the total.
template <class T>
using AttemptFn =
    std::function<Task<Result<T>>(const AttemptAuth&, http::Timeouts, std::optional<CallDeadline>)>;

// One attempt of a request that is not a chat call: authorize, send, map errors.
Task<Result<http::Response>> attempt_request(const RequestCall& call, const AttemptAuth& auth,
                                             http::Timeouts timeouts) {
  return send_attempt(call.provider_id, call.request, call.authorizer.get(), call.map_error,
                      call.map_send_error, auth, timeouts);
}

// attempt_request() and the whole body (at most `limit` bytes).
Task<Result<std::string>> attempt_fetch(const RequestCall& call, const AttemptAuth& auth,
                                        http::Timeouts timeouts, std::size_t limit) {
  AISOPOD_CO_ASSIGN_OR_RETURN(http::Response response,
                              co_await attempt_request(call, auth, timeouts));
  Result<std::string> body = co_await response.read_all(limit);
  if (!body.ok()) co_return redacted(tagged(body.error(), call.provider_id), auth.secrets);
  co_return body;
}

// The credential of the leased profile (none without a lease), with the secrets to redact.
Task<Result<AttemptAuth>> attempt_auth(const AuthLease* lease) {
  AttemptAuth auth;
  auth.lease = lease;
  if (lease == nullptr || !lease->source) co_return auth;
  if (!lease->secret.empty()) auth.secrets.push_back(lease->secret);
  Result<Credential> credential = co_await lease->source->get();
  if (!credential.ok()) co_return redacted(credential.error(), auth.secrets);
  auth.credential = std::move(*credential);
  for (std::string& secret : auth.credential.secrets()) {
    if (std::find(auth.secrets.begin(), auth.secrets.end(), secret) == auth.secrets.end()) {
      auth.secrets.push_back(std::move(secret));
    }
  }
  co_return auth;
}

// The level-1 retry loop (DESIGN.md section 6), written once for every request a provider
// makes: takes a profile from `auth` (round-robin, skipping cooled-down ones; none when `auth`
// is null or has no profile for the provider), runs `attempt` with it, reports the outcome,
// rotates to the next profile after a credential error, backs off after overloaded /
// unavailable / timeout, all under options.deadline.
template <class T>
Task<Result<T>> retry_loop(LoopSpec call, AuthProfileManager* auth, const CallOptions& options,
                           AttemptFn<T> run_attempt) {
  const SteadyClock::time_point started = SteadyClock::now();
  const std::optional<SteadyClock::time_point> deadline = options.deadline;
  const auto deadline_has_passed = [&deadline] {
    return deadline.has_value() && SteadyClock::now() >= *deadline;
  };
  const http::Timeouts timeouts = call.timeouts;

  const bool with_profiles = auth != nullptr && auth->has_profiles(call.provider_id);
  Observer* observer = options.observer.get();
  std::vector<std::string> tried;  // profiles that failed with a credential error
  std::string previous_profile;
  std::optional<Status> last_error;
  int backoffs = 0;
  bool waited_for_cooldown = false;
  for (int attempt = 1;; ++attempt) {
    if (deadline_has_passed()) {
      co_return tagged(deadline_passed(*deadline - started, attempt - 1, last_error),
                       call.provider_id);
    }
    std::optional<AuthLease> lease;
    if (with_profiles) {
      Result<AuthLease> acquired =
          auth->acquire(call.provider_id, call.model, options.session_key, tried);
      if (!acquired.ok()) {
        Status status = tagged(acquired.error(), call.provider_id);
        const auto wait = status.retry_after();
        if (status.code() == StatusCode::kRateLimited && wait && !waited_for_cooldown &&
            *wait <= options.max_cooldown_wait &&
            (!deadline || SteadyClock::now() + *wait < *deadline)) {
          waited_for_cooldown = true;
          if (!co_await sleep_for(*wait)) {
            co_return tagged(Status(StatusCode::kCancelled,
                                    "cancelled while waiting for an auth profile's cooldown"),
                             call.provider_id);
          }
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
    http::Timeouts attempt_timeouts = timeouts;
    std::optional<CallDeadline> bounding;
    if (deadline) {
      // At least 1 ms: zero would mean "no limit".
      const auto left =
          std::max(std::chrono::milliseconds(1),
                   std::chrono::ceil<std::chrono::milliseconds>(*deadline - SteadyClock::now()));
      if (attempt_timeouts.total.count() <= 0 || left < attempt_timeouts.total) {
        attempt_timeouts.total = left;
        bounding = CallDeadline{*deadline, *deadline - started};
      }
    }
    const AttemptInfo info{call.provider_id, call.model, lease ? lease->profile : "", attempt};
    if (observer) observer->on_attempt_started(info);
    // The credential is part of the attempt: a token exchange that fails is its outcome.
    Result<AttemptAuth> auth_now = co_await attempt_auth(lease ? &*lease : nullptr);
    std::optional<Result<T>> outcome;
    if (auth_now.ok()) {
      outcome.emplace(co_await run_attempt(*auth_now, attempt_timeouts, bounding));
      // A temporary credential refused as unauthenticated (expired early, revoked session) is
      // fetched again once, and the attempt repeated, before the profile is blamed.
      if (!outcome->ok() && outcome->error().code() == StatusCode::kUnauthenticated &&
          auth_now->credential.expires_at.has_value() && lease && lease->source &&
          !deadline_has_passed()) {
        lease->source->invalidate();
        auth_now = co_await attempt_auth(&*lease);
        if (auth_now.ok()) {
          outcome.emplace(co_await run_attempt(*auth_now, attempt_timeouts, bounding));
        } else {
          outcome.emplace(tagged(auth_now.error(), call.provider_id));
        }
      }
    } else {
      outcome.emplace(tagged(auth_now.error(), call.provider_id));
    }
    Result<T>& result = *outcome;
    if (result.ok()) {
      if (lease) auth->report(*lease, call.model, Status());
      if (observer) observer->on_attempt_succeeded(info);
      co_return std::move(result);
    }
    Status error = result.error();
    const bool out_of_time = deadline_has_passed();
    // A timeout once the deadline has passed is the deadline's doing (it set the total).
    const bool cut_by_deadline = out_of_time && error.code() == StatusCode::kTimeout;
    if (cut_by_deadline) {
      error = tagged(deadline_passed(*deadline - started, attempt, std::nullopt), call.provider_id);
    }
    if (lease) {
      error.set_profile(lease->profile);
      auth->report(*lease, call.model, error);
    }
    if (observer) observer->on_attempt_failed(info, error);
    last_error = error;
    if (error.code() == StatusCode::kCancelled || cut_by_deadline) co_return error;
    if (out_of_time) {
      co_return tagged(deadline_passed(*deadline - started, attempt, last_error), call.provider_id);
    }
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
    // No retry could start before the deadline: leave the time to the caller (the next
    // failover candidate) rather than sleep through it.
    if (deadline && SteadyClock::now() + delay >= *deadline) co_return error;
    ++backoffs;
    if (!co_await sleep_for(delay)) {
      co_return tagged(Status(StatusCode::kCancelled, "cancelled while waiting to retry"),
                       call.provider_id);
    }
  }
}

}  // namespace

Task<Result<ChunkStream>> run_chat_call(ChatCall call, AuthProfileManager* auth,
                                        const CallOptions& options) {
  http::Timeouts timeouts = chat_timeouts(call.stream);
  if (call.attempt_timeout) timeouts.total = *call.attempt_timeout;
  apply_call_options(options, timeouts);
  LoopSpec spec{call.provider_id, call.model, timeouts};
  // `call` lives in this frame until the loop is done.
  const ChatCall& chat = call;
  co_return co_await retry_loop<ChunkStream>(
      std::move(spec), auth, options,
      [&chat](const AttemptAuth& auth, http::Timeouts attempt_timeouts,
              std::optional<CallDeadline> deadline) {
        return attempt_chat(chat, auth, attempt_timeouts, deadline);
      });
}

Task<Result<http::Response>> run_request_call(RequestCall call, AuthProfileManager* auth,
                                              const CallOptions& options) {
  http::Timeouts timeouts = call.request.timeouts;
  apply_call_options(options, timeouts);
  LoopSpec spec{call.provider_id, call.model, timeouts};
  const RequestCall& request = call;
  co_return co_await retry_loop<http::Response>(
      std::move(spec), auth, options,
      [&request](const AttemptAuth& auth, http::Timeouts attempt_timeouts,
                 std::optional<CallDeadline> /*deadline*/) {
        return attempt_request(request, auth, attempt_timeouts);
      });
}

Task<Result<std::string>> run_fetch_call(RequestCall call, AuthProfileManager* auth,
                                         const CallOptions& options, std::size_t limit) {
  http::Timeouts timeouts = call.request.timeouts;
  apply_call_options(options, timeouts);
  LoopSpec spec{call.provider_id, call.model, timeouts};
  const RequestCall& request = call;
  co_return co_await retry_loop<std::string>(
      std::move(spec), auth, options,
      [&request, limit](const AttemptAuth& auth, http::Timeouts attempt_timeouts,
                        std::optional<CallDeadline> /*deadline*/) {
        return attempt_fetch(request, auth, attempt_timeouts, limit);
      });
}

}  // namespace aisopod
