#include "core/http_provider.hpp"

#include <chrono>
#include <utility>

namespace aisopod {
namespace {

class HttpChunkSource final : public ChunkSource {
 public:
  HttpChunkSource(http::Response response, std::unique_ptr<ChunkDecoder> decoder,
                  std::string provider_id)
      : response_(std::move(response)),
        decoder_(std::move(decoder)),
        provider_id_(std::move(provider_id)) {}

  Task<Result<std::optional<ChatCompletionChunk>>> next() override {
    for (;;) {
      Result<std::optional<ChatCompletionChunk>> decoded = decoder_->next();
      if (!decoded.ok()) {
        response_.cancel();
        co_return tag(decoded.error());
      }
      if (decoded->has_value() || body_done_) co_return decoded;
      buffer_.clear();
      Result<std::size_t> got = co_await response_.read(buffer_);
      if (!got.ok()) co_return tag(got.error());
      if (*got == 0) {
        body_done_ = true;
        Status finished = decoder_->finish();
        if (!finished.ok()) co_return tag(std::move(finished));
        continue;  // the decoder may still hold complete chunks
      }
      decoder_->feed(buffer_);
    }
  }

  void cancel() override { response_.cancel(); }

 private:
  Status tag(Status status) const {
    if (status.provider().empty()) status.set_provider(provider_id_);
    return status;
  }

  http::Response response_;
  std::unique_ptr<ChunkDecoder> decoder_;
  std::string provider_id_;
  std::string buffer_;
  bool body_done_ = false;
};

}  // namespace

std::unique_ptr<ChunkSource> make_http_chunk_source(http::Response response,
                                                    std::unique_ptr<ChunkDecoder> decoder,
                                                    std::string provider_id) {
  return std::make_unique<HttpChunkSource>(std::move(response), std::move(decoder),
                                           std::move(provider_id));
}

void apply_call_options(const CallOptions& options, http::Timeouts& timeouts) {
  if (options.connect_timeout) timeouts.connect = *options.connect_timeout;
  if (options.first_byte_timeout) timeouts.first_byte = *options.first_byte_timeout;
  if (options.idle_timeout) timeouts.idle = *options.idle_timeout;
  if (options.total_timeout) timeouts.total = *options.total_timeout;
}

Task<Result<http::Response>> send_checked(http::Request request, const ErrorMapper& map_error,
                                          std::string_view provider_id) {
  Result<http::Response> response = co_await http::send(std::move(request));
  if (!response.ok()) {
    Status status = response.error();
    if (status.provider().empty()) status.set_provider(std::string(provider_id));
    co_return status;
  }
  const int code = response->status();
  if (code >= 200 && code < 300) co_return response;
  constexpr std::size_t kErrorBodyLimit = 1024 * 1024;
  Result<std::string> body = co_await response->read_all(kErrorBodyLimit);
  Status status = map_error(code, response->headers(), body.ok() ? *body : std::string_view());
  if (status.ok()) {
    status = Status(StatusCode::kInternal, "error mapper accepted HTTP " + std::to_string(code));
  }
  if (status.http_status() == 0) status.set_http_status(code);
  if (status.provider().empty()) status.set_provider(std::string(provider_id));
  co_return status;
}

Task<Result<std::string>> fetch_body(http::Request request, const ErrorMapper& map_error,
                                     std::string_view provider_id, std::size_t limit) {
  AISOPOD_CO_ASSIGN_OR_RETURN(http::Response response,
                              co_await send_checked(std::move(request), map_error, provider_id));
  Result<std::string> body = co_await response.read_all(limit);
  if (!body.ok()) {
    Status status = body.error();
    if (status.provider().empty()) status.set_provider(std::string(provider_id));
    co_return status;
  }
  co_return body;
}

Task<HealthStatus> run_health_probe(std::function<Task<Status>()> probe) {
  const auto start = std::chrono::steady_clock::now();
  Status status = co_await probe();
  HealthStatus health;
  health.latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (status.ok()) {
    health.state = HealthStatus::State::kHealthy;
    health.message = "ok";
  } else {
    const StatusCode code = status.code();
    const bool answered = code == StatusCode::kUnauthenticated ||
                          code == StatusCode::kPermissionDenied || code == StatusCode::kBilling ||
                          code == StatusCode::kRateLimited || code == StatusCode::kNotFound;
    health.state = answered ? HealthStatus::State::kDegraded : HealthStatus::State::kUnhealthy;
    health.message = status.to_string();
  }
  co_return health;
}

std::string trim_base_url(std::string_view base_url) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  return std::string(base_url);
}

}  // namespace aisopod
