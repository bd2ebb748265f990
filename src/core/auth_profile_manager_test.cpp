// AuthProfileManager on a FakeClock: rotation, cooldown schedules, Retry-After, billing,
// decay, sticky sessions, the observer, keys that change or are rejected, store errors, writes
// behind the caller (never on its thread, merged, retried, flushed), and state and rotation
// shared through (and reloaded from) SQLite, also while another connection holds its lock.
#include "aisopod/auth.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>
#include <thread>

#include "state/fingerprint.hpp"

namespace aisopod {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kModelA = "gpt-4o";
constexpr std::string_view kModelB = "gpt-4o-mini";

// A fresh directory removed with everything in it on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    static int counter = 0;
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("aisopod-auth-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CooldownEvent {
  std::string provider, profile, model;
  SystemTime until;
  StatusCode cause;
  friend bool operator==(const CooldownEvent&, const CooldownEvent&) = default;
};

class RecordingObserver final : public Observer {
 public:
  void on_cooldown_set(std::string_view provider, std::string_view profile, std::string_view model,
                       SystemTime until, const Status& cause) override {
    std::lock_guard lock(mutex_);
    events_.push_back(
        {std::string(provider), std::string(profile), std::string(model), until, cause.code()});
  }
  void on_state_store_error(const Status& error) override {
    std::lock_guard lock(mutex_);
    store_errors_.push_back(error);
  }
  std::vector<CooldownEvent> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<Status> store_errors() const {
    std::lock_guard lock(mutex_);
    return store_errors_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<CooldownEvent> events_;
  std::vector<Status> store_errors_;
};

// A store whose every operation fails, as a full disk or a locked file would.
class BrokenStore final : public AuthStateStore {
 public:
  Result<std::string> update_cursor(std::string_view,
                                    const std::function<void(std::string&)>&) override {
    return broken();
  }
  Result<std::string> load_cursor(std::string_view) override { return broken(); }
  Result<std::string> fingerprint_salt() override { return broken(); }
  Result<std::optional<ProfileState>> load(std::string_view, std::string_view) override {
    return broken();
  }
  Result<std::vector<ProfileState>> load_provider(std::string_view) override { return broken(); }
  Result<std::vector<ProfileState>> load_all() override { return broken(); }
  Status save(const ProfileState&) override { return broken(); }
  Result<ProfileState> update(std::string_view, std::string_view,
                              const std::function<void(ProfileState&)>&) override {
    return broken();
  }
  Status reset(std::string_view, std::string_view) override { return broken(); }

 private:
  static Status broken() { return Status(StatusCode::kUnavailable, "disk full"); }
};

Status failure(StatusCode code, std::optional<milliseconds> retry_after = std::nullopt) {
  return Status(code, "injected " + std::string(status_code_name(code)))
      .set_retry_after(retry_after);
}

// Three keys for "openai" (k1, k2, k3, secrets sk-k1, ...), on a fake clock.
class AuthProfileManagerTest : public ::testing::Test {
 protected:
  explicit AuthProfileManagerTest(std::shared_ptr<AuthStateStore> store = make_memory_auth_store())
      : store_(std::move(store)), manager_(store_, CooldownPolicy{}, clock_) {
    for (const char* name : {"k1", "k2", "k3"}) add(manager_, name);
  }

  static void add(AuthProfileManager& manager, const std::string& name) {
    manager.add_profile("openai", name, [name] { return Result<std::string>("sk-" + name); });
  }

  // The profile acquire() hands out, or the error's code name.
  std::string next(std::string_view model = kModelA, std::string_view session = {},
                   const std::vector<std::string>& exclude = {}) {
    auto lease = manager_.acquire("openai", model, session, exclude);
    if (!lease.ok()) return std::string(status_code_name(lease.error().code()));
    EXPECT_EQ(lease->provider, "openai");
    EXPECT_EQ(lease->secret, "sk-" + lease->profile);
    return lease->profile;
  }
  std::vector<std::string> next_n(int n, std::string_view model = kModelA) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(next(model));
    return out;
  }

  void report(const std::string& profile, const Status& outcome, std::string_view model = kModelA) {
    manager_.report(AuthLease{"openai", profile, "sk-" + profile}, model, outcome);
  }

  ProfileState state(const std::string& profile) const {
    for (auto& s : manager_.snapshot()) {
      if (s.provider == "openai" && s.profile == profile) return s;
    }
    ADD_FAILURE() << "no profile " << profile;
    return {};
  }
  // How long (profile, model) stays cooled from now; 0 when it is not.
  milliseconds cooldown_left(const std::string& profile, std::string_view model = kModelA) const {
    auto s = state(profile);
    auto it = s.model_cooldowns.find(std::string(model));
    if (it == s.model_cooldowns.end() || it->second <= clock_->now()) return milliseconds(0);
    return std::chrono::duration_cast<milliseconds>(it->second - clock_->now());
  }
  milliseconds disabled_left(const std::string& profile) const {
    auto s = state(profile);
    if (!s.disabled_until || *s.disabled_until <= clock_->now()) return milliseconds(0);
    return std::chrono::duration_cast<milliseconds>(*s.disabled_until - clock_->now());
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::shared_ptr<AuthStateStore> store_;
  AuthProfileManager manager_;
};

TEST_F(AuthProfileManagerTest, HandsOutProfilesRoundRobinInAddOrder) {
  EXPECT_EQ(next_n(7), (std::vector<std::string>{"k1", "k2", "k3", "k1", "k2", "k3", "k1"}));
  EXPECT_TRUE(manager_.has_profiles("openai"));
  EXPECT_FALSE(manager_.has_profiles("anthropic"));
}

TEST_F(AuthProfileManagerTest, ThreeKeysOneRateLimitedForOneModelAndOneInvalid) {
  report("k1", failure(StatusCode::kRateLimited), kModelA);
  report("k2", failure(StatusCode::kUnauthenticated), kModelA);

  // Model A: k1 is cooling for it and k2 is disabled for everything.
  EXPECT_EQ(next_n(3, kModelA), (std::vector<std::string>{"k3", "k3", "k3"}));
  // Model B: k1's rate limit was for model A only.
  EXPECT_EQ(next_n(4, kModelB), (std::vector<std::string>{"k1", "k3", "k1", "k3"}));

  // Both cooldowns are the first step of the schedule; once it passes all three are back.
  EXPECT_EQ(cooldown_left("k1", kModelA), minutes(1));
  EXPECT_EQ(disabled_left("k2"), minutes(1));
  clock_->advance(seconds(59));
  EXPECT_EQ(next_n(2, kModelA), (std::vector<std::string>{"k3", "k3"}));
  clock_->advance(seconds(1));
  auto all = next_n(3, kModelA);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::string>{"k1", "k2", "k3"}));
}

TEST_F(AuthProfileManagerTest, RetryAfterIsALowerBound) {
  report("k1", failure(StatusCode::kRateLimited, minutes(10)));
  EXPECT_EQ(cooldown_left("k1"), minutes(10));
  // A shorter Retry-After does not shorten the schedule.
  report("k2", failure(StatusCode::kRateLimited, seconds(5)));
  EXPECT_EQ(cooldown_left("k2"), minutes(1));
  clock_->advance(minutes(9));
  EXPECT_EQ(next_n(2), (std::vector<std::string>{"k2", "k3"}));
  clock_->advance(minutes(1));
  EXPECT_EQ(next(), "k1");
}

TEST_F(AuthProfileManagerTest, RateLimitScheduleIsOneFiveTwentyFiveMinutesThenOneHourCap) {
  const std::vector<milliseconds> expected = {minutes(1), minutes(5), minutes(25), hours(1),
                                              hours(1)};
  for (size_t i = 0; i < expected.size(); ++i) {
    report("k1", failure(StatusCode::kRateLimited));
    EXPECT_EQ(cooldown_left("k1"), expected[i]) << "failure " << i + 1;
    EXPECT_EQ(state("k1").failure_count, static_cast<int>(i + 1));
    clock_->advance(expected[i]);
  }
}

TEST_F(AuthProfileManagerTest, AuthFailuresDisableTheProfileOnTheSameSchedule) {
  const std::vector<milliseconds> expected = {minutes(1), minutes(5), minutes(25), hours(1)};
  for (size_t i = 0; i < expected.size(); ++i) {
    report("k2", failure(i % 2 ? StatusCode::kPermissionDenied : StatusCode::kUnauthenticated));
    EXPECT_EQ(disabled_left("k2"), expected[i]) << "failure " << i + 1;
    EXPECT_TRUE(state("k2").model_cooldowns.empty());
    clock_->advance(expected[i]);
  }
}

TEST_F(AuthProfileManagerTest, BillingDisablesForFiveHoursDoublingToADay) {
  const std::vector<milliseconds> expected = {hours(5), hours(10), hours(20), hours(24), hours(24)};
  for (size_t i = 0; i < expected.size(); ++i) {
    report("k3", failure(StatusCode::kBilling));
    EXPECT_EQ(disabled_left("k3"), expected[i]) << "billing failure " << i + 1;
    EXPECT_EQ(state("k3").billing_failures, static_cast<int>(i + 1));
    EXPECT_EQ(next_n(2, kModelB), (std::vector<std::string>{"k1", "k2"})) << i;
    clock_->advance(expected[i]);
  }
  // The billing failures did not move the rate-limit schedule.
  EXPECT_EQ(state("k3").failure_count, 0);
}

TEST_F(AuthProfileManagerTest, FailureCountsDecayAfterADayWithoutFailures) {
  report("k1", failure(StatusCode::kRateLimited));  // 1 m
  clock_->advance(minutes(1));
  report("k1", failure(StatusCode::kRateLimited));  // 5 m
  // Just under a day after that cooldown ended the schedule goes on...
  clock_->advance(minutes(5) + hours(24) - milliseconds(1));
  report("k1", failure(StatusCode::kRateLimited));
  EXPECT_EQ(cooldown_left("k1"), minutes(25));
  EXPECT_EQ(state("k1").failure_count, 3);
  // ...a day after the end of the last cooldown, it starts over.
  clock_->advance(minutes(25) + hours(24));
  report("k1", failure(StatusCode::kRateLimited));
  EXPECT_EQ(cooldown_left("k1"), minutes(1));
  EXPECT_EQ(state("k1").failure_count, 1);

  // The day counts from the end of a disablement: 24 h after a 5 h billing failure is only
  // 19 h of being usable.
  report("k2", failure(StatusCode::kBilling));
  clock_->advance(hours(24));
  report("k2", failure(StatusCode::kBilling));
  EXPECT_EQ(disabled_left("k2"), hours(10));
  clock_->advance(hours(10) + hours(24));
  report("k2", failure(StatusCode::kBilling));
  EXPECT_EQ(disabled_left("k2"), hours(5));
  EXPECT_EQ(state("k2").billing_failures, 1);
}

TEST_F(AuthProfileManagerTest, SuccessClearsTheProfilesFailureState) {
  report("k1", failure(StatusCode::kRateLimited), kModelB);
  clock_->advance(minutes(1));
  report("k1", failure(StatusCode::kRateLimited), kModelB);
  report("k1", failure(StatusCode::kUnauthenticated), kModelB);
  report("k1", failure(StatusCode::kBilling), kModelB);
  report("k1", failure(StatusCode::kRateLimited), kModelA);
  ASSERT_TRUE(state("k1").marked_failed());

  clock_->advance(hours(6));  // the billing disablement has passed; the counts have not decayed
  report("k1", Status(), kModelB);
  const ProfileState s = state("k1");
  EXPECT_EQ(s.failure_count, 0);
  EXPECT_EQ(s.billing_failures, 0);
  EXPECT_EQ(s.disabled_until, std::nullopt);
  EXPECT_EQ(s.disabled_reason, "");
  EXPECT_TRUE(s.marked_good());
  EXPECT_EQ(s.last_good, clock_->now());
  EXPECT_EQ(s.last_used, clock_->now());
  // The next failure starts the schedules from the beginning.
  report("k1", failure(StatusCode::kRateLimited), kModelB);
  EXPECT_EQ(cooldown_left("k1", kModelB), minutes(1));
  report("k1", failure(StatusCode::kBilling), kModelB);
  EXPECT_EQ(disabled_left("k1"), hours(5));
}

TEST_F(AuthProfileManagerTest, SuccessOnOneModelKeepsAnotherModelsRateLimit) {
  report("k1", failure(StatusCode::kRateLimited, hours(2)), kModelA);
  report("k1", Status(), kModelB);
  EXPECT_EQ(cooldown_left("k1", kModelA), hours(2));
  EXPECT_EQ(next_n(2, kModelA), (std::vector<std::string>{"k2", "k3"}));
}

TEST_F(AuthProfileManagerTest, ProfilesAreMarkedGoodOrFailedWithTheReason) {
  EXPECT_FALSE(state("k1").marked_good());
  EXPECT_FALSE(state("k1").marked_failed());
  report("k1", Status());
  EXPECT_TRUE(state("k1").marked_good());

  report("k2", Status(StatusCode::kUnauthenticated, "Incorrect API key provided"));
  const ProfileState s = state("k2");
  EXPECT_TRUE(s.marked_failed());
  EXPECT_FALSE(s.marked_good());
  EXPECT_EQ(s.last_error, "unauthenticated");
  EXPECT_EQ(s.last_error_message, "Incorrect API key provided");
  EXPECT_EQ(s.disabled_reason, "unauthenticated: Incorrect API key provided");
  EXPECT_EQ(s.last_failure, clock_->now());
}

TEST_F(AuthProfileManagerTest, ErrorsThatAreNotTheCredentialsFaultChangeNothing) {
  for (StatusCode code : {StatusCode::kOverloaded, StatusCode::kUnavailable, StatusCode::kTimeout,
                          StatusCode::kInvalidArgument, StatusCode::kNotFound,
                          StatusCode::kContextLengthExceeded, StatusCode::kProtocolError}) {
    report("k1", failure(code, minutes(30)));
  }
  const ProfileState s = state("k1");
  EXPECT_EQ(s.failure_count, 0);
  EXPECT_TRUE(s.model_cooldowns.empty());
  EXPECT_EQ(s.disabled_until, std::nullopt);
  EXPECT_FALSE(s.marked_failed());
  EXPECT_EQ(s.last_used, clock_->now());
  EXPECT_EQ(next_n(3), (std::vector<std::string>{"k1", "k2", "k3"}));
}

TEST_F(AuthProfileManagerTest, FailuresOfCallsInFlightDoNotCountTwice) {
  // Three requests sent with k1 before the first 429 came back all fail the same way.
  report("k1", failure(StatusCode::kRateLimited));
  report("k1", failure(StatusCode::kRateLimited));
  report("k1", failure(StatusCode::kRateLimited, minutes(3)));
  EXPECT_EQ(state("k1").failure_count, 1);
  EXPECT_EQ(cooldown_left("k1"), minutes(3));  // extended to the Retry-After only

  report("k2", failure(StatusCode::kBilling));
  report("k2", failure(StatusCode::kBilling));
  EXPECT_EQ(state("k2").billing_failures, 1);
  EXPECT_EQ(disabled_left("k2"), hours(5));
  // A different kind of failure counts, and never shortens what is already set.
  report("k2", failure(StatusCode::kUnauthenticated));
  EXPECT_EQ(state("k2").failure_count, 1);
  EXPECT_EQ(disabled_left("k2"), hours(5));
}

TEST_F(AuthProfileManagerTest, EveryProfileCoolingDownFailsWithTheEarliestExpiry) {
  report("k1", failure(StatusCode::kRateLimited, minutes(30)));
  report("k2", failure(StatusCode::kBilling));
  clock_->advance(seconds(10));
  report("k3", failure(StatusCode::kRateLimited, milliseconds(1500)));  // 1 m: the schedule
  clock_->advance(seconds(5));

  auto lease = manager_.acquire("openai", kModelA);
  ASSERT_FALSE(lease.ok());
  const Status& error = lease.error();
  EXPECT_EQ(error.code(), StatusCode::kRateLimited);
  // The fake clock starts at 2020-01-01T00:00:00Z; k3 is ready 10 s + 1 m later.
  EXPECT_EQ(error.message(),
            "all 3 profiles of provider 'openai' are cooling down; the first is ready at "
            "2020-01-01T00:01:10Z (profile 'k3')");
  EXPECT_EQ(error.retry_after(), seconds(55));
  EXPECT_EQ(error.provider(), "openai");

  // For another model only k2 (billing) is out.
  EXPECT_EQ(next(kModelB), "k1");
  clock_->advance(seconds(55));
  EXPECT_EQ(next(kModelA), "k3");
}

TEST_F(AuthProfileManagerTest, ExcludedProfilesAreSkipped) {
  EXPECT_EQ(next(kModelA, {}, {"k1"}), "k2");
  EXPECT_EQ(next(kModelA, {}, {"k3", "k1"}), "k2");
  report("k2", failure(StatusCode::kRateLimited));
  auto lease = manager_.acquire("openai", kModelA, {}, {"k1", "k3"});
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error().code(), StatusCode::kRateLimited);
  EXPECT_NE(lease.error().message().find("all 1 profiles"), std::string::npos);
  auto none_left = manager_.acquire("openai", kModelA, {}, {"k1", "k2", "k3"});
  ASSERT_FALSE(none_left.ok());
  EXPECT_EQ(none_left.error().code(), StatusCode::kUnavailable);
}

TEST_F(AuthProfileManagerTest, StickySessionKeepsItsProfileWhileItIsHealthy) {
  EXPECT_EQ(next(kModelA, "session-1"), "k1");
  EXPECT_EQ(next(kModelA, "session-2"), "k2");
  EXPECT_EQ(next(kModelA), "k3");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(next(kModelA, "session-1"), "k1");
    EXPECT_EQ(next(kModelA, "session-2"), "k2");
  }
  // k1 is rate-limited: session 1 moves on and stays on its new profile even after k1 recovers,
  // so the new profile's prompt cache stays warm.
  report("k1", failure(StatusCode::kRateLimited));
  const std::string moved = next(kModelA, "session-1");
  EXPECT_TRUE(moved == "k2" || moved == "k3") << moved;
  clock_->advance(minutes(2));
  EXPECT_EQ(next(kModelA, "session-1"), moved);
  EXPECT_EQ(next(kModelA, "session-2"), "k2");
  // A sticky profile that this call already tried is not handed out again.
  EXPECT_NE(next(kModelA, "session-2", {"k2"}), "k2");
}

TEST_F(AuthProfileManagerTest, ObserverHearsEveryCooldownWithItsScope) {
  auto observer = std::make_shared<RecordingObserver>();
  manager_.set_observer(observer);
  const SystemTime t0 = clock_->now();
  report("k1", failure(StatusCode::kRateLimited, minutes(2)), kModelB);
  report("k2", failure(StatusCode::kPermissionDenied));
  report("k3", failure(StatusCode::kBilling));
  report("k3", failure(StatusCode::kOverloaded));  // no cooldown
  report("k1", Status(), kModelA);                 // no cooldown
  EXPECT_EQ(observer->events(),
            (std::vector<CooldownEvent>{
                {"openai", "k1", std::string(kModelB), t0 + minutes(2), StatusCode::kRateLimited},
                {"openai", "k2", "", t0 + minutes(1), StatusCode::kPermissionDenied},
                {"openai", "k3", "", t0 + hours(5), StatusCode::kBilling}}));
  manager_.set_observer(nullptr);
  report("k1", failure(StatusCode::kRateLimited), kModelA);
  EXPECT_EQ(observer->events().size(), 3u);
}

TEST_F(AuthProfileManagerTest, ResetForgetsOneProfileOrAll) {
  report("k1", failure(StatusCode::kBilling));
  report("k2", failure(StatusCode::kBilling));
  ASSERT_TRUE(manager_.reset("k1").ok());
  EXPECT_EQ(disabled_left("k1"), milliseconds(0));
  EXPECT_EQ(disabled_left("k2"), hours(5));
  EXPECT_FALSE(store_->load("openai", "k1")->has_value());
  ASSERT_TRUE(manager_.reset().ok());
  EXPECT_EQ(disabled_left("k2"), milliseconds(0));
  EXPECT_TRUE(store_->load_all()->empty());
}

TEST_F(AuthProfileManagerTest, SnapshotListsEveryProfileInAddOrder) {
  add(manager_, "k0");
  manager_.add_profile("anthropic", "solo", [] { return Result<std::string>("sk-ant"); });
  std::vector<std::string> names;
  for (const auto& s : manager_.snapshot()) names.push_back(s.provider + "/" + s.profile);
  EXPECT_EQ(names, (std::vector<std::string>{"openai/k1", "openai/k2", "openai/k3", "openai/k0",
                                             "anthropic/solo"}));
}

TEST_F(AuthProfileManagerTest, UnknownProviderIsNotFoundAndSecretErrorsPassThrough) {
  auto unknown = manager_.acquire("gemini", "gemini-2.5-pro");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), StatusCode::kNotFound);

  manager_.add_profile("vault", "main", [] {
    return Result<std::string>(Status(StatusCode::kUnauthenticated, "token refresh failed"));
  });
  auto lease = manager_.acquire("vault", "m");
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error(), Status(StatusCode::kUnauthenticated, "token refresh failed"));
}

TEST_F(AuthProfileManagerTest, ReportsForUnknownProfilesAreIgnored) {
  manager_.report(AuthLease{"openai", "ghost", "sk"}, kModelA, failure(StatusCode::kBilling));
  EXPECT_FALSE(store_->load("openai", "ghost")->has_value());
  EXPECT_EQ(manager_.snapshot().size(), 3u);
}

TEST_F(AuthProfileManagerTest, RetryAfterAboveADayCountsAsADay) {
  // "Retry-After: 999999999999" would otherwise cool the key for 31 700 years.
  report("k1", failure(StatusCode::kRateLimited, seconds(999'999'999'999)));
  EXPECT_EQ(cooldown_left("k1"), hours(24));
  report("k2", failure(StatusCode::kBilling, milliseconds::max()));
  EXPECT_EQ(disabled_left("k2"), hours(24));
  report("k3", failure(StatusCode::kUnauthenticated, hours(25)));
  EXPECT_EQ(disabled_left("k3"), hours(24));
  // A call that was in flight extends a cooldown by a day at most too.
  clock_->advance(hours(1));
  report("k1", failure(StatusCode::kRateLimited, milliseconds::max()));
  EXPECT_EQ(cooldown_left("k1"), hours(24));
  auto lease = manager_.acquire("openai", kModelA);
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error(), Status(StatusCode::kRateLimited,
                                  "all 3 profiles of provider 'openai' are cooling down; the first "
                                  "is ready at 2020-01-02T00:00:00Z (profile 'k2')"));
  EXPECT_EQ(lease.error().retry_after(), hours(23));
}

TEST_F(AuthProfileManagerTest, EveryKeyRejectedFailsAsUnauthenticatedNamingTheLatest) {
  report("k1", Status(StatusCode::kUnauthenticated, "Incorrect API key provided"));
  clock_->advance(seconds(10));
  report("k3", Status(StatusCode::kPermissionDenied, "Project has no access to gpt-4o"));
  clock_->advance(seconds(10));
  report("k2", Status(StatusCode::kUnauthenticated, ""));
  clock_->advance(seconds(5));
  auto lease = manager_.acquire("openai", kModelA);
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error(), Status(StatusCode::kUnauthenticated,
                                  "all 3 profiles of provider 'openai' are disabled; key rejected "
                                  "at 2020-01-01T00:00:20Z (profile 'k2' of provider 'openai'): "
                                  "unauthenticated"));
  EXPECT_EQ(lease.error().provider(), "openai");
  EXPECT_EQ(lease.error().profile(), "k2");
  EXPECT_EQ(lease.error().retry_after(), std::nullopt);
  // Only the ones not yet tried count: k3 alone was refused with a 403.
  auto forbidden = manager_.acquire("openai", kModelA, {}, {"k1", "k2"});
  ASSERT_FALSE(forbidden.ok());
  EXPECT_EQ(forbidden.error(),
            Status(StatusCode::kPermissionDenied,
                   "key rejected at 2020-01-01T00:00:10Z (profile 'k3' of provider 'openai'): "
                   "Project has no access to gpt-4o"));
}

TEST_F(AuthProfileManagerTest, RejectedKeysAndRateLimitsTogetherAreRateLimited) {
  report("k1", failure(StatusCode::kUnauthenticated));
  report("k2", failure(StatusCode::kRateLimited, minutes(3)));
  report("k3", failure(StatusCode::kBilling));
  auto lease = manager_.acquire("openai", kModelA);
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error(), Status(StatusCode::kRateLimited,
                                  "all 3 profiles of provider 'openai' are cooling down; the first "
                                  "is ready at 2020-01-01T00:01:00Z (profile 'k1')"));
  EXPECT_EQ(lease.error().retry_after(), minutes(1));
}

// One profile "main" of "openai" whose key the test changes, as an edited environment
// variable would, on a fake clock.
class ChangingKeyTest : public ::testing::Test {
 protected:
  ChangingKeyTest() {
    manager_.add_profile("openai", "main", [key = key_] { return Result<std::string>(*key); });
  }
  ProfileState state() const { return manager_.snapshot().at(0); }
  // A state that knows nothing but the key it belongs to.
  ProfileState clean_state_of(const std::string& key) const {
    ProfileState clean;
    clean.provider = "openai";
    clean.profile = "main";
    clean.key_fingerprint = secret_fingerprint(*store_->fingerprint_salt(), key);
    return clean;
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::shared_ptr<AuthStateStore> store_ = make_memory_auth_store();
  std::shared_ptr<std::string> key_ = std::make_shared<std::string>("sk-old-key-00000001");
  AuthProfileManager manager_{store_, CooldownPolicy{}, clock_};
};

TEST_F(ChangingKeyTest, StateIsKeptWithAnHmacOfTheKeyUnderTheStoresSalt) {
  auto lease = manager_.acquire("openai", kModelA);
  ASSERT_TRUE(lease.ok());
  manager_.report(*lease, kModelA, Status());
  ProfileState expected = clean_state_of("sk-old-key-00000001");
  expected.last_used = clock_->now();
  expected.last_good = clock_->now();
  EXPECT_EQ(state(), expected);
  // Keyed: another store (another salt) gives the same key another fingerprint.
  EXPECT_NE(state().key_fingerprint,
            secret_fingerprint(*make_memory_auth_store()->fingerprint_salt(), *key_));
}

TEST_F(ChangingKeyTest, ARejectedKeyStaysRejectedAndANewKeyStartsClean) {
  auto lease = manager_.acquire("openai", kModelA);
  ASSERT_TRUE(lease.ok());
  manager_.report(*lease, kModelA,
                  Status(StatusCode::kUnauthenticated, "Incorrect API key provided"));
  clock_->advance(seconds(30));
  auto rejected = manager_.acquire("openai", kModelA);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error(),
            Status(StatusCode::kUnauthenticated,
                   "key rejected at 2020-01-01T00:00:00Z (profile 'main' of provider 'openai'): "
                   "Incorrect API key provided"));

  *key_ = "sk-new-key-00000002";
  auto fresh = manager_.acquire("openai", kModelA);
  ASSERT_TRUE(fresh.ok()) << fresh.error().to_string();
  EXPECT_EQ(fresh->secret, "sk-new-key-00000002");
  EXPECT_EQ(state(), clean_state_of("sk-new-key-00000002"));
  ASSERT_EQ(manager_.flush(), Status());
  EXPECT_EQ(**store_->load("openai", "main"), clean_state_of("sk-new-key-00000002"));
}

TEST_F(ChangingKeyTest, ANewKeyStartsTheScheduleOver) {
  for (milliseconds cooldown : {milliseconds(minutes(1)), milliseconds(minutes(5))}) {
    auto lease = manager_.acquire("openai", kModelA);
    ASSERT_TRUE(lease.ok());
    manager_.report(*lease, kModelA, failure(StatusCode::kRateLimited));
    clock_->advance(cooldown);
  }
  ASSERT_EQ(state().failure_count, 2);
  *key_ = "sk-new-key-00000002";
  auto lease = manager_.acquire("openai", kModelA);
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(state(), clean_state_of("sk-new-key-00000002"));
  manager_.report(*lease, kModelA, failure(StatusCode::kRateLimited));
  EXPECT_EQ(state().failure_count, 1);
  EXPECT_EQ(state().model_cooldowns.at(std::string(kModelA)), clock_->now() + minutes(1));
  // A late report made with the old key (a call in flight when the key changed) is recorded
  // against the old key; the next acquire, made with the new key, forgets it again.
  manager_.report(AuthLease{"openai", "main", "sk-old-key-00000001"}, kModelB, Status());
  EXPECT_EQ(state().key_fingerprint, clean_state_of("sk-old-key-00000001").key_fingerprint);
  auto again = manager_.acquire("openai", kModelB);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(state(), clean_state_of("sk-new-key-00000002"));
}

TEST(AuthProfileManagerRotation, ManagersSharingAStoreTakeTurns) {
  auto store = make_memory_auth_store();
  std::vector<std::string> used;
  for (int run = 0; run < 4; ++run) {
    AuthProfileManager manager(store);
    for (const char* name : {"k1", "k2", "k3"}) {
      manager.add_profile("openai", name, [] { return Result<std::string>("sk-x"); });
    }
    auto lease = manager.acquire("openai", "m");
    ASSERT_TRUE(lease.ok());
    used.push_back(lease->profile);
  }
  EXPECT_EQ(used, (std::vector<std::string>{"k1", "k2", "k3", "k1"}));
}

TEST_F(AuthProfileManagerTest, AfterFlushTheStoreHoldsWhatWasDecidedInMemory) {
  report("k1", failure(StatusCode::kRateLimited, minutes(3)), kModelA);
  report("k1", failure(StatusCode::kRateLimited), kModelB);
  clock_->advance(seconds(1));
  report("k2", Status(StatusCode::kBilling, "Your credit balance is too low"));
  report("k3", Status());
  clock_->advance(minutes(3));
  report("k1", failure(StatusCode::kRateLimited), kModelA);
  report("k2", failure(StatusCode::kOverloaded));
  report("k3", Status(StatusCode::kUnauthenticated, "Incorrect API key provided"));
  // Runs that may be written as one change (the later one makes the earlier one moot)...
  for (int i = 0; i < 3; ++i) {
    clock_->advance(seconds(1));
    report("k3", Status(), kModelA);
    report("k2", failure(i == 1 ? StatusCode::kTimeout : StatusCode::kOverloaded));
    report("k1", Status(), kModelB);
  }
  // ...and ones that may not: another model, a failure after a success.
  report("k3", Status(), kModelB);
  report("k2", Status(), kModelA);
  report("k2", failure(StatusCode::kOverloaded));
  const std::vector<ProfileState> decided = manager_.snapshot();
  ASSERT_EQ(manager_.flush(), Status());
  auto stored = store_->load_provider("openai");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, decided);
  // Values that a lost write would change: k1's third rate limit on model A (25 m) outlives the
  // successes on model B that cleared its counts.
  EXPECT_EQ(decided[0].failure_count, 0);
  EXPECT_EQ(decided[0].model_cooldowns,
            (std::map<std::string, SystemTime>{
                {std::string(kModelA), clock_->now() - seconds(3) + minutes(25)}}));
  EXPECT_EQ(decided[1].last_used, clock_->now());
  EXPECT_EQ(decided[2].last_good, clock_->now());
  EXPECT_EQ(manager_.snapshot(), decided);
}

TEST(AuthProfileManagerWriteBehind, OutcomesFromTwoManagersMergeInTheStore) {
  // Each manager decides from what it knew; the store gets both outcomes, neither overwritten.
  auto store = make_memory_auth_store();
  auto clock = std::make_shared<FakeClock>();
  AuthProfileManager a(store, CooldownPolicy{}, clock);
  AuthProfileManager b(store, CooldownPolicy{}, clock);
  for (AuthProfileManager* m : {&a, &b}) {
    m->add_profile("openai", "k1", [] { return Result<std::string>("sk-k1"); });
    ASSERT_EQ(m->flush(), Status());
  }
  a.report(AuthLease{"openai", "k1", "sk-k1"}, kModelA, failure(StatusCode::kRateLimited));
  b.report(AuthLease{"openai", "k1", "sk-k1"}, kModelB, failure(StatusCode::kRateLimited));
  ASSERT_EQ(a.flush(), Status());
  ASSERT_EQ(b.flush(), Status());
  const ProfileState stored = **store->load("openai", "k1");
  EXPECT_EQ(stored.failure_count, 2);
  // Whichever landed second counted as the second failure (the two threads race).
  ASSERT_EQ(stored.model_cooldowns.size(), 2u);
  std::vector<milliseconds> cooldowns;
  for (const auto& [model, until] : stored.model_cooldowns) {
    cooldowns.push_back(std::chrono::duration_cast<milliseconds>(until - clock->now()));
  }
  std::sort(cooldowns.begin(), cooldowns.end());
  EXPECT_EQ(cooldowns, (std::vector<milliseconds>{minutes(1), minutes(5)}));
  // flush() also read back what the other wrote.
  ASSERT_EQ(a.flush(), Status());
  EXPECT_EQ(a.snapshot().at(0), stored);
  EXPECT_EQ(b.snapshot().at(0), stored);
}

// A memory store that records which threads call it.
class ThreadRecordingStore final : public AuthStateStore {
 public:
  Result<std::optional<ProfileState>> load(std::string_view provider,
                                           std::string_view profile) override {
    seen();
    return inner_->load(provider, profile);
  }
  Result<std::vector<ProfileState>> load_provider(std::string_view provider) override {
    seen();
    return inner_->load_provider(provider);
  }
  Result<std::vector<ProfileState>> load_all() override {
    seen();
    return inner_->load_all();
  }
  Status save(const ProfileState& state) override {
    seen();
    return inner_->save(state);
  }
  Result<ProfileState> update(std::string_view provider, std::string_view profile,
                              const std::function<void(ProfileState&)>& mutate) override {
    seen();
    return inner_->update(provider, profile, mutate);
  }
  Status reset(std::string_view provider, std::string_view profile) override {
    seen();
    return inner_->reset(provider, profile);
  }
  Result<std::string> update_cursor(std::string_view provider,
                                    const std::function<void(std::string&)>& advance) override {
    seen();
    return inner_->update_cursor(provider, advance);
  }
  Result<std::string> load_cursor(std::string_view provider) override {
    seen();
    return inner_->load_cursor(provider);
  }
  Result<std::string> fingerprint_salt() override {
    seen();
    return inner_->fingerprint_salt();
  }

  // Calls made from `thread`, and in all, since the last clear().
  std::pair<int, int> calls_from(std::thread::id thread) const {
    std::lock_guard lock(mutex_);
    int mine = 0;
    for (const auto& id : threads_) mine += id == thread ? 1 : 0;
    return {mine, static_cast<int>(threads_.size())};
  }
  void clear() {
    std::lock_guard lock(mutex_);
    threads_.clear();
  }

 private:
  void seen() {
    std::lock_guard lock(mutex_);
    threads_.push_back(std::this_thread::get_id());
  }
  mutable std::mutex mutex_;
  std::vector<std::thread::id> threads_;
  std::shared_ptr<AuthStateStore> inner_ = make_memory_auth_store();
};

TEST(AuthProfileManagerWriteBehind, TheCallingThreadNeverCallsTheStore) {
  auto store = std::make_shared<ThreadRecordingStore>();
  auto clock = std::make_shared<FakeClock>();
  AuthProfileManager manager(store, CooldownPolicy{}, clock);  // reads the salt, here
  auto key = std::make_shared<std::string>("sk-key-0000000001");
  manager.add_profile("openai", "k1", [key] { return Result<std::string>(*key); });
  manager.add_profile("openai", "k2", [] { return Result<std::string>("sk-k2"); });
  store->clear();
  const std::thread::id me = std::this_thread::get_id();
  for (int i = 0; i < 20; ++i) {
    if (i == 10) *key = "sk-key-0000000002";  // a changed key is forgotten behind too
    auto lease = manager.acquire("openai", kModelA, i % 3 == 0 ? "session" : "");
    ASSERT_TRUE(lease.ok()) << lease.error().to_string();
    manager.report(*lease, kModelA, i % 4 == 0 ? failure(StatusCode::kUnauthenticated) : Status());
    clock->advance(hours(1));
    EXPECT_EQ(manager.snapshot().size(), 2u);
  }
  EXPECT_EQ(store->calls_from(me).first, 0);
  ASSERT_EQ(manager.flush(), Status());
  ASSERT_EQ(manager.reset("k2"), Status());
  const auto [mine, all] = store->calls_from(me);
  EXPECT_EQ(mine, 0);
  EXPECT_GT(all, 3);  // reads, writes, the cursor and the reset all happened, elsewhere
}

// A memory store that fails every operation, naming it, while `failing` is set.
class SwitchableStore final : public AuthStateStore {
 public:
  Result<std::optional<ProfileState>> load(std::string_view provider,
                                           std::string_view profile) override {
    if (failing) return broken("load");
    return inner_->load(provider, profile);
  }
  Result<std::vector<ProfileState>> load_provider(std::string_view provider) override {
    if (failing) return broken("load_provider");
    return inner_->load_provider(provider);
  }
  Result<std::vector<ProfileState>> load_all() override {
    if (failing) return broken("load_all");
    return inner_->load_all();
  }
  Status save(const ProfileState& state) override {
    if (failing) return broken("save");
    return inner_->save(state);
  }
  Result<ProfileState> update(std::string_view provider, std::string_view profile,
                              const std::function<void(ProfileState&)>& mutate) override {
    if (failing) return broken("update");
    return inner_->update(provider, profile, mutate);
  }
  Status reset(std::string_view provider, std::string_view profile) override {
    if (failing) return broken("reset");
    return inner_->reset(provider, profile);
  }
  Result<std::string> update_cursor(std::string_view provider,
                                    const std::function<void(std::string&)>& advance) override {
    if (failing) return broken("update_cursor");
    return inner_->update_cursor(provider, advance);
  }
  Result<std::string> load_cursor(std::string_view provider) override {
    if (failing) return broken("load_cursor");
    return inner_->load_cursor(provider);
  }
  Result<std::string> fingerprint_salt() override {
    if (failing) return broken("fingerprint_salt");
    return inner_->fingerprint_salt();
  }

  // What was written through this store, read past the switch.
  AuthStateStore& inner() { return *inner_; }

  std::atomic<bool> failing{false};

 private:
  static Status broken(const std::string& what) {
    return Status(StatusCode::kUnavailable, "disk full: " + what);
  }
  std::shared_ptr<AuthStateStore> inner_ = make_memory_auth_store();
};

TEST(AuthProfileManagerStoreErrors, TheLastOneIsRememberedForTheCaller) {
  auto store = std::make_shared<SwitchableStore>();
  auto clock = std::make_shared<FakeClock>();
  AuthProfileManager manager(store, CooldownPolicy{}, clock);
  manager.add_profile("openai", "a", [] { return Result<std::string>("sk-a"); });
  manager.add_profile("openai", "b", [] { return Result<std::string>("sk-b"); });
  ASSERT_TRUE(manager.acquire("openai", "m").ok());
  EXPECT_EQ(manager.flush(), Status());
  EXPECT_EQ(manager.last_store_error(), Status());

  store->failing = true;
  manager.report(AuthLease{"openai", "a", "sk-a"}, "m", failure(StatusCode::kRateLimited));
  // The manager goes on in memory: a is cooling, so b is next.
  auto lease = manager.acquire("openai", "m");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->profile, "b");
  // flush() says what failed first (the write), last_store_error() what failed last (the read
  // of what other processes wrote, after the writes).
  EXPECT_EQ(manager.flush(), Status(StatusCode::kUnavailable, "disk full: update"));
  EXPECT_EQ(manager.last_store_error(),
            Status(StatusCode::kUnavailable, "disk full: load_provider"));
  // Still there after the store recovers, so that a caller can warn once at the end.
  store->failing = false;
  EXPECT_EQ(manager.flush(), Status());
  EXPECT_EQ(manager.last_store_error(),
            Status(StatusCode::kUnavailable, "disk full: load_provider"));
  store->failing = true;
  EXPECT_EQ(manager.reset(), Status(StatusCode::kUnavailable, "disk full: reset"));
  store->failing = false;
  EXPECT_EQ(manager.last_store_error(), Status(StatusCode::kUnavailable, "disk full: reset"));
}

TEST(AuthProfileManagerStoreErrors, ObserverHearsOncePerFailureStreakAndCallsGoOn) {
  auto store = std::make_shared<SwitchableStore>();
  auto observer = std::make_shared<RecordingObserver>();
  AuthProfileManager manager(store, CooldownPolicy{}, std::make_shared<FakeClock>());
  manager.set_observer(observer);
  manager.add_profile("openai", "a", [] { return Result<std::string>("sk-a"); });
  auto lease = manager.acquire("openai", "m");
  ASSERT_TRUE(lease.ok());
  ASSERT_EQ(manager.flush(), Status());
  EXPECT_TRUE(observer->store_errors().empty());

  // One streak, however many passes fail in it.
  store->failing = true;
  for (int i = 0; i < 3; ++i) {
    manager.report(*lease, "m", Status());
    EXPECT_TRUE(manager.acquire("openai", "m").ok());
    EXPECT_EQ(manager.flush(), Status(StatusCode::kUnavailable, "disk full: update"));
  }
  auto heard = observer->store_errors();
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].code(), StatusCode::kUnavailable);
  EXPECT_EQ(heard[0].message().rfind("disk full: ", 0), 0u) << heard[0].to_string();

  // The store works again, then fails again: a second streak.
  store->failing = false;
  ASSERT_EQ(manager.flush(), Status());
  store->failing = true;
  manager.report(*lease, "m", failure(StatusCode::kRateLimited));
  EXPECT_EQ(manager.flush(), Status(StatusCode::kUnavailable, "disk full: update"));
  store->failing = false;
  heard = observer->store_errors();
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_EQ(heard[1].message().rfind("disk full: ", 0), 0u) << heard[1].to_string();
  // No cooldown event was lost to the failing store either.
  EXPECT_EQ(observer->events().size(), 1u);
}

TEST(AuthProfileManagerStoreErrors, ChangesMadeWhileTheStoreFailsAreWrittenWhenItRecovers) {
  auto store = std::make_shared<SwitchableStore>();
  auto clock = std::make_shared<FakeClock>();
  AuthProfileManager manager(store, CooldownPolicy{}, clock);
  manager.add_profile("openai", "a", [] { return Result<std::string>("sk-a"); });
  manager.add_profile("openai", "b", [] { return Result<std::string>("sk-b"); });
  ASSERT_EQ(manager.flush(), Status());

  store->failing = true;
  manager.report(AuthLease{"openai", "a", "sk-a"}, "m",
                 failure(StatusCode::kRateLimited, minutes(10)));
  clock->advance(seconds(1));
  manager.report(AuthLease{"openai", "b", "sk-b"}, "m", Status());
  EXPECT_EQ(manager.flush(), Status(StatusCode::kUnavailable, "disk full: update"));
  EXPECT_FALSE(store->inner().load("openai", "a")->has_value());
  // Failed reads did not undo what was decided in memory.
  EXPECT_EQ(manager.snapshot()[0].model_cooldowns.at("m"), clock->now() - seconds(1) + minutes(10));

  store->failing = false;
  ASSERT_EQ(manager.flush(), Status());
  const auto a = store->inner().load("openai", "a");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->failure_count, 1);
  EXPECT_EQ((*a)->model_cooldowns.at("m"), clock->now() - seconds(1) + minutes(10));
  EXPECT_EQ((*store->inner().load("openai", "b"))->last_good, clock->now());
  EXPECT_EQ(manager.snapshot()[0], **a);
}

TEST(AuthProfileManagerSingle, OneDefaultProfile) {
  auto manager = AuthProfileManager::single("openai", [] { return Result<std::string>("sk-x"); });
  ASSERT_NE(manager, nullptr);
  EXPECT_TRUE(manager->has_profiles("openai"));
  auto lease = manager->acquire("openai", "gpt-4o");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->profile, "default");
  EXPECT_EQ(lease->secret, "sk-x");
  manager->report(*lease, "gpt-4o", failure(StatusCode::kRateLimited, hours(1)));
  auto cooled = manager->acquire("openai", "gpt-4o");
  ASSERT_FALSE(cooled.ok());
  EXPECT_EQ(cooled.error().code(), StatusCode::kRateLimited);
  EXPECT_GT(cooled.error().retry_after().value_or(milliseconds(0)), minutes(59));
}

TEST(AuthProfileManagerBrokenStore, KeepsCoolingDownInMemory) {
  auto clock = std::make_shared<FakeClock>();
  AuthProfileManager manager(std::make_shared<BrokenStore>(), CooldownPolicy{}, clock);
  manager.add_profile("openai", "a", [] { return Result<std::string>("sk-a"); });
  manager.add_profile("openai", "b", [] { return Result<std::string>("sk-b"); });
  manager.report(AuthLease{"openai", "a", "sk-a"}, "m", failure(StatusCode::kRateLimited));
  for (int i = 0; i < 2; ++i) {
    auto lease = manager.acquire("openai", "m");
    ASSERT_TRUE(lease.ok()) << lease.error().to_string();
    EXPECT_EQ(lease->profile, "b");
  }
  EXPECT_EQ(manager.snapshot()[0].failure_count, 1);
  EXPECT_EQ(manager.reset().code(), StatusCode::kUnavailable);
}

TEST(AuthProfileManagerPolicy, ConfiguredScheduleIsUsed) {
  auto clock = std::make_shared<FakeClock>();
  CooldownPolicy policy;
  policy.base = seconds(10);
  policy.factor = 2;
  policy.cap = seconds(30);
  AuthProfileManager manager(make_memory_auth_store(), policy, clock);
  manager.add_profile("openai", "a", [] { return Result<std::string>("sk-a"); });
  std::vector<milliseconds> seen;
  for (int i = 0; i < 3; ++i) {
    manager.report(AuthLease{"openai", "a", "sk-a"}, "m", failure(StatusCode::kRateLimited));
    auto lease = manager.acquire("openai", "m");
    ASSERT_FALSE(lease.ok());
    seen.push_back(*lease.error().retry_after());
    clock->advance(seen.back());
  }
  EXPECT_EQ(seen, (std::vector<milliseconds>{seconds(10), seconds(20), seconds(30)}));
}

// --- SQLite: restart, two processes, no secret on disk -------------------------------------

class SqliteAuthProfileManagerTest : public ::testing::Test {
 protected:
  std::shared_ptr<AuthStateStore> open() {
    auto store = open_sqlite_auth_store(path_);
    EXPECT_TRUE(store.ok()) << store.error().to_string();
    return store.ok() ? *store : make_memory_auth_store();
  }
  std::unique_ptr<AuthProfileManager> manager(std::shared_ptr<AuthStateStore> store) {
    auto m = std::make_unique<AuthProfileManager>(std::move(store), CooldownPolicy{}, clock_);
    for (const char* name : {"k1", "k2", "k3"}) {
      m->add_profile("openai", name,
                     [name] { return Result<std::string>(std::string("sk-") + name); });
    }
    return m;
  }
  static std::string next(AuthProfileManager& m, std::string_view model = kModelA) {
    auto lease = m.acquire("openai", model);
    return lease.ok() ? lease->profile : std::string(status_code_name(lease.error().code()));
  }

  ScratchDir dir_;
  const std::string path_ = dir_.file("state/auth.db");
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
};

TEST_F(SqliteAuthProfileManagerTest, StateIsReloadedAfterARestart) {
  {
    auto first = manager(open());
    first->report(AuthLease{"openai", "k1", "sk-k1"}, kModelA,
                  failure(StatusCode::kRateLimited, minutes(20)));
    first->report(AuthLease{"openai", "k2", "sk-k2"}, kModelA, failure(StatusCode::kBilling));
  }
  clock_->advance(minutes(1));
  auto second = manager(open());
  EXPECT_EQ(next(*second), "k3");
  EXPECT_EQ(next(*second), "k3");
  EXPECT_EQ(next(*second, kModelB), "k1");
  auto snapshot = second->snapshot();
  ASSERT_EQ(snapshot.size(), 3u);
  EXPECT_EQ(snapshot[0].model_cooldowns.at(std::string(kModelA)),
            clock_->now() - minutes(1) + minutes(20));
  EXPECT_EQ(snapshot[1].disabled_reason, "billing: injected billing");
  // The schedule goes on where the first process left it.
  clock_->advance(minutes(19));
  second->report(AuthLease{"openai", "k1", "sk-k1"}, kModelA, failure(StatusCode::kRateLimited));
  EXPECT_EQ(second->snapshot()[0].failure_count, 2);
  EXPECT_EQ(second->snapshot()[0].model_cooldowns.at(std::string(kModelA)),
            clock_->now() + minutes(5));
}

TEST_F(SqliteAuthProfileManagerTest, TwoManagersOnOneFileSeeEachOthersCooldowns) {
  auto a = manager(open());
  auto b = manager(open());
  EXPECT_EQ(next(*b), "k1");
  a->report(AuthLease{"openai", "k2", "sk-k2"}, kModelA, failure(StatusCode::kUnauthenticated));
  // flush(): a's write has landed, and b has read the store since (as it does every 250 ms).
  ASSERT_EQ(a->flush(), Status());
  ASSERT_EQ(b->flush(), Status());
  EXPECT_EQ(next(*b), "k3");  // k2 skipped, without a restart
  b->report(AuthLease{"openai", "k2", "sk-k2"}, kModelA, Status());
  ASSERT_EQ(b->flush(), Status());
  ASSERT_EQ(a->flush(), Status());
  EXPECT_EQ(next(*a), "k1");  // after b's turn (k3)
  EXPECT_EQ(next(*a), "k2");  // b's success cleared it for a too
  ASSERT_TRUE(b->reset().ok());
  ASSERT_EQ(a->flush(), Status());
  EXPECT_TRUE(a->snapshot()[1].last_good == std::nullopt);
}

// The number of rate-limited (profile, model) pairs that `store` holds for "openai".
size_t stored_cooldowns(AuthStateStore& store) {
  auto states = store.load_provider("openai");
  EXPECT_TRUE(states.ok()) << states.error().to_string();
  size_t n = 0;
  for (const auto& state : states.ok() ? *states : std::vector<ProfileState>()) {
    n += state.model_cooldowns.size();
  }
  return n;
}

TEST_F(SqliteAuthProfileManagerTest,
       ACooldownReportedToOneProcessIsHonouredByAnotherWithinASecond) {
  // Two managers on one file, each with its own connection, as two processes would have.
  auto a = manager(open());
  auto b = manager(open());
  ASSERT_TRUE(a->acquire("openai", kModelA).ok());
  ASSERT_TRUE(b->acquire("openai", kModelA).ok());
  for (const char* name : {"k1", "k2", "k3"}) {
    a->report(AuthLease{"openai", name, std::string("sk-") + name}, kModelA,
              failure(StatusCode::kRateLimited, minutes(2)));
  }
  // Polled, with a bound: b answers from memory, which its store thread refreshes.
  const auto start = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::duration> honoured_after;
  Status refused;
  while (std::chrono::steady_clock::now() - start < seconds(2)) {
    auto lease = b->acquire("openai", kModelA);
    if (!lease.ok()) {
      honoured_after = std::chrono::steady_clock::now() - start;
      refused = lease.error();
      break;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_TRUE(honoured_after) << "b still hands out profiles 2 s after a's 429s";
  EXPECT_LT(*honoured_after, seconds(1));
  EXPECT_EQ(refused.code(), StatusCode::kRateLimited);
  EXPECT_EQ(refused.retry_after(), minutes(2));
}

TEST_F(SqliteAuthProfileManagerTest, NoRequestWaitsForAnotherConnectionsWriteLock) {
  auto m = manager(open());
  auto reader = open();
  // Another connection, as another process would have, holds the write lock for 3 s.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::thread holder([db] {
    std::this_thread::sleep_for(seconds(3));
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  });

  // 100 requests, each rate-limited for a model of its own. A manager that wrote on the
  // caller's thread would wait here for the lock (the busy timeout is 5 s).
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    const std::string model = "model-" + std::to_string(i);
    auto lease = m->acquire("openai", model);
    ASSERT_TRUE(lease.ok()) << lease.error().to_string();
    m->report(*lease, model, failure(StatusCode::kRateLimited, hours(1)));
  }
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, seconds(1));
  // Decided at once...
  size_t in_memory = 0;
  for (const auto& state : m->snapshot()) in_memory += state.model_cooldowns.size();
  EXPECT_EQ(in_memory, 100u);
  // ...written behind, once the lock is released (polled, with a bound).
  if (took < seconds(3)) {
    EXPECT_EQ(stored_cooldowns(*reader), 0u);  // still locked
  }
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (stored_cooldowns(*reader) < 100 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(stored_cooldowns(*reader), 100u);
  holder.join();
  sqlite3_close(db);
  EXPECT_EQ(m->flush(), Status());
  EXPECT_EQ(m->last_store_error(), Status());
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_F(SqliteAuthProfileManagerTest, NoSecretIsEverWrittenToTheStore) {
  std::mt19937_64 random(std::random_device{}());
  const std::string secret = "sk-SECRET-" + std::to_string(random()) + "-KEY";
  auto store = open();
  AuthProfileManager m(store, CooldownPolicy{}, clock_);
  m.add_profile("openai", "keyed", [&] { return Result<std::string>(secret); });
  m.add_profile("openai", "other", [] { return Result<std::string>("sk-other"); });

  auto lease = m.acquire("openai", kModelA, "session");
  ASSERT_TRUE(lease.ok());
  ASSERT_EQ(lease->secret, secret);
  // Every kind of report, with servers that echo the key back in their messages.
  const std::string echo = "Incorrect API key provided: " + secret;
  m.report(*lease, kModelA, Status(StatusCode::kRateLimited, echo));
  m.report(*lease, kModelB, Status(StatusCode::kUnauthenticated, echo));
  m.report(*lease, kModelB, Status(StatusCode::kBilling, echo));
  m.report(*lease, kModelB, Status(StatusCode::kPermissionDenied, echo));
  m.report(*lease, kModelB, Status(StatusCode::kOverloaded, echo));
  ASSERT_EQ(m.flush(), Status());
  const ProfileState stored = **store->load("openai", "keyed");
  EXPECT_EQ(stored.last_error_message, "Incorrect API key provided: [redacted]");

  const std::string bytes =
      read_bytes(path_) + read_bytes(path_ + "-wal") + read_bytes(path_ + "-shm");
  // The search does find what was written...
  EXPECT_NE(bytes.find("Incorrect API key provided: [redacted]"), std::string::npos);
  EXPECT_NE(bytes.find("keyed"), std::string::npos);
  // ...and the key is not among it, whole or in part.
  EXPECT_EQ(bytes.find(secret), std::string::npos);
  EXPECT_EQ(bytes.find("sk-SECRET"), std::string::npos);
  EXPECT_EQ(bytes.find("sk-other"), std::string::npos);
}

// The first 8-byte piece of `key` found in `text`, or "".
std::string piece_of(const std::string& key, const std::string& text) {
  for (size_t i = 0; i + 8 <= key.size(); ++i) {
    if (text.find(key.substr(i, 8)) != std::string::npos) return key.substr(i, 8);
  }
  return "";
}

TEST_F(SqliteAuthProfileManagerTest, NoPieceOfAnEchoedKeyIsStoredWhereverItIsCut) {
  // 100 characters; upper case, so no piece can turn up in a (lower-case hex) fingerprint.
  std::mt19937 random(20261202);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
  std::string key = "sk-proj-";
  while (key.size() < 100) key += alphabet[random() % alphabet.size()];
  ASSERT_EQ(key.size(), 100u);
  AuthProfileManager m(open(), CooldownPolicy{}, clock_);
  m.add_profile("openai", "main", [&] { return Result<std::string>(key); });
  auto lease = m.acquire("openai", kModelA);
  ASSERT_TRUE(lease.ok());
  for (size_t cut = 0; cut <= key.size(); ++cut) {
    m.report(*lease, kModelA,
             Status(StatusCode::kUnauthenticated, "Incorrect API key: " + key.substr(0, cut)));
    const ProfileState state = m.snapshot().at(0);
    // A piece shorter than 8 bytes cannot identify the key and stays; a longer one does not.
    const std::string shown = cut < 8 ? key.substr(0, cut) : "[redacted]";
    EXPECT_EQ(state.last_error_message, "Incorrect API key: " + shown) << "cut " << cut;
    EXPECT_EQ(state.disabled_reason, "unauthenticated: Incorrect API key: " + shown)
        << "cut " << cut;
    ASSERT_EQ(m.flush(), Status());
    const std::string bytes =
        read_bytes(path_) + read_bytes(path_ + "-wal") + read_bytes(path_ + "-shm");
    ASSERT_NE(bytes.find("Incorrect API key: " + shown), std::string::npos) << "cut " << cut;
    EXPECT_EQ(piece_of(key, bytes), "") << "cut " << cut;
  }
}

TEST_F(SqliteAuthProfileManagerTest, SuccessiveProcessesTakeTurns) {
  std::vector<std::string> used;
  for (int run = 0; run < 4; ++run) {
    auto m = manager(open());  // a new store and manager, as a new process would have
    auto lease = m->acquire("openai", kModelA);
    ASSERT_TRUE(lease.ok()) << lease.error().to_string();
    m->report(*lease, kModelA, Status());
    used.push_back(lease->profile);
  }
  EXPECT_EQ(used, (std::vector<std::string>{"k1", "k2", "k3", "k1"}));
  // A cooling profile is skipped, and the turn after it goes on from the one handed out.
  manager(open())->report(AuthLease{"openai", "k2", "sk-k2"}, kModelA,
                          failure(StatusCode::kRateLimited));
  EXPECT_EQ(next(*manager(open())), "k3");
  EXPECT_EQ(next(*manager(open())), "k1");
  EXPECT_EQ(next(*manager(open())), "k3");
}

TEST_F(SqliteAuthProfileManagerTest, ARejectedKeyFailsAsRejectedInTheNextRunUntilItChanges) {
  auto key = std::make_shared<std::string>("sk-rejected-0000000001");
  auto single = [&](const std::string& provider) {
    auto m = std::make_unique<AuthProfileManager>(open(), CooldownPolicy{}, clock_);
    m->add_profile(provider, "main", [key] { return Result<std::string>(*key); });
    return m;
  };
  {
    auto first = single("openai");
    auto lease = first->acquire("openai", kModelA);
    ASSERT_TRUE(lease.ok());
    first->report(*lease, kModelA,
                  Status(StatusCode::kUnauthenticated, "Incorrect API key provided: " + *key));
    auto forbidden = single("anthropic");
    auto other = forbidden->acquire("anthropic", "claude");
    ASSERT_TRUE(other.ok());
    forbidden->report(*other, "claude", Status(StatusCode::kPermissionDenied, "Forbidden"));
  }
  clock_->advance(seconds(10));
  auto rejected = single("openai")->acquire("openai", kModelA);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error(),
            Status(StatusCode::kUnauthenticated,
                   "key rejected at 2020-01-01T00:00:00Z (profile 'main' of provider 'openai'): "
                   "Incorrect API key provided: [redacted]"));
  EXPECT_EQ(rejected.error().retry_after(), std::nullopt);
  auto forbidden = single("anthropic")->acquire("anthropic", "claude");
  ASSERT_FALSE(forbidden.ok());
  EXPECT_EQ(forbidden.error(),
            Status(StatusCode::kPermissionDenied,
                   "key rejected at 2020-01-01T00:00:00Z (profile 'main' of provider 'anthropic'): "
                   "Forbidden"));

  *key = "sk-replaced-0000000002";
  auto fixed = single("openai");
  auto lease = fixed->acquire("openai", kModelA);
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  EXPECT_EQ(lease->secret, "sk-replaced-0000000002");
  const ProfileState state = fixed->snapshot().at(0);
  EXPECT_EQ(state.failure_count, 0);
  EXPECT_EQ(state.disabled_until, std::nullopt);
  EXPECT_EQ(state.disabled_reason, "");
  EXPECT_EQ(state.last_error, "");
  EXPECT_EQ(state.key_fingerprint, secret_fingerprint(*open()->fingerprint_salt(), *key));
}

}  // namespace
}  // namespace aisopod
