#include <utility>

#include "aisopod/builtin.hpp"
#include "core/provider_factory.hpp"

#if defined(AISOPOD_HAVE_OPENAI)
#include "providers/openai/provider.hpp"
#endif
#if defined(AISOPOD_HAVE_ANTHROPIC)
#include "providers/anthropic/provider.hpp"
#endif
#if defined(AISOPOD_HAVE_GEMINI)
#include "providers/gemini/provider.hpp"
#endif
#if defined(AISOPOD_HAVE_BEDROCK)
#include "providers/bedrock/provider.hpp"
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
#if defined(AISOPOD_HAVE_GEMINI)
    &gemini::factory(),
#endif
#if defined(AISOPOD_HAVE_BEDROCK)
    &bedrock::factory(),
#endif
#if defined(AISOPOD_HAVE_OLLAMA)
    &ollama::factory(),
#endif
  };
  return factories;
}

const ProviderFactory* find_factory(std::string_view type) {
  for (const ProviderFactory* factory : builtin_factories()) {
    if (factory->schema.type == type) return factory;
  }
  return nullptr;
}

// A profile whose credential could not be set up (a missing credentials file): every call that
// picks it fails with that error.
class FailedCredentialSource final : public CredentialSource {
 public:
  explicit FailedCredentialSource(Status error) : error_(std::move(error)) {}
  boost::asio::awaitable<Result<Credential>> get() override { co_return error_; }
  Result<std::string> identity() override { return error_; }

 private:
  const Status error_;
};

std::shared_ptr<CredentialSource> make_failed_credential_source(Status error) {
  return std::make_shared<FailedCredentialSource>(std::move(error));
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
    const ProviderFactory* factory = find_factory(provider.type);
    if (provider.profiles.empty() && factory != nullptr && factory->default_credential_source) {
      Result<std::shared_ptr<CredentialSource>> source =
          factory->default_credential_source(provider);
      manager->add_profile(
          provider.id, "default",
          source.ok() ? std::move(*source)
                      : make_failed_credential_source(
                            Status(source.error().code(),
                                   "provider '" + provider.id + "': " + source.error().message())));
    }
    for (const AuthProfileConfig& profile : provider.profiles) {
      if (factory != nullptr && factory->make_credential_source && profile.kind != "api_key" &&
          profile.kind != "oauth") {
        Result<std::shared_ptr<CredentialSource>> source = factory->make_credential_source(profile);
        manager->add_profile(
            provider.id, profile.name,
            source.ok()
                ? std::move(*source)
                : make_failed_credential_source(Status(
                      source.error().code(), "profile '" + profile.name + "' of provider '" +
                                                 provider.id + "': " + source.error().message())));
        continue;
      }
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
    const ProviderFactory* factory = find_factory(provider.type);
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
