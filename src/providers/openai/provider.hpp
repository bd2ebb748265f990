// The OpenAI provider: OpenAI's Chat Completions API, and any server that speaks it (base-URL
// override). Wires the pure translators in this folder to aisopod::http.
#pragma once

#include <memory>
#include <string>

#include "aisopod/provider.hpp"
#include "core/http_provider.hpp"
#include "core/provider_factory.hpp"
#include "core/spec_provider.hpp"
#include "providers/openai/request_encoder.hpp"

namespace aisopod::openai {

// The translators and the authorizer (Authorization: Bearer) the core pipeline runs.
ProviderSpec provider_spec(OpenAIOptions options);

// A provider for `options.provider_id`, authenticating with `Authorization: Bearer <key>` from
// the profiles `auth` holds for that id (round-robin, rotated on credential errors; no
// credential when `auth` is null or has none). Thread-safe; holds no I/O resources.
std::shared_ptr<ModelProvider> make_provider(OpenAIOptions options,
                                             std::shared_ptr<AuthProfileManager> auth);

// The same with one key from `secret` (empty function: no credential).
std::shared_ptr<ModelProvider> make_provider(OpenAIOptions options, SecretSource secret);

// The factory of this folder: its option schema and how a configured table becomes a provider.
const ProviderFactory& factory();

}  // namespace aisopod::openai
