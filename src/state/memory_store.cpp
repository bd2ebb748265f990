// The in-memory AuthStateStore: maps under a mutex.
#include <map>
#include <mutex>
#include <random>
#include <utility>

#include "aisopod/auth.hpp"
#include "state/fingerprint.hpp"

namespace aisopod {
namespace {

// RAND_bytes, or, should OpenSSL have no entropy, std::random_device (the kernel's generator
// too), since this store never fails.
std::string make_salt() {
  Result<std::string> salt = random_fingerprint_salt();
  if (salt.ok()) return std::move(*salt);
  std::random_device device;
  std::string fallback;
  while (fallback.size() < kFingerprintSaltBytes) {
    const unsigned value = device();
    for (int i = 0; i < 4 && fallback.size() < kFingerprintSaltBytes; ++i) {
      fallback += static_cast<char>((value >> (8 * i)) & 0xff);
    }
  }
  return fallback;
}

class MemoryAuthStore final : public AuthStateStore {
 public:
  MemoryAuthStore() : salt_(make_salt()) {}

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
    if (profile.empty()) {
      for (auto it = cursors_.begin(); it != cursors_.end();) {
        it = provider.empty() || it->first == provider ? cursors_.erase(it) : std::next(it);
      }
    }
    return Status();
  }

  Result<std::string> update_cursor(std::string_view provider,
                                    const std::function<void(std::string&)>& advance) override {
    std::lock_guard lock(mutex_);
    std::string& cursor = cursors_[std::string(provider)];
    advance(cursor);
    return cursor;
  }

  Result<std::string> load_cursor(std::string_view provider) override {
    std::lock_guard lock(mutex_);
    auto it = cursors_.find(provider);
    return it == cursors_.end() ? std::string() : it->second;
  }

  Result<std::string> fingerprint_salt() override { return salt_; }

 private:
  using Key = std::pair<std::string, std::string>;
  static Key make_key(std::string_view provider, std::string_view profile) {
    return {std::string(provider), std::string(profile)};
  }

  const std::string salt_;
  std::mutex mutex_;  // guards the maps
  std::map<Key, ProfileState> states_;
  std::map<std::string, std::string, std::less<>> cursors_;  // provider -> last profile
};

}  // namespace

std::shared_ptr<AuthStateStore> make_memory_auth_store() {
  return std::make_shared<MemoryAuthStore>();
}

}  // namespace aisopod
