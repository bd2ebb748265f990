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

Status OllamaProvider::authorize(http::Request& request, std::vector<std::string>& secrets) const {
  AISOPOD_ASSIGN_OR_RETURN(std::optional<AuthLease> lease,
                           lease_for(auth_.get(), options_.provider_id));
  if (lease) {
    add_bearer_token(request, lease->secret);
    if (!lease->secret.empty()) secrets.push_back(lease->secret);
  }
  return Status();
}

Task<Result<http::Response>> OllamaProvider::send(http::Request request,
                                                  std::vector<std::string> secrets) const {
  Result<http::Response> response =
      co_await send_checked(std::move(request), map_error_, id(), secrets);
  // A mapped HTTP error always carries its status; without one the server was not reached.
  if (!response.ok() && response.error().http_status() == 0) {
    // The transport's message is already redacted; the mapping adds only the base URL.
    co_return status_from_transport_error(response.error(), options_.base_url, id());
  }
  co_return response;
}

Task<Result<std::string>> OllamaProvider::fetch(http::Request request,
                                                std::vector<std::string> secrets) const {
  AISOPOD_CO_ASSIGN_OR_RETURN(http::Response response, co_await send(std::move(request), secrets));
  Result<std::string> body = co_await response.read_all();
  if (!body.ok()) {
    Status status = body.error();
    if (status.provider().empty()) status.set_provider(options_.provider_id);
    co_return status;
  }
  co_return body;
}

Task<Result<std::vector<ModelInfo>>> OllamaProvider::list_models() {
  AISOPOD_CO_ASSIGN_OR_RETURN(http::Request request, encode_tags_request(options_));
  std::vector<std::string> secrets;
  AISOPOD_CO_TRY_STATUS(authorize(request, secrets));
  AISOPOD_CO_ASSIGN_OR_RETURN(std::string body, co_await fetch(std::move(request), secrets));
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
    std::vector<std::string> secrets;
    AISOPOD_CO_TRY_STATUS(authorize(request, secrets));
    AISOPOD_CO_ASSIGN_OR_RETURN(std::string body, co_await fetch(std::move(request), secrets));
    AISOPOD_CO_ASSIGN_OR_RETURN(version, decode_version(body, options_.provider_id));
    co_return Status();
  });
  if (health.state == HealthStatus::State::kHealthy) health.message = version;
  co_return health;
}

Task<Result<PullStream>> OllamaProvider::start_pull(std::string name, CallOptions options) {
  AISOPOD_CO_ASSIGN_OR_RETURN(http::Request request, encode_pull_request(name, options_));
  request.timeouts.idle = kPullIdleTimeout;
  apply_call_options(options, request.timeouts);
  std::vector<std::string> secrets;
  AISOPOD_CO_TRY_STATUS(authorize(request, secrets));
  AISOPOD_CO_ASSIGN_OR_RETURN(http::Response response, co_await send(std::move(request), secrets));
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
