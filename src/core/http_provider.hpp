// Plumbing shared by every HTTP provider: running a response body through a per-request stream
// decoder, mapping non-success responses to a Status, and per-call timeouts. Providers keep
// only their pure translators; the transport and its error handling are written once here.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/auth.hpp"
#include "aisopod/credential.hpp"
#include "aisopod/provider.hpp"
#include "http/http.hpp"

namespace aisopod {

// A per-request stream decoder: bytes in, chunks out (the provider's StreamDecoder behind a
// virtual interface). One per request; not thread-safe.
class ChunkDecoder {
 public:
  virtual ~ChunkDecoder() = default;
  virtual void feed(std::string_view bytes) = 0;
  // A chunk, std::nullopt when more bytes are needed (or after the end), or a sticky error.
  virtual Result<std::optional<ChatCompletionChunk>> next() = 0;
  // End of body: error when the stream ended before the protocol's end.
  virtual Status finish() = 0;
};

// Wraps any class with feed / next / finish of those signatures.
template <class Decoder>
class ChunkDecoderAdapter final : public ChunkDecoder {
 public:
  explicit ChunkDecoderAdapter(Decoder decoder) : decoder_(std::move(decoder)) {}
  void feed(std::string_view bytes) override { decoder_.feed(bytes); }
  Result<std::optional<ChatCompletionChunk>> next() override { return decoder_.next(); }
  Status finish() override { return decoder_.finish(); }

 private:
  Decoder decoder_;
};

template <class Decoder>
std::unique_ptr<ChunkDecoder> make_chunk_decoder(Decoder decoder) {
  return std::make_unique<ChunkDecoderAdapter<Decoder>>(std::move(decoder));
}

// Maps a non-success response (status, headers, body) to a Status. Pure; never fails.
using ErrorMapper =
    std::function<Status(int http_status, const http::Headers& headers, std::string_view body)>;

// A ChunkSource that reads a streaming response body into a decoder. Errors from the transport
// and from the decoder carry `provider_id`; errors from the decoder (an error the provider sent
// in the stream, or bytes that break the protocol) also carry the response's HTTP status, so a
// caller can tell "the provider answered with an error" (http_status != 0) from "the network
// failed" (read errors: reset, timeout; http_status 0). Every error message has `secrets`
// (the credential of the request) redacted with redact_secrets().
std::unique_ptr<ChunkSource> make_http_chunk_source(http::Response response,
                                                    std::unique_ptr<ChunkDecoder> decoder,
                                                    std::string provider_id,
                                                    std::vector<std::string> secrets);

// The default deadlines of one chat attempt (one HTTP exchange), kept in one place:
//   connect 10 s; response headers 60 s when streaming (a server that accepts and never answers
//   must not hold a streaming call for minutes) and 10 min when not (the headers of a
//   non-streaming answer only come with the whole answer); idle between body bytes 5 min, so a
//   reasoning model that thinks for minutes after the headers before its first token is not cut
//   off; total: none.
// A provider's `timeout` option sets the total (ChatCall::attempt_timeout); CallOptions
// override any of them per call, and CallOptions::deadline bounds the whole call.
inline constexpr std::chrono::milliseconds kChatConnectTimeout{10'000};
inline constexpr std::chrono::milliseconds kChatStreamingHeadersTimeout{60'000};
inline constexpr std::chrono::milliseconds kChatNonStreamingHeadersTimeout{600'000};
inline constexpr std::chrono::milliseconds kChatIdleTimeout{300'000};
inline constexpr std::chrono::milliseconds kChatTotalTimeout{0};  // none

// The defaults above as http::Timeouts for a streaming (`stream`) or non-streaming request.
http::Timeouts chat_timeouts(bool stream);

// A call deadline's length as error messages write it, rounded for reading (a call measures
// it a moment after its caller set it): "800 ms" (to 10 ms) below one second, else "3 s",
// "2.5 s" (to 0.1 s).
std::string deadline_length_text(std::chrono::steady_clock::duration length);

// Copies the per-call deadlines that are set onto `timeouts`.
void apply_call_options(const CallOptions& options, http::Timeouts& timeouts);

// Sends `request`; a status outside 200..299 has its body read (at most 1 MiB) and mapped by
// `map_error`. Transport errors carry `provider_id` and name the host, never headers. `secrets`
// (the credentials in the request, may be empty) are redacted from the error body before
// `map_error` sees it (so a cut to a length cannot leave a piece of a key) and from every
// returned message.
Task<Result<http::Response>> send_checked(http::Request request, const ErrorMapper& map_error,
                                          std::string_view provider_id,
                                          std::vector<std::string> secrets);

// Runs a health probe: `probe` should perform one cheap authenticated request. Healthy on
// success; degraded when the provider answered but refused (auth, rate limit, billing);
// unhealthy otherwise. Latency covers the whole probe.
Task<HealthStatus> run_health_probe(std::function<Task<Status>()> probe);

// "https://api.openai.com/v1/" -> "https://api.openai.com/v1".
std::string trim_base_url(std::string_view base_url);

}  // namespace aisopod

namespace aisopod {

// Where a provider gets its secret for one call (API key or bearer token). Called on the
// calling thread before each request; an empty string means "send no credential" (local
// OpenAI-compatible servers). Errors (an unset variable) are returned as they are.
using SecretSource = std::function<Result<std::string>()>;

}  // namespace aisopod

namespace aisopod {

// A credential manager for a provider built from a bare SecretSource: one profile named
// "default" in a memory store; nullptr when `secret` is empty (no credential at all).
std::shared_ptr<AuthProfileManager> auth_for_secret(std::string_view provider_id,
                                                    SecretSource secret,
                                                    SecretKind kind = SecretKind::kApiKey);

// Adds a credential to a finished request: the last step of the pipeline before sending. Each
// provider has one (a key header, a bearer token, SigV4). Implementations are thread-safe and
// outlive the calls that use them (a provider holds its authorizer).
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // Adds `credential` to `request`, whose method, URL, headers and body are final. May await
  // (SigV4 hashes the body) and may fail: a credential of a kind this provider cannot send, or
  // none where one is required (invalid_argument or unauthenticated; the message names the
  // profile's kind, never the credential). Credential::kNone: send as it is, unless the
  // provider requires one.
  virtual Task<Status> authorize(http::Request& request, const Credential& credential) = 0;
};

// The authorizer of a provider that takes API keys in one header: kApiKey as
// `api_key_header: <api_key_prefix><key>` ("Authorization", "Bearer " for OpenAI and Ollama;
// "x-api-key", "" for Anthropic; "x-goog-api-key" for Gemini), kBearerToken as
// `Authorization: Bearer <token>`, kNone as nothing; kAwsKeys are refused (invalid_argument
// "provider '<id>' cannot sign requests with AWS keys; give the profile an api_key").
std::shared_ptr<Authorizer> make_header_authorizer(std::string provider_id,
                                                   std::string api_key_header,
                                                   std::string api_key_prefix = {});

// Everything the shared chat-call runner needs from a provider for one request.
struct ChatCall {
  std::string provider_id;
  std::string model;
  // The encoded request, without credentials; copied for each attempt. Its timeouts are
  // replaced: chat_timeouts(stream), then attempt_timeout, then the call's options.
  http::Request request;
  bool stream = true;
  // The provider's per-attempt total deadline (its `timeout` option); unset or zero: none.
  std::optional<std::chrono::milliseconds> attempt_timeout;
  // Adds the attempt's credential (from the leased profile's CredentialSource; Credential::kNone
  // when the provider has no profile) to the finished request. Null: nothing is added.
  std::shared_ptr<Authorizer> authorizer;
  ErrorMapper map_error;
  // Optional: rewrites an error of sending (the server not reached, no HTTP status) into a
  // clearer one, e.g. "is Ollama running?".
  std::function<Status(Status)> map_send_error;
  // Streaming: a fresh decoder for each attempt.
  std::function<std::unique_ptr<ChunkDecoder>()> make_decoder;
  // Non-streaming: the whole body to its chunks.
  std::function<Result<std::vector<ChatCompletionChunk>>(std::string_view body)> decode_body;
};

// Runs a chat call with the level-1 retry loop (DESIGN.md section 6), written once for every
// HTTP provider: takes a profile from `auth` (round-robin, skipping cooled-down ones; none when
// `auth` is null or has no profile for the provider), awaits its credential
// (CredentialSource::get(); an error there is the attempt's outcome: reported, and a
// credential error rotates to the next profile), authorizes (an authorizer's error ends the
// call), sends, and reads ahead to the first content chunk. A credential-rotating error is reported
// and the next profile is tried; overloaded, unavailable and timeout back off (Retry-After
// honoured) up to options.max_retries times; everything before the first content chunk. Reports
// every outcome to `auth` and every event to options.observer. Returns the committed stream
// (ChunkStream::committed()) or the last error. Every error message has the lease's secret
// redacted (redact_secrets()).
//
// Deadline: with options.deadline set, each attempt's total timeout is at most the time left
// (so the body of the committed stream is bounded by it too), and no backoff or cooldown wait
// is started that would end at or past it (the last error is returned at once instead, leaving
// the time to the caller, e.g. a FailoverProvider's next candidate). Once it has passed, the
// call ends with kTimeout and the message "the call's deadline of <length> passed after <n>
// attempt(s)" (or "... passed before the first attempt"), followed by "; the last one failed
// with <code> (HTTP <status>): <message>" when the last attempt failed otherwise than by the
// deadline. <length> is the time from the start of this call to the deadline ("3 s", "2.5 s",
// "800 ms"): for a FailoverProvider's later candidate, what was left of it. When the deadline
// cuts the body of the committed stream, its error is "the call's deadline of <length> passed
// during the answer" (after the "answer had already started" prefix).
//
// Cancellation: the awaiting coroutine's cancellation slot (terminal cancellation) ends the
// call with kCancelled, also while it waits to retry ("cancelled while waiting to retry") or
// for a cooldown ("cancelled while waiting for an auth profile's cooldown"); no attempt is
// started after that.
Task<Result<ChunkStream>> run_chat_call(ChatCall call, AuthProfileManager* auth,
                                        const CallOptions& options);

// Everything the shared runner needs for a request that is not a chat call (models, health,
// pull).
struct RequestCall {
  std::string provider_id;
  // The model the request is about ("" for most): rate limits cool (profile, model).
  std::string model;
  // The encoded request, without credentials, with its timeouts; copied for each attempt.
  http::Request request;
  // As ChatCall::authorizer.
  std::shared_ptr<Authorizer> authorizer;
  ErrorMapper map_error;
  // As ChatCall::map_send_error.
  std::function<Status(Status)> map_send_error;
};

// Sends `call` through the same level-1 loop as run_chat_call(): a profile leased per attempt,
// every outcome reported (a rejected key cools and the next profile is tried; a rate limit
// cools the profile), overloaded / unavailable / timeout retried with backoff, all under
// options.deadline. Returns the response once its headers are in with a success status.
Task<Result<http::Response>> run_request_call(RequestCall call, AuthProfileManager* auth,
                                              const CallOptions& options);

// run_request_call() and the whole body (at most `limit` bytes), a failed read retried like a
// failed send.
Task<Result<std::string>> run_fetch_call(RequestCall call, AuthProfileManager* auth,
                                         const CallOptions& options,
                                         std::size_t limit = 64 * 1024 * 1024);

}  // namespace aisopod
