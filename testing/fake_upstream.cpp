// FakeUpstream: a Boost.Beast HTTP/1.1 server on its own thread. The only translation unit of
// the project that includes Beast on the test side (each one costs ~11 s and ~0.8 GB to build).
#include "testing/fake_upstream.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <exception>
#include <optional>
#include <string_view>
#include <thread>
#include <tuple>

namespace aisopod::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool has_header(const ScriptedResponse& response, std::string_view name) {
  return std::any_of(response.headers.begin(), response.headers.end(),
                     [&](const auto& header) { return iequals(header.first, name); });
}

}  // namespace

std::string RecordedRequest::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return "";
}

ScriptedResponse ScriptedResponse::with_body(int status, std::string content_type,
                                             std::string body) {
  ScriptedResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", std::move(content_type));
  response.body.push_back(BodyPiece{std::move(body), std::chrono::milliseconds(0)});
  return response;
}

ScriptedResponse ScriptedResponse::sse(std::string body, std::chrono::milliseconds gap) {
  ScriptedResponse response;
  response.status = 200;
  response.headers.emplace_back("Content-Type", "text/event-stream");
  response.headers.emplace_back("Cache-Control", "no-cache");
  std::size_t start = 0;
  while (start < body.size()) {
    const std::size_t end = body.find("\n\n", start);
    const std::size_t stop = end == std::string::npos ? body.size() : end + 2;
    response.body.push_back(BodyPiece{body.substr(start, stop - start), gap});
    start = stop;
  }
  return response;
}

struct FakeUpstream::Impl {
  explicit Impl(Handler h) : handler(std::move(h)) {}

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(tcp::socket socket);
  // Writes status, headers and body pieces; false when the client went away.
  asio::awaitable<bool> write_response(tcp::socket& socket, const ScriptedResponse& response,
                                       unsigned version, bool keep_alive);
  asio::awaitable<bool> write_payload(tcp::socket& socket, std::string_view bytes, bool chunked);
  // Reads and discards until the client closes the connection (or the server stops).
  asio::awaitable<void> wait_for_close(tcp::socket& socket);

  mutable std::mutex mutex;
  Handler handler;                          // guarded by mutex
  std::vector<RecordedRequest> requests;    // guarded by mutex
  std::size_t slow_bytes_per_write = 0;     // guarded by mutex
  std::chrono::milliseconds slow_delay{0};  // guarded by mutex

  std::atomic<std::uint64_t> body_bytes_written{0};
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::size_t> connections_accepted{0};

  std::uint16_t port = 0;
  std::optional<asio::io_context> context;
  std::optional<tcp::acceptor> acceptor;
  std::thread thread;
};

asio::awaitable<void> FakeUpstream::Impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(kAsTuple);
    if (ec) {
      if (!acceptor->is_open() || ec == asio::error::operation_aborted) co_return;
      continue;
    }
    ++connections_accepted;
    asio::co_spawn(*context, session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> FakeUpstream::Impl::wait_for_close(tcp::socket& socket) {
  char scratch[4096];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(scratch), kAsTuple);
    if (ec) co_return;
  }
}

asio::awaitable<bool> FakeUpstream::Impl::write_payload(tcp::socket& socket, std::string_view bytes,
                                                        bool chunked) {
  std::size_t per_write = 0;
  std::chrono::milliseconds delay{0};
  {
    std::lock_guard lock(mutex);
    per_write = slow_bytes_per_write;
    delay = slow_delay;
  }
  if (per_write == 0) per_write = bytes.size();
  asio::steady_timer timer(socket.get_executor());
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const std::string_view part = bytes.substr(offset, per_write);
    if (offset > 0 && delay.count() > 0) {
      timer.expires_after(delay);
      co_await timer.async_wait(kAsTuple);
    }
    boost::system::error_code ec;
    if (chunked) {
      std::tie(ec, std::ignore) = co_await asio::async_write(
          socket, bhttp::make_chunk(asio::buffer(part.data(), part.size())), kAsTuple);
    } else {
      std::tie(ec, std::ignore) =
          co_await asio::async_write(socket, asio::buffer(part.data(), part.size()), kAsTuple);
    }
    if (ec) co_return false;
    body_bytes_written += part.size();
    offset += part.size();
  }
  co_return true;
}

asio::awaitable<bool> FakeUpstream::Impl::write_response(tcp::socket& socket,
                                                         const ScriptedResponse& response,
                                                         unsigned version, bool keep_alive) {
  bhttp::response<bhttp::empty_body> head;
  head.version(version);
  head.result(static_cast<unsigned>(response.status));
  for (const auto& [name, value] : response.headers) head.insert(name, value);
  const bool no_body = response.status == 204 || response.status == 304 ||
                       (response.status >= 100 && response.status < 200);
  const bool chunked = !no_body && !has_header(response, "Content-Length") &&
                       !has_header(response, "Transfer-Encoding");
  if (chunked) head.chunked(true);
  if (!keep_alive) head.keep_alive(false);

  bool slow = false;
  {
    std::lock_guard lock(mutex);
    slow = slow_bytes_per_write > 0;
  }
  if (slow) {
    boost::system::error_code ignored;
    socket.set_option(asio::socket_base::send_buffer_size(4096), ignored);
  }

  bhttp::response_serializer<bhttp::empty_body> serializer(head);
  auto [ec, n] = co_await bhttp::async_write_header(socket, serializer, kAsTuple);
  if (ec) co_return false;

  asio::steady_timer timer(socket.get_executor());
  for (const BodyPiece& piece : response.body) {
    if (piece.delay.count() > 0) {
      timer.expires_after(piece.delay);
      co_await timer.async_wait(kAsTuple);
    }
    // An empty chunk would end a chunked body: empty pieces only contribute their delay.
    if (piece.bytes.empty() || no_body) continue;
    for (std::size_t i = 0; i < piece.repeat; ++i) {
      if (!co_await write_payload(socket, piece.bytes, chunked)) co_return false;
    }
  }
  if (chunked && response.fault == ScriptedResponse::Fault::kNone) {
    std::tie(ec, std::ignore) =
        co_await asio::async_write(socket, bhttp::make_chunk_last(), kAsTuple);
    if (ec) co_return false;
  }
  co_return true;
}

asio::awaitable<void> FakeUpstream::Impl::session(tcp::socket socket) {
  ++open_connections;
  struct Counter {
    std::atomic<std::size_t>& count;
    ~Counter() { --count; }
  } counter{open_connections};

  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(256 * 1024);
    parser.body_limit(256 * 1024 * 1024);
    auto [ec, n] = co_await bhttp::async_read(socket, buffer, parser, kAsTuple);
    if (ec) co_return;
    const auto& message = parser.get();

    RecordedRequest recorded;
    recorded.method = std::string(message.method_string());
    recorded.target = std::string(message.target());
    for (const auto& field : message) {
      recorded.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    recorded.body = message.body();
    const bool keep_alive = message.keep_alive();
    const unsigned version = message.version();

    Handler current;
    {
      std::lock_guard lock(mutex);
      requests.push_back(recorded);
      current = handler;
    }
    ScriptedResponse response;
    try {
      response = current ? current(recorded)
                         : ScriptedResponse::with_body(404, "text/plain", "no handler");
    } catch (const std::exception& error) {
      response = ScriptedResponse::with_body(500, "text/plain",
                                             std::string("handler threw: ") + error.what());
    }

    if (response.fault == ScriptedResponse::Fault::kNoResponse) {
      co_await wait_for_close(socket);
      co_return;
    }
    if (!co_await write_response(socket, response, version, keep_alive)) co_return;
    switch (response.fault) {
      case ScriptedResponse::Fault::kResetAfterBody: {
        boost::system::error_code ignored;
        socket.set_option(asio::socket_base::linger(true, 0), ignored);
        socket.close(ignored);  // linger 0: the kernel sends RST
        co_return;
      }
      case ScriptedResponse::Fault::kStallAfterBody:
        co_await wait_for_close(socket);
        co_return;
      default:
        break;
    }
    if (!keep_alive) {
      boost::system::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
  }
}

FakeUpstream::FakeUpstream(Handler handler) : impl_(std::make_unique<Impl>(std::move(handler))) {
  impl_->context.emplace(1);
  impl_->acceptor.emplace(*impl_->context,
                          tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  impl_->port = impl_->acceptor->local_endpoint().port();
  asio::co_spawn(*impl_->context, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->context->run(); });
}

FakeUpstream::~FakeUpstream() {
  impl_->context->stop();
  impl_->thread.join();
  // The acceptor goes before its io_context; destroying the io_context then destroys every
  // suspended session (closing its socket, stalled or not).
  impl_->acceptor.reset();
  impl_->context.reset();
}

std::uint16_t FakeUpstream::port() const { return impl_->port; }

std::string FakeUpstream::base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

std::vector<RecordedRequest> FakeUpstream::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

void FakeUpstream::set_handler(Handler handler) {
  std::lock_guard lock(impl_->mutex);
  impl_->handler = std::move(handler);
}

void FakeUpstream::set_slow_writes(std::size_t bytes_per_write, std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mutex);
  impl_->slow_bytes_per_write = bytes_per_write;
  impl_->slow_delay = delay;
}

std::uint64_t FakeUpstream::body_bytes_written() const { return impl_->body_bytes_written; }

std::size_t FakeUpstream::open_connections() const { return impl_->open_connections; }

std::size_t FakeUpstream::connections_accepted() const { return impl_->connections_accepted; }

}  // namespace aisopod::testing
