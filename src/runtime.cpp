#include "aisopod/runtime.hpp"

#include <algorithm>
#include <utility>

#include "aisopod/builtin.hpp"

namespace aisopod {
namespace {

// The provider id an override names: its target itself, or the provider part of a model spec.
Result<std::string> override_target(const Config& config, const ProviderOverride& override) {
  if (!override.target_is_model_spec) {
    if (override.target.empty()) {
      return Status(StatusCode::kInvalidArgument,
                    "--base-url and --api-key-env need a provider id (\"aisopod models local "
                    "--base-url URL\")");
    }
    return override.target;
  }
  Result<std::string> spec = expand_model_spec(config.models, override.target);
  if (!spec.ok()) {
    return Status(StatusCode::kInvalidArgument,
                  "--base-url and --api-key-env need -m provider/model: " + spec.error().message());
  }
  return spec->substr(0, spec->find('/'));
}

void apply_override(Config& config, const std::string& id, const ProviderOverride& override) {
  ProviderConfig* target = nullptr;
  for (ProviderConfig& provider : config.providers) {
    if (provider.id == id) target = &provider;
  }
  if (!target) {
    ProviderConfig added;
    added.id = id;
    const std::vector<std::string> types = builtin_provider_types();
    const bool builtin = std::find(types.begin(), types.end(), id) != types.end();
    // An unknown id with a base URL is taken for an OpenAI-compatible server.
    added.type = builtin ? id : "openai";
    config.providers.push_back(std::move(added));
    target = &config.providers.back();
  }
  if (!override.base_url.empty()) {
    std::string url = override.base_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    target->base_url = url;
  }
  if (!override.api_key_env.empty()) {
    AuthProfileConfig profile;
    profile.name = "cli";
    profile.api_key_env = override.api_key_env;
    profile.source = "--api-key-env " + override.api_key_env;
    target->profiles.assign(1, std::move(profile));
  }
}

std::vector<std::string> collect_secrets(const Config& config) {
  std::vector<std::string> secrets;
  for (const ProviderConfig& provider : config.providers) {
    for (const AuthProfileConfig& profile : provider.profiles) {
      Result<std::string> secret = profile.resolve_secret();
      if (secret.ok() && !secret->empty()) secrets.push_back(*secret);
    }
  }
  return secrets;
}

}  // namespace

Result<std::shared_ptr<Runtime>> Runtime::load(const RuntimeOptions& options) {
  AISOPOD_ASSIGN_OR_RETURN(
      Config config, load_config(options.config_path, process_env(), builtin_provider_schemas()));
  return create(std::move(config), options);
}

Result<std::shared_ptr<Runtime>> Runtime::create(Config config, const RuntimeOptions& options) {
  std::shared_ptr<Runtime> runtime(new Runtime());
  if (options.override) {
    AISOPOD_ASSIGN_OR_RETURN(std::string id, override_target(config, *options.override));
    apply_override(config, id, *options.override);
  }
  runtime->config_ = std::move(config);
  runtime->secrets_ = std::make_shared<SecretMatcher>(collect_secrets(runtime->config_));
  const AuthConfig& auth = runtime->config_.auth;
  if (options.recreate_corrupt_state && auth.state == "sqlite" && !auth.state_path.empty()) {
    AISOPOD_TRY_STATUS(recreate_sqlite_auth_store(auth.state_path));
  }
  AISOPOD_ASSIGN_OR_RETURN(runtime->auth_, make_auth_manager(runtime->config_));
  AISOPOD_TRY_STATUS(register_builtin_providers(runtime->registry_, runtime->config_,
                                                &runtime->skipped_, runtime->auth_));
  return runtime;
}

Status Runtime::explain(Status status, std::string_view spec) const {
  const std::string id(spec.substr(0, spec.find('/')));
  if (std::find(skipped_.begin(), skipped_.end(), id) == skipped_.end()) return status;
  const ProviderConfig* provider = config_.find_provider(id);
  return Status(StatusCode::kInvalidArgument, "provider '" + id + "' (type " +
                                                  (provider ? provider->type : id) +
                                                  ") is not available in this build of aisopod");
}

Result<std::shared_ptr<ModelProvider>> Runtime::provider(std::string_view id) const {
  if (std::shared_ptr<ModelProvider> found = registry_.find(id)) return found;
  std::string known;
  for (const std::string& each : registry_.ids()) known += (known.empty() ? "" : ", ") + each;
  return explain(
      Status(StatusCode::kNotFound,
             "no provider '" + std::string(id) + "' is configured" +
                 (known.empty() ? std::string(" (none are)") : " (configured: " + known + ")")),
      id);
}

Result<Runtime::ChatTarget> Runtime::chat_target(std::string_view spec,
                                                 FailoverOptions failover) const {
  Result<ResolvedModel> resolved = registry_.resolve(spec);
  if (!resolved.ok()) {
    Result<std::string> expanded = expand_model_spec(config_.models, spec);
    return explain(resolved.error(), expanded.ok() ? std::string_view(*expanded) : spec);
  }
  Result<std::shared_ptr<ModelProvider>> chain = make_failover_for(
      registry_, spec.empty() ? std::string_view(config_.models.default_model) : spec,
      config_.models.fallbacks, std::move(failover));
  if (!chain.ok()) return chain.error();
  return ChatTarget{std::move(*chain), resolved->model};
}

}  // namespace aisopod
