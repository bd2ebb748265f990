#include "providers/anthropic/provider.hpp"

#include <utility>

#include "providers/anthropic/error_mapper.hpp"
#include "providers/anthropic/models_decoder.hpp"
#include "providers/anthropic/request_encoder.hpp"
#include "providers/anthropic/stream_decoder.hpp"

namespace aisopod::anthropic {
namespace {

constexpr int kModelsPageLimit = 1000;
// A bound on pagination, so a server that keeps saying has_more cannot loop us forever.
constexpr int kMaxModelPages = 100;

class AnthropicProvider final : public ModelProvider {
 public:
  AnthropicProvider(AnthropicOptions options, SecretSource secret)
      : options_(std::move(options)), secret_(std::move(secret)) {
    options_.base_url = trim_base_url(options_.base_url);
    map_error_ = [id = options_.provider_id](int status, const http::Headers& headers,
                                             std::string_view body) {
      return status_from_response(status, headers, body, id);
    };
  }

  std::string_view id() const override { return options_.provider_id; }

  Task<Result<std::vector<ModelInfo>>> list_models() override {
    std::vector<ModelInfo> models;
    std::string after_id;
    for (int page_number = 0; page_number < kMaxModelPages; ++page_number) {
      AISOPOD_CO_ASSIGN_OR_RETURN(http::Request request,
                                  models_request(kModelsPageLimit, after_id));
      AISOPOD_CO_ASSIGN_OR_RETURN(std::string body,
                                  co_await fetch_body(std::move(request), map_error_, id()));
      AISOPOD_CO_ASSIGN_OR_RETURN(ModelsPage page, decode_models_page(body, options_.provider_id));
      for (ModelInfo& model : page.models) models.push_back(std::move(model));
      // A page that says has_more without a new cursor would repeat itself: stop there.
      if (!page.has_more || page.last_id.empty() || page.last_id == after_id) break;
      after_id = std::move(page.last_id);
    }
    co_return models;
  }

  Task<Result<ChunkStream>> chat_completion(ChatCompletionRequest request,
                                            CallOptions options) override {
    AISOPOD_CO_ASSIGN_OR_RETURN(http::Request http_request, encode_chat_request(request, options_));
    apply_call_options(options, http_request.timeouts);
    AISOPOD_CO_TRY_STATUS(authorize(http_request));
    DecodeOptions decode = decode_options_for(request);
    if (!request.stream) {
      AISOPOD_CO_ASSIGN_OR_RETURN(std::string body,
                                  co_await fetch_body(std::move(http_request), map_error_, id()));
      AISOPOD_CO_ASSIGN_OR_RETURN(std::vector<ChatCompletionChunk> chunks,
                                  decode_message(body, options_.provider_id, decode));
      co_return ChunkStream::from_chunks(std::move(chunks));
    }
    AISOPOD_CO_ASSIGN_OR_RETURN(http::Response response,
                                co_await send_checked(std::move(http_request), map_error_, id()));
    co_return ChunkStream(make_http_chunk_source(
        std::move(response),
        make_chunk_decoder(StreamDecoder(options_.provider_id, std::move(decode))),
        options_.provider_id));
  }

  Task<HealthStatus> health_check() override {
    co_return co_await run_health_probe([this]() -> Task<Status> {
      AISOPOD_CO_ASSIGN_OR_RETURN(http::Request request, models_request(1, {}));
      Result<std::string> body = co_await fetch_body(std::move(request), map_error_, id());
      co_return body.status();
    });
  }

 private:
  Result<http::Request> models_request(int limit, std::string_view after_id) const {
    AISOPOD_ASSIGN_OR_RETURN(http::Request request,
                             encode_models_request(options_, limit, after_id));
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
    if (secret->empty()) return Status();
    if (options_.auth == AnthropicOptions::AuthKind::kBearer) {
      request.headers.push_back({"Authorization", "Bearer " + *secret});
    } else {
      request.headers.push_back({"x-api-key", *secret});
    }
    return Status();
  }

  AnthropicOptions options_;
  SecretSource secret_;
  ErrorMapper map_error_;
};

}  // namespace

std::shared_ptr<ModelProvider> make_provider(AnthropicOptions options, SecretSource secret) {
  return std::make_shared<AnthropicProvider>(std::move(options), std::move(secret));
}

}  // namespace aisopod::anthropic
