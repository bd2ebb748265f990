#include "providers/bedrock/provider.hpp"

#include <string>
#include <utility>
#include <vector>

#include "providers/bedrock/aws_credentials.hpp"
#include "providers/bedrock/error_mapper.hpp"
#include "providers/bedrock/models_decoder.hpp"
#include "providers/bedrock/request_encoder.hpp"
#include "providers/bedrock/sigv4.hpp"
#include "providers/bedrock/stream_decoder.hpp"

namespace aisopod::bedrock {
namespace {

class SigV4Authorizer final : public Authorizer {
 public:
  SigV4Authorizer(std::string provider_id, std::string region, std::shared_ptr<Clock> clock)
      : provider_id_(std::move(provider_id)),
        region_(std::move(region)),
        clock_(clock ? std::move(clock) : system_clock()) {}

  Task<Status> authorize(http::Request& request, const Credential& credential) override {
    switch (credential.kind) {
      case Credential::Kind::kAwsKeys: {
        const AwsKeys keys{credential.access_key_id, credential.secret, credential.session_token};
        Status signed_status = sign_request(request, keys, region_, "bedrock", clock_->now());
        if (!signed_status.ok()) signed_status.set_provider(provider_id_);
        co_return signed_status;
      }
      case Credential::Kind::kApiKey:
      case Credential::Kind::kBearerToken:
        request.headers.push_back({"Authorization", "Bearer " + credential.secret});
        co_return Status();
      case Credential::Kind::kNone:
        break;
    }
    co_return Status(StatusCode::kUnauthenticated,
                     "no AWS credentials for provider '" + provider_id_ +
                         "': configure a profile, AWS_ACCESS_KEY_ID, AWS_PROFILE or "
                         "AWS_BEARER_TOKEN_BEDROCK")
        .set_provider(provider_id_);
  }

 private:
  const std::string provider_id_;
  const std::string region_;
  const std::shared_ptr<Clock> clock_;
};

}  // namespace

std::shared_ptr<Authorizer> make_sigv4_authorizer(std::string provider_id, std::string region,
                                                  std::shared_ptr<Clock> clock) {
  return std::make_shared<SigV4Authorizer>(std::move(provider_id), std::move(region),
                                           std::move(clock));
}

ProviderSpec provider_spec(BedrockOptions options, std::string control_plane,
                           std::shared_ptr<Clock> clock) {
  options.base_url = trim_base_url(options.base_url);
  control_plane = trim_base_url(control_plane);
  const std::string id = options.provider_id;
  ProviderSpec spec = base_spec(id, make_sigv4_authorizer(id, options.region, std::move(clock)),
                                status_from_response, options.timeout);
  spec.encode_chat = chat_encoder_with_decode_options<StreamDecoder>(
      id,
      [options](const ChatCompletionRequest& request) {
        return encode_chat_request(request, options);
      },
      decode_options_for, decode_response);
  spec.encode_models = [control_plane](std::string_view cursor) {
    return encode_models_request(control_plane, cursor);
  };
  spec.decode_models = [id](std::string_view body) { return decode_models_page(body, id); };
  spec.encode_health = [control_plane]() -> Result<http::Request> {
    AISOPOD_ASSIGN_OR_RETURN(http::Request request,
                             encode_models_request(control_plane, kProfilesCursor));
    request.url = control_plane + "/inference-profiles?maxResults=1";
    return request;
  };
  return spec;
}

Result<std::shared_ptr<ModelProvider>> make_provider(BedrockOptions options,
                                                     std::string control_plane,
                                                     std::shared_ptr<AuthProfileManager> auth) {
  AISOPOD_ASSIGN_OR_RETURN(std::string runtime, runtime_base_url(options));
  options.base_url = std::move(runtime);
  if (control_plane.empty()) {
    AISOPOD_ASSIGN_OR_RETURN(control_plane, control_plane_url(options.region));
  }
  return make_spec_provider(provider_spec(std::move(options), std::move(control_plane)),
                            std::move(auth));
}

const ProviderFactory& factory() {
  static const ProviderFactory instance{
      ProviderSchema{
          "bedrock",
          "AWS Bedrock Runtime (Converse), SigV4 over the AWS credential chain or an API key",
          {{"region",
            OptionType::kRegion,
            "",
            {"AWS_REGION", "AWS_DEFAULT_REGION"},
            "the AWS region (else the AWS profile's region)"},
           {"aws_profile",
            OptionType::kString,
            "",
            {"AWS_PROFILE"},
            "the profile of the shared AWS files for the credential chain"},
           {"control_plane_url",
            OptionType::kString,
            "",
            {"AWS_ENDPOINT_URL_BEDROCK"},
            "where models are listed (default https://bedrock.{region}.amazonaws.com)"}},
          {{"aws", {}}}},
      [](const ProviderConfig& config,
         std::shared_ptr<AuthProfileManager> auth) -> Result<std::shared_ptr<ModelProvider>> {
        const ProviderSchema& schema = factory().schema;
        BedrockOptions options;
        options.provider_id = config.id;
        options.base_url = config.base_url;
        options.region =
            resolve_aws_region(process_env(), provider_option(config, schema, "region"),
                               provider_option(config, schema, "aws_profile"));
        if (options.region.empty()) {
          return Status(StatusCode::kInvalidArgument,
                        "provider '" + config.id +
                            "' needs an AWS region: set region in its table, AWS_REGION, or a "
                            "region in the AWS profile");
        }
        AISOPOD_ASSIGN_OR_RETURN(options.timeout, attempt_timeout_option(config));
        return make_provider(std::move(options),
                             provider_option(config, schema, "control_plane_url"), std::move(auth));
      },
      // kind = "aws": the keys written in the file.
      [](const AuthProfileConfig& profile) -> Result<std::shared_ptr<CredentialSource>> {
        return make_static_credential_source(Credential::aws_keys(
            profile.aws_access_key_id, profile.aws_secret_access_key, profile.aws_session_token));
      },
      // No profile: the AWS credential chain.
      [](const ProviderConfig& config) -> Result<std::shared_ptr<CredentialSource>> {
        const ProviderSchema& schema = factory().schema;
        AwsChainOptions chain;
        chain.env = process_env();
        chain.profile = provider_option(config, schema, "aws_profile");
        chain.region = provider_option(config, schema, "region");
        return make_aws_chain_source(std::move(chain));
      }};
  return instance;
}

}  // namespace aisopod::bedrock
