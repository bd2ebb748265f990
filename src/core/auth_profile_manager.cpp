// AuthProfileManager: round-robin over auth profiles with cooldowns kept in an AuthStateStore.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "aisopod/auth.hpp"
#include "aisopod/redact.hpp"
#include "http/retry_after.hpp"
#include "state/fingerprint.hpp"

namespace aisopod {
namespace {

using std::chrono::milliseconds;

class SystemClock final : public Clock {
 public:
  SystemTime now() const override { return std::chrono::system_clock::now(); }
};

// Sticky sessions remembered per manager; the least recently used is forgotten beyond this, so
// a caller that makes up a new session key per request cannot grow the map without bound.
constexpr size_t kMaxStickySessions = 4096;
// Fingerprints remembered per manager (secret -> fingerprint); forgotten all at once beyond
// this, which only a secret source that makes up a new secret per call would reach.
constexpr size_t kMaxFingerprints = 256;

// "2020-01-01T00:01:00Z", with ".123" when the time has milliseconds.
std::string iso_utc(SystemTime t) {
  const auto ms = std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const long millis = static_cast<long>(ms - static_cast<long long>(seconds) * 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  size_t n = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buffer, n);
  if (millis != 0) {
    const std::string digits = std::to_string(1000 + millis);  // "1123": keeps leading zeros
    out += "." + digits.substr(1);
  }
  return out + "Z";
}

// "2020-01-01T00:01:00Z", to the second.
std::string iso_utc_seconds(SystemTime t) {
  return iso_utc(std::chrono::floor<std::chrono::seconds>(t));
}

// min(cap, base * factor^(n-1)) for n >= 1, computed in floating point so a large n saturates
// at the cap instead of overflowing.
milliseconds backoff(milliseconds base, double factor, milliseconds cap, int n) {
  const double value = static_cast<double>(base.count()) * std::pow(factor, std::max(0, n - 1));
  if (!(value < static_cast<double>(cap.count()))) return cap;  // also catches inf and NaN
  return milliseconds(std::llround(std::max(0.0, value)));
}

// `message` without the secret or any piece of 8 or more bytes of it, so no key reaches the
// store even if a server echoes it back in an error message, whole or cut.
std::string scrub(std::string_view message, const std::string& secret) {
  return redact_secrets(message, {secret});
}

std::string reason_of(const Status& status, const std::string& secret) {
  std::string reason(status_code_name(status.code()));
  if (!status.message().empty()) reason += ": " + scrub(status.message(), secret);
  return reason;
}

// The code a disablement was for: disabled_reason up to its ": ".
std::string_view disabled_code(const ProfileState& state) {
  return std::string_view(state.disabled_reason).substr(0, state.disabled_reason.find(": "));
}

// The server's words in disabled_reason (after "<code>: "), or the code when it said nothing.
std::string_view disabled_message(const ProfileState& state) {
  const std::string_view reason = state.disabled_reason;
  const size_t colon = reason.find(": ");
  return colon == std::string_view::npos ? reason : reason.substr(colon + 2);
}

// The code of a disablement because the server rejected the key (401, 403), if it is one.
std::optional<StatusCode> rejection_code(const ProfileState& state) {
  const auto code = status_code_from_name(disabled_code(state));
  if (code == StatusCode::kUnauthenticated || code == StatusCode::kPermissionDenied) return code;
  return std::nullopt;
}

// Makes `state` the state of the key fingerprinted `fingerprint`: a state recorded with another
// key is forgotten (a new key starts clean); one of unknown key is adopted. An empty
// fingerprint (the store gave no salt) leaves it as it is.
void adopt_key(ProfileState& state, const std::string& fingerprint) {
  if (fingerprint.empty()) return;
  if (!state.key_fingerprint.empty() && state.key_fingerprint != fingerprint) {
    ProfileState clean;
    clean.provider = std::move(state.provider);
    clean.profile = std::move(state.profile);
    state = std::move(clean);
  }
  state.key_fingerprint = fingerprint;
}

}  // namespace

std::shared_ptr<Clock> system_clock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<SystemClock>();
  return clock;
}

struct AuthProfileManager::Impl {
  struct Profile {
    std::string name;
    std::function<Result<std::string>()> secret;
  };
  struct Provider {
    std::string id;
    std::vector<Profile> profiles;  // in the order added
    // The profile round-robin handed out last, as the store said; used alone while the store
    // fails.
    std::string cursor;
  };
  struct Sticky {
    std::string profile;
    std::uint64_t last_use = 0;
  };
  using Key = std::pair<std::string, std::string>;

  // What report() decided, for the observer (called after the lock is released).
  struct CooldownEvent {
    std::string model;  // empty: the whole profile
    SystemTime until;
  };

  Impl(std::shared_ptr<AuthStateStore> s, CooldownPolicy p, std::shared_ptr<Clock> c)
      : store(std::move(s)), policy(p), clock(c ? std::move(c) : system_clock()) {
    if (!store) store = make_memory_auth_store();
  }

  // The clock's time at the stores' precision, so what is cached equals what is stored.
  SystemTime now() const { return std::chrono::time_point_cast<milliseconds>(clock->now()); }

  Provider* find_provider(std::string_view id) {
    for (auto& p : providers) {
      if (p.id == id) return &p;
    }
    return nullptr;
  }

  void note_store_error_locked(const Status& status) {
    if (!status.ok()) last_store_error = status;
  }

  // Reloads the provider's states from the store into the cache; keeps the cache when the
  // store fails (the manager never fails a call because of its store).
  void refresh_locked(const Provider& provider) {
    auto loaded = store->load_provider(provider.id);
    if (!loaded.ok()) {
      note_store_error_locked(loaded.error());
      return;
    }
    std::map<std::string, ProfileState> by_name;
    for (auto& state : *loaded) by_name[state.profile] = std::move(state);
    for (const auto& profile : provider.profiles) {
      auto it = by_name.find(profile.name);
      ProfileState state;
      if (it != by_name.end()) {
        state = std::move(it->second);
      } else {
        // Never saved, or reset by another process.
        state.provider = provider.id;
        state.profile = profile.name;
      }
      cache[{provider.id, profile.name}] = std::move(state);
    }
  }

  const ProfileState& state_locked(const std::string& provider, const std::string& profile) {
    auto [it, inserted] = cache.try_emplace({provider, profile});
    if (inserted) {
      it->second.provider = provider;
      it->second.profile = profile;
    }
    return it->second;
  }

  // The fingerprint of `secret` under the store's salt, computed once per distinct secret;
  // empty while the store cannot give its salt.
  std::string fingerprint_locked(const std::string& secret) {
    if (!salt) {
      auto loaded = store->fingerprint_salt();
      if (!loaded.ok()) {
        note_store_error_locked(loaded.error());
        return std::string();
      }
      salt = std::move(*loaded);
    }
    if (auto it = fingerprints.find(secret); it != fingerprints.end()) return it->second;
    if (fingerprints.size() >= kMaxFingerprints) fingerprints.clear();
    std::string fingerprint = secret_fingerprint(*salt, secret);
    fingerprints.emplace(secret, fingerprint);
    return fingerprint;
  }

  // Forgets the state of (provider, profile) when it was recorded with another key than
  // `secret`, in the store and in the cache. Costs a store write only when the key changed.
  void forget_if_key_changed_locked(const std::string& provider, const std::string& profile,
                                    const std::string& secret) {
    const std::string fingerprint = fingerprint_locked(secret);
    const ProfileState& cached = state_locked(provider, profile);
    if (fingerprint.empty() || cached.key_fingerprint.empty() ||
        cached.key_fingerprint == fingerprint) {
      return;
    }
    auto updated = store->update(provider, profile,
                                 [&](ProfileState& state) { adopt_key(state, fingerprint); });
    if (updated.ok()) {
      cache[{provider, profile}] = std::move(*updated);
    } else {
      note_store_error_locked(updated.error());
      adopt_key(cache[{provider, profile}], fingerprint);
    }
  }

  // The error of acquire() when no profile can be handed out and every one of `blocked` (the
  // candidates, in round-robin order) is disabled because the server rejected its key; names
  // the latest rejection.
  std::optional<Status> rejection_error_locked(const Provider& provider,
                                               const std::vector<size_t>& blocked, SystemTime now) {
    const ProfileState* latest = nullptr;
    for (const size_t i : blocked) {
      const ProfileState& state = state_locked(provider.id, provider.profiles[i].name);
      const bool disabled = state.disabled_until && *state.disabled_until > now;
      if (!disabled || !rejection_code(state)) return std::nullopt;
      if (latest == nullptr ||
          state.last_failure.value_or(SystemTime()) > latest->last_failure.value_or(SystemTime())) {
        latest = &state;
      }
    }
    if (latest == nullptr) return std::nullopt;
    std::string message;
    if (blocked.size() > 1) {
      message = "all " + std::to_string(blocked.size()) + " profiles of provider '" + provider.id +
                "' are disabled; ";
    }
    message += "key rejected at " + iso_utc_seconds(latest->last_failure.value_or(now)) +
               " (profile '" + latest->profile + "' of provider '" + provider.id +
               "'): " + std::string(disabled_message(*latest));
    return Status(*rejection_code(*latest), std::move(message))
        .set_provider(provider.id)
        .set_profile(latest->profile);
  }

  void remember_sticky_locked(const std::string& provider, std::string_view session_key,
                              const std::string& profile) {
    sticky[{provider, std::string(session_key)}] = Sticky{profile, ++sticky_clock};
    if (sticky.size() <= kMaxStickySessions) return;
    auto oldest = std::min_element(sticky.begin(), sticky.end(), [](const auto& a, const auto& b) {
      return a.second.last_use < b.second.last_use;
    });
    sticky.erase(oldest);
  }

  // Applies `outcome` to `state` at `now`; returns the cooldown it set, if any.
  std::optional<CooldownEvent> apply(ProfileState& state, std::string_view model,
                                     const Status& outcome, const std::string& secret,
                                     SystemTime t) const {
    state.last_used = t;
    const StatusCode code = outcome.code();
    if (code != StatusCode::kOk && !rotates_credentials(code)) return std::nullopt;

    // Counts decay after `decay` in which the profile could be used and did not fail: counted
    // from the end of its last cooldown, so that a key disabled for a day does not come back
    // with a clean slate just because it could not fail while disabled.
    std::optional<SystemTime> quiet_since = state.last_failure;
    auto later = [&](SystemTime x) {
      if (!quiet_since || x > *quiet_since) quiet_since = x;
    };
    if (state.disabled_until) later(*state.disabled_until);
    for (const auto& [m, until] : state.model_cooldowns) later(until);
    const bool decayed = quiet_since && t - *quiet_since >= policy.decay;

    // Expired cooldowns are history; dropping them keeps the rows small.
    std::erase_if(state.model_cooldowns, [&](const auto& entry) { return entry.second <= t; });
    if (state.disabled_until && *state.disabled_until <= t) {
      state.disabled_until.reset();
      state.disabled_reason.clear();
    }

    if (code == StatusCode::kOk) {
      state.failure_count = 0;
      state.billing_failures = 0;
      state.disabled_until.reset();
      state.disabled_reason.clear();
      state.last_error.clear();
      state.last_error_message.clear();
      state.model_cooldowns.erase(std::string(model));
      state.model_cooldowns.erase(std::string());
      state.last_good = t;
      return std::nullopt;
    }
    if (decayed) {
      state.failure_count = 0;
      state.billing_failures = 0;
    }
    state.last_failure = t;
    const std::string code_name(status_code_name(code));
    state.last_error = code_name;
    state.last_error_message = scrub(outcome.message(), secret);
    // A Retry-After is a lower bound, but no server gets to cool a key for longer than a day.
    const milliseconds retry_after = std::clamp(outcome.retry_after().value_or(milliseconds(0)),
                                                milliseconds(0), http::kMaxRetryAfter);

    if (code == StatusCode::kRateLimited) {
      auto& until = state.model_cooldowns[std::string(model)];
      const bool already_cooling = until > t;  // a value-initialized entry is the epoch
      if (already_cooling) {
        until = std::max(until, t + retry_after);
      } else {
        ++state.failure_count;
        until = t + std::max(retry_after,
                             backoff(policy.base, policy.factor, policy.cap, state.failure_count));
      }
      return CooldownEvent{std::string(model), until};
    }

    // unauthenticated, permission_denied, billing: the whole profile.
    const std::string reason = reason_of(outcome, secret);
    const bool same_code_disabled =
        state.disabled_until && *state.disabled_until > t && disabled_code(state) == code_name;
    SystemTime until;
    if (same_code_disabled) {
      until = std::max(*state.disabled_until, t + retry_after);
    } else if (code == StatusCode::kBilling) {
      ++state.billing_failures;
      until = t + std::max(retry_after, backoff(policy.billing_base, 2.0, policy.billing_cap,
                                                state.billing_failures));
    } else {
      ++state.failure_count;
      until = t + std::max(retry_after,
                           backoff(policy.base, policy.factor, policy.cap, state.failure_count));
    }
    if (state.disabled_until && *state.disabled_until > until) until = *state.disabled_until;
    state.disabled_until = until;
    state.disabled_reason = reason;
    return CooldownEvent{std::string(), until};
  }

  std::shared_ptr<AuthStateStore> store;
  const CooldownPolicy policy;
  const std::shared_ptr<Clock> clock;

  mutable std::mutex mutex;  // guards everything below
  std::vector<Provider> providers;
  std::map<Key, ProfileState> cache;  // the last state known of each profile
  std::map<Key, Sticky> sticky;       // (provider, session key) -> profile
  std::uint64_t sticky_clock = 0;
  std::shared_ptr<Observer> observer;
  std::optional<std::string> salt;                  // the store's, once it gave it
  std::map<std::string, std::string> fingerprints;  // secret -> fingerprint under `salt`
  Status last_store_error;
};

AuthProfileManager::AuthProfileManager(std::shared_ptr<AuthStateStore> store, CooldownPolicy policy,
                                       std::shared_ptr<Clock> clock)
    : impl_(std::make_shared<Impl>(std::move(store), policy, std::move(clock))) {}

std::shared_ptr<AuthProfileManager> AuthProfileManager::single(
    std::string provider, std::function<Result<std::string>()> secret) {
  auto manager = std::make_shared<AuthProfileManager>(make_memory_auth_store());
  manager->add_profile(std::move(provider), "default", std::move(secret));
  return manager;
}

void AuthProfileManager::add_profile(std::string provider, std::string profile,
                                     std::function<Result<std::string>()> secret) {
  std::lock_guard lock(impl_->mutex);
  Impl::Provider* p = impl_->find_provider(provider);
  if (p == nullptr) {
    impl_->providers.push_back(Impl::Provider{provider, {}, {}});
    p = &impl_->providers.back();
  }
  impl_->state_locked(provider, profile);
  for (auto& existing : p->profiles) {
    if (existing.name == profile) {
      existing.secret = std::move(secret);
      return;
    }
  }
  p->profiles.push_back(Impl::Profile{std::move(profile), std::move(secret)});
}

bool AuthProfileManager::has_profiles(std::string_view provider) const {
  std::lock_guard lock(impl_->mutex);
  const Impl::Provider* p = impl_->find_provider(provider);
  return p != nullptr && !p->profiles.empty();
}

Result<AuthLease> AuthProfileManager::acquire(std::string_view provider, std::string_view model,
                                              std::string_view session_key,
                                              const std::vector<std::string>& exclude) {
  const std::string provider_id(provider);
  auto excluded = [&](const std::string& name) {
    return std::find(exclude.begin(), exclude.end(), name) != exclude.end();
  };

  // The profiles that cannot be handed out now but were recorded with a key: their secret
  // sources are asked (without the lock held) whether the key changed, so that a key fixed
  // after a 401 is used at once instead of waiting out the old key's disablement.
  std::vector<Impl::Profile> to_check;
  {
    std::lock_guard lock(impl_->mutex);
    Impl::Provider* p = impl_->find_provider(provider);
    if (p == nullptr || p->profiles.empty()) {
      return Status(StatusCode::kNotFound, "provider '" + provider_id + "' has no auth profiles")
          .set_provider(provider_id);
    }
    impl_->refresh_locked(*p);
    const SystemTime now = impl_->now();
    for (const auto& profile : p->profiles) {
      const ProfileState& state = impl_->state_locked(p->id, profile.name);
      if (!excluded(profile.name) && !state.key_fingerprint.empty() && state.ready_at(model, now) &&
          profile.secret) {
        to_check.push_back(profile);
      }
    }
  }
  for (const auto& profile : to_check) {
    // A key that cannot be read now stays as it is; it is checked again next time.
    Result<std::string> secret = profile.secret();
    if (!secret.ok()) continue;
    std::lock_guard lock(impl_->mutex);
    impl_->forget_if_key_changed_locked(provider_id, profile.name, *secret);
  }

  std::function<Result<std::string>()> secret;
  std::string recorded_fingerprint;  // of the chosen profile's state
  AuthLease lease;
  {
    std::lock_guard lock(impl_->mutex);
    Impl::Provider* p = impl_->find_provider(provider);
    const SystemTime now = impl_->now();
    const size_t n = p->profiles.size();
    auto ready_at = [&](size_t i) {
      return impl_->state_locked(p->id, p->profiles[i].name).ready_at(model, now);
    };

    std::optional<size_t> chosen;
    if (!session_key.empty()) {
      auto it = impl_->sticky.find({p->id, std::string(session_key)});
      if (it != impl_->sticky.end()) {
        for (size_t i = 0; i < n; ++i) {
          if (p->profiles[i].name == it->second.profile && !excluded(p->profiles[i].name) &&
              !ready_at(i)) {
            chosen = i;
          }
        }
      }
    }
    // Round-robin: the first usable profile after the one handed out last (by this or another
    // process sharing the store).
    std::vector<size_t> blocked;  // the candidates, none usable, in the order tried
    auto choose_after = [&](const std::string& last) {
      chosen.reset();
      blocked.clear();
      size_t start = 0;
      for (size_t i = 0; i < n; ++i) {
        if (p->profiles[i].name == last) start = i + 1;
      }
      for (size_t k = 0; k < n && !chosen; ++k) {
        const size_t i = (start + k) % n;
        if (excluded(p->profiles[i].name)) continue;
        if (ready_at(i)) {
          blocked.push_back(i);
        } else {
          chosen = i;
        }
      }
    };
    if (!chosen) {
      auto cursor = impl_->store->update_cursor(p->id, [&](std::string& last) {
        choose_after(last);
        if (chosen) last = p->profiles[*chosen].name;
      });
      if (cursor.ok()) {
        p->cursor = std::move(*cursor);
      } else {
        impl_->note_store_error_locked(cursor.error());
        choose_after(p->cursor);
        if (chosen) p->cursor = p->profiles[*chosen].name;
      }
    }
    if (!chosen) {
      if (blocked.empty()) {
        return Status(StatusCode::kUnavailable, "all " + std::to_string(n) +
                                                    " profiles of provider '" + provider_id +
                                                    "' were already tried by this call")
            .set_provider(provider_id);
      }
      if (auto rejected = impl_->rejection_error_locked(*p, blocked, now)) return *rejected;
      std::optional<std::pair<SystemTime, size_t>> earliest;
      for (const size_t i : blocked) {
        const SystemTime ready = *ready_at(i);
        if (!earliest || ready < earliest->first) earliest = std::make_pair(ready, i);
      }
      return Status(StatusCode::kRateLimited, "all " + std::to_string(blocked.size()) +
                                                  " profiles of provider '" + provider_id +
                                                  "' are cooling down; the first is ready at " +
                                                  iso_utc(earliest->first) + " (profile '" +
                                                  p->profiles[earliest->second].name + "')")
          .set_provider(provider_id)
          .set_retry_after(std::chrono::duration_cast<milliseconds>(earliest->first - now));
    }
    const Impl::Profile& profile = p->profiles[*chosen];
    if (!session_key.empty()) impl_->remember_sticky_locked(p->id, session_key, profile.name);
    secret = profile.secret;
    recorded_fingerprint = impl_->state_locked(p->id, profile.name).key_fingerprint;
    lease.provider = p->id;
    lease.profile = profile.name;
  }
  // The secret source may be slow (a token refresh); it runs without the lock.
  if (!secret) {
    return Status(StatusCode::kInternal, "auth profile '" + lease.profile + "' of provider '" +
                                             lease.provider + "' has no secret source");
  }
  Result<std::string> resolved = secret();
  if (!resolved.ok()) return resolved.error();
  lease.secret = std::move(*resolved);
  if (!recorded_fingerprint.empty()) {
    // Failure counts of an old key must not shorten the new key's first cooldown.
    std::lock_guard lock(impl_->mutex);
    impl_->forget_if_key_changed_locked(lease.provider, lease.profile, lease.secret);
  }
  return lease;
}

void AuthProfileManager::report(const AuthLease& lease, std::string_view model,
                                const Status& outcome) {
  std::optional<Impl::CooldownEvent> event;
  std::shared_ptr<Observer> observer;
  {
    std::lock_guard lock(impl_->mutex);
    const Impl::Provider* p = impl_->find_provider(lease.provider);
    if (p == nullptr || std::none_of(p->profiles.begin(), p->profiles.end(),
                                     [&](const auto& x) { return x.name == lease.profile; })) {
      return;
    }
    const SystemTime now = impl_->now();
    const std::string fingerprint = impl_->fingerprint_locked(lease.secret);
    auto updated = impl_->store->update(lease.provider, lease.profile, [&](ProfileState& state) {
      adopt_key(state, fingerprint);
      event = impl_->apply(state, model, outcome, lease.secret, now);
    });
    Impl::Key key{lease.provider, lease.profile};
    if (updated.ok()) {
      impl_->cache[key] = std::move(*updated);
    } else {
      // The store failed: keep the decision in memory so this process still honours it.
      impl_->note_store_error_locked(updated.error());
      ProfileState state = impl_->state_locked(lease.provider, lease.profile);
      adopt_key(state, fingerprint);
      event = impl_->apply(state, model, outcome, lease.secret, now);
      impl_->cache[key] = std::move(state);
    }
    observer = impl_->observer;
  }
  if (event && observer) {
    observer->on_cooldown_set(lease.provider, lease.profile, event->model, event->until, outcome);
  }
}

std::vector<ProfileState> AuthProfileManager::snapshot() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<ProfileState> out;
  for (const auto& provider : impl_->providers) {
    impl_->refresh_locked(provider);
    for (const auto& profile : provider.profiles) {
      out.push_back(impl_->state_locked(provider.id, profile.name));
    }
  }
  return out;
}

Status AuthProfileManager::reset(std::string_view profile) {
  std::lock_guard lock(impl_->mutex);
  Status status = impl_->store->reset({}, profile);
  impl_->note_store_error_locked(status);
  if (profile.empty()) {
    for (auto& provider : impl_->providers) provider.cursor.clear();
  }
  for (auto& [key, state] : impl_->cache) {
    if (profile.empty() || key.second == profile) {
      state = ProfileState();
      state.provider = key.first;
      state.profile = key.second;
    }
  }
  return status;
}

void AuthProfileManager::set_observer(std::shared_ptr<Observer> observer) {
  std::lock_guard lock(impl_->mutex);
  impl_->observer = std::move(observer);
}

Status AuthProfileManager::last_store_error() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_store_error;
}

}  // namespace aisopod
