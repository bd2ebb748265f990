// FakeUpstream: an in-process HTTP/1.1 server (Boost.Beast) on 127.0.0.1 that plays scripted
// exchanges and injects faults. Every provider and CLI test talks to it; no test reaches the
// internet.
//
// The server runs on its own thread with its own io_context, so a test may drive the client
// on the test thread (blocking or with its own io_context). All public methods are
// thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace aisopod::testing {

// A request as the server received it.
struct RecordedRequest {
  std::string method;
  std::string target;  // path and query, as sent ("/v1/chat/completions")
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The value of the first header with this name (case-insensitive), or "".
  std::string header(const std::string& name) const;
};

// One piece of a response body, written after `delay`.
struct BodyPiece {
  std::string bytes;
  std::chrono::milliseconds delay{0};
  // Written this many times in a row (the delay comes once, before the first): long bodies
  // without holding them in memory.
  std::size_t repeat = 1;
};

// What the server does with one request.
struct ScriptedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent in order, each as its own write (chunked transfer encoding unless the script sets a
  // Content-Length header).
  std::vector<BodyPiece> body;

  enum class Fault {
    kNone,
    // After the body pieces are written, reset the connection (RST) instead of ending the
    // body cleanly.
    kResetAfterBody,
    // After the body pieces are written, keep the connection open and send nothing more until
    // the client goes away.
    kStallAfterBody,
    // Accept the connection and never answer (not even headers).
    kNoResponse,
  };
  Fault fault = Fault::kNone;

  // Convenience: a complete response with one body piece.
  static ScriptedResponse with_body(int status, std::string content_type, std::string body);
  // Convenience: an SSE body split into one piece per event ("\n\n"-terminated), each after
  // `gap`.
  static ScriptedResponse sse(std::string body, std::chrono::milliseconds gap = {});
};

// Decides the response for a request. Called on the server thread.
using Handler = std::function<ScriptedResponse(const RecordedRequest&)>;

class FakeUpstream {
 public:
  // Starts listening on 127.0.0.1 on a free port. Every request gets `handler`'s answer.
  explicit FakeUpstream(Handler handler);
  // Stops the server and joins its thread; open connections are closed.
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:<port>"
  std::string base_url() const;

  // Every request received so far, in arrival order.
  std::vector<RecordedRequest> requests() const;

  // Replaces the handler for requests that arrive from now on.
  void set_handler(Handler handler);

  // Writes response bodies with a small socket send buffer and this delay between writes of
  // at most `bytes_per_write` bytes: a slow peer. Applies to responses started from now on.
  // Zero turns it off. (Request bodies are read at full speed.)
  void set_slow_writes(std::size_t bytes_per_write, std::chrono::milliseconds delay);

  // Bytes of response body written to sockets so far (all connections; chunk framing is not
  // counted).
  std::uint64_t body_bytes_written() const;

  // Connections currently open on the server side. A connection counts until the server has
  // seen the client close it (or reset it), or the server itself closed it.
  std::size_t open_connections() const;

  // Connections accepted since the server started (tests of connection reuse).
  std::size_t connections_accepted() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aisopod::testing
