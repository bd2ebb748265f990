// The SQLite AuthStateStore: one connection per store object, WAL mode so that readers in other
// processes never block on a writer, and every write in a BEGIN IMMEDIATE transaction so that a
// crash leaves either the old or the new state.
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <system_error>
#include <utility>

#include "aisopod/auth.hpp"
#include "state/fingerprint.hpp"

namespace aisopod {
namespace {

// "AISP": marks the file as an aisopod auth store (PRAGMA application_id).
constexpr int kApplicationId = 0x41495350;
// PRAGMA user_version of the schema below. A file with a larger version was written by a newer
// aisopod and is refused rather than misread; an older one is migrated, one version at a time.
constexpr int kSchemaVersion = 2;

// Version 1. A new file is created at version 1 and migrated like an old one, so the migrations
// run on every new store, not only on the few old files that need them.
constexpr const char* kCreateSchemaV1 = R"sql(
CREATE TABLE profile_state (
  provider TEXT NOT NULL,
  profile TEXT NOT NULL,
  failure_count INTEGER NOT NULL,
  billing_failures INTEGER NOT NULL,
  last_failure_ms INTEGER,
  last_used_ms INTEGER,
  last_good_ms INTEGER,
  last_error TEXT NOT NULL,
  last_error_message TEXT NOT NULL,
  disabled_until_ms INTEGER,
  disabled_reason TEXT NOT NULL,
  PRIMARY KEY (provider, profile)
) WITHOUT ROWID;
CREATE TABLE model_cooldown (
  provider TEXT NOT NULL,
  profile TEXT NOT NULL,
  model TEXT NOT NULL,
  until_ms INTEGER NOT NULL,
  PRIMARY KEY (provider, profile, model)
) WITHOUT ROWID;
)sql";

// Version 2: the fingerprint of the key each state belongs to, the round-robin cursor of each
// provider, and the salt of the fingerprints (in `meta`, written right after this).
constexpr const char* kMigrateV1ToV2 = R"sql(
ALTER TABLE profile_state ADD COLUMN key_fingerprint TEXT NOT NULL DEFAULT '';
CREATE TABLE rotation (
  provider TEXT NOT NULL PRIMARY KEY,
  last_profile TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE meta (
  name TEXT NOT NULL PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
)sql";

constexpr const char* kSaltName = "fingerprint_salt";

// Version 1 stored any Retry-After, so a file may hold cooldowns until the year 2149; the
// manager now caps a Retry-After at a day, and its default schedules never go past a day.
constexpr std::chrono::hours kLongestCooldown(24);

// "5 s", "0.25 s".
std::string seconds_text(std::chrono::milliseconds d) {
  d = std::max(d, std::chrono::milliseconds(0));
  std::string text = std::to_string(d.count() / 1000);
  if (const auto millis = d.count() % 1000; millis != 0) {
    std::string digits = std::to_string(1000 + millis).substr(1);
    while (digits.back() == '0') digits.pop_back();
    text += "." + digits;
  }
  return text + " s";
}

using Key = std::pair<std::string, std::string>;

std::int64_t to_ms(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
SystemTime from_ms(std::int64_t ms) {
  return SystemTime(
      std::chrono::duration_cast<SystemTime::duration>(std::chrono::milliseconds(ms)));
}

// A prepared statement, finalized on destruction. Not thread-safe (used under the store's lock).
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool prepared() const { return rc_ == SQLITE_OK && stmt_ != nullptr; }
  void bind(int index, std::string_view text) {
    // An empty string_view may have a null data(), which SQLite would bind as NULL, not ''.
    sqlite3_bind_text(stmt_, index, text.empty() ? "" : text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
  }
  void bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void bind(int index, const std::optional<SystemTime>& t) {
    if (t) {
      sqlite3_bind_int64(stmt_, index, to_ms(*t));
    } else {
      sqlite3_bind_null(stmt_, index);
    }
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }

  std::string text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  void bind_blob(int index, std::string_view bytes) {
    sqlite3_bind_blob(stmt_, index, bytes.empty() ? "" : bytes.data(),
                      static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  }
  std::string blob(int column) const {
    const void* p = sqlite3_column_blob(stmt_, column);
    return p == nullptr ? std::string()
                        : std::string(static_cast<const char*>(p),
                                      static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::optional<SystemTime> time(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return from_ms(sqlite3_column_int64(stmt_, column));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

// Why a store could not be used, for recreate_sqlite_auth_store.
enum class Failure {
  kNone,
  // The file is damaged or is not a database at all (SQLITE_CORRUPT, SQLITE_NOTADB).
  kCorrupt,
  // Another connection held a lock longer than the busy timeout (SQLITE_BUSY, SQLITE_LOCKED).
  kBusy,
  // Anything else.
  kOther,
};

Failure failure_of(int sqlite_code) {
  switch (sqlite_code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Failure::kCorrupt;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Failure::kBusy;
    default:
      return Failure::kOther;
  }
}

class SqliteAuthStore final : public AuthStateStore {
 public:
  SqliteAuthStore(std::string path, sqlite3* db, SqliteStoreOptions options)
      : path_(std::move(path)), options_(options), db_(db) {}
  ~SqliteAuthStore() override { sqlite3_close_v2(db_); }
  SqliteAuthStore(const SqliteAuthStore&) = delete;
  SqliteAuthStore& operator=(const SqliteAuthStore&) = delete;

  // Sets up the connection, creates, migrates or checks the schema, and reads the salt.
  Status init() {
    std::lock_guard lock(mutex_);
    sqlite3_busy_timeout(
        db_, static_cast<int>(std::clamp<std::int64_t>(options_.busy_timeout.count(), 0,
                                                       std::numeric_limits<int>::max())));
    // Reading the header first turns "not a database" into a clear error before anything else.
    int application_id = 0;
    AISOPOD_TRY_STATUS(pragma_int("PRAGMA application_id", application_id));
    AISOPOD_TRY_STATUS(exec("PRAGMA journal_mode=WAL"));
    // In WAL mode NORMAL loses no committed transaction when the process dies, only (at worst)
    // the last ones on power loss, and never corrupts the file.
    AISOPOD_TRY_STATUS(exec("PRAGMA synchronous=NORMAL"));

    AISOPOD_TRY_STATUS(begin("BEGIN IMMEDIATE"));
    Status status = init_schema_locked();
    if (status.ok()) status = init_salt_locked();
    if (!status.ok()) {
      rollback();
      return status;
    }
    return commit();
  }

  // Why the latest error happened; read right after init() or quick_check() failed.
  Failure last_failure() const {
    std::lock_guard lock(mutex_);
    return last_failure_;
  }

  // PRAGMA quick_check: ok, or the error of a damaged file.
  Status quick_check() {
    std::lock_guard lock(mutex_);
    Statement stmt(db_, "PRAGMA quick_check");
    if (!stmt.prepared()) return error("quick_check");
    const int rc = stmt.step();
    if (rc != SQLITE_ROW) return error("quick_check");
    if (const std::string verdict = stmt.text(0); verdict != "ok") {
      last_failure_ = Failure::kCorrupt;
      return corrupt_error(verdict);
    }
    return Status();
  }

  Result<std::optional<ProfileState>> load(std::string_view provider,
                                           std::string_view profile) override {
    std::lock_guard lock(mutex_);
    AISOPOD_TRY_STATUS(begin("BEGIN"));
    auto state = read_locked(provider, profile);
    AISOPOD_TRY_STATUS(end_read(state.status()));
    return state;
  }

  Result<std::vector<ProfileState>> load_provider(std::string_view provider) override {
    std::lock_guard lock(mutex_);
    return read_many_locked(provider);
  }

  Result<std::vector<ProfileState>> load_all() override {
    std::lock_guard lock(mutex_);
    return read_many_locked(std::nullopt);
  }

  Status save(const ProfileState& state) override {
    std::lock_guard lock(mutex_);
    AISOPOD_TRY_STATUS(begin("BEGIN IMMEDIATE"));
    Status status = write_locked(state);
    if (!status.ok()) {
      rollback();
      return status;
    }
    return commit();
  }

  Result<ProfileState> update(std::string_view provider, std::string_view profile,
                              const std::function<void(ProfileState&)>& mutate) override {
    std::lock_guard lock(mutex_);
    // IMMEDIATE takes the write lock before reading, so no other process can write between
    // our read and our write.
    AISOPOD_TRY_STATUS(begin("BEGIN IMMEDIATE"));
    auto loaded = read_locked(provider, profile);
    if (!loaded.ok()) {
      rollback();
      return loaded.error();
    }
    ProfileState state;
    if (*loaded) {
      state = std::move(**loaded);
    } else {
      state.provider = std::string(provider);
      state.profile = std::string(profile);
    }
    mutate(state);
    state.provider = std::string(provider);
    state.profile = std::string(profile);
    Status status = write_locked(state);
    if (!status.ok()) {
      rollback();
      return status;
    }
    AISOPOD_TRY_STATUS(commit());
    return state;
  }

  // The cursor of `provider` inside the open transaction ("" when none was saved); on failure
  // the transaction is rolled back.
  Result<std::string> read_cursor_locked(std::string_view provider) {
    Statement read(db_, "SELECT last_profile FROM rotation WHERE provider = ?1");
    if (!read.prepared()) return fail_and_rollback("cursor");
    read.bind(1, provider);
    const int rc = read.step();
    if (rc == SQLITE_ROW) return read.text(0);
    if (rc != SQLITE_DONE) return fail_and_rollback("cursor");
    return std::string();
  }

  Result<std::string> update_cursor(std::string_view provider,
                                    const std::function<void(std::string&)>& advance) override {
    std::lock_guard lock(mutex_);
    AISOPOD_TRY_STATUS(begin("BEGIN IMMEDIATE"));
    Result<std::string> read = read_cursor_locked(provider);
    if (!read.ok()) return read.error();
    std::string cursor = std::move(*read);
    const std::string before = cursor;
    advance(cursor);
    if (cursor != before) {
      Statement write(db_,
                      "INSERT OR REPLACE INTO rotation (provider, last_profile) VALUES (?1, ?2)");
      if (!write.prepared()) return fail_and_rollback("cursor");
      write.bind(1, provider);
      write.bind(2, cursor);
      if (write.step() != SQLITE_DONE) return fail_and_rollback("cursor");
    }
    AISOPOD_TRY_STATUS(commit());
    return cursor;
  }

  Result<std::string> load_cursor(std::string_view provider) override {
    std::lock_guard lock(mutex_);
    // A read transaction: in WAL mode it never waits for another connection's write lock.
    AISOPOD_TRY_STATUS(begin("BEGIN"));
    Result<std::string> read = read_cursor_locked(provider);
    if (!read.ok()) return read.error();
    std::string cursor = std::move(*read);
    AISOPOD_TRY_STATUS(commit());
    return cursor;
  }

  Result<std::string> fingerprint_salt() override {
    std::lock_guard lock(mutex_);
    return salt_;
  }

  Status reset(std::string_view provider, std::string_view profile) override {
    std::lock_guard lock(mutex_);
    AISOPOD_TRY_STATUS(begin("BEGIN IMMEDIATE"));
    for (const char* table : {"profile_state", "model_cooldown", "rotation"}) {
      // The cursor is the provider's, not a profile's: only a reset of every profile clears it.
      std::string sql = std::string("DELETE FROM ") + table +
                        (table == std::string_view("rotation")
                             ? " WHERE (?1 = '' OR provider = ?1) AND ?2 = ''"
                             : " WHERE (?1 = '' OR provider = ?1) AND (?2 = '' OR profile = ?2)");
      Statement stmt(db_, sql.c_str());
      if (!stmt.prepared()) return fail_and_rollback("reset");
      stmt.bind(1, provider);
      stmt.bind(2, profile);
      if (stmt.step() != SQLITE_DONE) return fail_and_rollback("reset");
    }
    return commit();
  }

 private:
  // The error of the last SQLite call, which did `what`; remembered for last_failure().
  Status error(std::string_view what) {
    last_failure_ = failure_of(sqlite3_extended_errcode(db_));
    switch (last_failure_) {
      case Failure::kCorrupt:
        return corrupt_error(sqlite3_errmsg(db_));
      case Failure::kBusy:
        return Status(StatusCode::kUnavailable,
                      "the auth state database " + path_ +
                          " is locked by another process (busy for " +
                          seconds_text(options_.busy_timeout) +
                          "); try again when it is done, or set state = \"memory\" in [auth]");
      default:
        return Status(StatusCode::kUnavailable, "auth state store '" + path_ + "': " +
                                                    std::string(what) + ": " + sqlite3_errmsg(db_));
    }
  }
  Status corrupt_error(std::string_view detail) const {
    return Status(StatusCode::kUnavailable, "the auth state database " + path_ + " is corrupt (" +
                                                std::string(detail) +
                                                "); run 'aisopod profiles reset' to recreate it");
  }
  Status fail_and_rollback(std::string_view what) {
    Status status = error(what);
    rollback();
    return status;
  }

  Status exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return error(sql);
    last_failure_ = Failure::kNone;
    return Status();
  }
  Status pragma_int(const char* sql, int& out) {
    Statement stmt(db_, sql);
    if (!stmt.prepared() || stmt.step() != SQLITE_ROW) return error(sql);
    out = static_cast<int>(stmt.integer(0));
    return Status();
  }
  Status begin(const char* sql) { return exec(sql); }
  Status commit() {
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return fail_and_rollback("COMMIT");
    }
    return Status();
  }
  void rollback() {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  // Ends a read transaction; returns `status` if it was an error, else the COMMIT's outcome.
  Status end_read(const Status& status) {
    if (!status.ok()) {
      rollback();
      return status;
    }
    return commit();
  }

  Status init_schema_locked() {
    int application_id = 0;
    int version = 0;
    AISOPOD_TRY_STATUS(pragma_int("PRAGMA application_id", application_id));
    AISOPOD_TRY_STATUS(pragma_int("PRAGMA user_version", version));
    if (application_id != 0 && application_id != kApplicationId) {
      return Status(StatusCode::kUnavailable, "auth state store '" + path_ +
                                                  "': not an aisopod store (application_id " +
                                                  std::to_string(application_id) + ")");
    }
    if (version > kSchemaVersion) {
      return Status(StatusCode::kUnavailable, "auth state store '" + path_ + "': schema version " +
                                                  std::to_string(version) +
                                                  " is newer than this aisopod knows (" +
                                                  std::to_string(kSchemaVersion) + ")");
    }
    if (version != 0 && application_id != kApplicationId) {
      return Status(StatusCode::kUnavailable,
                    "auth state store '" + path_ + "': not an aisopod store");
    }
    if (version == kSchemaVersion) return Status();
    if (version == 0) {
      // A new file, unless some other program put tables in it.
      int tables = 0;
      AISOPOD_TRY_STATUS(pragma_int("SELECT count(*) FROM sqlite_master", tables));
      if (tables != 0) {
        return Status(
            StatusCode::kUnavailable,
            "auth state store '" + path_ + "': not an aisopod store (it has other tables)");
      }
      AISOPOD_TRY_STATUS(exec(kCreateSchemaV1));
      AISOPOD_TRY_STATUS(exec(("PRAGMA application_id=" + std::to_string(kApplicationId)).c_str()));
      version = 1;
    }
    if (version == 1) {
      AISOPOD_TRY_STATUS(exec(kMigrateV1ToV2));
      AISOPOD_TRY_STATUS(clamp_cooldowns_locked());
      version = 2;
    }
    return exec(("PRAGMA user_version=" + std::to_string(version)).c_str());
  }

  // Shortens every cooldown and disablement that ends more than kLongestCooldown from now.
  Status clamp_cooldowns_locked() {
    const std::int64_t latest = to_ms(std::chrono::system_clock::now() + kLongestCooldown);
    for (const char* sql : {"UPDATE model_cooldown SET until_ms = ?1 WHERE until_ms > ?1",
                            "UPDATE profile_state SET disabled_until_ms = ?1 "
                            "WHERE disabled_until_ms > ?1"}) {
      Statement stmt(db_, sql);
      if (!stmt.prepared()) return error("migrate");
      stmt.bind(1, latest);
      if (stmt.step() != SQLITE_DONE) return error("migrate");
    }
    return Status();
  }

  // Reads the fingerprint salt, making it when the file has none (a new or migrated file).
  Status init_salt_locked() {
    {
      Statement read(db_, "SELECT value FROM meta WHERE name = ?1");
      if (!read.prepared()) return error("salt");
      read.bind(1, std::string_view(kSaltName));
      const int rc = read.step();
      if (rc == SQLITE_ROW) {
        salt_ = read.blob(0);
        if (salt_.size() == kFingerprintSaltBytes) return Status();
      } else if (rc != SQLITE_DONE) {
        return error("salt");
      }
    }
    // Missing or damaged: a new salt. Fingerprints made with the old one no longer match, so
    // the states they are in are forgotten when their profiles are next used.
    AISOPOD_ASSIGN_OR_RETURN(salt_, random_fingerprint_salt());
    Statement write(db_, "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)");
    if (!write.prepared()) return error("salt");
    write.bind(1, std::string_view(kSaltName));
    write.bind_blob(2, salt_);
    if (write.step() != SQLITE_DONE) return error("salt");
    return Status();
  }

  static constexpr const char* kSelectState =
      "SELECT provider, profile, failure_count, billing_failures, last_failure_ms, last_used_ms, "
      "last_good_ms, last_error, last_error_message, disabled_until_ms, disabled_reason, "
      "key_fingerprint FROM profile_state ";

  static ProfileState row_to_state(const Statement& stmt) {
    ProfileState state;
    state.provider = stmt.text(0);
    state.profile = stmt.text(1);
    state.failure_count = static_cast<int>(stmt.integer(2));
    state.billing_failures = static_cast<int>(stmt.integer(3));
    state.last_failure = stmt.time(4);
    state.last_used = stmt.time(5);
    state.last_good = stmt.time(6);
    state.last_error = stmt.text(7);
    state.last_error_message = stmt.text(8);
    state.disabled_until = stmt.time(9);
    state.disabled_reason = stmt.text(10);
    state.key_fingerprint = stmt.text(11);
    return state;
  }

  Result<std::optional<ProfileState>> read_locked(std::string_view provider,
                                                  std::string_view profile) {
    std::string sql = std::string(kSelectState) + "WHERE provider = ?1 AND profile = ?2";
    Statement stmt(db_, sql.c_str());
    if (!stmt.prepared()) return error("load");
    stmt.bind(1, provider);
    stmt.bind(2, profile);
    int rc = stmt.step();
    if (rc == SQLITE_DONE) return std::optional<ProfileState>();
    if (rc != SQLITE_ROW) return error("load");
    ProfileState state = row_to_state(stmt);

    Statement cooldowns(
        db_, "SELECT model, until_ms FROM model_cooldown WHERE provider = ?1 AND profile = ?2");
    if (!cooldowns.prepared()) return error("load");
    cooldowns.bind(1, provider);
    cooldowns.bind(2, profile);
    while ((rc = cooldowns.step()) == SQLITE_ROW) {
      state.model_cooldowns[cooldowns.text(0)] = from_ms(cooldowns.integer(1));
    }
    if (rc != SQLITE_DONE) return error("load");
    return std::optional<ProfileState>(std::move(state));
  }

  // Every state, or those of one provider, read in one transaction so that the two tables
  // agree.
  Result<std::vector<ProfileState>> read_many_locked(std::optional<std::string_view> provider) {
    AISOPOD_TRY_STATUS(begin("BEGIN"));
    auto states = read_many_in_transaction(provider);
    AISOPOD_TRY_STATUS(end_read(states.status()));
    return states;
  }

  Result<std::vector<ProfileState>> read_many_in_transaction(
      std::optional<std::string_view> provider) {
    const char* where = provider ? "WHERE provider = ?1 " : "";
    std::string sql = std::string(kSelectState) + where + "ORDER BY provider, profile";
    Statement stmt(db_, sql.c_str());
    if (!stmt.prepared()) return error("load");
    if (provider) stmt.bind(1, *provider);
    std::vector<ProfileState> states;
    std::map<Key, size_t> index;
    int rc;
    while ((rc = stmt.step()) == SQLITE_ROW) {
      states.push_back(row_to_state(stmt));
      index[{states.back().provider, states.back().profile}] = states.size() - 1;
    }
    if (rc != SQLITE_DONE) return error("load");

    std::string cooldown_sql =
        std::string("SELECT provider, profile, model, until_ms FROM model_cooldown ") + where;
    Statement cooldowns(db_, cooldown_sql.c_str());
    if (!cooldowns.prepared()) return error("load");
    if (provider) cooldowns.bind(1, *provider);
    while ((rc = cooldowns.step()) == SQLITE_ROW) {
      auto it = index.find({cooldowns.text(0), cooldowns.text(1)});
      // A cooldown without its profile row is never written; ignore one rather than fail.
      if (it == index.end()) continue;
      states[it->second].model_cooldowns[cooldowns.text(2)] = from_ms(cooldowns.integer(3));
    }
    if (rc != SQLITE_DONE) return error("load");
    return states;
  }

  Status write_locked(const ProfileState& state) {
    Statement stmt(db_,
                   "INSERT OR REPLACE INTO profile_state (provider, profile, failure_count, "
                   "billing_failures, last_failure_ms, last_used_ms, last_good_ms, last_error, "
                   "last_error_message, disabled_until_ms, disabled_reason, key_fingerprint) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    if (!stmt.prepared()) return error("save");
    stmt.bind(1, state.provider);
    stmt.bind(2, state.profile);
    stmt.bind(3, static_cast<std::int64_t>(state.failure_count));
    stmt.bind(4, static_cast<std::int64_t>(state.billing_failures));
    stmt.bind(5, state.last_failure);
    stmt.bind(6, state.last_used);
    stmt.bind(7, state.last_good);
    stmt.bind(8, state.last_error);
    stmt.bind(9, state.last_error_message);
    stmt.bind(10, state.disabled_until);
    stmt.bind(11, state.disabled_reason);
    stmt.bind(12, state.key_fingerprint);
    if (stmt.step() != SQLITE_DONE) return error("save");

    Statement clear(db_, "DELETE FROM model_cooldown WHERE provider = ?1 AND profile = ?2");
    if (!clear.prepared()) return error("save");
    clear.bind(1, state.provider);
    clear.bind(2, state.profile);
    if (clear.step() != SQLITE_DONE) return error("save");

    for (const auto& [model, until] : state.model_cooldowns) {
      Statement insert(db_,
                       "INSERT INTO model_cooldown (provider, profile, model, until_ms) "
                       "VALUES (?1, ?2, ?3, ?4)");
      if (!insert.prepared()) return error("save");
      insert.bind(1, state.provider);
      insert.bind(2, state.profile);
      insert.bind(3, model);
      insert.bind(4, to_ms(until));
      if (insert.step() != SQLITE_DONE) return error("save");
    }
    return Status();
  }

  const std::string path_;
  const SqliteStoreOptions options_;
  mutable std::mutex mutex_;  // guards everything below: one connection, one thread at a time
  sqlite3* db_;
  std::string salt_;  // read (or made) by init(), then constant
  Failure last_failure_ = Failure::kNone;
};

// open_sqlite_auth_store, and why it failed.
Result<std::shared_ptr<AuthStateStore>> open_store(const std::string& path,
                                                   const SqliteStoreOptions& options,
                                                   Failure& failure) {
  failure = Failure::kOther;
  const std::filesystem::path file(path);
  if (path != ":memory:" && file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      return Status(
          StatusCode::kUnavailable,
          "auth state store '" + path + "': cannot create its directory: " + ec.message());
    }
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status(StatusCode::kUnavailable,
                  "auth state store '" + path + "': cannot open: " + message);
  }
  auto store = std::make_shared<SqliteAuthStore>(path, db, options);
  if (Status status = store->init(); !status.ok()) {
    failure = store->last_failure();
    return status;
  }
  failure = Failure::kNone;
  return std::shared_ptr<AuthStateStore>(std::move(store));
}

}  // namespace

Result<std::shared_ptr<AuthStateStore>> open_sqlite_auth_store(const std::string& path,
                                                               const SqliteStoreOptions& options) {
  Failure failure;
  return open_store(path, options, failure);
}

Status recreate_sqlite_auth_store(const std::string& path, const SqliteStoreOptions& options) {
  {
    Failure failure;
    auto opened = open_store(path, options, failure);
    if (opened.ok()) {
      // It opens; a file damaged past its header fails SQLite's quick check.
      auto* store = static_cast<SqliteAuthStore*>(opened->get());
      Status checked = store->quick_check();
      if (checked.ok() || store->last_failure() != Failure::kCorrupt) return checked;
    } else if (failure != Failure::kCorrupt) {
      return opened.error();
    }
  }
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ec;
    std::filesystem::remove(path + suffix, ec);
    if (ec) {
      return Status(StatusCode::kUnavailable,
                    "cannot remove the auth state database " + path + suffix + ": " + ec.message());
    }
  }
  Failure failure;
  return open_store(path, options, failure).status();
}

}  // namespace aisopod
