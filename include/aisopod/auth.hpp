// Auth profiles: several credentials per provider, handed out round-robin, with cooldowns that
// persist across restarts and are shared by processes on one machine (DESIGN.md section 6).
// Standard-library types only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/observer.hpp"
#include "aisopod/status.hpp"

namespace aisopod {

using SystemTime = std::chrono::system_clock::time_point;

// The time source; injectable so tests run on a fake clock. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime now() const = 0;
};

// The real clock (std::chrono::system_clock). Shared, never null.
std::shared_ptr<Clock> system_clock();

// A clock that moves only when told to (tests). Starts at 2020-01-01T00:00:00Z unless told
// otherwise. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(SystemTime start = SystemTime(std::chrono::seconds(1'577'836'800)))
      : now_(start) {}
  SystemTime now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void advance(std::chrono::milliseconds by) {
    std::lock_guard lock(mutex_);
    now_ += by;
  }
  void set(SystemTime to) {
    std::lock_guard lock(mutex_);
    now_ = to;
  }

 private:
  mutable std::mutex mutex_;
  SystemTime now_;
};

// Cooldown schedule. The n-th (1, 2, ...) rate-limit or auth failure since the last success
// cools the profile for min(cap, base x factor^(n-1)) (defaults 1 m, 5 m, 25 m, 1 h); a
// server's Retry-After is a lower bound. The k-th billing failure disables the profile for
// min(billing_cap, billing_base x 2^(k-1)) (5 h, 10 h, 20 h, 24 h). Failure counts are forgotten
// when a new failure comes `decay` or more after the previous one and after the end of the
// cooldown it set (a profile cannot fail while it is disabled, so that time does not count).
struct CooldownPolicy {
  std::chrono::milliseconds base{60'000};
  double factor = 5;
  std::chrono::milliseconds cap{3'600'000};
  std::chrono::milliseconds billing_base{5 * 3'600'000};
  std::chrono::milliseconds billing_cap{24 * 3'600'000};
  std::chrono::milliseconds decay{24 * 3'600'000};
};

// What the store keeps about one profile. Never holds a secret. Times have millisecond
// precision (that is what the stores keep).
struct ProfileState {
  std::string provider;
  std::string profile;
  // Rate-limit and auth failures since the last success or decay.
  int failure_count = 0;
  // Billing failures since the last success or decay.
  int billing_failures = 0;
  std::optional<SystemTime> last_failure;
  // When a call made with the profile was last reported on (any outcome).
  std::optional<SystemTime> last_used;
  // The last success: the profile is "marked good" when this is set and last_error is empty.
  std::optional<SystemTime> last_good;
  // The profile is "marked failed" while last_error is set: the code name of the last
  // credential failure ("rate_limited", "unauthenticated", "billing", ...) and its message.
  // A success clears both.
  std::string last_error;
  std::string last_error_message;
  // Auth and billing failures disable the whole profile (every model) until this time.
  std::optional<SystemTime> disabled_until;
  // The failure that set disabled_until, as "<code name>: <message>" ("billing: Your credit
  // balance is too low"); just the code name when the message was empty.
  std::string disabled_reason;
  // Rate limits cool the profile for one model only: model -> until. The key "" (a rate
  // limit reported without a model) applies to every model.
  std::map<std::string, SystemTime> model_cooldowns;
  // Which key all of the above is about: HMAC-SHA-256 of the secret (64 hex digits) keyed with
  // the store's fingerprint_salt(), never the secret itself. Empty when unknown (a state saved
  // before fingerprints were kept). AuthProfileManager forgets a state whose fingerprint is not
  // that of the profile's current secret, so a changed key starts clean.
  std::string key_fingerprint;

  // True when a success came after every failure so far (or nothing happened yet: false).
  bool marked_good() const { return last_good.has_value() && last_error.empty(); }
  // True while the last outcome recorded was a credential failure.
  bool marked_failed() const { return !last_error.empty(); }
  // When the profile can next be handed out for `model`: the latest of disabled_until and the
  // cooldowns of `model` and of "" that are after `now`; std::nullopt when it is usable now.
  std::optional<SystemTime> ready_at(std::string_view model, SystemTime now) const;

  friend bool operator==(const ProfileState&, const ProfileState&) = default;
};

// Where ProfileState lives, with the round-robin cursor of each provider and the salt of the
// key fingerprints. Implementations are thread-safe; writes are atomic (a crash leaves either the
// old or the new state). The store never sees a secret.
class AuthStateStore {
 public:
  virtual ~AuthStateStore() = default;
  // The state of one profile; std::nullopt when none was saved.
  virtual Result<std::optional<ProfileState>> load(std::string_view provider,
                                                   std::string_view profile) = 0;
  // Every saved state of `provider`, ordered by profile.
  virtual Result<std::vector<ProfileState>> load_provider(std::string_view provider) = 0;
  // Every saved state, ordered by provider then profile.
  virtual Result<std::vector<ProfileState>> load_all() = 0;
  // Replaces the state of (state.provider, state.profile).
  virtual Status save(const ProfileState& state) = 0;
  // Atomically reads the state of (provider, profile) (a default ProfileState naming them when
  // none was saved), lets `mutate` change it and saves the result, so concurrent updates from
  // several threads or processes are never lost. `mutate` must not call back into the store;
  // it must leave provider and profile as they are. Returns the saved state.
  virtual Result<ProfileState> update(std::string_view provider, std::string_view profile,
                                      const std::function<void(ProfileState&)>& mutate) = 0;
  // Forgets saved states: an empty `provider` matches every provider and an empty `profile`
  // every profile, so reset("", "") forgets everything and reset("", "main") forgets the
  // profiles named "main" of every provider. With an empty `profile` the rotation cursors of
  // the matching providers are forgotten too. The fingerprint salt stays.
  virtual Status reset(std::string_view provider, std::string_view profile) = 0;

  // Atomically reads the rotation cursor of `provider` (the name of the profile that
  // round-robin handed out last; "" when none was saved), lets `advance` change it, and saves
  // the result, so that processes sharing the store take turns. `advance` must not call back
  // into the store. Returns the saved cursor.
  virtual Result<std::string> update_cursor(std::string_view provider,
                                            const std::function<void(std::string&)>& advance) = 0;
  // The rotation cursor of `provider` as update_cursor would pass it to `advance` ("" when none
  // was saved), read without taking a write lock (SQLite: a read transaction, which in WAL mode
  // never waits for a writer). The default calls update_cursor with an `advance` that changes
  // nothing, so a store that does not override it pays a write transaction.
  virtual Result<std::string> load_cursor(std::string_view provider);

  // The key that ProfileState::key_fingerprint is computed with: 32 random bytes made once per
  // store (for SQLite, once per database file, and kept in it) and never changed. Not a secret
  // by itself, but never printed either.
  virtual Result<std::string> fingerprint_salt() = 0;
};

// A store that lives as long as the returned object, with its own random fingerprint salt.
// Never fails.
std::shared_ptr<AuthStateStore> make_memory_auth_store();

// How open_sqlite_auth_store opens a database.
struct SqliteStoreOptions {
  // How long an operation waits for a lock that another connection holds before it fails.
  std::chrono::milliseconds busy_timeout{5000};
};

// The SQLite store at `path` (created with its parent directory when missing; WAL mode;
// versioned schema, older versions migrated in place; every write one transaction, so a
// process killed in the middle of a write leaves the previous state). Several processes may
// open the same file and see each other's writes at once.
// Errors, all unavailable:
// - a file that is corrupt or not a database at all:
//   "the auth state database <path> is corrupt (<SQLite's words>); run 'aisopod profiles
//   reset' to recreate it" (see recreate_sqlite_auth_store);
// - a lock held longer than options.busy_timeout by another process:
//   "the auth state database <path> is locked by another process (busy for 5 s); try again
//   when it is done, or set state = "memory" in [auth]";
// - a file that cannot be created or opened, another program's database, or a schema newer
//   than this build knows: "auth state store '<path>': <what>".
// Every later store error is unavailable too, with the same messages.
Result<std::shared_ptr<AuthStateStore>> open_sqlite_auth_store(
    const std::string& path, const SqliteStoreOptions& options = {});

// Makes a fresh SQLite store at `path` when the file there is corrupt or not a database at all
// (open_sqlite_auth_store says "is corrupt", or the file opens but fails SQLite's quick_check):
// removes it with its -wal, -shm and -journal files and creates an empty store with a new
// fingerprint salt. Anything else is left as it is: a healthy store (forget its states with
// reset()), a locked one, another program's database, a newer schema, a missing file (which is
// created). Call it when no store on `path` is open in this process.
// Errors: open_sqlite_auth_store's for a file left as it is or for the new store; unavailable
// when the old files cannot be removed.
Status recreate_sqlite_auth_store(const std::string& path, const SqliteStoreOptions& options = {});

// A credential handed out by AuthProfileManager::acquire.
// How a profile's secret is sent. Each profile has its own, so one provider may mix API keys
// and OAuth tokens.
enum class SecretKind {
  // In the provider's API-key header (x-api-key for Anthropic; Authorization: Bearer where the
  // provider takes keys that way).
  kApiKey,
  // Authorization: Bearer <token> (OAuth access tokens).
  kBearerToken,
};

class CredentialSource;  // aisopod/credential.hpp

struct AuthLease {
  std::string provider;
  std::string profile;
  // What the profile's state belongs to, read at acquire time: CredentialSource::identity(),
  // which for a key is the key itself. Never log it.
  std::string secret;
  // The profile's kind, as given to add_profile.
  SecretKind kind = SecretKind::kApiKey;
  // Where the credential to send comes from: the request pipeline awaits source->get() for
  // each attempt. Never null in a lease that acquire() returned.
  std::shared_ptr<CredentialSource> source = nullptr;
};

// Hands out profiles per provider round-robin, skipping those cooling down, and records
// outcomes in its AuthStateStore.
//
// Memory first, store behind. acquire(), report(), snapshot() and has_profiles() answer from the
// manager's memory and never call the store on the calling thread, so no request waits for a
// database lock that another process holds. Each manager starts one store thread, at its first
// acquire(), report(), snapshot(), flush() or reset(); the thread
// - applies every outcome to the store behind the caller, about 5 ms after it was reported
//   (what comes meanwhile is written in the same pass), through AuthStateStore::update, so that
//   outcomes merge atomically with what other processes wrote (the outcomes for one profile are
//   applied in one update; a write that fails is kept and tried again at the next pass; at most
//   10,000 changes are kept, the oldest dropped first);
// - reads the state of every provider (with its rotation cursor) once when the provider is first
//   needed, and again every 250 ms, so that a cooldown reported to another process on this
//   machine is honoured here within about 250 ms after that process wrote it (well under 1 s);
// - is stopped and joined by the destructor, after it has written what is still pending.
// A decision is made in memory at once: a cooldown reported here is honoured by the next
// acquire() of this manager, and its observer is told before report() returns.
//
// The first acquire() or snapshot() that needs a provider's state waits for that first read, at
// most 1 s (a read never waits for another process's write lock in WAL mode; the bound only
// matters when the store thread is stuck in a write); after that it goes on with what it knows.
//
// Rotation: the round-robin cursor is read from what the store thread last read, advanced in
// memory and written behind. So processes that run at the same time take turns on a best-effort
// basis (each sees the others' turns up to 250 ms late), and successive processes take turns
// exactly, because the destructor writes the cursor before the next process starts.
//
// State belongs to the key: it is kept with a fingerprint of the secret (ProfileState::
// key_fingerprint, one HMAC per distinct secret, under the store's salt, which the constructor
// reads), and a profile whose secret changed starts clean.
//
// When the store fails, the manager goes on with what it knows in memory (it never fails a call
// because of its store), remembers the error (last_store_error()) and tells the observer once per
// failure streak (Observer::on_state_store_error, from the store thread).
//
// Thread-safe. The observer is called without the manager's lock held. Not copyable or movable.
class AuthProfileManager {
 public:
  // Reads the store's fingerprint salt (on the calling thread); starts no thread. A null
  // `store` is a new memory store.
  AuthProfileManager(std::shared_ptr<AuthStateStore> store, CooldownPolicy policy = {},
                     std::shared_ptr<Clock> clock = system_clock());
  // Writes what is pending (as flush() does, errors ignored), then stops and joins the store
  // thread. Blocks while the store is locked by another process (up to its busy timeout).
  ~AuthProfileManager();
  AuthProfileManager(const AuthProfileManager&) = delete;
  AuthProfileManager& operator=(const AuthProfileManager&) = delete;

  // A manager with a memory store, the default policy, the system clock, and one profile
  // named "default" for `provider` whose secret comes from `secret`. For tests and for
  // providers built from a bare key.
  static std::shared_ptr<AuthProfileManager> single(std::string provider,
                                                    std::function<Result<std::string>()> secret,
                                                    SecretKind kind = SecretKind::kApiKey);

  // Adds a profile. `secret` is called (without the manager's lock held) at each acquire that
  // hands the profile out, and at each acquire that finds it cooling down, to notice a changed
  // key. Profiles are tried in the order added. Adding a name that the provider already has
  // replaces its secret source and kind and keeps its place. Never calls the store; the state of
  // a new provider is read by the store thread. `kind` says how the secret is sent (leases carry
  // it).
  void add_profile(std::string provider, std::string profile,
                   std::function<Result<std::string>()> secret,
                   SecretKind kind = SecretKind::kApiKey);

  // Adds a profile whose credential comes from `source` (an API key, a token that is fetched
  // and refreshed, AWS keys; see aisopod/credential.hpp). acquire() reads source->identity()
  // where the overload above calls `secret`, and the lease carries `source`, whose get() the
  // request pipeline awaits. `kind` is the lease's kind (the credential's own kind decides how
  // it is sent).
  void add_profile(std::string provider, std::string profile,
                   std::shared_ptr<CredentialSource> source);
  void add_profile(std::string provider, std::string profile,
                   std::shared_ptr<CredentialSource> source, SecretKind kind);

  // True when `provider` has at least one profile.
  bool has_profiles(std::string_view provider) const;

  // The next usable profile for (provider, model), round-robin: not disabled, not cooling
  // down for `model` and not in `exclude` (already tried by this call), as this manager knows
  // it (see the class comment: what it decided itself, and what the store said at its last read,
  // at most ~250 ms ago). Never calls the store. With a non-empty `session_key` (sticky mode),
  // the profile chosen for that key last time is returned again while it is usable, so the
  // provider's prompt cache stays warm; otherwise a profile is chosen round-robin and
  // remembered for the key.
  // Errors:
  // - not_found when the provider has no profiles;
  // - unauthenticated (permission_denied) when every profile not in `exclude` is disabled
  //   because the server rejected its key with a 401 (403): "key rejected at
  //   2026-12-02T10:00:00Z (profile 'main' of provider 'openai'): <the server's message>",
  //   about the latest rejection, prefixed with "all 3 profiles of provider 'openai' are
  //   disabled; " when there are several; no retry_after (waiting does not fix a key);
  // - rate_limited when every profile not in `exclude` is cooling down otherwise: "all 3
  //   profiles of provider 'openai' are cooling down; the first is ready at
  //   2026-12-02T10:01:00Z (profile 'k3')" (ISO 8601 UTC), retry_after the time until then;
  // - unavailable when every profile is in `exclude`;
  // - the secret source's error, as it is.
  Result<AuthLease> acquire(std::string_view provider, std::string_view model,
                            std::string_view session_key = {},
                            const std::vector<std::string>& exclude = {});

  // Records the outcome of a call made with `lease` for `model`:
  // - ok clears the profile's failure state (counts, disablement, last error, the cooldown of
  //   `model`; a rate limit on another model is a fact about that model and stays) and sets
  //   last_good;
  // - rate_limited cools (profile, model) by the schedule, at least for the Retry-After
  //   (a Retry-After above 24 h counts as 24 h);
  // - unauthenticated / permission_denied disable the profile by the same schedule;
  // - billing disables it by the billing schedule;
  // - other codes are not the credential's fault and change nothing but last_used.
  // A failure reported for a scope that is already cooling (a call that was in flight when
  // the cooldown was set) extends it to its Retry-After but does not count again. When the
  // lease's secret is not the one the state was recorded with, the old state is forgotten
  // first. The secret, and every piece of 8 or more bytes of it, is removed from any message
  // that is stored. Unknown leases are ignored.
  // The decision is made and kept in memory at once (the next acquire() honours it, the
  // observer hears of it before this returns) and written to the store behind, merged with what
  // other processes wrote meanwhile; flush() waits for that write. Never calls the store.
  void report(const AuthLease& lease, std::string_view model, const Status& outcome);

  // The state of every profile of every provider, including ones never used, in the order
  // they were added, as this manager knows it (see acquire()). Secrets are not read: a profile
  // whose key changed shows its old key's state until the next acquire() or report() with it.
  // Never calls the store (the first call may wait for the first read, see the class comment);
  // call flush() first for the store's state as of now.
  std::vector<ProfileState> snapshot() const;

  // Blocks until every change made before the call (outcomes, changed keys, the rotation
  // cursor) has been written to the store or has failed, then reads the store again, so that
  // what other processes wrote before the call is known too. For tests, the end of a CLI command
  // and short-lived processes; never call it on an event loop (it waits for the store, up to its
  // busy timeout per write). Changes that failed stay pending and are tried again later.
  // Errors: the store's first error in doing so (also kept by last_store_error(); the observer
  // has been told when it starts a failure streak).
  Status flush();

  // Forgets the state of one profile (by name, any provider) or of all when `profile` is
  // empty, in memory at once and in the store before it returns (after the changes made before
  // it). Blocks like flush(). Errors: the store's.
  Status reset(std::string_view profile = {});

  // Receives on_cooldown_set for every cooldown or disablement (from the thread that calls
  // report()) and on_state_store_error once per failure streak of the store (from the store
  // thread); null: none.
  void set_observer(std::shared_ptr<Observer> observer);

  // The last error of the store (reading, writing, the cursor, the salt, reset()), kept even
  // when later operations succeeded, so that a caller can warn once; ok when there was none.
  // Writes happen behind: call flush() first to include the errors of the changes made so far.
  Status last_store_error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aisopod
