// The in-memory AuthStateStore: a map under a mutex.
#include <map>
#include <mutex>
#include <utility>

#include "aisopod/auth.hpp"

namespace aisopod {
namespace {

class MemoryAuthStore final : public AuthStateStore {
 public:
  Result<std::optional<ProfileState>> load(std::string_view provider,
                                           std::string_view profile) override {
    std::lock_guard lock(mutex_);
    auto it = states_.find(make_key(provider, profile));
    if (it == states_.end()) return std::optional<ProfileState>();
    return std::optional<ProfileState>(it->second);
  }

  Result<std::vector<ProfileState>> load_provider(std::string_view provider) override {
    std::lock_guard lock(mutex_);
    std::vector<ProfileState> out;
    for (auto it = states_.lower_bound(make_key(provider, "")); it != states_.end(); ++it) {
      if (it->first.first != provider) break;
      out.push_back(it->second);
    }
    return out;
  }

  Result<std::vector<ProfileState>> load_all() override {
    std::lock_guard lock(mutex_);
    std::vector<ProfileState> out;
    out.reserve(states_.size());
    for (const auto& [key, state] : states_) out.push_back(state);
    return out;
  }

  Status save(const ProfileState& state) override {
    std::lock_guard lock(mutex_);
    states_[make_key(state.provider, state.profile)] = state;
    return Status();
  }

  Result<ProfileState> update(std::string_view provider, std::string_view profile,
                              const std::function<void(ProfileState&)>& mutate) override {
    std::lock_guard lock(mutex_);
    Key key = make_key(provider, profile);
    ProfileState state;
    if (auto it = states_.find(key); it != states_.end()) {
      state = it->second;
    } else {
      state.provider = key.first;
      state.profile = key.second;
    }
    mutate(state);
    // The key is the identity of the row, whatever mutate did to the copy.
    state.provider = key.first;
    state.profile = key.second;
    states_[key] = state;
    return state;
  }

  Status reset(std::string_view provider, std::string_view profile) override {
    std::lock_guard lock(mutex_);
    for (auto it = states_.begin(); it != states_.end();) {
      const bool match = (provider.empty() || it->first.first == provider) &&
                         (profile.empty() || it->first.second == profile);
      it = match ? states_.erase(it) : std::next(it);
    }
    return Status();
  }

 private:
  using Key = std::pair<std::string, std::string>;
  static Key make_key(std::string_view provider, std::string_view profile) {
    return {std::string(provider), std::string(profile)};
  }

  std::mutex mutex_;
  std::map<Key, ProfileState> states_;
};

}  // namespace

std::shared_ptr<AuthStateStore> make_memory_auth_store() {
  return std::make_shared<MemoryAuthStore>();
}

}  // namespace aisopod
