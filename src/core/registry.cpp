#include "aisopod/registry.hpp"

#include <mutex>

namespace aisopod {

Status ProviderRegistry::add(std::shared_ptr<ModelProvider> provider) {
  if (!provider) return Status(StatusCode::kInvalidArgument, "cannot register a null provider");
  std::string id(provider->id());
  if (id.empty()) return Status(StatusCode::kInvalidArgument, "provider id is empty");
  std::unique_lock lock(mutex_);
  auto [it, inserted] = providers_.try_emplace(id, std::move(provider));
  if (!inserted) {
    return Status(StatusCode::kInvalidArgument, "provider '" + id + "' is registered twice");
  }
  return Status();
}

std::shared_ptr<ModelProvider> ProviderRegistry::find(std::string_view id) const {
  std::shared_lock lock(mutex_);
  auto it = providers_.find(id);
  return it == providers_.end() ? nullptr : it->second;
}

std::vector<std::string> ProviderRegistry::ids() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  out.reserve(providers_.size());
  for (const auto& [id, provider] : providers_) out.push_back(id);
  return out;
}

void ProviderRegistry::set_alias(std::string alias, std::string target) {
  std::unique_lock lock(mutex_);
  models_.aliases[std::move(alias)] = std::move(target);
}

void ProviderRegistry::set_default_model(std::string spec) {
  std::unique_lock lock(mutex_);
  models_.default_model = std::move(spec);
}

Result<ResolvedModel> ProviderRegistry::resolve(std::string_view spec) const {
  std::shared_lock lock(mutex_);
  AISOPOD_ASSIGN_OR_RETURN(std::string current, expand_model_spec(models_, spec));
  const auto slash = current.find('/');
  const std::string provider_id = current.substr(0, slash);
  auto it = providers_.find(provider_id);
  if (it == providers_.end()) {
    std::string known;
    for (const auto& [id, provider] : providers_) known += (known.empty() ? "" : ", ") + id;
    return Status(StatusCode::kNotFound, "no provider '" + provider_id + "' is configured" +
                                             (known.empty() ? std::string(" (none are)")
                                                            : " (configured: " + known + ")"));
  }
  return ResolvedModel{it->second, current.substr(slash + 1)};
}

}  // namespace aisopod
