#include "providers/openai/provider.hpp"

#include <string>
#include <utility>
#include <vector>

#include "core/provider_factory.hpp"
#include "core/spec_provider.hpp"
#include "providers/openai/error_mapper.hpp"
#include "providers/openai/models_decoder.hpp"
#include "providers/openai/stream_decoder.hpp"

namespace aisopod::openai {

ProviderSpec provider_spec(OpenAIOptions options) {
  options.base_url = trim_base_url(options.base_url);
  const std::string id = options.provider_id;
  ProviderSpec spec = base_spec(id, make_header_authorizer(id, "Authorization", "Bearer "),
                                status_from_response, options.timeout);
  spec.encode_chat =
      chat_encoder<StreamDecoder>(id, options, encode_chat_request, decode_completion);
  spec.encode_models = [options](std::string_view) { return encode_models_request(options); };
  spec.decode_models = models_list_decoder(id, decode_models);
  return spec;
}

std::shared_ptr<ModelProvider> make_provider(OpenAIOptions options,
                                             std::shared_ptr<AuthProfileManager> auth) {
  return make_spec_provider(provider_spec(std::move(options)), std::move(auth));
}

std::shared_ptr<ModelProvider> make_provider(OpenAIOptions options, SecretSource secret) {
  std::string id = options.provider_id;
  return make_provider(std::move(options), auth_for_secret(id, std::move(secret)));
}

const ProviderFactory& factory() {
  static const ProviderFactory instance{
      ProviderSchema{
          "openai",
          "OpenAI's Chat Completions API, and any server that speaks it",
          {{"organization",
            OptionType::kString,
            "",
            {"OPENAI_ORG_ID"},
            "sent as OpenAI-Organization"},
           {"project", OptionType::kString, "", {"OPENAI_PROJECT_ID"}, "sent as OpenAI-Project"}}},
      [](const ProviderConfig& config,
         std::shared_ptr<AuthProfileManager> auth) -> Result<std::shared_ptr<ModelProvider>> {
        const ProviderSchema& schema = factory().schema;
        auto options = options_from_config<OpenAIOptions>(config);
        options.organization = provider_option(config, schema, "organization");
        options.project = provider_option(config, schema, "project");
        AISOPOD_ASSIGN_OR_RETURN(options.timeout, attempt_timeout_option(config));
        return make_provider(std::move(options), std::move(auth));
      }};
  return instance;
}

}  // namespace aisopod::openai
