// The Bedrock provider: the Bedrock Runtime's Converse / ConverseStream APIs, signed with SigV4
// (or a Bedrock API key as a bearer token), run by the core pipeline from the translators in this
// folder.
#pragma once

#include <memory>
#include <string>

#include "aisopod/auth.hpp"
#include "aisopod/provider.hpp"
#include "core/http_provider.hpp"
#include "core/provider_factory.hpp"
#include "core/spec_provider.hpp"
#include "providers/bedrock/bedrock_options.hpp"

namespace aisopod::bedrock {

// Signs each request for `region` and service "bedrock": AWS keys with SigV4 (the session token
// signed as X-Amz-Security-Token), a Bedrock API key or bearer token as `Authorization: Bearer`
// (AWS_BEARER_TOKEN_BEDROCK). No credential: unauthenticated "no AWS credentials for provider
// '<id>': configure a profile, AWS_ACCESS_KEY_ID, AWS_PROFILE or AWS_BEARER_TOKEN_BEDROCK".
// `clock` dates the signatures.
std::shared_ptr<Authorizer> make_sigv4_authorizer(std::string provider_id, std::string region,
                                                  std::shared_ptr<Clock> clock = system_clock());

// The translators and the SigV4 authorizer the core pipeline runs. chat_completion posts to
// {runtime}/model/{id}/converse-stream (or /converse, answered as one chunk); list_models lists
// the foundation models that answer in text, then the active inference profiles, from
// options.control_plane_url (default https://bedrock.{region}.amazonaws.com); health_check
// probes GET {control}/inference-profiles?maxResults=1.
ProviderSpec provider_spec(BedrockOptions options, std::string control_plane_url,
                           std::shared_ptr<Clock> clock = system_clock());

// A provider for options.provider_id with the profiles `auth` holds for it (AWS keys or Bedrock
// API keys; see make_sigv4_authorizer). `control_plane_url` "" means the region's. Errors:
// invalid_argument for a missing or malformed region.
Result<std::shared_ptr<ModelProvider>> make_provider(BedrockOptions options,
                                                     std::string control_plane_url,
                                                     std::shared_ptr<AuthProfileManager> auth);

// The factory of this folder: its option schema, how a configured table becomes a provider, and
// the credential sources of its profiles (kind aws: the keys in the file; no profile: the AWS
// credential chain).
const ProviderFactory& factory();

}  // namespace aisopod::bedrock
