// Credentials as values, and where they come from. A Credential is what one auth profile
// authorizes a request with: an API key, a bearer token with its expiry, or an AWS key triple.
// A CredentialSource hands out the current one, asynchronously: static keys answer at once;
// tokens and temporary keys are fetched (through the same HTTP engine), cached until shortly
// before they expire, and refreshed once for any number of concurrent callers.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aisopod/auth.hpp"
#include "aisopod/status.hpp"

namespace aisopod {

// One credential. A plain value; never log it (secrets() lists what must be redacted).
struct Credential {
  enum class Kind {
    // No credential: send the request as it is (a local server).
    kNone,
    // An API key, sent the provider's way (Authorization: Bearer, x-api-key, x-goog-api-key).
    kApiKey,
    // An OAuth or other bearer token: Authorization: Bearer.
    kBearerToken,
    // AWS access key id + secret access key (+ session token for temporary keys): SigV4.
    kAwsKeys,
  };
  Kind kind = Kind::kNone;
  // The API key, the token, or the AWS secret access key.
  std::string secret;
  // AWS only.
  std::string access_key_id;
  std::string session_token;
  // When a token or temporary key stops working; unset for keys that do not expire.
  std::optional<SystemTime> expires_at;

  static Credential api_key(std::string key);
  static Credential bearer_token(std::string token, std::optional<SystemTime> expires_at = {});
  static Credential aws_keys(std::string access_key_id, std::string secret_access_key,
                             std::string session_token = {},
                             std::optional<SystemTime> expires_at = {});

  // Every part of the credential that must never be printed or stored (empty parts left out).
  std::vector<std::string> secrets() const;

  friend bool operator==(const Credential&, const Credential&) = default;
};

// Where a profile's credential comes from. Implementations are thread-safe: get() may be
// awaited from several io_contexts at once.
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // The credential to use now. Errors: the source's (an unset variable, a refused token
  // exchange), as they are.
  virtual boost::asio::awaitable<Result<Credential>> get() = 0;

  // What a profile's state belongs to: AuthProfileManager keeps a salted fingerprint of it, so
  // that a changed key starts clean (and is never stored itself). For a key, the key; for
  // tokens fetched with something longer-lived (a service-account key, a refresh token, a role),
  // that, so that a refreshed token keeps the profile's state. Called at each acquire(); must
  // not wait for the network. Errors: the source's (an unset variable).
  virtual Result<std::string> identity() = 0;

  // The server refused a credential this source gave out as expired or invalid before its
  // expires_at (a clock skew, a revoked session): the next get() fetches a new one instead of
  // returning it from a cache. The request pipeline calls it once per attempt for credentials
  // that have an expiry, then tries again with the new credential before it blames the profile.
  // The default does nothing (a source that keeps nothing).
  virtual void invalidate() {}
};

// A source that always answers `credential` (an API key from the configuration). Its identity
// is the secret (for AWS keys, the access key id and the secret).
std::shared_ptr<CredentialSource> make_static_credential_source(Credential credential);

// A source that reads its secret at each use from `read` (an environment variable, a file):
// an API key or a bearer token as `kind` says (SecretKind::kApiKey -> Credential::kApiKey);
// an empty secret is Credential::kNone (send no credential). Its identity is the secret.
// Errors: `read`'s, as they are.
std::shared_ptr<CredentialSource> make_function_credential_source(
    std::function<Result<std::string>()> read, SecretKind kind = SecretKind::kApiKey);

// A source over `fetch` (a token exchange, an STS call, a credentials process): the fetched
// credential is kept until `refresh_margin` before its expires_at (for ever when it has none);
// while one fetch runs, every other caller waits for its result instead of starting another;
// a failed fetch is returned to everyone waiting for it, and the next get() fetches again.
// `fetch` runs on the io_context of the caller that started it. `clock` decides expiry (tests
// pass a FakeClock).
// `identity` is what identity() answers (see there): what the credentials are fetched with.
std::shared_ptr<CredentialSource> make_caching_credential_source(
    std::string identity, std::function<boost::asio::awaitable<Result<Credential>>()> fetch,
    std::chrono::milliseconds refresh_margin = std::chrono::minutes(5),
    std::shared_ptr<Clock> clock = system_clock());

}  // namespace aisopod
