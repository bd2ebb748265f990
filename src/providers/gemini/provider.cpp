#include "providers/gemini/provider.hpp"

#include <string>
#include <utility>
#include <vector>

#include "providers/gemini/error_mapper.hpp"
#include "providers/gemini/google_auth.hpp"
#include "providers/gemini/models_decoder.hpp"
#include "providers/gemini/request_encoder.hpp"
#include "providers/gemini/stream_decoder.hpp"

namespace aisopod::gemini {
namespace {

constexpr int kModelsPageSize = 1000;

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

}  // namespace

ProviderSpec provider_spec(GeminiOptions options) {
  options.base_url = trim_base_url(options.base_url);
  const std::string id = options.provider_id;
  ProviderSpec spec = base_spec(id, make_header_authorizer(id, "x-goog-api-key"),
                                status_from_response, options.timeout);
  spec.encode_chat = [options, id](const ChatCompletionRequest& request) {
    return encoded_chat(
        encode_chat_request(request, options),
        [id] { return make_chunk_decoder(StreamDecoder(id)); },
        [id](std::string_view body) { return decode_response(body, id); });
  };
  spec.encode_models = [options](std::string_view page_token) {
    return encode_models_request(options, kModelsPageSize, page_token);
  };
  spec.decode_models = models_page_decoder(
      id, decode_models_page, [](ModelsPage& page) { return std::move(page.next_page_token); });
  spec.encode_health = [options] { return encode_models_request(options, 1); };
  return spec;
}

std::shared_ptr<ModelProvider> make_provider(GeminiOptions options,
                                             std::shared_ptr<AuthProfileManager> auth) {
  return make_spec_provider(provider_spec(std::move(options)), std::move(auth));
}

std::shared_ptr<ModelProvider> make_provider(GeminiOptions options, SecretSource secret) {
  std::shared_ptr<AuthProfileManager> auth = secret_auth(options, std::move(secret));
  return make_provider(std::move(options), std::move(auth));
}

Result<std::vector<SafetySetting>> parse_safety_settings(std::string_view text) {
  std::vector<SafetySetting> settings;
  while (!trim(text).empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view entry = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const std::size_t equals = entry.find('=');
    const std::string_view category =
        trim(equals == std::string_view::npos ? entry : entry.substr(0, equals));
    const std::string_view threshold =
        equals == std::string_view::npos ? std::string_view() : trim(entry.substr(equals + 1));
    if (category.empty() || threshold.empty()) {
      return Status(
          StatusCode::kInvalidArgument,
          "safety_settings: expected CATEGORY=THRESHOLD, got '" + std::string(entry) + "'");
    }
    settings.push_back({std::string(category), std::string(threshold)});
  }
  return settings;
}

const ProviderFactory& factory() {
  static const ProviderFactory instance{
      ProviderSchema{
          "gemini",
          "Google's Gemini API, or Vertex AI with project and location",
          {{"api_version", OptionType::kString, "v1beta", {}, "the Gemini API version in the path"},
           {"project",
            OptionType::kString,
            "",
            {},
            "Vertex AI: the Google Cloud project (with location)"},
           {"location",
            OptionType::kString,
            "",
            {},
            "Vertex AI: the region (\"us-central1\", \"global\")"},
           {"safety_settings",
            OptionType::kString,
            "",
            {},
            "CATEGORY=THRESHOLD pairs, comma-separated, sent as safetySettings"}},
          {{"google_service_account", {"credentials_file"}}, {"google_adc", {}}}},
      [](const ProviderConfig& config,
         std::shared_ptr<AuthProfileManager> auth) -> Result<std::shared_ptr<ModelProvider>> {
        const ProviderSchema& schema = factory().schema;
        GeminiOptions options = options_from_config<GeminiOptions>(config);
        options.api_version = provider_option(config, schema, "api_version");
        options.project = provider_option(config, schema, "project");
        options.location = provider_option(config, schema, "location");
        Result<std::vector<SafetySetting>> safety =
            parse_safety_settings(provider_option(config, schema, "safety_settings"));
        if (!safety.ok()) {
          return Status(StatusCode::kInvalidArgument,
                        "provider '" + config.id + "' " + safety.error().message());
        }
        options.safety_settings = std::move(*safety);
        if (options.project.empty() != options.location.empty()) {
          return Status(
              StatusCode::kInvalidArgument,
              "provider '" + config.id + "': Vertex AI needs both 'project' and 'location'");
        }
        AISOPOD_ASSIGN_OR_RETURN(options.timeout, attempt_timeout_option(config));
        return make_provider(std::move(options), std::move(auth));
      },
      [](const AuthProfileConfig& profile) -> Result<std::shared_ptr<CredentialSource>> {
        if (profile.kind == "google_service_account") {
          return make_service_account_source(profile.fields.at("credentials_file"));
        }
        return make_adc_source(process_env());
      }};
  return instance;
}

}  // namespace aisopod::gemini
