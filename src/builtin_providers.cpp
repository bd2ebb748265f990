#include <utility>

#include "aisopod/builtin.hpp"

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

std::string option_or(const ProviderConfig& provider, const std::string& key,
                      std::string fallback) {
  auto it = provider.options.find(key);
  return it == provider.options.end() ? std::move(fallback) : it->second;
}

}  // namespace

std::vector<std::string> builtin_provider_types() {
  std::vector<std::string> types;
#if defined(AISOPOD_HAVE_OPENAI)
  types.emplace_back("openai");
#endif
#if defined(AISOPOD_HAVE_ANTHROPIC)
  types.emplace_back("anthropic");
#endif
#if defined(AISOPOD_HAVE_OLLAMA)
  types.emplace_back("ollama");
#endif
  return types;
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
    std::shared_ptr<ModelProvider> created;
    // Every type: `timeout`, each chat attempt's total deadline (zero: none).
    std::optional<std::chrono::milliseconds> timeout;
    if (auto it = provider.options.find("timeout"); it != provider.options.end()) {
      Result<std::chrono::milliseconds> parsed = parse_duration(it->second);
      if (!parsed.ok()) {
        return Status(parsed.error().code(),
                      "provider '" + provider.id + "' timeout: " + parsed.error().message());
      }
      if (parsed->count() > 0) timeout = *parsed;
    }
#if defined(AISOPOD_HAVE_OPENAI)
    if (provider.type == "openai") {
      openai::OpenAIOptions options;
      options.provider_id = provider.id;
      if (!provider.base_url.empty()) options.base_url = provider.base_url;
      options.organization = option_or(provider, "organization", "");
      options.project = option_or(provider, "project", "");
      options.timeout = timeout;
      created = openai::make_provider(std::move(options), auth);
    }
#endif
#if defined(AISOPOD_HAVE_ANTHROPIC)
    if (provider.type == "anthropic") {
      anthropic::AnthropicOptions options;
      options.provider_id = provider.id;
      if (!provider.base_url.empty()) options.base_url = provider.base_url;
      options.anthropic_version = option_or(provider, "anthropic_version", "2023-06-01");
      options.timeout = timeout;
      created = anthropic::make_provider(std::move(options), auth);
    }
#endif
#if defined(AISOPOD_HAVE_OLLAMA)
    if (provider.type == "ollama") {
      ollama::OllamaOptions options;
      options.provider_id = provider.id;
      if (!provider.base_url.empty()) options.base_url = provider.base_url;
      options.keep_alive = option_or(provider, "keep_alive", "");
      options.timeout = timeout;
      created = ollama::make_provider(std::move(options), auth);
    }
#endif
    if (!created) {
      if (skipped) skipped->push_back(provider.id);
      continue;
    }
    AISOPOD_TRY_STATUS(registry.add(std::move(created)));
  }
  for (const auto& [alias, target] : config.models.aliases) registry.set_alias(alias, target);
  if (!config.models.default_model.empty()) registry.set_default_model(config.models.default_model);
  return Status();
}

}  // namespace aisopod
