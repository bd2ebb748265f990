// The Anthropic provider: the Messages API (api.anthropic.com, or any server that speaks it
// behind a base-URL override). Wires the pure translators in this folder to aisopod::http.
#pragma once

#include <memory>

#include "aisopod/provider.hpp"
#include "core/http_provider.hpp"
#include "core/provider_factory.hpp"
#include "core/spec_provider.hpp"
#include "providers/anthropic/anthropic_options.hpp"

namespace aisopod::anthropic {

// The translators and the authorizer (x-api-key, or Authorization: Bearer for a profile of kind
// oauth) the core pipeline runs.
ProviderSpec provider_spec(AnthropicOptions options);

// A provider for `options.provider_id`. Each request carries anthropic-version and the secret
// from `secret` as `x-api-key: <key>` (AuthKind::kApiKey) or `Authorization: Bearer <token>`
// (AuthKind::kBearer, OAuth); an empty secret sends no credential, and a failing secret source
// fails the call before anything is sent. chat_completion posts to {base_url}/v1/messages
// (streaming, or the non-streaming endpoint answered as one chunk); list_models follows the
// pages of GET {base_url}/v1/models?limit=1000; health_check probes GET
// {base_url}/v1/models?limit=1. Thread-safe; holds no I/O resources.
std::shared_ptr<ModelProvider> make_provider(AnthropicOptions options, SecretSource secret);

// The same with the profiles `auth` holds for options.provider_id (round-robin, rotated on
// credential errors; no credential when `auth` is null or has none).
std::shared_ptr<ModelProvider> make_provider(AnthropicOptions options,
                                             std::shared_ptr<AuthProfileManager> auth);

// The factory of this folder: its option schema and how a configured table becomes a provider.
const ProviderFactory& factory();

}  // namespace aisopod::anthropic
