// Status and Result<T>: the one error vocabulary of aisopod.
//
// Every fallible operation returns a Status (no value) or a Result<T> (a value or a Status).
// Exceptions never cross the library boundary. A Status message never contains a credential.
// Both types are cheap values, safe to copy between threads.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace aisopod {

// The closed set of error codes. Every provider maps its HTTP status, headers and body to one
// of these in a single function, so callers can act on the code alone.
enum class StatusCode {
  // Success.
  kOk = 0,
  // The request itself is wrong (bad parameter, unsupported content for this provider). Fix the
  // request; retrying, rotating keys or failing over will not help.
  kInvalidArgument,
  // The credential was rejected (HTTP 401): missing, malformed, revoked or expired key.
  kUnauthenticated,
  // The credential is valid but not allowed to do this (HTTP 403, model access not granted).
  kPermissionDenied,
  // The account is out of credit or quota (OpenAI insufficient_quota, Anthropic low balance).
  kBilling,
  // The model or endpoint does not exist (HTTP 404).
  kNotFound,
  // Too many requests for this key or model (HTTP 429); may carry a retry-after.
  kRateLimited,
  // The provider is overloaded (Anthropic 529, HTTP 503 "overloaded").
  kOverloaded,
  // The prompt does not fit the model's context window.
  kContextLengthExceeded,
  // A connect, first-byte, idle or total deadline passed.
  kTimeout,
  // The caller cancelled the operation.
  kCancelled,
  // The provider could not be reached or answered with a server error (5xx, refused, reset).
  kUnavailable,
  // The provider answered with bytes that do not follow its protocol.
  kProtocolError,
  // A bug or an unexpected condition inside aisopod.
  kInternal,
};

// A stable lower-case name for a code ("rate_limited", "context_length_exceeded", ...).
std::string_view status_code_name(StatusCode code);

// Parses a name produced by status_code_name(); std::nullopt for anything else.
std::optional<StatusCode> status_code_from_name(std::string_view name);

// True for codes where the same request may succeed later without change: rate_limited,
// overloaded, timeout, unavailable.
bool is_retryable(StatusCode code);

// True for codes that say the credential in use is the problem, so the next auth profile should
// be tried: unauthenticated, permission_denied, billing, rate_limited.
bool rotates_credentials(StatusCode code);

// The outcome of an operation: ok, or a code with a message and context.
class [[nodiscard]] Status {
 public:
  // An ok status.
  Status() = default;
  // An error (or ok, if code is kOk) with a human-readable message. The message must not
  // contain a credential.
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // The HTTP status of the response that produced this error; 0 when none.
  int http_status() const { return http_status_; }
  Status& set_http_status(int status) {
    http_status_ = status;
    return *this;
  }
  // True when the HTTP status belongs in a message: set, and not a success (an error reported
  // inside a 2xx response keeps its status for exit codes, but "HTTP 200" would only confuse).
  bool shows_http_status() const {
    return http_status_ != 0 && (http_status_ < 200 || http_status_ >= 300);
  }
  // The provider id that produced this error ("openai", "local", ...); empty when none.
  const std::string& provider() const { return provider_; }
  Status& set_provider(std::string provider) {
    provider_ = std::move(provider);
    return *this;
  }
  // The auth profile (key) in use when the error happened ("main"); empty when none or unknown.
  const std::string& profile() const { return profile_; }
  Status& set_profile(std::string profile) {
    profile_ = std::move(profile);
    return *this;
  }
  // How long the server asked the caller to wait before retrying, when it said so.
  std::optional<std::chrono::milliseconds> retry_after() const { return retry_after_; }
  Status& set_retry_after(std::optional<std::chrono::milliseconds> delay) {
    retry_after_ = delay;
    return *this;
  }

  // "rate_limited (HTTP 429, openai, profile main): message"; "ok" for success. A 2xx HTTP
  // status (an error reported inside a successful response) is not shown.
  std::string to_string() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  int http_status_ = 0;
  std::string provider_;
  std::string profile_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

// A value of type T, or a non-ok Status. Shaped like std::expected (which g++ 12 lacks).
template <class T>
class [[nodiscard]] Result {
 public:
  // Implicit from a value and from an error Status, so `return value;` and `return status;`
  // both work. Constructing from an ok Status is a bug and yields an internal error.
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}        // NOLINT
  Result(Status status) : data_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    if (std::get<1>(data_).ok()) {
      std::get<1>(data_) = Status(StatusCode::kInternal, "Result built from an ok Status");
    }
  }

  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // The value; only valid when ok().
  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; an ok Status when ok().
  Status status() const { return ok() ? Status() : std::get<1>(data_); }
  const Status& error() const { return std::get<1>(data_); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace aisopod

// Early return of the error from an expression yielding Status or Result<T>.
#define AISOPOD_CONCAT_INNER_(a, b) a##b
#define AISOPOD_CONCAT_(a, b) AISOPOD_CONCAT_INNER_(a, b)
#define AISOPOD_TRY_STATUS(expr)                               \
  do {                                                         \
    ::aisopod::Status aisopod_try_status_ = (expr);            \
    if (!aisopod_try_status_.ok()) return aisopod_try_status_; \
  } while (false)
// `AISOPOD_ASSIGN_OR_RETURN(auto x, f());` declares x from the value of a Result or returns its
// error from the enclosing function.
#define AISOPOD_ASSIGN_OR_RETURN(decl, expr)                   \
  auto AISOPOD_CONCAT_(aisopod_result_, __LINE__) = (expr);    \
  if (!AISOPOD_CONCAT_(aisopod_result_, __LINE__).ok())        \
    return AISOPOD_CONCAT_(aisopod_result_, __LINE__).error(); \
  decl = std::move(*AISOPOD_CONCAT_(aisopod_result_, __LINE__))
