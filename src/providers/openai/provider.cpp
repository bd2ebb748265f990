#include "providers/openai/provider.hpp"

#include <string>
#include <utility>
#include <vector>

#include "core/spec_provider.hpp"
#include "providers/openai/error_mapper.hpp"
#include "providers/openai/models_decoder.hpp"
#include "providers/openai/stream_decoder.hpp"

namespace aisopod::openai {

ProviderSpec provider_spec(OpenAIOptions options) {
  options.base_url = trim_base_url(options.base_url);
  const std::string id = options.provider_id;
  ProviderSpec spec;
  spec.provider_id = id;
  spec.authorizer = make_header_authorizer(id, "Authorization", "Bearer ");
  spec.map_error = [id](int status, const http::Headers& headers, std::string_view body) {
    return status_from_response(status, headers, body, id);
  };
  spec.attempt_timeout = options.timeout;
  spec.encode_chat =
      [options, id](const ChatCompletionRequest& request) -> Result<ProviderSpec::EncodedChat> {
    AISOPOD_ASSIGN_OR_RETURN(http::Request http_request, encode_chat_request(request, options));
    ProviderSpec::EncodedChat encoded;
    encoded.request = std::move(http_request);
    encoded.make_decoder = [id] { return make_chunk_decoder(StreamDecoder(id)); };
    encoded.decode_body =
        one_chunk_body([id](std::string_view body) { return decode_completion(body, id); });
    return encoded;
  };
  spec.encode_models = [options](std::string_view) { return encode_models_request(options); };
  spec.decode_models = [id](std::string_view body) -> Result<ModelsPageResult> {
    AISOPOD_ASSIGN_OR_RETURN(std::vector<ModelInfo> models, decode_models(body, id));
    return ModelsPageResult{std::move(models), {}};
  };
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

}  // namespace aisopod::openai
