// AuthProfileManager: round-robin over auth profiles with cooldowns kept in an AuthStateStore.
// Decisions are made in memory under one mutex; a store thread per manager writes them to the
// store behind the callers and reads back what other processes wrote (see auth.hpp).
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include "aisopod/auth.hpp"
#include "aisopod/credential.hpp"
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
// How often the store thread reads every provider's state again, to learn what other processes
// wrote: a cooldown set elsewhere is honoured here this much after it was written, at most.
constexpr std::chrono::milliseconds kRereadInterval{250};
// How long the store thread lets changes gather before it writes them: requests that come
// meanwhile neither wake it (a system call each) nor contend with it for the mutex.
constexpr std::chrono::milliseconds kWriteDelay{5};
// How long the first acquire() or snapshot() that needs a provider waits for its first read.
constexpr std::chrono::milliseconds kFirstReadWait{1000};
// Changes kept for the store while it fails; the oldest are dropped beyond this.
constexpr size_t kMaxPendingChanges = 10'000;
// How far back push_change_locked looks for a queued change of the same profile to replace.
constexpr size_t kCoalesceWindow = 8;

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

// What report() was told, the secret already removed from the message.
struct Outcome {
  StatusCode code = StatusCode::kOk;
  std::string message;  // scrubbed; empty unless `code` rotates credentials
  std::optional<milliseconds> retry_after;
};

// A change to one profile's state. It is made to the manager's memory at once and applied to
// the store behind, by the store thread; until then it is made again on top of every state read
// from the store, so that a read never undoes a decision not yet written.
struct Change {
  std::uint64_t seq = 0;  // order of the changes, across profiles
  std::string provider;
  std::string profile;
  std::string fingerprint;  // of the key the state belongs to; empty: unknown (no salt)
  std::string model;
  std::optional<Outcome> outcome;  // none: only a changed key to adopt
  SystemTime time;
};

// True when applying `earlier` then `later` to any state gives what `later` alone gives: both
// are successes for the same model, or both only mark the profile used (codes that are not the
// credential's fault), with the same key, `later` not earlier. Under load most reports are such
// successes, so the store thread writes one change per profile per pass instead of all of them.
bool supersedes(const Change& later, const Change& earlier) {
  if (!later.outcome || !earlier.outcome || later.fingerprint != earlier.fingerprint ||
      later.time < earlier.time) {
    return false;
  }
  const StatusCode a = earlier.outcome->code;
  const StatusCode b = later.outcome->code;
  if (a == StatusCode::kOk && b == StatusCode::kOk) return later.model == earlier.model;
  auto only_marks_use = [](StatusCode code) {
    return code != StatusCode::kOk && !rotates_credentials(code);
  };
  return only_marks_use(a) && only_marks_use(b);
}

// A cooldown or disablement that an outcome set, for the observer.
struct CooldownEvent {
  std::string model;  // empty: the whole profile
  SystemTime until;
};

// Applies `outcome` (for `model`, at `t`) to `state`; returns the cooldown it set, if any.
std::optional<CooldownEvent> apply_outcome(const CooldownPolicy& policy, ProfileState& state,
                                           std::string_view model, const Outcome& outcome,
                                           SystemTime t) {
  state.last_used = t;
  const StatusCode code = outcome.code;
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
  state.last_error_message = outcome.message;
  // A Retry-After is a lower bound, but no server gets to cool a key for longer than a day.
  const milliseconds retry_after = std::clamp(outcome.retry_after.value_or(milliseconds(0)),
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
  const std::string reason =
      outcome.message.empty() ? code_name : code_name + ": " + outcome.message;
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

std::optional<CooldownEvent> apply_change(const CooldownPolicy& policy, ProfileState& state,
                                          const Change& change) {
  adopt_key(state, change.fingerprint);
  if (!change.outcome) return std::nullopt;
  return apply_outcome(policy, state, change.model, *change.outcome, change.time);
}

// What one pass of the store thread met.
struct PassErrors {
  bool touched_store = false;
  Status first;
  void note(const Status& status) {
    touched_store = true;
    if (first.ok()) first = status;
  }
};

}  // namespace

std::shared_ptr<Clock> system_clock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<SystemClock>();
  return clock;
}

struct AuthProfileManager::Impl {
  struct Profile {
    std::string name;
    std::shared_ptr<CredentialSource> source;
    SecretKind kind = SecretKind::kApiKey;
  };
  struct Provider {
    std::string id;
    std::vector<Profile> profiles;  // in the order added
    // The profile round-robin handed out last: as the store thread last read it, or as this
    // manager moved it since.
    std::string cursor;
    // The store thread has tried to read the states of every profile above (a profile added
    // since clears it).
    bool read = false;
  };
  struct Sticky {
    std::string profile;
    std::uint64_t last_use = 0;
  };
  using Key = std::pair<std::string, std::string>;
  // The cursor as this manager moved it last, not yet written.
  struct CursorMove {
    std::uint64_t seq = 0;
    std::string profile;
  };
  // A reset() waiting for the store thread.
  struct ResetTask {
    std::string profile;
    std::uint64_t seq = 0;  // changes before it are forgotten with the state
    bool done = false;
    Status status;
  };

  Impl(std::shared_ptr<AuthStateStore> s, CooldownPolicy p, std::shared_ptr<Clock> c)
      : store(std::move(s)), policy(p), clock(c ? std::move(c) : system_clock()) {
    if (!store) store = make_memory_auth_store();
    // Read here, once, so that fingerprints never need the store on the request path; the store
    // thread tries again while it fails.
    auto loaded = store->fingerprint_salt();
    if (loaded.ok()) {
      salt = std::move(*loaded);
    } else {
      last_store_error = loaded.error();
    }
  }

  // The clock's time at the stores' precision, so what is cached equals what is stored.
  SystemTime now() const { return std::chrono::time_point_cast<milliseconds>(clock->now()); }

  Provider* find_provider(std::string_view id) {
    for (auto& p : providers) {
      if (p.id == id) return &p;
    }
    return nullptr;
  }

  ProfileState& state_locked(const std::string& provider, const std::string& profile) {
    auto [it, inserted] = cache.try_emplace({provider, profile});
    if (inserted) {
      it->second.provider = provider;
      it->second.profile = profile;
    }
    return it->second;
  }

  // The fingerprint of `secret` under the store's salt, computed once per distinct secret;
  // empty while the store has not given its salt.
  std::string fingerprint_locked(const std::string& secret) {
    if (!salt) return std::string();
    if (auto it = fingerprints.find(secret); it != fingerprints.end()) return it->second;
    if (fingerprints.size() >= kMaxFingerprints) fingerprints.clear();
    std::string fingerprint = secret_fingerprint(*salt, secret);
    fingerprints.emplace(secret, fingerprint);
    return fingerprint;
  }

  // Tells the store thread that changes wait (it is notified once until it runs).
  void wake_locked() {
    if (wake) return;
    wake = true;
    work_cv.notify_one();
  }

  // Queues `change` (already made to the cache) for the store thread, in place of the profile's
  // previous change when that one is still queued, among the last few, and made moot by it.
  void push_change_locked(Change change) {
    change.seq = ++next_seq;
    const Key key{change.provider, change.profile};
    const size_t window = std::min(changes.size(), kCoalesceWindow);
    for (auto it = changes.rbegin(); it != changes.rbegin() + static_cast<std::ptrdiff_t>(window);
         ++it) {
      if (it->provider != change.provider || it->profile != change.profile) continue;
      if (!supersedes(change, *it)) break;
      *it = std::move(change);
      wake_locked();
      return;
    }
    if (changes.size() >= kMaxPendingChanges) changes.pop_front();
    changes.push_back(std::move(change));
    wake_locked();
  }

  void move_cursor_locked(Provider& provider, const std::string& profile) {
    provider.cursor = profile;
    cursor_moves[provider.id] = CursorMove{++next_seq, profile};
    wake_locked();
  }

  // Forgets the state of (provider, profile) when it was recorded with another key than
  // `secret`, in the cache at once and in the store behind.
  void forget_if_key_changed_locked(const std::string& provider, const std::string& profile,
                                    const std::string& secret) {
    const std::string fingerprint = fingerprint_locked(secret);
    ProfileState& cached = state_locked(provider, profile);
    if (fingerprint.empty() || cached.key_fingerprint.empty() ||
        cached.key_fingerprint == fingerprint) {
      return;
    }
    Change change;
    change.provider = provider;
    change.profile = profile;
    change.fingerprint = fingerprint;
    change.time = now();
    apply_change(policy, cached, change);
    push_change_locked(std::move(change));
  }

  // Starts the store thread unless it runs (or could not be started: its error).
  Status start_locked() {
    if (thread.joinable() || start_tried) return start_error;
    start_tried = true;
    wake = true;  // its first pass reads every provider
    try {
      thread = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
      // The manager still works in memory; nothing reaches the store.
      start_error = Status(StatusCode::kUnavailable,
                           std::string("cannot start the auth state thread: ") + e.what());
      last_store_error = start_error;
    }
    return start_error;
  }

  // Waits, releasing `lock` meanwhile, until the store thread has read the state of `provider`
  // (every provider when std::nullopt) once, or kFirstReadWait has passed.
  void wait_first_read(std::unique_lock<std::mutex>& lock,
                       std::optional<std::string_view> provider) {
    auto all_read = [&] {
      return std::all_of(providers.begin(), providers.end(), [&](const Provider& p) {
        return p.read || (provider && p.id != *provider);
      });
    };
    if (all_read() || !start_locked().ok()) return;
    done_cv.wait_for(lock, kFirstReadWait, all_read);
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

  // --- The store thread -----------------------------------------------------------------------

  // Counts `status` in the pass, and keeps it for last_store_error() at once if it is an error.
  // Called without the mutex held.
  void note(PassErrors& errors, const Status& status) {
    errors.note(status);
    if (status.ok()) return;
    std::lock_guard lock(mutex);
    last_store_error = status;
  }

  // Makes `fresh` (a state read from or written to the store) the cached state of `key`, with
  // every change not yet written made again on top of it.
  void install_locked(const Key& key, ProfileState fresh) {
    for (const std::deque<Change>* queue : {&in_flight, &changes}) {
      for (const Change& change : *queue) {
        if (change.provider == key.first && change.profile == key.second) {
          apply_change(policy, fresh, change);
        }
      }
    }
    cache[key] = std::move(fresh);
  }

  // Reads the states and the cursor of `provider_id` from the store into the cache, and marks
  // the provider read (even when the store failed: who waits for the first read goes on).
  void read_provider(const std::string& provider_id, PassErrors& errors) {
    auto states = store->load_provider(provider_id);
    note(errors, states.status());
    std::optional<Result<std::string>> cursor;
    if (states.ok()) {
      cursor = store->load_cursor(provider_id);
      note(errors, cursor->status());
    }
    std::lock_guard lock(mutex);
    Provider* p = find_provider(provider_id);
    if (p == nullptr) return;
    p->read = true;  // a profile added from now on clears it again
    if (!states.ok()) return;
    std::map<std::string, ProfileState> by_name;
    for (auto& state : *states) by_name[state.profile] = std::move(state);
    for (const auto& profile : p->profiles) {
      ProfileState fresh;
      if (auto it = by_name.find(profile.name); it != by_name.end()) {
        fresh = std::move(it->second);
      } else {
        // Never saved, or reset by another process.
        fresh.provider = p->id;
        fresh.profile = profile.name;
      }
      install_locked({p->id, profile.name}, std::move(fresh));
    }
    // A move not yet written is newer than what the store says.
    if (cursor->ok() && !cursor_moves.contains(p->id)) p->cursor = std::move(**cursor);
  }

  // Writes the changes taken into in_flight, one update per profile (its changes in order), so
  // that they merge with what other processes wrote; stops at the first failure. Returns
  // whether every write succeeded.
  bool write_changes(PassErrors& errors) {
    std::vector<Key> order;
    std::set<Key> seen;
    for (const Change& change : in_flight) {
      Key key{change.provider, change.profile};
      if (seen.insert(key).second) order.push_back(std::move(key));
    }
    for (const Key& key : order) {
      std::vector<const Change*> mine;
      for (const Change& change : in_flight) {
        if (change.provider == key.first && change.profile == key.second) mine.push_back(&change);
      }
      auto updated = store->update(key.first, key.second, [&](ProfileState& state) {
        for (const Change* change : mine) apply_change(policy, state, *change);
      });
      note(errors, updated.status());
      if (!updated.ok()) return false;
      std::lock_guard lock(mutex);
      std::erase_if(in_flight, [&](const Change& change) {
        return change.provider == key.first && change.profile == key.second;
      });
      install_locked(key, std::move(*updated));
    }
    return true;
  }

  void write_cursors(const std::map<std::string, CursorMove>& moves, PassErrors& errors) {
    for (const auto& [provider_id, move] : moves) {
      auto saved =
          store->update_cursor(provider_id, [&](std::string& cursor) { cursor = move.profile; });
      note(errors, saved.status());
      if (!saved.ok()) return;
      std::lock_guard lock(mutex);
      auto it = cursor_moves.find(provider_id);
      if (it != cursor_moves.end() && it->second.seq == move.seq) cursor_moves.erase(it);
    }
  }

  void run_reset(ResetTask& task, PassErrors& errors) {
    Status status = store->reset({}, task.profile);
    note(errors, status);
    std::lock_guard lock(mutex);
    // Changes from before the reset that were not written yet (or were put back after a
    // failure) are forgotten with the state they were about.
    auto before = [&](const Change& change) {
      return change.seq < task.seq && (task.profile.empty() || change.profile == task.profile);
    };
    std::erase_if(in_flight, before);
    std::erase_if(changes, before);
    for (auto& [key, state] : cache) {
      if (!task.profile.empty() && key.second != task.profile) continue;
      ProfileState blank;
      blank.provider = key.first;
      blank.profile = key.second;
      install_locked(key, std::move(blank));
    }
    if (task.profile.empty()) {
      for (auto& provider : providers) {
        if (!cursor_moves.contains(provider.id)) provider.cursor.clear();
      }
    }
    task.status = std::move(status);
    task.done = true;
  }

  // Work that cannot wait for the next periodic pass: someone is blocked on it.
  bool urgent_locked() const {
    return stopping || !resets.empty() || flush_requested > flush_done ||
           std::any_of(providers.begin(), providers.end(),
                       [](const Provider& p) { return !p.read; });
  }

  // The store thread: passes of (resets, the salt, first reads, writes, the cursors, reads of
  // every provider), each part run when there is work for it. No pass holds the mutex while it
  // calls the store. Changes are written kWriteDelay after the first of them came, unless
  // someone waits (flush(), reset(), a first read, the destructor); after a pass that met an
  // error, they wait for the next periodic pass, so that a failing store is not hammered at the
  // rate of the requests.
  void run() {
    using SteadyClock = std::chrono::steady_clock;
    std::unique_lock lock(mutex);
    SteadyClock::time_point next_read = SteadyClock::now() + kRereadInterval;
    SteadyClock::time_point writes_not_before = SteadyClock::now();
    for (;;) {
      std::optional<SteadyClock::time_point> woken;  // when changes were first seen waiting
      for (;;) {
        const SteadyClock::time_point now = SteadyClock::now();
        if (urgent_locked() || now >= next_read) break;
        if (!wake) {
          work_cv.wait_until(lock, next_read);
          continue;
        }
        if (!woken) woken = now;
        const SteadyClock::time_point ready = std::max(writes_not_before, *woken + kWriteDelay);
        if (now >= ready) break;
        work_cv.wait_until(lock, std::min(next_read, ready));
      }
      wake = false;
      const bool stop = stopping;
      const std::uint64_t tickets = flush_requested;
      const bool read_all = !stop && (tickets > flush_done || SteadyClock::now() >= next_read);
      std::vector<std::shared_ptr<ResetTask>> reset_tasks;
      reset_tasks.swap(resets);
      in_flight.swap(changes);  // changes is empty now (in_flight always is between passes)
      const std::map<std::string, CursorMove> moves = cursor_moves;
      const bool need_salt = !salt.has_value();
      std::vector<std::string> first_reads, rereads;
      for (const Provider& provider : providers) {
        (provider.read ? rereads : first_reads).push_back(provider.id);
      }
      lock.unlock();

      PassErrors errors;
      for (const auto& task : reset_tasks) run_reset(*task, errors);
      if (!reset_tasks.empty()) done_cv.notify_all();
      if (need_salt) {
        auto loaded = store->fingerprint_salt();
        note(errors, loaded.status());
        if (loaded.ok()) {
          std::lock_guard salt_lock(mutex);
          salt = std::move(*loaded);
          fingerprints.clear();
        }
      }
      if (!stop && !first_reads.empty()) {
        for (const std::string& id : first_reads) read_provider(id, errors);
        done_cv.notify_all();
      }
      // The cursors wait while the states cannot be written: the store is failing anyway.
      if (write_changes(errors)) write_cursors(moves, errors);
      if (read_all) {
        for (const std::string& id : rereads) read_provider(id, errors);
      }

      lock.lock();
      // What could not be written is tried again, before what came since.
      changes.insert(changes.begin(), std::make_move_iterator(in_flight.begin()),
                     std::make_move_iterator(in_flight.end()));
      in_flight.clear();
      while (changes.size() > kMaxPendingChanges) changes.pop_front();
      const SteadyClock::time_point ended = SteadyClock::now();
      if (read_all) next_read = ended + kRereadInterval;
      writes_not_before = errors.first.ok() ? ended : ended + kRereadInterval;
      std::shared_ptr<Observer> tell;
      if (errors.touched_store) {
        if (errors.first.ok()) {
          failing = false;
        } else if (!failing) {
          failing = true;
          tell = observer;
        }
      }
      if (tell) {
        // Before flush() returns, so that the caller knows the observer has heard.
        lock.unlock();
        tell->on_state_store_error(errors.first);
        lock.lock();
      }
      if (tickets > flush_done) {
        flush_done = tickets;
        flush_status = errors.first;
      }
      done_cv.notify_all();
      if (stop) return;
    }
  }

  std::shared_ptr<AuthStateStore> store;
  const CooldownPolicy policy;
  const std::shared_ptr<Clock> clock;

  mutable std::mutex mutex;  // guards everything below but `thread` and `in_flight`
  std::vector<Provider> providers;
  std::map<Key, ProfileState> cache;  // what this manager knows of each profile
  std::map<Key, Sticky> sticky;       // (provider, session key) -> profile
  std::uint64_t sticky_clock = 0;
  std::shared_ptr<Observer> observer;
  std::optional<std::string> salt;                  // the store's, once it gave it
  std::map<std::string, std::string> fingerprints;  // secret -> fingerprint under `salt`
  Status last_store_error;

  // Write-behind: what the store thread has to do, and how far it got.
  std::deque<Change> changes;                      // not yet taken by the store thread
  std::map<std::string, CursorMove> cursor_moves;  // provider -> move not yet written
  std::vector<std::shared_ptr<ResetTask>> resets;  // waiting for the store thread
  std::uint64_t next_seq = 0;
  std::uint64_t flush_requested = 0;  // flush() tickets handed out
  std::uint64_t flush_done = 0;       // tickets whose pass has ended
  Status flush_status;                // the first error of the pass that ended flush_done
  bool wake = false;                  // the store thread has work before its next read
  bool stopping = false;              // the destructor is waiting for the last pass
  bool failing = false;               // the last pass that used the store met an error
  bool start_tried = false;
  Status start_error;
  std::condition_variable work_cv;  // the store thread waits on it
  std::condition_variable done_cv;  // flush(), reset() and first reads wait on it
  std::thread thread;

  // The changes the store thread is writing; only that thread touches it (with the mutex held
  // when install_locked reads it from the same thread).
  std::deque<Change> in_flight;
};

AuthProfileManager::AuthProfileManager(std::shared_ptr<AuthStateStore> store, CooldownPolicy policy,
                                       std::shared_ptr<Clock> clock)
    : impl_(std::make_unique<Impl>(std::move(store), policy, std::move(clock))) {}

AuthProfileManager::~AuthProfileManager() {
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->thread.joinable()) return;
    impl_->stopping = true;
    impl_->work_cv.notify_one();
  }
  impl_->thread.join();
}

std::shared_ptr<AuthProfileManager> AuthProfileManager::single(
    std::string provider, std::function<Result<std::string>()> secret, SecretKind kind) {
  auto manager = std::make_shared<AuthProfileManager>(make_memory_auth_store());
  manager->add_profile(std::move(provider), "default", std::move(secret), kind);
  return manager;
}

void AuthProfileManager::add_profile(std::string provider, std::string profile,
                                     std::function<Result<std::string>()> secret, SecretKind kind) {
  add_profile(std::move(provider), std::move(profile),
              make_function_credential_source(std::move(secret), kind), kind);
}

void AuthProfileManager::add_profile(std::string provider, std::string profile,
                                     std::shared_ptr<CredentialSource> source) {
  add_profile(std::move(provider), std::move(profile), std::move(source), SecretKind::kApiKey);
}

void AuthProfileManager::add_profile(std::string provider, std::string profile,
                                     std::shared_ptr<CredentialSource> secret, SecretKind kind) {
  std::lock_guard lock(impl_->mutex);
  Impl::Provider* p = impl_->find_provider(provider);
  if (p == nullptr) {
    impl_->providers.push_back(Impl::Provider{provider, {}, {}, false});
    p = &impl_->providers.back();
  }
  impl_->state_locked(provider, profile);
  for (auto& existing : p->profiles) {
    if (existing.name == profile) {
      existing.source = std::move(secret);
      existing.kind = kind;
      return;
    }
  }
  p->profiles.push_back(Impl::Profile{std::move(profile), std::move(secret), kind});
  // Its state is read by the store thread (at once when it runs; the next acquire waits).
  p->read = false;
  if (impl_->thread.joinable()) impl_->work_cv.notify_one();
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
    std::unique_lock lock(impl_->mutex);
    Impl::Provider* p = impl_->find_provider(provider);
    if (p == nullptr || p->profiles.empty()) {
      return Status(StatusCode::kNotFound, "provider '" + provider_id + "' has no auth profiles")
          .set_provider(provider_id);
    }
    impl_->wait_first_read(lock, provider);
    p = impl_->find_provider(provider);  // the wait let other threads in
    const SystemTime now = impl_->now();
    for (const auto& profile : p->profiles) {
      const ProfileState& state = impl_->state_locked(p->id, profile.name);
      if (!excluded(profile.name) && !state.key_fingerprint.empty() && state.ready_at(model, now) &&
          profile.source) {
        to_check.push_back(profile);
      }
    }
  }
  for (const auto& profile : to_check) {
    // A key that cannot be read now stays as it is; it is checked again next time.
    Result<std::string> secret = profile.source->identity();
    if (!secret.ok()) continue;
    std::lock_guard lock(impl_->mutex);
    impl_->forget_if_key_changed_locked(provider_id, profile.name, *secret);
  }

  std::shared_ptr<CredentialSource> source;
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
    // Round-robin: the first usable profile after the one handed out last (by this manager, or
    // by another process sharing the store as of the store thread's last read).
    std::vector<size_t> blocked;  // the candidates, none usable, in the order tried
    if (!chosen) {
      size_t start = 0;
      for (size_t i = 0; i < n; ++i) {
        if (p->profiles[i].name == p->cursor) start = i + 1;
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
      if (chosen) impl_->move_cursor_locked(*p, p->profiles[*chosen].name);
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
    source = profile.source;
    recorded_fingerprint = impl_->state_locked(p->id, profile.name).key_fingerprint;
    lease.provider = p->id;
    lease.profile = profile.name;
    lease.kind = profile.kind;
  }
  // The secret source may be slow (a token refresh); it runs without the lock.
  if (!source) {
    return Status(StatusCode::kInternal, "auth profile '" + lease.profile + "' of provider '" +
                                             lease.provider + "' has no credential source");
  }
  Result<std::string> resolved = source->identity();
  if (!resolved.ok()) return resolved.error();
  lease.secret = std::move(*resolved);
  lease.source = std::move(source);
  if (!recorded_fingerprint.empty()) {
    // Failure counts of an old key must not shorten the new key's first cooldown.
    std::lock_guard lock(impl_->mutex);
    impl_->forget_if_key_changed_locked(lease.provider, lease.profile, lease.secret);
  }
  return lease;
}

void AuthProfileManager::report(const AuthLease& lease, std::string_view model,
                                const Status& outcome) {
  std::optional<CooldownEvent> event;
  std::shared_ptr<Observer> observer;
  {
    std::lock_guard lock(impl_->mutex);
    const Impl::Provider* p = impl_->find_provider(lease.provider);
    if (p == nullptr || std::none_of(p->profiles.begin(), p->profiles.end(),
                                     [&](const auto& x) { return x.name == lease.profile; })) {
      return;
    }
    // Without a store thread the decision is kept in memory only (last_store_error() says so).
    static_cast<void>(impl_->start_locked());
    Change change;
    change.provider = lease.provider;
    change.profile = lease.profile;
    change.fingerprint = impl_->fingerprint_locked(lease.secret);
    change.model = std::string(model);
    change.time = impl_->now();
    Outcome& recorded = change.outcome.emplace();
    recorded.code = outcome.code();
    recorded.retry_after = outcome.retry_after();
    // Only a credential failure's message is kept; it never holds the key, whole or cut.
    if (rotates_credentials(outcome.code()))
      recorded.message = scrub(outcome.message(), lease.secret);
    event = apply_change(impl_->policy, impl_->state_locked(lease.provider, lease.profile), change);
    impl_->push_change_locked(std::move(change));
    observer = impl_->observer;
  }
  if (event && observer) {
    observer->on_cooldown_set(lease.provider, lease.profile, event->model, event->until, outcome);
  }
}

std::vector<ProfileState> AuthProfileManager::snapshot() const {
  std::unique_lock lock(impl_->mutex);
  impl_->wait_first_read(lock, std::nullopt);
  std::vector<ProfileState> out;
  for (const auto& provider : impl_->providers) {
    for (const auto& profile : provider.profiles) {
      out.push_back(impl_->state_locked(provider.id, profile.name));
    }
  }
  return out;
}

Status AuthProfileManager::flush() {
  std::unique_lock lock(impl_->mutex);
  if (Status started = impl_->start_locked(); !started.ok()) return started;
  const std::uint64_t ticket = ++impl_->flush_requested;
  impl_->work_cv.notify_one();
  impl_->done_cv.wait(lock, [&] { return impl_->flush_done >= ticket; });
  return impl_->flush_status;
}

Status AuthProfileManager::reset(std::string_view profile) {
  std::unique_lock lock(impl_->mutex);
  const Status started = impl_->start_locked();
  // In memory at once; in the store by the store thread, after what was written before.
  if (profile.empty()) {
    for (auto& provider : impl_->providers) provider.cursor.clear();
    impl_->cursor_moves.clear();
  }
  std::erase_if(impl_->changes,
                [&](const Change& change) { return profile.empty() || change.profile == profile; });
  for (auto& [key, state] : impl_->cache) {
    if (profile.empty() || key.second == profile) {
      state = ProfileState();
      state.provider = key.first;
      state.profile = key.second;
    }
  }
  if (!started.ok()) return started;
  auto task = std::make_shared<Impl::ResetTask>();
  task->profile = std::string(profile);
  task->seq = ++impl_->next_seq;
  impl_->resets.push_back(task);
  impl_->work_cv.notify_one();
  impl_->done_cv.wait(lock, [&] { return task->done; });
  return task->status;
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
