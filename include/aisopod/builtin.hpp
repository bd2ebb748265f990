// Registration of the providers compiled into this build. Explicit, never static initializers.
#pragma once

#include <string>
#include <vector>

#include "aisopod/auth.hpp"
#include "aisopod/config.hpp"
#include "aisopod/registry.hpp"
#include "aisopod/status.hpp"

namespace aisopod {

// The provider types compiled into this build ("openai", ...), in a fixed order.
std::vector<std::string> builtin_provider_types();

// Their option schemas, in the same order: what load_config() checks provider tables against,
// and what --help and the README's option table are written from.
const std::vector<ProviderSchema>& builtin_provider_schemas();

// Creates and registers one provider per entry of `config.providers`, and the configured
// aliases and default model. Providers whose type is not compiled into this build are not
// registered; their ids are appended to `skipped` when it is given, so that a caller can say
// why "anthropic/..." does not resolve. Error: invalid_argument when the registry refuses a
// provider (a duplicate id).
Status register_builtin_providers(ProviderRegistry& registry, const Config& config,
                                  std::vector<std::string>* skipped = nullptr,
                                  std::shared_ptr<AuthProfileManager> auth = nullptr);

// The auth profile manager for `config`: the SQLite store at config.auth.state_path when
// config.auth.state is "sqlite" and a path is set, else a memory store; the configured cooldown
// policy; every profile of every provider, in file order (secrets are read at use time).
// Errors: unavailable when the SQLite store cannot be opened.
Result<std::shared_ptr<AuthProfileManager>> make_auth_manager(const Config& config);

}  // namespace aisopod
