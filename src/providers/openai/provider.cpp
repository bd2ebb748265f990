#include "providers/openai/provider.hpp"

#include <utility>

#include "providers/openai/error_mapper.hpp"
#include "providers/openai/models_decoder.hpp"
#include "providers/openai/stream_decoder.hpp"

namespace aisopod::openai {
namespace {

class OpenAIProvider final : public ModelProvider {
 public:
  OpenAIProvider(OpenAIOptions options, SecretSource secret)
      : options_(std::move(options)), secret_(std::move(secret)) {
    options_.base_url = trim_base_url(options_.base_url);
    map_error_ = [id = options_.provider_id](int status, const http::Headers& headers,
                                             std::string_view body) {
      return status_from_response(status, headers, body, id);
    };
  }

  std::string_view id() const override { return options_.provider_id; }

  Task<Result<std::vector<ModelInfo>>> list_models() override {
    AISOPOD_CO_ASSIGN_OR_RETURN(http::Request request, models_request());
    AISOPOD_CO_ASSIGN_OR_RETURN(std::string body,
                                co_await fetch_body(std::move(request), map_error_, id()));
    co_return decode_models(body, options_.provider_id);
  }

  Task<Result<ChunkStream>> chat_completion(ChatCompletionRequest request,
                                            CallOptions options) override {
    AISOPOD_CO_ASSIGN_OR_RETURN(http::Request http_request, encode_chat_request(request, options_));
    apply_call_options(options, http_request.timeouts);
    AISOPOD_CO_TRY_STATUS(authorize(http_request));
    if (!request.stream) {
      AISOPOD_CO_ASSIGN_OR_RETURN(std::string body,
                                  co_await fetch_body(std::move(http_request), map_error_, id()));
      AISOPOD_CO_ASSIGN_OR_RETURN(ChatCompletionChunk chunk,
                                  decode_completion(body, options_.provider_id));
      std::vector<ChatCompletionChunk> chunks;
      chunks.push_back(std::move(chunk));
      co_return ChunkStream::from_chunks(std::move(chunks));
    }
    AISOPOD_CO_ASSIGN_OR_RETURN(http::Response response,
                                co_await send_checked(std::move(http_request), map_error_, id()));
    co_return ChunkStream(make_http_chunk_source(
        std::move(response), make_chunk_decoder(StreamDecoder(options_.provider_id)),
        options_.provider_id));
  }

  Task<HealthStatus> health_check() override {
    co_return co_await run_health_probe([this]() -> Task<Status> {
      AISOPOD_CO_ASSIGN_OR_RETURN(http::Request request, models_request());
      Result<std::string> body = co_await fetch_body(std::move(request), map_error_, id());
      co_return body.status();
    });
  }

 private:
  Result<http::Request> models_request() const {
    AISOPOD_ASSIGN_OR_RETURN(http::Request request, encode_models_request(options_));
    AISOPOD_TRY_STATUS(authorize(request));
    return request;
  }

  // Authorization is the last step before sending, applied to the finished request.
  Status authorize(http::Request& request) const {
    if (!secret_) return Status();
    Result<std::string> secret = secret_();
    if (!secret.ok()) {
      Status status = secret.error();
      if (status.provider().empty()) status.set_provider(options_.provider_id);
      return status;
    }
    if (!secret->empty()) request.headers.push_back({"Authorization", "Bearer " + *secret});
    return Status();
  }

  OpenAIOptions options_;
  SecretSource secret_;
  ErrorMapper map_error_;
};

}  // namespace

std::shared_ptr<ModelProvider> make_provider(OpenAIOptions options, SecretSource secret) {
  return std::make_shared<OpenAIProvider>(std::move(options), std::move(secret));
}

}  // namespace aisopod::openai
