#include "providers/openai/provider.hpp"

#include <string>
#include <utility>
#include <vector>

#include "providers/openai/error_mapper.hpp"
#include "providers/openai/models_decoder.hpp"
#include "providers/openai/stream_decoder.hpp"

namespace aisopod::openai {
namespace {

class OpenAIProvider final : public ModelProvider {
 public:
  OpenAIProvider(OpenAIOptions options, std::shared_ptr<AuthProfileManager> auth)
      : options_(std::move(options)), auth_(std::move(auth)) {
    options_.base_url = trim_base_url(options_.base_url);
    map_error_ = [id = options_.provider_id](int status, const http::Headers& headers,
                                             std::string_view body) {
      return status_from_response(status, headers, body, id);
    };
  }

  std::string_view id() const override { return options_.provider_id; }

  Task<Result<std::vector<ModelInfo>>> list_models() override {
    AISOPOD_CO_ASSIGN_OR_RETURN(RequestCall call, models_call());
    const CallOptions options;  // a named value: see the note on CallOptions in provider.hpp
    AISOPOD_CO_ASSIGN_OR_RETURN(std::string body,
                                co_await run_fetch_call(std::move(call), auth_.get(), options));
    co_return decode_models(body, options_.provider_id);
  }

  Task<Result<ChunkStream>> start_chat_completion(ChatCompletionRequest request,
                                                  CallOptions options) override {
    AISOPOD_CO_ASSIGN_OR_RETURN(http::Request http_request, encode_chat_request(request, options_));
    ChatCall call;
    call.provider_id = options_.provider_id;
    call.model = request.model;
    call.request = std::move(http_request);
    call.stream = request.stream;
    call.attempt_timeout = options_.timeout;
    call.authorize = add_bearer_token;
    call.map_error = map_error_;
    call.make_decoder = [id = options_.provider_id] {
      return make_chunk_decoder(StreamDecoder(id));
    };
    call.decode_body = [id = options_.provider_id](
                           std::string_view body) -> Result<std::vector<ChatCompletionChunk>> {
      AISOPOD_ASSIGN_OR_RETURN(ChatCompletionChunk chunk, decode_completion(body, id));
      std::vector<ChatCompletionChunk> chunks;
      chunks.push_back(std::move(chunk));
      return chunks;
    };
    co_return co_await run_chat_call(std::move(call), auth_.get(), options);
  }

  Task<HealthStatus> health_check() override {
    co_return co_await run_health_probe([this]() -> Task<Status> {
      AISOPOD_CO_ASSIGN_OR_RETURN(RequestCall call, models_call());
      CallOptions options;
      options.max_retries = 0;  // a health check reports, it does not insist
      Result<std::string> body = co_await run_fetch_call(std::move(call), auth_.get(), options);
      co_return body.status();
    });
  }

 private:
  // GET /models, run through the shared request loop (credential added per attempt).
  Result<RequestCall> models_call() const {
    AISOPOD_ASSIGN_OR_RETURN(http::Request request, encode_models_request(options_));
    RequestCall call;
    call.provider_id = options_.provider_id;
    call.request = std::move(request);
    call.authorize = add_bearer_token;
    call.map_error = map_error_;
    return call;
  }

  OpenAIOptions options_;
  std::shared_ptr<AuthProfileManager> auth_;
  ErrorMapper map_error_;
};

}  // namespace

std::shared_ptr<ModelProvider> make_provider(OpenAIOptions options,
                                             std::shared_ptr<AuthProfileManager> auth) {
  return std::make_shared<OpenAIProvider>(std::move(options), std::move(auth));
}

std::shared_ptr<ModelProvider> make_provider(OpenAIOptions options, SecretSource secret) {
  std::string id = options.provider_id;
  return make_provider(std::move(options), auth_for_secret(id, std::move(secret)));
}

}  // namespace aisopod::openai
