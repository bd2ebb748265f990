// AWS Signature Version 4 (SigV4) for Bedrock: pure functions, no clock, no I/O.
//
// sign() turns the parts of a request, a key pair, a region, a service and a time into the
// canonical request, the string to sign, the signature and the headers to add; sign_request()
// does the same for a finished http::Request and adds the headers to it. Signing is the last
// step before sending (DESIGN.md section 4): the body and every signed header must not change
// afterwards.
//
// Checked against every case of the AWS SigV4 test suite (tests/testdata/bedrock/
// sigv4-test-suite, with SigV4Options::generic()) and against a hand-checked Bedrock request
// (with the default, Bedrock options).
//
// Everything here is thread-safe (no shared state). No Status message contains the secret key,
// the session token or the access key id.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "aisopod/status.hpp"
#include "http/http.hpp"

namespace aisopod::bedrock {

// An AWS key pair, plus the session token of temporary credentials (STS, SSO, instance roles).
struct AwsKeys {
  std::string access_key_id;
  std::string secret_access_key;
  // Empty for long-term keys.
  std::string session_token;
};

// Where the session token of temporary credentials goes (nowhere when there is none).
enum class SessionTokenPlacement {
  // X-Amz-Security-Token is added before signing and is signed. What Bedrock and the AWS SDKs do,
  // and what the suite's `post-sts-header-before` and `get-vanilla-with-session-token` expect.
  kSigned,
  // X-Amz-Security-Token is added after the signature is computed and is not signed. A few older
  // services want this; the suite's `post-sts-header-after` case.
  kAddedAfterSigning,
};

struct SigV4Options {
  // The defaults are Bedrock's (and every AWS service's but S3).

  // The canonical URI is the request path URI-encoded once more, so an escape in the URL is
  // encoded again: the model id `anthropic.claude-3:0` is `%3A` in the URL path and `%253A` in
  // the canonical request. This is what AWS computes for every service but S3. When false, the
  // path is encoded once: bytes outside the unreserved set are escaped and an escape already
  // there (`%` and two hex digits) is kept (with upper-case digits), which is what the generic
  // test suite expects of a path written unencoded (`/example space/` -> `/example%20space/`).
  bool double_encode_path = true;
  // Removes `.` and `..` segments and empty segments (`//`) from the path before encoding it, as
  // the generic test suite's normalize-path cases expect. Off for Bedrock: AWS signs the path as
  // sent, and a model-id path never has such segments.
  bool normalize_path = false;
  SessionTokenPlacement session_token = SessionTokenPlacement::kSigned;
  // Adds and signs `X-Amz-Content-Sha256: <payload hash>`. Off for Bedrock: the header is an S3
  // requirement, the payload hash is already the last line of the canonical request, and
  // botocore and the AWS SDKs do not send it to bedrock-runtime. AWS accepts it either way.
  bool add_content_sha256 = false;

  // The options the generic AWS SigV4 test suite is written for: single encoding, normalized
  // paths, the session token signed.
  static SigV4Options generic() {
    SigV4Options options;
    options.double_encode_path = false;
    options.normalize_path = true;
    return options;
  }
};

// The parts of a request that SigV4 covers. Views: the caller keeps the bytes alive during the
// call.
struct SigV4Request {
  // "GET", "POST", ...; used as given.
  std::string_view method;
  // The path as sent in the request line, before any '?' (already percent-encoded as it is in the
  // URL, "/model/anthropic.claude-3%3A0/converse-stream"). Empty means "/".
  std::string_view path;
  // The query string as in the URL, without the '?'; may be empty.
  std::string_view query;
  // The headers the request will be sent with, Host included (names in any case, values as
  // sent). Every one is signed except those SigV4 must not sign because proxies and HTTP
  // libraries change them (Expect, Transfer-Encoding, User-Agent, X-Amzn-Trace-Id) and those
  // the signer owns (Authorization, X-Amz-Date, X-Amz-Security-Token, and X-Amz-Content-Sha256
  // when add_content_sha256 is set), which are ignored here and come from the signer.
  std::span<const http::Header> headers;
  // The body. Ignored when payload_hash is set.
  std::string_view body;
  // The lower-case hex SHA-256 of the body, when the caller already has it.
  std::optional<std::string_view> payload_hash;
};

// What signing produced.
struct SigV4Signature {
  // The canonical request, the string to sign (its last line is the canonical request's
  // SHA-256), and the signature (64 lower-case hex digits).
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  // The value of the Authorization header:
  // "AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/<service>/aws4_request,
  //  SignedHeaders=<names>, Signature=<hex>".
  std::string authorization;
  // The headers to put on the request, in this order: X-Amz-Date, X-Amz-Security-Token (with a
  // session token), X-Amz-Content-Sha256 (when asked for), Authorization. Headers of these names
  // already on the request must be removed first (sign_request() does).
  http::Headers headers;
};

// Signs the request parts. Errors: unauthenticated when the access key id or the secret key is
// empty, or when the access key id or the session token holds a character that cannot go into
// a header (white space, control characters; a ',' or '/' in the key id); invalid_argument when
// the region or the service is empty or not made of [a-z0-9-], or when there is no Host header
// among request.headers; internal when OpenSSL fails.
Result<SigV4Signature> sign(const SigV4Request& request, const AwsKeys& keys,
                            std::string_view region, std::string_view service,
                            std::chrono::system_clock::time_point now,
                            const SigV4Options& options = {});

// Signs a finished request in place: removes any Authorization, X-Amz-Date and
// X-Amz-Security-Token headers (and X-Amz-Content-Sha256 when add_content_sha256 is set) and
// appends the headers sign() returns. The path and the query are taken from request.url
// (http or https, fragment ignored) and the payload hash from request.body. The Host signed is
// the request's Host header when it has one, else the URL's host with its port when the port
// is not the scheme's default: the value curl sends (no Host header is added). Errors: those of
// sign(), and invalid_argument for a URL without an http or https scheme or without a host.
Status sign_request(http::Request& request, const AwsKeys& keys, std::string_view region,
                    std::string_view service, std::chrono::system_clock::time_point now,
                    const SigV4Options& options = {});

// ---------------------------------------------------------------------------------------------
// Building blocks, exposed for tests and for the Bedrock request encoder.

// Percent-encodes one path segment: every byte outside the RFC 3986 unreserved set
// (A-Z a-z 0-9 - . _ ~) becomes %XX with upper-case hex digits, '/' included. For a Bedrock
// model id, inference profile or ARN in the request path: `anthropic.claude-3:0` ->
// `anthropic.claude-3%3A0`.
std::string encode_path_segment(std::string_view segment);

// "/model/<model id, encoded with encode_path_segment()>/<operation>", the path of a Bedrock
// runtime call: model_path("anthropic.claude-3:0", "converse-stream") ==
// "/model/anthropic.claude-3%3A0/converse-stream".
std::string model_path(std::string_view model_id, std::string_view operation);

// The canonical URI of `path` under `options` (see SigV4Options).
std::string canonical_uri(std::string_view path, const SigV4Options& options);

// The canonical query string: the `&`-separated parameters (empty ones dropped), each
// percent-decoded and encoded again with the unreserved set (a space is %20, '+' is %2B), a
// missing `=` read as an empty value, sorted by name and then by value, joined as name=value
// with '&'.
std::string canonical_query(std::string_view query);

// The X-Amz-Date form of a time, in UTC, to the second: "20150830T123600Z".
std::string amz_date(std::chrono::system_clock::time_point time);

// The lower-case hex SHA-256 of `bytes`; empty if OpenSSL fails (it does not in practice).
std::string sha256_hex(std::string_view bytes);

}  // namespace aisopod::bedrock
