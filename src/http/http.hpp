// aisopod::http: the HTTP client engine. libcurl's multi-socket API driven by Boost.Asio; the
// only part of aisopod that includes curl.
//
// One engine per io_context (an Asio service, created on first use). send() must be awaited
// from a coroutine running on that io_context's executor (or a strand of it); the returned
// Response belongs to the same io_context and must be used from its thread. The engine is not
// thread-safe: run each io_context that uses it on one thread at a time. Destroy Responses
// before their io_context; destroying the io_context first ends every transfer it still runs.
//
// Proxies come from the environment (http_proxy, https_proxy, no_proxy, read per transfer);
// TLS peers are always verified; responses are decompressed (Accept-Encoding); redirects are
// not followed. No header value and no URL beyond its host ever appears in a Status message.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/provider.hpp"
#include "aisopod/status.hpp"

namespace aisopod::http {

struct Header {
  std::string name;
  std::string value;
  friend bool operator==(const Header&, const Header&) = default;
};
using Headers = std::vector<Header>;

// The value of the first header named `name` (ASCII case-insensitive), or std::nullopt.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name);

// Deadlines for one exchange. A zero duration means "no limit". Each one that passes ends the
// exchange with StatusCode::kTimeout and a message naming the deadline:
//   connect: "connect deadline (N ms) passed: <curl's text> (host HOST)"
//   first_byte: "no response from HOST within the first-byte deadline (N ms)"
//   idle: "no data from HOST within the idle deadline (N ms)"
//   total: "exchange with HOST exceeded the total deadline (N ms)"
// The defaults below are for plain requests (model lists, health probes); chat calls use
// aisopod::chat_timeouts() (core/http_provider.hpp), where the chat defaults are documented.
struct Timeouts {
  // Resolving, TCP and TLS. (Zero leaves curl's built-in 300 s limit in place.)
  std::chrono::milliseconds connect{10'000};
  // From the request being sent on a ready connection to the first byte of the response.
  std::chrono::milliseconds first_byte{120'000};
  // Longest silence between response bytes. Time spent paused because the consumer is behind
  // (backpressure) does not count.
  std::chrono::milliseconds idle{120'000};
  // The whole exchange, body included, from send().
  std::chrono::milliseconds total{0};
};

struct Request {
  // GET, POST, DELETE, PUT, PATCH, HEAD or any other token. The body is sent when non-empty
  // (and always, with Content-Length, for POST).
  std::string method = "POST";
  std::string url;
  Headers headers;
  std::string body;
  Timeouts timeouts;
  // A CA bundle to trust instead of the system's (tests only). TLS verification is always on.
  std::string ca_file;
  // Body bytes held for a slow consumer before the transfer pauses (backpressure). The buffer
  // may exceed it by at most one network read (16 KiB).
  std::size_t max_buffered_bytes = 256 * 1024;
};

// A response whose headers have arrived. Move-only; destroying it cancels the transfer and
// frees the connection.
class Response {
 public:
  class Impl;
  explicit Response(std::shared_ptr<Impl> impl);
  Response(Response&&) noexcept;
  Response& operator=(Response&&) noexcept;
  ~Response();

  int status() const;
  const Headers& headers() const;

  // Waits for body bytes and appends every byte available to `out`. Returns how many were
  // appended; 0 means the body is complete. Errors: timeout (idle or total deadline), cancelled,
  // unavailable (connection reset), protocol_error. Errors are sticky.
  Task<Result<std::size_t>> read(std::string& out);

  // Reads the rest of the body into a string. More than `limit` bytes is protocol_error.
  Task<Result<std::string>> read_all(std::size_t limit = 64 * 1024 * 1024);

  // Stops the transfer at once and frees the connection; a pending read() returns cancelled.
  void cancel();

  // Body bytes received and not yet handed to read() (for tests of backpressure).
  std::size_t buffered_bytes() const;

 private:
  std::shared_ptr<Impl> impl_;
};

// Sends a request and completes when the response headers have arrived (any HTTP status).
// Errors: unavailable (refused, DNS, reset, TLS), timeout (connect or first-byte deadline),
// cancelled, invalid_argument (malformed URL, scheme other than http/https, bad method or
// header). Honours the awaiting coroutine's cancellation slot (terminal cancellation ends the
// transfer and yields cancelled); so does Response::read().
Task<Result<Response>> send(Request request);

}  // namespace aisopod::http
