#include "aisopod/client.hpp"
#include "aisopod/runtime.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <utility>

#include "aisopod/builtin.hpp"
#include "aisopod/config.hpp"
#include "aisopod/provider.hpp"
#include "aisopod/registry.hpp"

namespace aisopod {
namespace asio = boost::asio;
namespace {

template <class T>
Task<void> store_result(Task<T> task, std::optional<T>& out) {
  out.emplace(co_await std::move(task));
}

}  // namespace

class Client::Impl {
 public:
  explicit Impl(std::shared_ptr<ProviderRegistry> registry) : registry_(std::move(registry)) {}
  explicit Impl(std::shared_ptr<Runtime> runtime)
      : runtime_(std::move(runtime)),
        // Aliasing constructor: the runtime owns the registry.
        registry_(runtime_, &runtime_->registry()) {}

  // The provider that serves `spec` (with its fallbacks when there is a runtime) and the model.
  Result<Runtime::ChatTarget> target(std::string_view spec) const {
    if (runtime_) return runtime_->chat_target(spec);
    AISOPOD_ASSIGN_OR_RETURN(ResolvedModel resolved, registry_->resolve(spec));
    return Runtime::ChatTarget{std::move(resolved.provider), std::move(resolved.model)};
  }

  // Runs `task` on the private io_context until it completes. Other work (the transfer of an
  // open stream) keeps going while it runs and pauses between calls.
  template <class T>
  T run(Task<T> task) {
    std::optional<T> out;
    std::exception_ptr failure;
    bool done = false;
    // Wait for the completion handler itself, not only for the value: the handler refers to
    // this frame's locals and must not run during a later call.
    asio::co_spawn(io_, store_result(std::move(task), out),
                   [&failure, &done](std::exception_ptr error) {
                     failure = error;
                     done = true;
                   });
    while (!done) {
      if (io_.stopped()) io_.restart();
      io_.run_one();
    }
    if (failure || !out) {
      return T(Status(StatusCode::kInternal, "unexpected exception in event loop"));
    }
    return std::move(*out);
  }

  std::shared_ptr<Runtime> runtime_;
  std::shared_ptr<const ProviderRegistry> registry_;
  asio::io_context io_;
};

class Client::Stream::Impl {
 public:
  Impl(Client::Impl& client, ChunkStream stream) : client_(client), stream_(std::move(stream)) {}
  Impl(Client::Impl& client, Status error) : client_(client), status_(std::move(error)) {
    ended_ = true;
  }

  Client::Impl& client_;
  ChunkStream stream_;
  Status status_;
  std::optional<ChatCompletionChunk> current_;
  bool ended_ = false;
};

Result<Client> Client::create(ClientOptions options) {
  RuntimeOptions runtime_options;
  runtime_options.config_path = std::move(options.config_path);
  AISOPOD_ASSIGN_OR_RETURN(std::shared_ptr<Runtime> runtime, Runtime::load(runtime_options));
  return Client(std::move(runtime));
}

Client::Client(std::shared_ptr<Runtime> runtime)
    : impl_(std::make_unique<Impl>(std::move(runtime))) {}
Client::Client(std::shared_ptr<ProviderRegistry> registry)
    : impl_(std::make_unique<Impl>(std::move(registry))) {}
Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

Client::Stream Client::stream(ChatCompletionRequest request) {
  Result<Runtime::ChatTarget> target = impl_->target(request.model);
  if (!target.ok()) return Stream(std::make_unique<Stream::Impl>(*impl_, target.error()));
  request.model = target->model;
  std::shared_ptr<ModelProvider> provider = target->provider;
  Result<ChunkStream> started = impl_->run(provider->chat_completion(std::move(request), {}));
  if (!started.ok()) return Stream(std::make_unique<Stream::Impl>(*impl_, started.error()));
  return Stream(std::make_unique<Stream::Impl>(*impl_, std::move(*started)));
}

Result<ChatCompletion> Client::complete(ChatCompletionRequest request) {
  Stream chunks = stream(std::move(request));
  ChatCompletionAccumulator accumulator;
  for (const ChatCompletionChunk& chunk : chunks) accumulator.add(chunk);
  if (!chunks.status().ok()) return chunks.status();
  return accumulator.result();
}

Result<std::vector<ModelInfo>> Client::list_models(const std::string& provider_id) {
  std::shared_ptr<ModelProvider> provider = impl_->registry_->find(provider_id);
  if (!provider) {
    return Status(StatusCode::kNotFound, "no provider '" + provider_id + "' is configured");
  }
  return impl_->run(provider->list_models());
}

Client::Stream::Stream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Stream::Stream(Stream&&) noexcept = default;
Client::Stream& Client::Stream::operator=(Stream&&) noexcept = default;
Client::Stream::~Stream() = default;

Result<std::optional<ChatCompletionChunk>> Client::Stream::next() {
  if (impl_->ended_) {
    if (!impl_->status_.ok()) return impl_->status_;
    return std::optional<ChatCompletionChunk>();
  }
  Result<std::optional<ChatCompletionChunk>> got = impl_->client_.run(impl_->stream_.next());
  if (!got.ok()) {
    impl_->ended_ = true;
    impl_->status_ = got.error();
  } else if (!got->has_value()) {
    impl_->ended_ = true;
  }
  return got;
}

bool Client::Stream::advance() {
  Result<std::optional<ChatCompletionChunk>> got = next();
  if (!got.ok() || !got->has_value()) {
    impl_->current_.reset();
    return false;
  }
  impl_->current_ = std::move(**got);
  return true;
}

Client::Stream::iterator Client::Stream::begin() { return advance() ? iterator(this) : iterator(); }

Status Client::Stream::status() const { return impl_->status_; }

void Client::Stream::cancel() {
  if (impl_->ended_) return;
  impl_->stream_.cancel();
  impl_->ended_ = true;
  impl_->status_ = Status(StatusCode::kCancelled, "stream cancelled");
}

Client::Stream::iterator::reference Client::Stream::iterator::operator*() const {
  return *stream_->impl_->current_;
}
Client::Stream::iterator::pointer Client::Stream::iterator::operator->() const {
  return &*stream_->impl_->current_;
}
Client::Stream::iterator& Client::Stream::iterator::operator++() {
  if (!stream_->advance()) stream_ = nullptr;
  return *this;
}

}  // namespace aisopod
