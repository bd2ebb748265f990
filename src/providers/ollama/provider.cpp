#include "providers/ollama/provider.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "providers/ollama/error_mapper.hpp"
#include "providers/ollama/models_decoder.hpp"
#include "providers/ollama/request_encoder.hpp"
#include "providers/ollama/stream_decoder.hpp"

namespace aisopod::ollama {
namespace {

constexpr std::chrono::milliseconds kPullIdleTimeout{10 * 60 * 1000};

}  // namespace

OllamaProvider::OllamaProvider(OllamaOptions options, std::shared_ptr<AuthProfileManager> auth)
    : options_(std::move(options)), auth_(std::move(auth)) {
  options_.base_url = trim_base_url(options_.base_url);
  map_error_ = [id = options_.provider_id](int status, const http::Headers& headers,
                                           std::string_view body) {
    return status_from_response(status, headers, body, id);
  };
}

std::string_view OllamaProvider::id() const { return options_.provider_id; }

RequestCall OllamaProvider::request_call(http::Request request) const {
  RequestCall call;
  call.provider_id = options_.provider_id;
  call.request = std::move(request);
  call.authorize = add_bearer_token;
  call.map_error = map_error_;
  // A mapped HTTP error always carries its status; without one the server was not reached.
  call.map_send_error = [base_url = options_.base_url, id = options_.provider_id](Status error) {
    return status_from_transport_error(std::move(error), base_url, id);
  };
  return call;
}

Task<Result<std::vector<ModelInfo>>> OllamaProvider::list_models() {
  AISOPOD_CO_ASSIGN_OR_RETURN(http::Request request, encode_tags_request(options_));
  const CallOptions options;  // a named value: see the note on CallOptions in provider.hpp
  AISOPOD_CO_ASSIGN_OR_RETURN(
      std::string body,
      co_await run_fetch_call(request_call(std::move(request)), auth_.get(), options));
  co_return decode_models(body, options_.provider_id);
}

Task<Result<ChunkStream>> OllamaProvider::start_chat_completion(ChatCompletionRequest request,
                                                                CallOptions options) {
  AISOPOD_CO_ASSIGN_OR_RETURN(http::Request http_request, encode_chat_request(request, options_));
  ChatCall call;
  call.provider_id = options_.provider_id;
  call.model = request.model;
  call.request = std::move(http_request);
  call.stream = request.stream;
  call.attempt_timeout = options_.timeout;
  call.authorize = add_bearer_token;
  call.map_error = map_error_;
  call.map_send_error = [base_url = options_.base_url, id = options_.provider_id](Status error) {
    return status_from_transport_error(error, base_url, id);
  };
  call.make_decoder = [id = options_.provider_id] { return make_chunk_decoder(StreamDecoder(id)); };
  call.decode_body = [id = options_.provider_id](
                         std::string_view body) -> Result<std::vector<ChatCompletionChunk>> {
    AISOPOD_ASSIGN_OR_RETURN(ChatCompletionChunk chunk, decode_chat_response(body, id));
    std::vector<ChatCompletionChunk> chunks;
    chunks.push_back(std::move(chunk));
    return chunks;
  };
  co_return co_await run_chat_call(std::move(call), auth_.get(), options);
}

Task<HealthStatus> OllamaProvider::health_check() {
  std::string version;
  HealthStatus health = co_await run_health_probe([this, &version]() -> Task<Status> {
    AISOPOD_CO_ASSIGN_OR_RETURN(http::Request request, encode_version_request(options_));
    CallOptions options;
    options.max_retries = 0;  // a health check reports, it does not insist
    AISOPOD_CO_ASSIGN_OR_RETURN(
        std::string body,
        co_await run_fetch_call(request_call(std::move(request)), auth_.get(), options));
    AISOPOD_CO_ASSIGN_OR_RETURN(version, decode_version(body, options_.provider_id));
    co_return Status();
  });
  if (health.state == HealthStatus::State::kHealthy) health.message = version;
  co_return health;
}

Task<Result<PullStream>> OllamaProvider::start_pull(std::string name, CallOptions options) {
  AISOPOD_CO_ASSIGN_OR_RETURN(http::Request request, encode_pull_request(name, options_));
  request.timeouts.idle = kPullIdleTimeout;
  // A pull is started once: a server that is not running is said at once, not retried.
  options.max_retries = 0;
  AISOPOD_CO_ASSIGN_OR_RETURN(
      http::Response response,
      co_await run_request_call(request_call(std::move(request)), auth_.get(), options));
  co_return make_pull_stream(std::move(response), options_.provider_id);
}

std::shared_ptr<OllamaProvider> make_provider(OllamaOptions options,
                                              std::shared_ptr<AuthProfileManager> auth) {
  return std::make_shared<OllamaProvider>(std::move(options), std::move(auth));
}

std::shared_ptr<OllamaProvider> make_provider(OllamaOptions options, SecretSource secret) {
  std::string id = options.provider_id;
  return make_provider(std::move(options), auth_for_secret(id, std::move(secret)));
}

}  // namespace aisopod::ollama
