// Runtime: the composition root of aisopod. From a configuration it builds, once, everything a
// program needs to make calls: the auth state store and the AuthProfileManager over it, one
// provider per configured entry in a ProviderRegistry, the failover chains of [models]
// fallbacks, and the secrets to keep out of every line a program prints. The Client facade, the
// aisopod command and (later) the gateway all start here, so they behave alike.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/auth.hpp"
#include "aisopod/config.hpp"
#include "aisopod/failover.hpp"
#include "aisopod/provider.hpp"
#include "aisopod/redact.hpp"
#include "aisopod/registry.hpp"
#include "aisopod/status.hpp"

namespace aisopod {

// A base URL and a key variable given for one provider outside the configuration file (the
// command line's --base-url and --api-key-env).
struct ProviderOverride {
  // The provider they apply to: a provider id ("local"), or a model spec ("local/llama3", an
  // alias, or "" for the default model) when `target_is_model_spec`. A provider that is not
  // configured is added: of its own type for the built-in names, else OpenAI-compatible.
  std::string target;
  bool target_is_model_spec = false;
  // Replaces the provider's base URL when not empty (a trailing '/' is ignored).
  std::string base_url;
  // Replaces the provider's profiles with one, named "cli", whose key is read from this
  // environment variable, when not empty.
  std::string api_key_env;
};

struct RuntimeOptions {
  // The configuration file; unset searches the usual places (see aisopod/config.hpp).
  std::optional<std::string> config_path;
  std::optional<ProviderOverride> override;
  // Replace an auth state database that is corrupt with a fresh one before opening it
  // (`aisopod profiles reset`). A locked or newer database is never touched.
  bool recreate_corrupt_state = false;
};

// Everything built from one configuration. Immutable after creation except through the
// thread-safe objects it hands out (registry lookups, the auth manager); share it freely.
class Runtime {
 public:
  // Loads the configuration (file or environment) and builds the runtime.
  // Errors: invalid_argument for a bad configuration or override (with file, line and key);
  // unavailable when the auth state database cannot be used (the message names the file and
  // what to do about it); the registry's errors.
  static Result<std::shared_ptr<Runtime>> load(const RuntimeOptions& options = {});

  // Builds the runtime from a configuration already loaded (options.config_path is not used).
  static Result<std::shared_ptr<Runtime>> create(Config config, const RuntimeOptions& options = {});

  const Config& config() const { return config_; }
  const ProviderRegistry& registry() const { return registry_; }
  const std::shared_ptr<AuthProfileManager>& auth() const { return auth_; }
  // Every secret the configuration can produce (resolved when the runtime was built), for
  // redacting output. Never null.
  const std::shared_ptr<const SecretMatcher>& secrets() const { return secrets_; }

  // The provider registered under `id`. Errors: not_found naming the configured ids;
  // invalid_argument when the provider is configured but its type is not compiled into this
  // build.
  Result<std::shared_ptr<ModelProvider>> provider(std::string_view id) const;

  // What serves a chat call for `spec` ("provider/model", an alias, "" for the default model):
  // a FailoverProvider over the model and its configured fallbacks, and the model id to put in
  // the request. Errors: as provider() and ProviderRegistry::resolve().
  struct ChatTarget {
    std::shared_ptr<ModelProvider> provider;
    std::string model;
  };
  Result<ChatTarget> chat_target(std::string_view spec, FailoverOptions failover = {}) const;

 private:
  Runtime() = default;
  Status explain(Status status, std::string_view spec) const;

  Config config_;
  ProviderRegistry registry_;
  std::shared_ptr<AuthProfileManager> auth_;
  std::shared_ptr<const SecretMatcher> secrets_;
  // Configured providers whose type is not compiled into this build.
  std::vector<std::string> skipped_;
};

}  // namespace aisopod
