#include <utility>

#include "aisopod/builtin.hpp"
#include "core/provider_factory.hpp"

#if defined(AISOPOD_HAVE_OPENAI)
#include "providers/openai/provider.hpp"
#endif
#if defined(AISOPOD_HAVE_ANTHROPIC)
#include "providers/anthropic/provider.hpp"
#endif
#if defined(AISOPOD_HAVE_OLLAMA)
#include "providers/ollama/provider.hpp"
#endif

namespace aisopod {
namespace {

// The factories of the providers compiled into this build, in a fixed order. The one list of
// provider types: everything else (types, schemas, registration) is read from it.
const std::vector<const ProviderFactory*>& builtin_factories() {
  static const std::vector<const ProviderFactory*> factories = {
#if defined(AISOPOD_HAVE_OPENAI)
    &openai::factory(),
#endif
#if defined(AISOPOD_HAVE_ANTHROPIC)
    &anthropic::factory(),
#endif
#if defined(AISOPOD_HAVE_OLLAMA)
    &ollama::factory(),
#endif
  };
  return factories;
}

}  // namespace

std::vector<std::string> builtin_provider_types() {
  std::vector<std::string> types;
  for (const ProviderFactory* factory : builtin_factories()) types.push_back(factory->schema.type);
  return types;
}

const std::vector<ProviderSchema>& builtin_provider_schemas() {
  static const std::vector<ProviderSchema> schemas = [] {
    std::vector<ProviderSchema> out;
    for (const ProviderFactory* factory : builtin_factories()) out.push_back(factory->schema);
    return out;
  }();
  return schemas;
}

Result<std::shared_ptr<AuthProfileManager>> make_auth_manager(const Config& config) {
  std::shared_ptr<AuthStateStore> store;
  if (config.auth.state == "sqlite" && !config.auth.state_path.empty()) {
    Result<std::shared_ptr<AuthStateStore>> opened = open_sqlite_auth_store(config.auth.state_path);
    if (!opened.ok()) return opened.error();
    store = std::move(*opened);
  } else {
    store = make_memory_auth_store();
  }
  CooldownPolicy policy;
  policy.base = config.auth.cooldown_base;
  policy.factor = config.auth.cooldown_factor;
  policy.cap = config.auth.cooldown_cap;
  auto manager = std::make_shared<AuthProfileManager>(std::move(store), policy);
  for (const ProviderConfig& provider : config.providers) {
    for (const AuthProfileConfig& profile : provider.profiles) {
      // Read at use time, so that a key changed in the environment is picked up.
      // Each profile's kind decides its header: OAuth tokens go as bearer tokens.
      const SecretKind kind =
          profile.kind == "oauth" ? SecretKind::kBearerToken : SecretKind::kApiKey;
      manager->add_profile(
          provider.id, profile.name, [profile]() { return profile.resolve_secret(); }, kind);
    }
  }
  return manager;
}

Status register_builtin_providers(ProviderRegistry& registry, const Config& config,
                                  std::vector<std::string>* skipped,
                                  std::shared_ptr<AuthProfileManager> auth) {
  if (!auth) {
    AISOPOD_ASSIGN_OR_RETURN(auth, make_auth_manager(config));
  }
  for (const ProviderConfig& provider : config.providers) {
    const ProviderFactory* factory = nullptr;
    for (const ProviderFactory* candidate : builtin_factories()) {
      if (candidate->schema.type == provider.type) factory = candidate;
    }
    if (factory == nullptr) {
      if (skipped) skipped->push_back(provider.id);
      continue;
    }
    AISOPOD_ASSIGN_OR_RETURN(std::shared_ptr<ModelProvider> created, factory->make(provider, auth));
    AISOPOD_TRY_STATUS(registry.add(std::move(created)));
  }
  for (const auto& [alias, target] : config.models.aliases) registry.set_alias(alias, target);
  if (!config.models.default_model.empty()) registry.set_default_model(config.models.default_model);
  return Status();
}

}  // namespace aisopod
