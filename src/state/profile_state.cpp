// ProfileState helpers shared by the stores and the manager, and AuthStateStore's defaults.
#include "aisopod/auth.hpp"

namespace aisopod {

std::optional<SystemTime> ProfileState::ready_at(std::string_view model, SystemTime now) const {
  std::optional<SystemTime> until;
  auto consider = [&](SystemTime t) {
    if (t > now && (!until || t > *until)) until = t;
  };
  if (disabled_until) consider(*disabled_until);
  if (auto it = model_cooldowns.find(std::string(model)); it != model_cooldowns.end()) {
    consider(it->second);
  }
  if (!model.empty()) {
    if (auto it = model_cooldowns.find(std::string()); it != model_cooldowns.end()) {
      consider(it->second);
    }
  }
  return until;
}

Result<std::string> AuthStateStore::load_cursor(std::string_view provider) {
  return update_cursor(provider, [](std::string&) {});
}

}  // namespace aisopod
