// The HTTP engine: libcurl's multi-socket API driven by Boost.Asio (DESIGN.md section 5).
//
// Structure:
//  - Multi: one curl multi handle, its sockets (as posix::stream_descriptor) and its timer. One
//    per io_context, owned by EngineService (an Asio service) and shared with every transfer.
//  - Response::Impl: one transfer (one easy handle), its body buffer and its deadlines.
//
// Everything runs on the io_context's thread. curl callbacks only record state, arm Asio waits
// and wake coroutines; every curl_multi_* / curl_easy_pause call happens from an Asio handler or
// a coroutine, never from inside a curl callback.
#include <curl/curl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "http/http.hpp"

namespace aisopod::http {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

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

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 9110 token characters (method and header names).
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) continue;
    if (std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0') continue;
    return false;
  }
  return true;
}

std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

}  // namespace

class Multi;

// One transfer. Owned by shared_ptr: the Response, a coroutine waiting in send() or read(), and
// (while the easy handle is in the multi) reachable from Multi through a raw pointer that the
// destructor removes.
class Response::Impl : public std::enable_shared_from_this<Response::Impl> {
 public:
  Impl(std::shared_ptr<Multi> multi, asio::any_io_executor executor, Request request);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Configures the easy handle and adds it to the multi. Errors: invalid_argument, internal.
  Status start();

  // Waits until notify() is called or the awaiting coroutine is cancelled; false on
  // cancellation. The caller re-checks its condition either way.
  Task<bool> wait_signal();

  Task<Result<std::size_t>> read(std::string& out);
  void cancel();

  // Called by Multi when curl reports the transfer done.
  void on_done(CURLcode code);
  // Called by Multi when the io_context shuts down.
  void abandon();

  bool headers_complete() const { return headers_complete_; }
  bool finished() const { return finished_; }
  const Status& final_status() const { return final_; }
  int status() const { return status_; }
  const Headers& headers() const { return headers_; }
  std::size_t buffered() const { return buffer_.size(); }

 private:
  enum class Phase { kConnecting, kAwaitingResponse, kReceiving };

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user);
  static std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user);
  static int on_prereq(void* user, char* primary_ip, char* local_ip, int primary_port,
                       int local_port);

  void note_response_byte();
  void finish(Status status);
  void detach();
  void notify();
  void arm_phase_timer(Clock::time_point at);
  void on_phase_timer();
  void on_total_timer();
  void schedule_unpause();
  Status status_from_curl(CURLcode code) const;

  std::shared_ptr<Multi> multi_;
  Request request_;
  std::string host_;
  CURL* easy_ = nullptr;
  curl_slist* header_list_ = nullptr;
  char error_buffer_[CURL_ERROR_SIZE] = {};
  bool in_multi_ = false;

  // Response state.
  int status_ = 0;
  Headers pending_headers_;
  Headers headers_;
  bool headers_complete_ = false;
  std::string buffer_;
  bool paused_ = false;
  bool unpause_scheduled_ = false;
  bool finished_ = false;
  bool cancelled_ = false;
  Status final_;

  // Deadlines.
  Phase phase_ = Phase::kConnecting;
  Clock::time_point first_byte_deadline_{};
  Clock::time_point last_activity_{};
  asio::steady_timer phase_timer_;
  std::uint64_t phase_generation_ = 0;
  asio::steady_timer total_timer_;
  // Wakes the coroutine waiting in send() or read(): cancel() completes its wait.
  asio::steady_timer signal_;
};

// The curl multi handle of one io_context, with the sockets curl announced.
class Multi : public std::enable_shared_from_this<Multi> {
 public:
  explicit Multi(asio::any_io_executor executor);
  ~Multi();
  Multi(const Multi&) = delete;
  Multi& operator=(const Multi&) = delete;

  const asio::any_io_executor& executor() const { return executor_; }
  bool shut_down() const { return shut_down_; }

  Status add(Response::Impl* transfer, CURL* easy);
  void remove(Response::Impl* transfer, CURL* easy);

  // Runs curl for `fd` (or CURL_SOCKET_TIMEOUT) and finishes completed transfers.
  void socket_action(curl_socket_t fd, int events);

  // Releases everything curl-related; transfers still running end as cancelled.
  void shutdown();

  static int on_close_socket(void* user, curl_socket_t fd);
  static curl_socket_t on_open_socket(void* user, curlsocktype purpose,
                                      struct curl_sockaddr* address);

 private:
  struct Socket {
    Socket(const asio::any_io_executor& executor, curl_socket_t socket_fd)
        : descriptor(executor), fd(socket_fd) {}
    ~Socket() {
      // curl owns the fd: never let the descriptor close it.
      if (descriptor.is_open()) descriptor.release();
    }
    asio::posix::stream_descriptor descriptor;
    curl_socket_t fd;
    int want = 0;  // CURL_POLL_IN / CURL_POLL_OUT bits
    bool read_pending = false;
    bool write_pending = false;
    bool released = false;
  };

  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* user, void* socket_data);
  static int on_timer(CURLM* multi, long timeout_ms, void* user);

  void forget_socket(curl_socket_t fd);
  void arm(const std::shared_ptr<Socket>& socket);
  void on_ready(const std::shared_ptr<Socket>& socket, int events);
  void drain();

  asio::any_io_executor executor_;
  CURLM* multi_ = nullptr;
  std::optional<asio::steady_timer> timer_;
  std::unordered_map<curl_socket_t, std::shared_ptr<Socket>> sockets_;
  std::unordered_set<Response::Impl*> transfers_;
  bool shut_down_ = false;
};

namespace {

// The Asio service that gives each io_context its Multi.
class EngineService : public asio::execution_context::service {
 public:
  using key_type = EngineService;
  static inline asio::execution_context::id id;

  explicit EngineService(asio::io_context& context)
      : asio::execution_context::service(context),
        // Created here so that the timer and reactor services it uses are registered before
        // this one finishes constructing: Asio then shuts this service down first, while the
        // reactor can still deregister our descriptors cleanly.
        multi_(std::make_shared<Multi>(context.get_executor())) {}

  const std::shared_ptr<Multi>& multi() const { return multi_; }

  void shutdown() override { multi_->shutdown(); }

 private:
  std::shared_ptr<Multi> multi_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Multi

Multi::Multi(asio::any_io_executor executor) : executor_(std::move(executor)) {
  global_init_once();
  timer_.emplace(executor_);
  multi_ = curl_multi_init();
  if (multi_ != nullptr) {
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Multi::on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Multi::on_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  }
}

Multi::~Multi() { shutdown(); }

Status Multi::add(Response::Impl* transfer, CURL* easy) {
  if (shut_down_ || multi_ == nullptr) {
    return Status(StatusCode::kCancelled, "the HTTP engine's io_context is shutting down");
  }
  const CURLMcode code = curl_multi_add_handle(multi_, easy);
  if (code != CURLM_OK) {
    return Status(StatusCode::kInternal,
                  std::string("curl_multi_add_handle failed: ") + curl_multi_strerror(code));
  }
  transfers_.insert(transfer);
  return Status();
}

void Multi::remove(Response::Impl* transfer, CURL* easy) {
  transfers_.erase(transfer);
  if (multi_ != nullptr) curl_multi_remove_handle(multi_, easy);
}

void Multi::socket_action(curl_socket_t fd, int events) {
  if (multi_ == nullptr) return;
  int running = 0;
  curl_multi_socket_action(multi_, fd, events, &running);
  drain();
}

void Multi::drain() {
  int left = 0;
  while (multi_ != nullptr) {
    CURLMsg* message = curl_multi_info_read(multi_, &left);
    if (message == nullptr) break;
    if (message->msg != CURLMSG_DONE) continue;
    // Copy before on_done() removes the handle (which invalidates `message`).
    CURL* easy = message->easy_handle;
    const CURLcode result = message->data.result;
    char* private_data = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &private_data);
    auto* transfer = reinterpret_cast<Response::Impl*>(private_data);
    if (transfer != nullptr && transfers_.count(transfer) != 0) transfer->on_done(result);
  }
}

void Multi::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  const std::vector<Response::Impl*> transfers(transfers_.begin(), transfers_.end());
  for (Response::Impl* transfer : transfers) transfer->abandon();
  transfers_.clear();
  if (multi_ != nullptr) {
    // May call on_socket (remove) and on_close_socket for cached connections.
    curl_multi_cleanup(multi_);
    multi_ = nullptr;
  }
  for (auto& [fd, socket] : sockets_) {
    socket->released = true;
    if (socket->descriptor.is_open()) socket->descriptor.release();
  }
  sockets_.clear();
  timer_.reset();
}

void Multi::forget_socket(curl_socket_t fd) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) return;
  std::shared_ptr<Socket> socket = std::move(it->second);
  sockets_.erase(it);
  socket->released = true;
  // Deregisters from the reactor and completes pending waits with operation_aborted; the fd
  // stays open because curl owns it.
  if (socket->descriptor.is_open()) socket->descriptor.release();
}

int Multi::on_socket(CURL* /*easy*/, curl_socket_t fd, int what, void* user,
                     void* /*socket_data*/) {
  auto* self = static_cast<Multi*>(user);
  try {
    if (what == CURL_POLL_REMOVE) {
      self->forget_socket(fd);
      return 0;
    }
    std::shared_ptr<Socket>& socket = self->sockets_[fd];
    if (!socket) {
      socket = std::make_shared<Socket>(self->executor_, fd);
      boost::system::error_code ec;
      socket->descriptor.assign(fd, ec);
      if (ec) {
        self->sockets_.erase(fd);
        return -1;
      }
    }
    socket->want = what;
    // Keep a reference: arm() may not erase it, but be robust against reentrancy.
    const std::shared_ptr<Socket> keep = socket;
    self->arm(keep);
    return 0;
  } catch (...) {
    return -1;
  }
}

int Multi::on_timer(CURLM* /*multi*/, long timeout_ms, void* user) {
  auto* self = static_cast<Multi*>(user);
  if (!self->timer_) return 0;
  try {
    if (timeout_ms < 0) {
      self->timer_->cancel();
      return 0;
    }
    self->timer_->expires_after(std::chrono::milliseconds(timeout_ms));
    self->timer_->async_wait([weak = self->weak_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (auto multi = weak.lock()) multi->socket_action(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  } catch (...) {
    return -1;
  }
}

int Multi::on_close_socket(void* user, curl_socket_t fd) {
  auto* self = static_cast<Multi*>(user);
  self->forget_socket(fd);
  return ::close(fd);
}

curl_socket_t Multi::on_open_socket(void* user, curlsocktype /*purpose*/,
                                    struct curl_sockaddr* address) {
  auto* self = static_cast<Multi*>(user);
  const int fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd < 0) return CURL_SOCKET_BAD;
  // A descriptor still mapped to this number belongs to a socket that was closed without us
  // hearing of it; it must not be mistaken for the new one.
  self->forget_socket(fd);
  return fd;
}

// Waits for the directions curl wants and has no wait for yet. Asio's epoll reactor is
// edge-triggered, so readiness that is already present (curl did not drain the socket, or an
// edge was consumed while no wait was queued) is checked with poll() and dispatched at once.
void Multi::arm(const std::shared_ptr<Socket>& socket) {
  if (socket->released) return;
  int need = 0;
  if ((socket->want & CURL_POLL_IN) != 0 && !socket->read_pending) need |= CURL_CSELECT_IN;
  if ((socket->want & CURL_POLL_OUT) != 0 && !socket->write_pending) need |= CURL_CSELECT_OUT;
  if (need == 0) return;

  pollfd poll_fd{};
  poll_fd.fd = socket->fd;
  if ((need & CURL_CSELECT_IN) != 0) poll_fd.events |= POLLIN;
  if ((need & CURL_CSELECT_OUT) != 0) poll_fd.events |= POLLOUT;
  int ready = 0;
  if (::poll(&poll_fd, 1, 0) > 0) {
    const bool failed = (poll_fd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0;
    if ((poll_fd.revents & POLLIN) != 0 || failed) ready |= need & CURL_CSELECT_IN;
    if ((poll_fd.revents & POLLOUT) != 0 || failed) ready |= need & CURL_CSELECT_OUT;
  }
  if (ready != 0) {
    if ((ready & CURL_CSELECT_IN) != 0) socket->read_pending = true;
    if ((ready & CURL_CSELECT_OUT) != 0) socket->write_pending = true;
    asio::post(executor_, [weak = weak_from_this(), socket, ready] {
      if ((ready & CURL_CSELECT_IN) != 0) socket->read_pending = false;
      if ((ready & CURL_CSELECT_OUT) != 0) socket->write_pending = false;
      auto self = weak.lock();
      if (!self || socket->released) return;
      self->on_ready(socket, ready);
    });
  }
  const int wait = need & ~ready;
  if ((wait & CURL_CSELECT_IN) != 0) {
    socket->read_pending = true;
    socket->descriptor.async_wait(asio::posix::stream_descriptor::wait_read,
                                  [weak = weak_from_this(), socket](boost::system::error_code ec) {
                                    socket->read_pending = false;
                                    if (ec || socket->released) return;
                                    if (auto self = weak.lock())
                                      self->on_ready(socket, CURL_CSELECT_IN);
                                  });
  }
  if ((wait & CURL_CSELECT_OUT) != 0) {
    socket->write_pending = true;
    socket->descriptor.async_wait(asio::posix::stream_descriptor::wait_write,
                                  [weak = weak_from_this(), socket](boost::system::error_code ec) {
                                    socket->write_pending = false;
                                    if (ec || socket->released) return;
                                    if (auto self = weak.lock())
                                      self->on_ready(socket, CURL_CSELECT_OUT);
                                  });
  }
}

void Multi::on_ready(const std::shared_ptr<Socket>& socket, int events) {
  if (shut_down_) return;
  socket_action(socket->fd, events);
  // Re-arm only the directions curl still wants (on_socket may have changed them, or removed
  // the socket altogether).
  if (!socket->released) arm(socket);
}

// ---------------------------------------------------------------------------------------------
// Response::Impl

Response::Impl::Impl(std::shared_ptr<Multi> multi, asio::any_io_executor executor, Request request)
    : multi_(std::move(multi)),
      request_(std::move(request)),
      phase_timer_(multi_->executor()),
      total_timer_(multi_->executor()),
      signal_(std::move(executor)) {}

Response::Impl::~Impl() {
  if (in_multi_) {
    in_multi_ = false;
    multi_->remove(this, easy_);
  }
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
  if (header_list_ != nullptr) curl_slist_free_all(header_list_);
}

Status Response::Impl::start() {
  // Validate everything before touching curl; messages never echo header values or the URL
  // (a query string may carry a key).
  CURLU* url = curl_url();
  if (url == nullptr) return Status(StatusCode::kInternal, "curl_url failed");
  const CURLUcode url_code = curl_url_set(url, CURLUPART_URL, request_.url.c_str(), 0);
  if (url_code != CURLUE_OK) {
    curl_url_cleanup(url);
    return Status(StatusCode::kInvalidArgument,
                  std::string("malformed URL: ") + curl_url_strerror(url_code));
  }
  char* part = nullptr;
  std::string scheme;
  if (curl_url_get(url, CURLUPART_SCHEME, &part, 0) == CURLUE_OK) {
    scheme = part;
    curl_free(part);
  }
  if (curl_url_get(url, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
    host_ = part;
    curl_free(part);
  }
  curl_url_cleanup(url);
  if (scheme != "http" && scheme != "https") {
    return Status(StatusCode::kInvalidArgument, "URL scheme must be http or https");
  }
  if (!is_token(request_.method)) {
    return Status(StatusCode::kInvalidArgument, "invalid HTTP method");
  }
  bool has_expect = false;
  for (const Header& header : request_.headers) {
    if (!is_token(header.name)) {
      return Status(StatusCode::kInvalidArgument, "invalid HTTP header name");
    }
    if (header.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return Status(StatusCode::kInvalidArgument,
                    "HTTP header " + header.name + " has a line break in its value");
    }
    if (iequals(header.name, "Expect")) has_expect = true;
  }

  easy_ = curl_easy_init();
  if (easy_ == nullptr) return Status(StatusCode::kInternal, "curl_easy_init failed");

  for (const Header& header : request_.headers) {
    // "Name;" is curl's way to send a header with an empty value.
    const std::string line =
        header.value.empty() ? header.name + ";" : header.name + ": " + header.value;
    curl_slist* list = curl_slist_append(header_list_, line.c_str());
    if (list == nullptr) return Status(StatusCode::kInternal, "curl_slist_append failed");
    header_list_ = list;
  }
  if (!has_expect) {
    // No "Expect: 100-continue" round trip for large bodies.
    curl_slist* list = curl_slist_append(header_list_, "Expect:");
    if (list == nullptr) return Status(StatusCode::kInternal, "curl_slist_append failed");
    header_list_ = list;
  }

  CURL* e = easy_;
  curl_easy_setopt(e, CURLOPT_URL, request_.url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, reinterpret_cast<char*>(this));
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_buffer_);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  // 2 is the value that checks the host name (1 is a deprecated alias for it).
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!request_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, request_.ca_file.c_str());
  curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  // Zero means "no limit" to us; curl's own default (300 s) then applies to connecting.
  if (request_.timeouts.connect.count() > 0) {
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(request_.timeouts.connect.count()));
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, header_list_);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &Impl::on_prereq);
  curl_easy_setopt(e, CURLOPT_PREREQDATA, this);
  // The Multi outlives every connection curl caches (they are closed in curl_multi_cleanup).
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Multi::on_open_socket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, multi_.get());
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &Multi::on_close_socket);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, multi_.get());

  const std::string& method = request_.method;
  const auto body_size = static_cast<curl_off_t>(request_.body.size());
  if (method == "GET" && request_.body.empty()) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (method == "POST") {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, body_size);
    // request_.body lives as long as the easy handle and is never modified.
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, request_.body.data());
  } else {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (!request_.body.empty()) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, body_size);
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, request_.body.data());
    }
  }

  AISOPOD_TRY_STATUS(multi_->add(this, easy_));
  in_multi_ = true;

  if (request_.timeouts.total.count() > 0) {
    total_timer_.expires_after(request_.timeouts.total);
    total_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->on_total_timer();
    });
  }
  return Status();
}

std::size_t Response::Impl::on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* self = static_cast<Impl*>(user);
  const std::size_t length = size * count;
  try {
    self->note_response_byte();
    // Once the final header block is complete, later lines are trailers: ignored.
    if (self->headers_complete_) return length;
    std::string_view line(data, length);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.substr(0, 5) == "HTTP/") {
      // A new status line (after 1xx, or the first): start a new header block.
      self->pending_headers_.clear();
      self->status_ = 0;
      const std::size_t space = line.find(' ');
      if (space != std::string_view::npos) {
        int code = 0;
        for (std::size_t i = space + 1; i < line.size() && i < space + 4; ++i) {
          if (line[i] < '0' || line[i] > '9') break;
          code = code * 10 + (line[i] - '0');
        }
        self->status_ = code;
      }
      return length;
    }
    if (line.empty()) {
      if (self->status_ >= 200) {
        self->headers_ = std::move(self->pending_headers_);
        self->pending_headers_.clear();
        self->headers_complete_ = true;
        self->notify();
      }
      return length;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      // Obsolete line folding: continues the previous value.
      if (!self->pending_headers_.empty()) {
        std::string& value = self->pending_headers_.back().value;
        value += ' ';
        value += trim(line);
      }
      return length;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return length;
    self->pending_headers_.push_back(Header{std::string(trim(line.substr(0, colon))),
                                            std::string(trim(line.substr(colon + 1)))});
    return length;
  } catch (...) {
    return 0;  // curl fails the transfer with a write error
  }
}

std::size_t Response::Impl::on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto* self = static_cast<Impl*>(user);
  const std::size_t length = size * count;
  // Backpressure: hold at most max_buffered_bytes (plus one write chunk, since a chunk is
  // accepted whenever the buffer is below the limit). curl keeps the refused chunk and delivers
  // it again after curl_easy_pause(CURLPAUSE_CONT).
  if (!self->buffer_.empty() && self->buffer_.size() >= self->request_.max_buffered_bytes) {
    self->paused_ = true;
    return CURL_WRITEFUNC_PAUSE;
  }
  try {
    self->note_response_byte();
    self->buffer_.append(data, length);
  } catch (...) {
    return 0;
  }
  self->notify();
  return length;
}

int Response::Impl::on_prereq(void* user, char* /*primary_ip*/, char* /*local_ip*/,
                              int /*primary_port*/, int /*local_port*/) {
  // Connected; the request is about to be sent: the first-byte deadline starts now.
  auto* self = static_cast<Impl*>(user);
  try {
    if (self->phase_ != Phase::kReceiving) {
      self->phase_ = Phase::kAwaitingResponse;
      if (self->request_.timeouts.first_byte.count() > 0) {
        self->first_byte_deadline_ = Clock::now() + self->request_.timeouts.first_byte;
        self->arm_phase_timer(self->first_byte_deadline_);
      }
    }
  } catch (...) {
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}

void Response::Impl::note_response_byte() {
  last_activity_ = Clock::now();
  if (phase_ == Phase::kReceiving) return;
  phase_ = Phase::kReceiving;
  if (request_.timeouts.idle.count() > 0) {
    arm_phase_timer(last_activity_ + request_.timeouts.idle);
  } else {
    ++phase_generation_;
    phase_timer_.cancel();
  }
}

void Response::Impl::arm_phase_timer(Clock::time_point at) {
  const std::uint64_t generation = ++phase_generation_;
  phase_timer_.expires_at(at);
  phase_timer_.async_wait([weak = weak_from_this(), generation](boost::system::error_code ec) {
    if (ec) return;
    auto self = weak.lock();
    if (!self || self->phase_generation_ != generation) return;
    self->on_phase_timer();
  });
}

void Response::Impl::on_phase_timer() {
  if (finished_) return;
  const Clock::time_point now = Clock::now();
  if (phase_ == Phase::kAwaitingResponse) {
    if (now >= first_byte_deadline_) {
      finish(Status(StatusCode::kTimeout, "no response from " + host_ +
                                              " within the first-byte deadline (" +
                                              ms_text(request_.timeouts.first_byte) + ")"));
    } else {
      arm_phase_timer(first_byte_deadline_);
    }
    return;
  }
  if (phase_ != Phase::kReceiving || request_.timeouts.idle.count() <= 0) return;
  if (paused_) {
    // The consumer is behind, not the server: paused time is not idle time.
    arm_phase_timer(now + request_.timeouts.idle);
    return;
  }
  const Clock::time_point deadline = last_activity_ + request_.timeouts.idle;
  if (now >= deadline) {
    finish(Status(StatusCode::kTimeout, "no data from " + host_ + " within the idle deadline (" +
                                            ms_text(request_.timeouts.idle) + ")"));
  } else {
    arm_phase_timer(deadline);
  }
}

void Response::Impl::on_total_timer() {
  if (finished_) return;
  finish(Status(StatusCode::kTimeout, "exchange with " + host_ + " exceeded the total deadline (" +
                                          ms_text(request_.timeouts.total) + ")"));
}

void Response::Impl::notify() { signal_.cancel(); }

Task<bool> Response::Impl::wait_signal() {
  namespace this_coro = asio::this_coro;
  {
    const asio::cancellation_state state = co_await this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) co_return false;
  }
  signal_.expires_at(Clock::time_point::max());
  boost::system::error_code ec;
  co_await signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  const asio::cancellation_state state = co_await this_coro::cancellation_state;
  co_return state.cancelled() == asio::cancellation_type::none;
}

void Response::Impl::detach() {
  if (in_multi_) {
    in_multi_ = false;
    // Safe: detach() is only reached from Asio handlers and coroutines, never from inside a
    // curl callback.
    multi_->remove(this, easy_);
  }
  ++phase_generation_;
  phase_timer_.cancel();
  total_timer_.cancel();
}

void Response::Impl::finish(Status status) {
  if (finished_) return;
  finished_ = true;
  final_ = std::move(status);
  detach();
  notify();
}

void Response::Impl::cancel() {
  cancelled_ = true;
  buffer_.clear();
  buffer_.shrink_to_fit();
  finish(Status(StatusCode::kCancelled, "HTTP exchange with " + host_ + " cancelled"));
  // Also wake a waiter when the transfer had already finished.
  notify();
}

void Response::Impl::abandon() {
  // The io_context is going away: the multi handle is about to be cleaned up.
  cancelled_ = true;
  finish(Status(StatusCode::kCancelled, "the HTTP engine's io_context shut down"));
}

void Response::Impl::on_done(CURLcode code) {
  detach();
  if (code == CURLE_OK) {
    if (!headers_complete_) {
      // No body (or an exotic reply): take what curl parsed.
      long response_code = 0;
      curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &response_code);
      if (status_ == 0) status_ = static_cast<int>(response_code);
      headers_ = std::move(pending_headers_);
      headers_complete_ = true;
    }
    finish(Status());
  } else {
    finish(status_from_curl(code));
  }
}

Status Response::Impl::status_from_curl(CURLcode code) const {
  std::string text =
      error_buffer_[0] != '\0' ? std::string(error_buffer_) : std::string(curl_easy_strerror(code));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const std::string where = " (host " + host_ + ")";
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      // Our own timers enforce first-byte, idle and total; curl only enforces connect.
      return Status(
          StatusCode::kTimeout,
          "connect deadline (" + ms_text(request_.timeouts.connect) + ") passed: " + text + where);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Status(StatusCode::kInvalidArgument, text + where);
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_FILESIZE_EXCEEDED:
      return Status(StatusCode::kProtocolError, text + where);
    case CURLE_OUT_OF_MEMORY:
    case CURLE_WRITE_ERROR:
      return Status(StatusCode::kInternal, text + where);
    default:
      // Couldn't resolve/connect, reset, recv/send errors, TLS, HTTP/2 stream errors.
      return Status(StatusCode::kUnavailable, text + where);
  }
}

void Response::Impl::schedule_unpause() {
  if (unpause_scheduled_) return;
  unpause_scheduled_ = true;
  asio::post(multi_->executor(), [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self) return;
    self->unpause_scheduled_ = false;
    if (!self->in_multi_ || !self->paused_) return;
    self->paused_ = false;
    self->last_activity_ = Clock::now();
    // May call on_write at once with the chunk refused earlier (and pause again).
    curl_easy_pause(self->easy_, CURLPAUSE_CONT);
    // Keep the Multi alive across the call even if the transfer finishes inside it.
    const std::shared_ptr<Multi> multi = self->multi_;
    multi->socket_action(CURL_SOCKET_TIMEOUT, 0);
  });
}

Task<Result<std::size_t>> Response::Impl::read(std::string& out) {
  for (;;) {
    if (cancelled_) {
      if (final_.code() == StatusCode::kCancelled) co_return final_;
      co_return Status(StatusCode::kCancelled, "HTTP exchange with " + host_ + " cancelled");
    }
    if (!buffer_.empty()) {
      const std::size_t count = buffer_.size();
      if (out.empty()) {
        out.swap(buffer_);
      } else {
        out.append(buffer_);
      }
      buffer_.clear();
      if (paused_) schedule_unpause();
      co_return count;
    }
    if (finished_) {
      if (final_.ok()) co_return std::size_t{0};
      co_return final_;
    }
    if (!co_await wait_signal()) {
      cancel();
      co_return Status(StatusCode::kCancelled, "read from " + host_ + " cancelled");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) {
  for (const Header& header : headers) {
    if (iequals(header.name, name)) return std::string_view(header.value);
  }
  return std::nullopt;
}

Response::Response(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Response::Response(Response&&) noexcept = default;

Response& Response::operator=(Response&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->cancel();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Response::~Response() {
  if (impl_) impl_->cancel();
}

int Response::status() const { return impl_ ? impl_->status() : 0; }

const Headers& Response::headers() const {
  static const Headers kEmpty;
  return impl_ ? impl_->headers() : kEmpty;
}

Task<Result<std::size_t>> Response::read(std::string& out) {
  const std::shared_ptr<Impl> impl = impl_;
  if (!impl) co_return Status(StatusCode::kInternal, "read() on a moved-from http::Response");
  co_return co_await impl->read(out);
}

Task<Result<std::string>> Response::read_all(std::size_t limit) {
  const std::shared_ptr<Impl> impl = impl_;
  if (!impl) co_return Status(StatusCode::kInternal, "read_all() on a moved-from http::Response");
  std::string body;
  for (;;) {
    Result<std::size_t> count = co_await impl->read(body);
    if (!count.ok()) co_return count.error();
    if (*count == 0) co_return body;
    if (body.size() > limit) {
      impl->cancel();
      co_return Status(StatusCode::kProtocolError,
                       "response body exceeds " + std::to_string(limit) + " bytes");
    }
  }
}

void Response::cancel() {
  if (impl_) impl_->cancel();
}

std::size_t Response::buffered_bytes() const { return impl_ ? impl_->buffered() : 0; }

namespace {

// The io_context behind an executor of it (plain or work-tracking) or a strand of one; nullptr
// for anything else (thread pools, system executor).
asio::io_context* io_context_of(const asio::any_io_executor& executor) {
  using Plain = asio::io_context::executor_type;
  using Tracked = std::decay_t<decltype(asio::require(std::declval<Plain>(),
                                                      asio::execution::outstanding_work.tracked))>;
  if (const auto* e = executor.target<Plain>()) return &e->context();
  if (const auto* e = executor.target<Tracked>()) return &e->context();
  if (const auto* e = executor.target<asio::strand<Plain>>()) {
    return &e->get_inner_executor().context();
  }
  if (const auto* e = executor.target<asio::strand<Tracked>>()) {
    return &e->get_inner_executor().context();
  }
  return nullptr;
}

}  // namespace

Task<Result<Response>> send(Request request) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  asio::io_context* context = io_context_of(executor);
  if (context == nullptr) {
    co_return Status(StatusCode::kInvalidArgument,
                     "aisopod::http::send must run on an io_context executor");
  }
  const std::shared_ptr<Multi> multi = asio::use_service<EngineService>(*context).multi();
  auto impl = std::make_shared<Response::Impl>(multi, executor, std::move(request));
  AISOPOD_CO_TRY_STATUS(impl->start());
  while (!impl->headers_complete() && !impl->finished()) {
    if (!co_await impl->wait_signal()) {
      impl->cancel();
      co_return Status(StatusCode::kCancelled, "HTTP request cancelled");
    }
  }
  if (!impl->headers_complete()) co_return impl->final_status();
  co_return Response(std::move(impl));
}

}  // namespace aisopod::http
