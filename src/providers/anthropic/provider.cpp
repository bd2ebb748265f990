#include "providers/anthropic/provider.hpp"

#include <string>
#include <utility>
#include <vector>

#include "core/provider_factory.hpp"
#include "core/spec_provider.hpp"
#include "providers/anthropic/error_mapper.hpp"
#include "providers/anthropic/models_decoder.hpp"
#include "providers/anthropic/request_encoder.hpp"
#include "providers/anthropic/stream_decoder.hpp"

namespace aisopod::anthropic {
namespace {

constexpr int kModelsPageLimit = 1000;

}  // namespace

ProviderSpec provider_spec(AnthropicOptions options) {
  options.base_url = trim_base_url(options.base_url);
  const std::string id = options.provider_id;
  // x-api-key for API keys, Authorization: Bearer for OAuth tokens, as each profile says.
  ProviderSpec spec =
      base_spec(id, make_header_authorizer(id, "x-api-key"), status_from_response, options.timeout);
  spec.encode_chat = chat_encoder_with_decode_options<StreamDecoder>(
      id,
      [options](const ChatCompletionRequest& request) {
        return encode_chat_request(request, options);
      },
      decode_options_for, decode_message);
  spec.encode_models = [options](std::string_view after_id) {
    return encode_models_request(options, kModelsPageLimit, after_id);
  };
  spec.decode_models = models_page_decoder(
      id, decode_models_page, [](ModelsPage& page) { return page.has_more ? page.last_id : ""; });
  spec.encode_health = [options] { return encode_models_request(options, 1); };
  return spec;
}

std::shared_ptr<ModelProvider> make_provider(AnthropicOptions options,
                                             std::shared_ptr<AuthProfileManager> auth) {
  return make_spec_provider(provider_spec(std::move(options)), std::move(auth));
}

std::shared_ptr<ModelProvider> make_provider(AnthropicOptions options, SecretSource secret) {
  std::string id = options.provider_id;
  const SecretKind kind = options.auth == AnthropicOptions::AuthKind::kBearer
                              ? SecretKind::kBearerToken
                              : SecretKind::kApiKey;
  return make_provider(std::move(options), auth_for_secret(id, std::move(secret), kind));
}

const ProviderFactory& factory() {
  static const ProviderFactory instance{
      ProviderSchema{"anthropic",
                     "Anthropic's Messages API",
                     {{"anthropic_version",
                       OptionType::kString,
                       "2023-06-01",
                       {},
                       "sent as anthropic-version"},
                      {"anthropic_beta",
                       OptionType::kString,
                       "",
                       {},
                       "sent as anthropic-beta (comma-separated beta names)"},
                      {"prompt_caching",
                       OptionType::kBoolean,
                       "false",
                       {},
                       "marks the system prompt and the tools for Anthropic's prompt cache"}}},
      [](const ProviderConfig& config,
         std::shared_ptr<AuthProfileManager> auth) -> Result<std::shared_ptr<ModelProvider>> {
        const ProviderSchema& schema = factory().schema;
        auto options = options_from_config<AnthropicOptions>(config);
        options.anthropic_version = provider_option(config, schema, "anthropic_version");
        options.anthropic_beta = provider_option(config, schema, "anthropic_beta");
        options.prompt_caching = provider_option(config, schema, "prompt_caching") == "true";
        AISOPOD_ASSIGN_OR_RETURN(options.timeout, attempt_timeout_option(config));
        return make_provider(std::move(options), std::move(auth));
      }};
  return instance;
}

}  // namespace aisopod::anthropic
