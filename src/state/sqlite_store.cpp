// The SQLite AuthStateStore: one connection per store object, WAL mode so that readers in other
// processes never block on a writer, and every write in a BEGIN IMMEDIATE transaction so that a
// crash leaves either the old or the new state.
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>
#include <utility>

#include "aisopod/auth.hpp"

namespace aisopod {
namespace {

// "AISP": marks the file as an aisopod auth store (PRAGMA application_id).
constexpr int kApplicationId = 0x41495350;
// PRAGMA user_version of the schema below. A file with a larger version was written by a newer
// aisopod and is refused rather than misread.
constexpr int kSchemaVersion = 1;
constexpr int kBusyTimeoutMs = 5000;

constexpr const char* kCreateSchema = R"sql(
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
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::optional<SystemTime> time(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return from_ms(sqlite3_column_int64(stmt_, column));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

class SqliteAuthStore final : public AuthStateStore {
 public:
  SqliteAuthStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  ~SqliteAuthStore() override { sqlite3_close_v2(db_); }
  SqliteAuthStore(const SqliteAuthStore&) = delete;
  SqliteAuthStore& operator=(const SqliteAuthStore&) = delete;

  // Sets up the connection and creates or checks the schema.
  Status init() {
    std::lock_guard lock(mutex_);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    // Reading the header first turns "not a database" into a clear error before anything else.
    int application_id = 0;
    AISOPOD_TRY_STATUS(pragma_int("PRAGMA application_id", application_id));
    AISOPOD_TRY_STATUS(exec("PRAGMA journal_mode=WAL"));
    // In WAL mode NORMAL loses no committed transaction when the process dies, only (at worst)
    // the last ones on power loss, and never corrupts the file.
    AISOPOD_TRY_STATUS(exec("PRAGMA synchronous=NORMAL"));

    AISOPOD_TRY_STATUS(begin("BEGIN IMMEDIATE"));
    Status status = init_schema_locked();
    if (!status.ok()) {
      rollback();
      return status;
    }
    return commit();
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

  Status reset(std::string_view provider, std::string_view profile) override {
    std::lock_guard lock(mutex_);
    AISOPOD_TRY_STATUS(begin("BEGIN IMMEDIATE"));
    for (const char* table : {"profile_state", "model_cooldown"}) {
      std::string sql = std::string("DELETE FROM ") + table +
                        " WHERE (?1 = '' OR provider = ?1) AND (?2 = '' OR profile = ?2)";
      Statement stmt(db_, sql.c_str());
      if (!stmt.prepared()) return fail_and_rollback("reset");
      stmt.bind(1, provider);
      stmt.bind(2, profile);
      if (stmt.step() != SQLITE_DONE) return fail_and_rollback("reset");
    }
    return commit();
  }

 private:
  Status error(std::string_view what) const {
    return Status(StatusCode::kUnavailable, "auth state store '" + path_ + "': " +
                                                std::string(what) + ": " + sqlite3_errmsg(db_));
  }
  Status fail_and_rollback(std::string_view what) {
    Status status = error(what);
    rollback();
    return status;
  }

  Status exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return error(sql);
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
    if (version == kSchemaVersion) {
      if (application_id != kApplicationId) {
        return Status(StatusCode::kUnavailable,
                      "auth state store '" + path_ + "': not an aisopod store");
      }
      return Status();
    }
    // version 0: a new file, unless some other program put tables in it.
    int tables = 0;
    AISOPOD_TRY_STATUS(pragma_int("SELECT count(*) FROM sqlite_master", tables));
    if (tables != 0) {
      return Status(StatusCode::kUnavailable,
                    "auth state store '" + path_ + "': not an aisopod store (it has other tables)");
    }
    AISOPOD_TRY_STATUS(exec(kCreateSchema));
    AISOPOD_TRY_STATUS(exec(("PRAGMA application_id=" + std::to_string(kApplicationId)).c_str()));
    return exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
  }

  static constexpr const char* kSelectState =
      "SELECT provider, profile, failure_count, billing_failures, last_failure_ms, last_used_ms, "
      "last_good_ms, last_error, last_error_message, disabled_until_ms, disabled_reason "
      "FROM profile_state ";

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
                   "last_error_message, disabled_until_ms, disabled_reason) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
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
  std::mutex mutex_;  // guards db_: one connection, used by one thread at a time
  sqlite3* db_;
};

}  // namespace

Result<std::shared_ptr<AuthStateStore>> open_sqlite_auth_store(const std::string& path) {
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
  auto store = std::make_shared<SqliteAuthStore>(path, db);
  AISOPOD_TRY_STATUS(store->init());
  return std::shared_ptr<AuthStateStore>(std::move(store));
}

}  // namespace aisopod
