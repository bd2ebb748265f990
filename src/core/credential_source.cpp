#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <utility>

#include "aisopod/credential.hpp"

namespace aisopod {
namespace asio = boost::asio;

Credential Credential::api_key(std::string key) {
  Credential c;
  c.kind = Kind::kApiKey;
  c.secret = std::move(key);
  return c;
}

Credential Credential::bearer_token(std::string token, std::optional<SystemTime> expires_at) {
  Credential c;
  c.kind = Kind::kBearerToken;
  c.secret = std::move(token);
  c.expires_at = expires_at;
  return c;
}

Credential Credential::aws_keys(std::string access_key_id, std::string secret_access_key,
                                std::string session_token, std::optional<SystemTime> expires_at) {
  Credential c;
  c.kind = Kind::kAwsKeys;
  c.access_key_id = std::move(access_key_id);
  c.secret = std::move(secret_access_key);
  c.session_token = std::move(session_token);
  c.expires_at = expires_at;
  return c;
}

std::vector<std::string> Credential::secrets() const {
  std::vector<std::string> out;
  for (const std::string* part : {&secret, &session_token, &access_key_id}) {
    if (!part->empty()) out.push_back(*part);
  }
  return out;
}

namespace {

class StaticSource final : public CredentialSource {
 public:
  explicit StaticSource(Credential credential) : credential_(std::move(credential)) {}
  asio::awaitable<Result<Credential>> get() override { co_return credential_; }
  Result<std::string> identity() override { return credential_.access_key_id + credential_.secret; }

 private:
  const Credential credential_;
};

class FunctionSource final : public CredentialSource {
 public:
  FunctionSource(std::function<Result<std::string>()> read, SecretKind kind)
      : read_(std::move(read)), kind_(kind) {}

  asio::awaitable<Result<Credential>> get() override {
    Result<std::string> secret = read_();
    if (!secret.ok()) co_return secret.error();
    if (secret->empty()) co_return Credential{};
    co_return kind_ == SecretKind::kBearerToken ? Credential::bearer_token(std::move(*secret))
                                                : Credential::api_key(std::move(*secret));
  }
  Result<std::string> identity() override { return read_(); }

 private:
  const std::function<Result<std::string>()> read_;
  const SecretKind kind_;
};

class CachingSource final : public CredentialSource {
 public:
  using Fetch = std::function<asio::awaitable<Result<Credential>>()>;

  CachingSource(std::string identity, Fetch fetch, std::chrono::milliseconds margin,
                std::shared_ptr<Clock> clock)
      : identity_(std::move(identity)),
        fetch_(std::move(fetch)),
        margin_(margin),
        clock_(clock ? std::move(clock) : system_clock()) {}

  asio::awaitable<Result<Credential>> get() override {
    const asio::any_io_executor executor = co_await asio::this_coro::executor;
    std::shared_ptr<Waiter> waiter;
    {
      std::lock_guard lock(mutex_);
      if (cached_ && fresh(*cached_)) co_return *cached_;
      if (in_flight_) {
        waiter = std::make_shared<Waiter>(executor);
        waiters_.push_back(waiter);
      } else {
        in_flight_ = true;
      }
    }
    if (waiter) {
      boost::system::error_code ignored;
      co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      std::lock_guard lock(mutex_);
      if (waiter->result) co_return *waiter->result;
      co_return Status(StatusCode::kCancelled, "cancelled while waiting for a credential");
    }
    // This caller fetches for everyone. If its coroutine is destroyed before the fetch ends
    // (its io_context stopped), the guard hands the waiters an error instead of leaving them
    // waiting for ever.
    FetchGuard guard{this};
    Result<Credential> fetched = co_await fetch_();
    guard.complete(fetched);
    co_return fetched;
  }

  Result<std::string> identity() override { return identity_; }

  void invalidate() override {
    std::lock_guard lock(mutex_);
    cached_.reset();
  }

 private:
  // One caller waiting for another's fetch: woken on its own executor.
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& executor)
        : executor(executor), timer(executor, asio::steady_timer::time_point::max()) {}
    asio::any_io_executor executor;
    asio::steady_timer timer;
    std::optional<Result<Credential>> result;  // guarded by the source's mutex
  };

  struct FetchGuard {
    CachingSource* source;
    bool done = false;
    void complete(const Result<Credential>& result) {
      done = true;
      source->finish(result);
    }
    ~FetchGuard() {
      if (!done) {
        source->finish(Status(StatusCode::kCancelled, "the credential fetch was cancelled"));
      }
    }
  };

  bool fresh(const Credential& credential) const {
    return !credential.expires_at || clock_->now() + margin_ < *credential.expires_at;
  }

  void finish(const Result<Credential>& result) {
    std::vector<std::shared_ptr<Waiter>> waiters;
    {
      std::lock_guard lock(mutex_);
      in_flight_ = false;
      if (result.ok()) cached_ = *result;
      waiters.swap(waiters_);
      for (const auto& waiter : waiters) waiter->result = result;
    }
    // A timer is not thread-safe: each is cancelled on its own executor. The reference moves
    // into the posted handler, so that the last one is dropped on the waiter's own thread (or by
    // its io_context's shutdown), never here after that io_context is gone.
    for (auto& waiter : waiters) {
      const asio::any_io_executor executor = waiter->executor;
      asio::post(executor, [waiter = std::move(waiter)] { waiter->timer.cancel(); });
    }
  }

  const std::string identity_;
  const Fetch fetch_;
  const std::chrono::milliseconds margin_;
  const std::shared_ptr<Clock> clock_;

  std::mutex mutex_;  // guards everything below
  std::optional<Credential> cached_;
  bool in_flight_ = false;
  std::vector<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace

std::shared_ptr<CredentialSource> make_static_credential_source(Credential credential) {
  return std::make_shared<StaticSource>(std::move(credential));
}

std::shared_ptr<CredentialSource> make_function_credential_source(
    std::function<Result<std::string>()> read, SecretKind kind) {
  return std::make_shared<FunctionSource>(std::move(read), kind);
}

std::shared_ptr<CredentialSource> make_caching_credential_source(
    std::string identity, std::function<asio::awaitable<Result<Credential>>()> fetch,
    std::chrono::milliseconds refresh_margin, std::shared_ptr<Clock> clock) {
  return std::make_shared<CachingSource>(std::move(identity), std::move(fetch), refresh_margin,
                                         std::move(clock));
}

}  // namespace aisopod
