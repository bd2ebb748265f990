#include "providers/anthropic/provider.hpp"

#include <string>
#include <utility>
#include <vector>

#include "providers/anthropic/error_mapper.hpp"
#include "providers/anthropic/models_decoder.hpp"
#include "providers/anthropic/request_encoder.hpp"
#include "providers/anthropic/stream_decoder.hpp"

namespace aisopod::anthropic {
namespace {

constexpr int kModelsPageLimit = 1000;
// A bound on pagination, so a server that keeps saying has_more cannot loop us forever.
constexpr int kMaxModelPages = 100;

// x-api-key for API keys, Authorization: Bearer for OAuth tokens, as the lease's profile says;
// nothing without a lease or secret.
void add_credential(http::Request& request, const AuthLease* lease) {
  if (lease == nullptr || lease->secret.empty()) return;
  if (lease->kind == SecretKind::kBearerToken) {
    request.headers.push_back({"Authorization", "Bearer " + lease->secret});
  } else {
    request.headers.push_back({"x-api-key", lease->secret});
  }
}

class AnthropicProvider final : public ModelProvider {
 public:
  AnthropicProvider(AnthropicOptions options, std::shared_ptr<AuthProfileManager> auth)
      : options_(std::move(options)), auth_(std::move(auth)) {
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
      AISOPOD_CO_ASSIGN_OR_RETURN(RequestCall call, models_call(kModelsPageLimit, after_id));
      const CallOptions options;  // a named value: see the note on CallOptions in provider.hpp
      AISOPOD_CO_ASSIGN_OR_RETURN(std::string body,
                                  co_await run_fetch_call(std::move(call), auth_.get(), options));
      AISOPOD_CO_ASSIGN_OR_RETURN(ModelsPage page, decode_models_page(body, options_.provider_id));
      for (ModelInfo& model : page.models) models.push_back(std::move(model));
      // A page that says has_more without a new cursor would repeat itself: stop there.
      if (!page.has_more || page.last_id.empty() || page.last_id == after_id) break;
      after_id = std::move(page.last_id);
    }
    co_return models;
  }

  Task<Result<ChunkStream>> start_chat_completion(ChatCompletionRequest request,
                                                  CallOptions options) override {
    AISOPOD_CO_ASSIGN_OR_RETURN(http::Request http_request, encode_chat_request(request, options_));
    DecodeOptions decode = decode_options_for(request);
    ChatCall call;
    call.provider_id = options_.provider_id;
    call.model = request.model;
    call.request = std::move(http_request);
    call.stream = request.stream;
    call.attempt_timeout = options_.timeout;
    call.authorize = add_credential;
    call.map_error = map_error_;
    call.make_decoder = [id = options_.provider_id, decode] {
      return make_chunk_decoder(StreamDecoder(id, decode));
    };
    call.decode_body = [id = options_.provider_id, decode](std::string_view body) {
      return decode_message(body, id, decode);
    };
    co_return co_await run_chat_call(std::move(call), auth_.get(), options);
  }

  Task<HealthStatus> health_check() override {
    co_return co_await run_health_probe([this]() -> Task<Status> {
      AISOPOD_CO_ASSIGN_OR_RETURN(RequestCall call, models_call(1, {}));
      CallOptions options;
      options.max_retries = 0;  // a health check reports, it does not insist
      Result<std::string> body = co_await run_fetch_call(std::move(call), auth_.get(), options);
      co_return body.status();
    });
  }

 private:
  // GET /v1/models, run through the shared request loop (credential added per attempt).
  Result<RequestCall> models_call(int limit, std::string_view after_id) const {
    AISOPOD_ASSIGN_OR_RETURN(http::Request request,
                             encode_models_request(options_, limit, after_id));
    RequestCall call;
    call.provider_id = options_.provider_id;
    call.request = std::move(request);
    call.authorize = add_credential;
    call.map_error = map_error_;
    return call;
  }

  // Authorization is the last step before sending, applied to the finished request.
  AnthropicOptions options_;
  std::shared_ptr<AuthProfileManager> auth_;
  ErrorMapper map_error_;
};

}  // namespace

std::shared_ptr<ModelProvider> make_provider(AnthropicOptions options,
                                             std::shared_ptr<AuthProfileManager> auth) {
  return std::make_shared<AnthropicProvider>(std::move(options), std::move(auth));
}

std::shared_ptr<ModelProvider> make_provider(AnthropicOptions options, SecretSource secret) {
  std::string id = options.provider_id;
  const SecretKind kind = options.auth == AnthropicOptions::AuthKind::kBearer
                              ? SecretKind::kBearerToken
                              : SecretKind::kApiKey;
  return make_provider(std::move(options), auth_for_secret(id, std::move(secret), kind));
}

}  // namespace aisopod::anthropic
