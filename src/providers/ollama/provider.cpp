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

OllamaOptions trimmed(OllamaOptions options) {
  options.base_url = trim_base_url(options.base_url);
  return options;
}

}  // namespace

ProviderSpec provider_spec(OllamaOptions options) {
  options = trimmed(std::move(options));
  const std::string id = options.provider_id;
  ProviderSpec spec = base_spec(id, make_header_authorizer(id, "Authorization", "Bearer "),
                                status_from_response, options.timeout);
  // A mapped HTTP error always carries its status; without one the server was not reached.
  spec.map_send_error = [base_url = options.base_url, id](Status error) {
    return status_from_transport_error(std::move(error), base_url, id);
  };
  spec.encode_chat =
      chat_encoder<StreamDecoder>(id, options, encode_chat_request, decode_chat_response);
  spec.encode_models = [options](std::string_view) { return encode_tags_request(options); };
  spec.decode_models = models_list_decoder(id, decode_models);
  spec.encode_health = [options] { return encode_version_request(options); };
  spec.decode_health = [id](std::string_view body) { return decode_version(body, id); };
  return spec;
}

OllamaProvider::OllamaProvider(OllamaOptions options, std::shared_ptr<AuthProfileManager> auth)
    : SpecProvider(provider_spec(options), std::move(auth)),
      options_(trimmed(std::move(options))) {}

Task<Result<PullStream>> OllamaProvider::start_pull_model(std::string name, CallOptions options) {
  AISOPOD_CO_ASSIGN_OR_RETURN(http::Request request, encode_pull_request(name, options_));
  request.timeouts.idle = kPullIdleTimeout;
  // A pull is started once: a server that is not running is said at once, not retried.
  options.max_retries = 0;
  AISOPOD_CO_ASSIGN_OR_RETURN(
      http::Response response,
      co_await run_request_call(request_call(std::move(request)), auth(), options));
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

const ProviderFactory& factory() {
  static const ProviderFactory instance{
      ProviderSchema{"ollama",
                     "an Ollama server's native API (chat, models, pull)",
                     {{"keep_alive",
                       OptionType::kStringOrInteger,
                       "",
                       {},
                       "how long the server keeps the model loaded (\"5m\", seconds, -1 for "
                       "ever)"}}},
      [](const ProviderConfig& config,
         std::shared_ptr<AuthProfileManager> auth) -> Result<std::shared_ptr<ModelProvider>> {
        const ProviderSchema& schema = factory().schema;
        auto options = options_from_config<OllamaOptions>(config);
        options.keep_alive = provider_option(config, schema, "keep_alive");
        AISOPOD_ASSIGN_OR_RETURN(options.timeout, attempt_timeout_option(config));
        return std::shared_ptr<ModelProvider>(make_provider(std::move(options), std::move(auth)));
      }};
  return instance;
}

}  // namespace aisopod::ollama
