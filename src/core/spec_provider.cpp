#include "core/spec_provider.hpp"

#include <string>
#include <utility>
#include <vector>

namespace aisopod {
namespace {

// A bound on pagination, so a server that keeps answering with a new cursor cannot loop us.
constexpr int kMaxModelPages = 100;

}  // namespace

SpecProvider::SpecProvider(ProviderSpec spec, std::shared_ptr<AuthProfileManager> auth)
    : spec_(std::move(spec)), auth_(std::move(auth)) {}

RequestCall SpecProvider::request_call(http::Request request) const {
  RequestCall call;
  call.provider_id = spec_.provider_id;
  call.request = std::move(request);
  call.authorizer = spec_.authorizer;
  call.map_error = spec_.map_error;
  call.map_send_error = spec_.map_send_error;
  return call;
}

Task<Result<std::vector<ModelInfo>>> SpecProvider::list_models() {
  std::vector<ModelInfo> models;
  std::string cursor;
  for (int page_number = 0; page_number < kMaxModelPages; ++page_number) {
    AISOPOD_CO_ASSIGN_OR_RETURN(http::Request request, spec_.encode_models(cursor));
    const CallOptions options;  // a named value: see the note on CallOptions in provider.hpp
    AISOPOD_CO_ASSIGN_OR_RETURN(
        std::string body,
        co_await run_fetch_call(request_call(std::move(request)), auth_.get(), options));
    AISOPOD_CO_ASSIGN_OR_RETURN(ModelsPageResult page, spec_.decode_models(body));
    for (ModelInfo& model : page.models) models.push_back(std::move(model));
    if (page.next_cursor.empty() || page.next_cursor == cursor) break;
    cursor = std::move(page.next_cursor);
  }
  co_return models;
}

Task<Result<ChunkStream>> SpecProvider::start_chat_completion(ChatCompletionRequest request,
                                                              CallOptions options) {
  AISOPOD_CO_ASSIGN_OR_RETURN(ProviderSpec::EncodedChat encoded, spec_.encode_chat(request));
  ChatCall call;
  call.provider_id = spec_.provider_id;
  call.model = request.model;
  call.request = std::move(encoded.request);
  call.stream = request.stream;
  call.attempt_timeout = spec_.attempt_timeout;
  call.authorizer = spec_.authorizer;
  call.map_error = spec_.map_error;
  call.map_send_error = spec_.map_send_error;
  call.make_decoder = std::move(encoded.make_decoder);
  call.decode_body = std::move(encoded.decode_body);
  co_return co_await run_chat_call(std::move(call), auth_.get(), options);
}

Task<HealthStatus> SpecProvider::health_check() {
  std::string message = "ok";
  HealthStatus health = co_await run_health_probe([this, &message]() -> Task<Status> {
    Result<http::Request> request =
        spec_.encode_health ? spec_.encode_health() : spec_.encode_models("");
    if (!request.ok()) co_return request.error();
    CallOptions options;
    options.max_retries = 0;  // a health check reports, it does not insist
    AISOPOD_CO_ASSIGN_OR_RETURN(
        std::string body,
        co_await run_fetch_call(request_call(std::move(*request)), auth_.get(), options));
    if (spec_.decode_health) {
      AISOPOD_CO_ASSIGN_OR_RETURN(message, spec_.decode_health(body));
    }
    co_return Status();
  });
  if (health.state == HealthStatus::State::kHealthy) health.message = message;
  co_return health;
}

Result<ProviderSpec::EncodedChat> encoded_chat(
    Result<http::Request> request, std::function<std::unique_ptr<ChunkDecoder>()> make_decoder,
    std::function<Result<std::vector<ChatCompletionChunk>>(std::string_view body)> decode_body) {
  if (!request.ok()) return request.error();
  ProviderSpec::EncodedChat encoded;
  encoded.request = std::move(*request);
  encoded.make_decoder = std::move(make_decoder);
  encoded.decode_body = std::move(decode_body);
  return encoded;
}

std::shared_ptr<ModelProvider> make_spec_provider(ProviderSpec spec,
                                                  std::shared_ptr<AuthProfileManager> auth) {
  return std::make_shared<SpecProvider>(std::move(spec), std::move(auth));
}

}  // namespace aisopod
