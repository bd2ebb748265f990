// ProviderRegistry: the configured providers by id, and model-string resolution.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/config.hpp"
#include "aisopod/provider.hpp"
#include "aisopod/status.hpp"

namespace aisopod {

// A provider and the model id to ask it for.
struct ResolvedModel {
  std::shared_ptr<ModelProvider> provider;
  std::string model;
};

// Thread-safe: lookups may run concurrently with each other and with registration.
class ProviderRegistry {
 public:
  // Adds a provider under its id(). Error: invalid_argument when the id is empty or taken.
  Status add(std::shared_ptr<ModelProvider> provider);

  // The provider registered under `id`, or nullptr.
  std::shared_ptr<ModelProvider> find(std::string_view id) const;

  // Every registered id, sorted.
  std::vector<std::string> ids() const;

  // Makes `alias` ("fast") stand for `target` ("openai/gpt-4o-mini"). An alias may name another
  // alias; cycles are reported by resolve(). Replaces an earlier alias of the same name.
  void set_alias(std::string alias, std::string target);

  // The model used when resolve() is given an empty string.
  void set_default_model(std::string spec);

  // Resolves "provider/model", an alias, or "" (the default model). The model part may itself
  // contain '/' ("openrouter/meta-llama/llama-3"): only the first '/' splits. Errors:
  // invalid_argument for an empty or malformed spec, an alias cycle, or no default; not_found
  // naming the provider and the registered ids when the provider is unknown.
  Result<ResolvedModel> resolve(std::string_view spec) const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<ModelProvider>, std::less<>> providers_;
  // Aliases and the default model, resolved by expand_model_spec() (aisopod/config.hpp).
  ModelsConfig models_;
};

}  // namespace aisopod
