// The SQLite store: the conformance suite, plus what only a file can do: survive a restart,
// be shared by two connections (as by two processes), refuse files that are not its own, and
// stay consistent when a writer process is killed in the middle of its writes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "state/store_test_util.hpp"

namespace aisopod {
namespace {

using std::chrono::milliseconds;
using testing_util::AuthStateStoreConformance;
using testing_util::ScratchDir;
using testing_util::StoreKind;

std::shared_ptr<AuthStateStore> open_or_fail(const std::string& path) {
  auto store = open_sqlite_auth_store(path);
  EXPECT_TRUE(store.ok()) << store.error().to_string();
  return store.ok() ? *store : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, AuthStateStoreConformance,
                         ::testing::Values(StoreKind{"sqlite",
                                                     [](const ScratchDir& dir) {
                                                       return open_or_fail(dir.file("auth.db"));
                                                     }}),
                         [](const auto& info) { return info.param.name; });

ProfileState cooled(std::string profile, std::string model, long long until_ms) {
  ProfileState s;
  s.provider = "openai";
  s.profile = std::move(profile);
  s.failure_count = 1;
  s.last_error = "rate_limited";
  s.model_cooldowns[std::move(model)] = SystemTime(milliseconds(until_ms));
  return s;
}

// Runs one SQL statement on a raw connection and returns the first column of the first row.
std::string query_one(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  std::string out = "<error>";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) ==
      SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW) {
        const auto* text = sqlite3_column_text(stmt, 0);
        out = text ? reinterpret_cast<const char*>(text) : "";
      } else if (rc == SQLITE_DONE) {
        out = "";
      }
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

TEST(SqliteAuthStore, StateSurvivesReopen) {
  ScratchDir dir;
  const std::string path = dir.file("auth.db");
  const ProfileState state = cooled("main", "gpt-4o", 1'700'000'000'000);
  {
    auto store = open_or_fail(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->save(state).ok());
  }
  auto reopened = open_or_fail(path);
  ASSERT_NE(reopened, nullptr);
  auto loaded = reopened->load("openai", "main");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ(**loaded, state);
}

TEST(SqliteAuthStore, CreatesParentDirectoriesAndUsesWal) {
  ScratchDir dir;
  const std::string path = (dir.path() / "state" / "aisopod" / "auth.db").string();
  auto store = open_or_fail(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->save(cooled("main", "m", 1)).ok());
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(query_one(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_one(path, "PRAGMA user_version"), "2");
}

TEST(SqliteAuthStore, TwoConnectionsSeeEachOthersWritesAtOnce) {
  ScratchDir dir;
  const std::string path = dir.file("auth.db");
  auto a = open_or_fail(path);
  auto b = open_or_fail(path);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);

  const ProfileState from_a = cooled("main", "gpt-4o", 1000);
  ASSERT_TRUE(a->save(from_a).ok());
  auto seen_by_b = b->load_provider("openai");
  ASSERT_TRUE(seen_by_b.ok());
  ASSERT_EQ(seen_by_b->size(), 1u);
  EXPECT_EQ((*seen_by_b)[0], from_a);

  auto updated = b->update("openai", "main", [](ProfileState& s) {
    s.failure_count += 1;
    s.model_cooldowns["o3"] = SystemTime(milliseconds(2000));
  });
  ASSERT_TRUE(updated.ok());
  auto seen_by_a = a->load("openai", "main");
  ASSERT_TRUE(seen_by_a.ok() && seen_by_a->has_value());
  EXPECT_EQ((*seen_by_a)->failure_count, 2);
  EXPECT_EQ((*seen_by_a)->model_cooldowns.size(), 2u);

  ASSERT_TRUE(a->reset("", "").ok());
  EXPECT_TRUE(b->load_all()->empty());
}

TEST(SqliteAuthStore, ConcurrentUpdatesThroughTwoConnectionsAreNotLost) {
  ScratchDir dir;
  const std::string path = dir.file("auth.db");
  auto a = open_or_fail(path);
  auto b = open_or_fail(path);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kEach = 100;
  auto bump = [](const std::shared_ptr<AuthStateStore>& store) {
    for (int i = 0; i < kEach; ++i) {
      auto r = store->update("openai", "main", [](ProfileState& s) { ++s.failure_count; });
      EXPECT_TRUE(r.ok()) << r.error().to_string();
    }
  };
  std::thread ta(bump, a);
  std::thread tb(bump, b);
  ta.join();
  tb.join();
  EXPECT_EQ((*a->load("openai", "main"))->failure_count, 2 * kEach);
}

void write_junk(const std::string& path) {
  std::ofstream(path) << "this is a text file, long enough to fill an SQLite header......\n"
                      << std::string(200, 'x');
}

TEST(SqliteAuthStore, RefusesAFileThatIsNotADatabase) {
  ScratchDir dir;
  const std::string path = dir.file("notes.txt");
  write_junk(path);
  auto store = open_sqlite_auth_store(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(
      store.error().message(),
      "the auth state database " + path +
          " is corrupt (file is not a database); run 'aisopod profiles reset' to recreate it");
}

// The version 1 schema, as aisopod wrote it before fingerprints and cursors.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE profile_state (
  provider TEXT NOT NULL, profile TEXT NOT NULL, failure_count INTEGER NOT NULL,
  billing_failures INTEGER NOT NULL, last_failure_ms INTEGER, last_used_ms INTEGER,
  last_good_ms INTEGER, last_error TEXT NOT NULL, last_error_message TEXT NOT NULL,
  disabled_until_ms INTEGER, disabled_reason TEXT NOT NULL,
  PRIMARY KEY (provider, profile)) WITHOUT ROWID;
CREATE TABLE model_cooldown (
  provider TEXT NOT NULL, profile TEXT NOT NULL, model TEXT NOT NULL, until_ms INTEGER NOT NULL,
  PRIMARY KEY (provider, profile, model)) WITHOUT ROWID;
INSERT INTO profile_state VALUES ('openai', 'main', 2, 1, 1577836800000, 1577836801000, NULL,
  'rate_limited', 'Rate limit', 1577840400000, 'billing: no credit');
INSERT INTO model_cooldown VALUES ('openai', 'main', 'gpt-4o', 1577836860000);
INSERT INTO profile_state VALUES ('openai', 'poisoned', 1, 0, 1577836800000, NULL, NULL,
  'rate_limited', '', 5680000000000, 'unauthenticated: bad key');
INSERT INTO model_cooldown VALUES ('openai', 'poisoned', 'gpt-4o', 5680000000000);
PRAGMA application_id = 1095324496;
PRAGMA user_version = 1;
)sql";

TEST(SqliteAuthStore, MigratesAVersionOneDatabase) {
  ScratchDir dir;
  const std::string path = dir.file("auth.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, kSchemaV1, nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  std::string salt;
  {
    auto store = open_or_fail(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(query_one(path, "PRAGMA user_version"), "2");
    // The old states are kept, with no fingerprint (their key is adopted when next used).
    ProfileState main;
    main.provider = "openai";
    main.profile = "main";
    main.failure_count = 2;
    main.billing_failures = 1;
    main.last_failure = SystemTime(milliseconds(1577836800000));
    main.last_used = SystemTime(milliseconds(1577836801000));
    main.last_error = "rate_limited";
    main.last_error_message = "Rate limit";
    main.disabled_until = SystemTime(milliseconds(1577840400000));
    main.disabled_reason = "billing: no credit";
    main.model_cooldowns["gpt-4o"] = SystemTime(milliseconds(1577836860000));
    EXPECT_EQ(**store->load("openai", "main"), main);
    // A cooldown until 2149 (a Retry-After nobody capped) is cut to a day from the migration.
    const ProfileState poisoned = **store->load("openai", "poisoned");
    const SystemTime year_2100(std::chrono::seconds(4'102'444'800));
    EXPECT_LT(poisoned.model_cooldowns.at("gpt-4o"), year_2100);
    EXPECT_LT(*poisoned.disabled_until, year_2100);
    EXPECT_EQ(poisoned.model_cooldowns.at("gpt-4o"), *poisoned.disabled_until);
    // The new parts work.
    EXPECT_EQ(query_one(path, "SELECT length(value) FROM meta WHERE name = 'fingerprint_salt'"),
              "32");
    salt = *store->fingerprint_salt();
    EXPECT_EQ(salt.size(), 32u);
    ASSERT_TRUE(store->update_cursor("openai", [](std::string& c) { c = "main"; }).ok());
    ProfileState keyed = main;
    keyed.key_fingerprint = "0123456789abcdef";
    ASSERT_TRUE(store->save(keyed).ok());
  }
  // Reopened: no second migration, the same salt, cursor and fingerprint.
  auto reopened = open_or_fail(path);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(*reopened->fingerprint_salt(), salt);
  EXPECT_EQ(*reopened->update_cursor("openai", [](std::string&) {}), "main");
  EXPECT_EQ((*reopened->load("openai", "main"))->key_fingerprint, "0123456789abcdef");
  EXPECT_EQ(query_one(path, "SELECT count(*) FROM meta"), "1");
}

TEST(SqliteAuthStore, EachDatabaseHasItsOwnSalt) {
  ScratchDir dir;
  auto a = open_or_fail(dir.file("a.db"));
  auto b = open_or_fail(dir.file("b.db"));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(*a->fingerprint_salt(), *b->fingerprint_salt());
  EXPECT_EQ(*open_or_fail(dir.file("a.db"))->fingerprint_salt(), *a->fingerprint_salt());
}

// Holds the write lock of the database at `path` while it lives, as a stuck process would.
class WriteLockHolder {
 public:
  explicit WriteLockHolder(const std::string& path) {
    sqlite3_open(path.c_str(), &db_);
    locked_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~WriteLockHolder() {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
  }
  WriteLockHolder(const WriteLockHolder&) = delete;
  WriteLockHolder& operator=(const WriteLockHolder&) = delete;
  bool locked() const { return locked_; }

 private:
  sqlite3* db_ = nullptr;
  bool locked_ = false;
};

TEST(SqliteAuthStore, ALockHeldByAnotherProcessHasAClearMessage) {
  ScratchDir dir;
  const std::string path = dir.file("auth.db");
  SqliteStoreOptions options;
  options.busy_timeout = milliseconds(50);
  auto opened = open_sqlite_auth_store(path, options);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  const std::string expected = "the auth state database " + path +
                               " is locked by another process (busy for 0.05 s); try again when "
                               "it is done, or set state = \"memory\" in [auth]";
  WriteLockHolder holder(path);
  ASSERT_TRUE(holder.locked());
  const Status saved = (*opened)->save(cooled("main", "m", 1));
  EXPECT_EQ(saved, Status(StatusCode::kUnavailable, expected));
  auto second = open_sqlite_auth_store(path, options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error(), Status(StatusCode::kUnavailable, expected));
  // Recreating does not touch a database that is only busy.
  EXPECT_EQ(recreate_sqlite_auth_store(path, options), Status(StatusCode::kUnavailable, expected));
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST(SqliteAuthStore, ReadsDoNotWaitForAnotherConnectionsWriteLock) {
  // What the auth profile manager's store thread reads to learn other processes' changes.
  ScratchDir dir;
  const std::string path = dir.file("auth.db");
  SqliteStoreOptions options;
  options.busy_timeout = milliseconds(0);  // a read that needed the lock would fail at once
  auto opened = open_sqlite_auth_store(path, options);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  AuthStateStore& store = **opened;
  ASSERT_TRUE(store.save(cooled("main", "m", 1)).ok());
  ASSERT_TRUE(store.update_cursor("openai", [](std::string& c) { c = "main"; }).ok());
  WriteLockHolder holder(path);
  ASSERT_TRUE(holder.locked());
  auto states = store.load_provider("openai");
  ASSERT_TRUE(states.ok()) << states.error().to_string();
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ(states->at(0), cooled("main", "m", 1));
  auto cursor = store.load_cursor("openai");
  ASSERT_TRUE(cursor.ok()) << cursor.error().to_string();
  EXPECT_EQ(*cursor, "main");
  // A write does wait, and fails at once with this timeout.
  EXPECT_EQ(store.update_cursor("openai", [](std::string&) {}).status().code(),
            StatusCode::kUnavailable);
}

TEST(SqliteAuthStore, RecreateReplacesAFileThatIsNotADatabase) {
  ScratchDir dir;
  const std::string path = dir.file("auth.db");
  write_junk(path);
  write_junk(path + "-wal");
  write_junk(path + "-shm");
  ASSERT_EQ(recreate_sqlite_auth_store(path), Status());
  auto store = open_or_fail(path);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->load_all()->empty());
  ASSERT_TRUE(store->save(cooled("main", "m", 1)).ok());
  EXPECT_EQ(query_one(path, "PRAGMA integrity_check"), "ok");
}

TEST(SqliteAuthStore, RecreateReplacesADatabaseDamagedPastItsHeader) {
  ScratchDir dir;
  const std::string path = dir.file("auth.db");
  {
    auto store = open_or_fail(path);
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(store->save(cooled("p" + std::to_string(i), "m", i)).ok());
    }
  }
  // The last connection closed, so everything is in the main file; damage all but page 1.
  ASSERT_FALSE(std::filesystem::exists(path + "-wal"));
  const auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 8192u);
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4096);
    file << std::string(size - 4096, '\x5a');
  }
  ASSERT_EQ(recreate_sqlite_auth_store(path), Status());
  auto store = open_or_fail(path);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->load_all()->empty());
  EXPECT_EQ(query_one(path, "PRAGMA integrity_check"), "ok");
}

TEST(SqliteAuthStore, RecreateLeavesAHealthyStoreAndOtherProgramsFiles) {
  ScratchDir dir;
  const std::string path = dir.file("auth.db");
  {
    auto store = open_or_fail(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->save(cooled("main", "m", 7)).ok());
  }
  ASSERT_EQ(recreate_sqlite_auth_store(path), Status());
  EXPECT_TRUE(open_or_fail(path)->load("openai", "main")->has_value());

  const std::string other = dir.file("other.db");
  ASSERT_EQ(query_one(other, "CREATE TABLE notes (body TEXT)"), "");
  EXPECT_EQ(recreate_sqlite_auth_store(other),
            Status(StatusCode::kUnavailable,
                   "auth state store '" + other + "': not an aisopod store (it has other tables)"));
  EXPECT_EQ(query_one(other, "SELECT count(*) FROM notes"), "0");

  // A missing file is simply created.
  const std::string missing = dir.file("sub/new.db");
  ASSERT_EQ(recreate_sqlite_auth_store(missing), Status());
  EXPECT_EQ(query_one(missing, "PRAGMA user_version"), "2");
}

TEST(SqliteAuthStore, CursorsAreSharedByTwoConnections) {
  ScratchDir dir;
  const std::string path = dir.file("auth.db");
  auto a = open_or_fail(path);
  auto b = open_or_fail(path);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kEach = 100;
  auto bump = [](const std::shared_ptr<AuthStateStore>& store) {
    for (int i = 0; i < kEach; ++i) {
      auto r = store->update_cursor("openai", [](std::string& cursor) {
        cursor = std::to_string(cursor.empty() ? 1 : std::stoi(cursor) + 1);
      });
      EXPECT_TRUE(r.ok()) << r.error().to_string();
    }
  };
  std::thread ta(bump, a);
  std::thread tb(bump, b);
  ta.join();
  tb.join();
  EXPECT_EQ(query_one(path, "SELECT last_profile FROM rotation WHERE provider = 'openai'"),
            std::to_string(2 * kEach));
}

TEST(SqliteAuthStore, RefusesAnotherProgramsDatabase) {
  ScratchDir dir;
  const std::string path = dir.file("other.db");
  ASSERT_EQ(query_one(path, "CREATE TABLE notes (body TEXT)"), "");
  auto store = open_sqlite_auth_store(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.error().message().find("not an aisopod store"), std::string::npos)
      << store.error().message();
}

TEST(SqliteAuthStore, RefusesANewerSchema) {
  ScratchDir dir;
  const std::string path = dir.file("auth.db");
  ASSERT_NE(open_or_fail(path), nullptr);  // creates version 1
  ASSERT_EQ(query_one(path, "PRAGMA user_version=7"), "");
  auto store = open_sqlite_auth_store(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.error().message().find("schema version 7 is newer"), std::string::npos)
      << store.error().message();
}

TEST(SqliteAuthStore, UnwritableDirectoryIsUnavailable) {
  ScratchDir dir;
  const std::string blocker = dir.file("blocker");
  std::ofstream(blocker) << "a file where a directory should be";
  auto store = open_sqlite_auth_store(blocker + "/sub/auth.db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kUnavailable);
}

// The fields aisopod_state_writer derives from its write number n (state_writer_main.cpp).
void expect_consistent_writer_row(const ProfileState& s) {
  const long n = s.failure_count;
  ASSERT_GT(n, 0);
  EXPECT_EQ(s.provider, "writer");
  EXPECT_EQ(s.profile, "p" + std::to_string(n % 3));
  EXPECT_EQ(s.billing_failures, n % 7);
  EXPECT_EQ(s.last_failure, SystemTime(milliseconds(n)));
  EXPECT_EQ(s.disabled_until, SystemTime(milliseconds(2 * n)));
  EXPECT_EQ(s.disabled_reason, "reason-" + std::to_string(n));
  ASSERT_EQ(s.model_cooldowns.size(), static_cast<size_t>(n % 5 + 1)) << "write " << n;
  for (long m = 0; m <= n % 5; ++m) {
    auto it = s.model_cooldowns.find("model-" + std::to_string(m));
    ASSERT_NE(it, s.model_cooldowns.end()) << "write " << n << " model " << m;
    EXPECT_EQ(it->second, SystemTime(milliseconds(n + m)));
  }
}

// Starts the writer on `path`, reads its progress until it has committed `writes` writes, kills
// it with SIGKILL while it keeps writing, and returns the last write number it reported.
long run_and_kill_writer(const std::string& path, long writes) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    execl(AISOPOD_STATE_WRITER, AISOPOD_STATE_WRITER, path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fds[1]);
  if (pid < 0) {
    close(pipe_fds[0]);
    return -1;
  }
  FILE* progress = fdopen(pipe_fds[0], "r");
  long last = 0;
  long n = 0;
  while (last < writes && std::fscanf(progress, "%ld", &n) == 1) last = n;
  // The writer is still inside its loop, most likely in the middle of a transaction.
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  std::fclose(progress);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the writer exited by itself with status " << status;
  return last;
}

TEST(SqliteAuthStore, KilledWriterLeavesConsistentStore) {
  ScratchDir dir;
  const std::string path = dir.file("auth.db");
  // Several rounds, so later writers start on a file a killed writer left behind.
  for (long writes : {150L, 400L, 60L}) {
    const long last = run_and_kill_writer(path, writes);
    ASSERT_GE(last, writes) << "the writer stopped early";

    EXPECT_EQ(query_one(path, "PRAGMA integrity_check"), "ok");
    auto store = open_sqlite_auth_store(path);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    auto rows = (*store)->load_all();
    ASSERT_TRUE(rows.ok()) << rows.error().to_string();
    ASSERT_EQ(rows->size(), 3u);
    for (const auto& row : *rows) expect_consistent_writer_row(row);
    // Every write the writer reported was committed before it said so, so it survived.
    auto latest = (*store)->load("writer", "p" + std::to_string(last % 3));
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_GE((*latest)->failure_count, last);
    // And the store takes writes again.
    ASSERT_TRUE((*store)->save(cooled("main", "m", 5)).ok());
    ASSERT_TRUE((*store)->reset("openai", "").ok());
  }
}

}  // namespace
}  // namespace aisopod
