// The AuthStateStore conformance suite (every store passes it), instantiated for the memory
// store; sqlite_store_test.cpp instantiates it for SQLite.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "state/store_test_util.hpp"

namespace aisopod {
namespace {

using std::chrono::milliseconds;
using testing_util::AuthStateStoreConformance;
using testing_util::ScratchDir;
using testing_util::StoreKind;

SystemTime at_ms(long long ms) { return SystemTime(milliseconds(ms)); }

ProfileState full_state(std::string provider, std::string profile) {
  ProfileState state;
  state.provider = std::move(provider);
  state.profile = std::move(profile);
  state.failure_count = 3;
  state.billing_failures = 2;
  state.last_failure = at_ms(1'600'000'000'123);
  state.last_used = at_ms(1'600'000'000'456);
  state.last_good = at_ms(1'599'000'000'000);
  state.last_error = "unauthenticated";
  state.last_error_message = "Incorrect API key provided";
  state.disabled_until = at_ms(1'600'000'300'000);
  state.disabled_reason = "unauthenticated: Incorrect API key provided";
  state.model_cooldowns = {{"gpt-4o", at_ms(1'600'000'060'000)},
                           {"gpt-4o-mini", at_ms(1'600'000'120'000)},
                           {"", at_ms(1'600'000'010'000)}};
  state.key_fingerprint = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  return state;
}

ProfileState named(std::string provider, std::string profile, int failures = 0) {
  ProfileState state;
  state.provider = std::move(provider);
  state.profile = std::move(profile);
  state.failure_count = failures;
  return state;
}

std::vector<std::string> keys(const std::vector<ProfileState>& states) {
  std::vector<std::string> out;
  for (const auto& s : states) out.push_back(s.provider + "/" + s.profile);
  return out;
}

TEST_P(AuthStateStoreConformance, LoadOfUnsavedProfileIsEmpty) {
  auto loaded = store_->load("openai", "main");
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_FALSE(loaded->has_value());
  auto all = store_->load_all();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST_P(AuthStateStoreConformance, SaveThenLoadRoundTripsEveryField) {
  const ProfileState state = full_state("openai", "main");
  ASSERT_TRUE(store_->save(state).ok());
  auto loaded = store_->load("openai", "main");
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, state);
  // Other keys stay empty.
  EXPECT_FALSE(store_->load("openai", "other")->has_value());
  EXPECT_FALSE(store_->load("anthropic", "main")->has_value());
}

TEST_P(AuthStateStoreConformance, SaveReplacesTheWholeState) {
  ASSERT_TRUE(store_->save(full_state("openai", "main")).ok());
  ProfileState smaller = named("openai", "main", 1);
  smaller.model_cooldowns = {{"o3", at_ms(42)}};
  ASSERT_TRUE(store_->save(smaller).ok());
  auto loaded = store_->load("openai", "main");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ(**loaded, smaller);  // the old cooldowns, times and reasons are gone
}

TEST_P(AuthStateStoreConformance, LoadAllAndLoadProviderAreOrdered) {
  for (const char* provider : {"openai", "anthropic"}) {
    for (const char* profile : {"z", "a", "m"}) {
      ASSERT_TRUE(store_->save(named(provider, profile)).ok());
    }
  }
  auto all = store_->load_all();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(keys(*all), (std::vector<std::string>{"anthropic/a", "anthropic/m", "anthropic/z",
                                                  "openai/a", "openai/m", "openai/z"}));
  auto openai = store_->load_provider("openai");
  ASSERT_TRUE(openai.ok());
  EXPECT_EQ(keys(*openai), (std::vector<std::string>{"openai/a", "openai/m", "openai/z"}));
  auto none = store_->load_provider("gemini");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(AuthStateStoreConformance, LoadProviderKeepsEachProfilesCooldowns) {
  ProfileState a = named("openai", "a");
  a.model_cooldowns = {{"m1", at_ms(1)}};
  ProfileState b = named("openai", "b");
  b.model_cooldowns = {{"m2", at_ms(2)}, {"m3", at_ms(3)}};
  ASSERT_TRUE(store_->save(a).ok());
  ASSERT_TRUE(store_->save(b).ok());
  ASSERT_TRUE(store_->save(full_state("other", "a")).ok());
  auto loaded = store_->load_provider("openai");
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0], a);
  EXPECT_EQ((*loaded)[1], b);
}

TEST_P(AuthStateStoreConformance, UpdateStartsFromDefaultAndFromSavedState) {
  auto first = store_->update("openai", "main", [](ProfileState& s) {
    EXPECT_EQ(s, named("openai", "main"));
    s.failure_count = 1;
    s.model_cooldowns["gpt-4o"] = at_ms(100);
  });
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->failure_count, 1);
  auto second = store_->update("openai", "main", [](ProfileState& s) {
    EXPECT_EQ(s.failure_count, 1);
    ++s.failure_count;
    s.provider = "tampered";  // identity is the key, not the copy
  });
  ASSERT_TRUE(second.ok());
  ProfileState expected = named("openai", "main", 2);
  expected.model_cooldowns["gpt-4o"] = at_ms(100);
  EXPECT_EQ(*second, expected);
  EXPECT_EQ(**store_->load("openai", "main"), expected);
  EXPECT_EQ(keys(*store_->load_all()), std::vector<std::string>{"openai/main"});
}

TEST_P(AuthStateStoreConformance, ResetMatchesEmptyAsAny) {
  for (const char* provider : {"openai", "anthropic"}) {
    for (const char* profile : {"main", "batch"}) {
      ProfileState s = named(provider, profile, 1);
      s.model_cooldowns["m"] = at_ms(5);
      ASSERT_TRUE(store_->save(s).ok());
    }
  }
  ASSERT_TRUE(store_->reset("", "main").ok());
  EXPECT_EQ(keys(*store_->load_all()),
            (std::vector<std::string>{"anthropic/batch", "openai/batch"}));
  ASSERT_TRUE(store_->reset("openai", std::string_view()).ok());  // null data() too
  EXPECT_EQ(keys(*store_->load_all()), std::vector<std::string>{"anthropic/batch"});
  // A re-saved profile does not inherit cooldowns of its reset past.
  ASSERT_TRUE(store_->save(named("openai", "main")).ok());
  EXPECT_TRUE((*store_->load("openai", "main"))->model_cooldowns.empty());
  ASSERT_TRUE(store_->reset({}, {}).ok());
  EXPECT_TRUE(store_->load_all()->empty());
}

TEST_P(AuthStateStoreConformance, ConcurrentUpdatesAreNotLost) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = store_->update("openai", "main", [](ProfileState& s) { ++s.failure_count; });
        EXPECT_TRUE(r.ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ((*store_->load("openai", "main"))->failure_count, kThreads * kPerThread);
}

// Runs update_cursor and returns the cursor `advance` was given, or "<error>".
std::string cursor_seen(AuthStateStore& store, std::string_view provider,
                        std::optional<std::string> set_to = std::nullopt) {
  std::string seen = "<not called>";
  auto saved = store.update_cursor(provider, [&](std::string& cursor) {
    seen = cursor;
    if (set_to) cursor = *set_to;
  });
  if (!saved.ok()) return "<error> " + saved.error().to_string();
  EXPECT_EQ(*saved, set_to.value_or(seen));
  return seen;
}

TEST_P(AuthStateStoreConformance, CursorIsKeptPerProviderUntilEveryProfileIsReset) {
  EXPECT_EQ(cursor_seen(*store_, "openai", "k2"), "");
  EXPECT_EQ(cursor_seen(*store_, "openai"), "k2");
  EXPECT_EQ(cursor_seen(*store_, "anthropic", "main"), "");
  EXPECT_EQ(cursor_seen(*store_, "openai", "k3"), "k2");
  // Forgetting one profile's state keeps the providers' cursors...
  ASSERT_TRUE(store_->reset("", "k3").ok());
  EXPECT_EQ(cursor_seen(*store_, "openai"), "k3");
  // ...forgetting every profile of one provider forgets its cursor only...
  ASSERT_TRUE(store_->reset("openai", "").ok());
  EXPECT_EQ(cursor_seen(*store_, "openai"), "");
  EXPECT_EQ(cursor_seen(*store_, "anthropic"), "main");
  // ...and forgetting everything forgets every cursor.
  ASSERT_TRUE(store_->reset("", "").ok());
  EXPECT_EQ(cursor_seen(*store_, "anthropic"), "");
}

TEST_P(AuthStateStoreConformance, LoadCursorReadsWhatUpdateCursorSaved) {
  EXPECT_EQ(*store_->load_cursor("openai"), "");
  ASSERT_TRUE(store_->update_cursor("openai", [](std::string& c) { c = "k2"; }).ok());
  ASSERT_TRUE(store_->update_cursor("anthropic", [](std::string& c) { c = "main"; }).ok());
  auto cursor = store_->load_cursor("openai");
  ASSERT_TRUE(cursor.ok()) << cursor.error().to_string();
  EXPECT_EQ(*cursor, "k2");
  EXPECT_EQ(*store_->load_cursor("gemini"), "");
  ASSERT_TRUE(store_->reset("openai", "").ok());
  EXPECT_EQ(*store_->load_cursor("openai"), "");
  EXPECT_EQ(*store_->load_cursor("anthropic"), "main");
}

TEST_P(AuthStateStoreConformance, ConcurrentCursorUpdatesAreNotLost) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = store_->update_cursor("openai", [](std::string& cursor) {
          cursor = std::to_string(cursor.empty() ? 1 : std::stoi(cursor) + 1);
        });
        EXPECT_TRUE(r.ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(cursor_seen(*store_, "openai"), std::to_string(kThreads * kPerThread));
}

TEST_P(AuthStateStoreConformance, FingerprintSaltIsThirtyTwoBytesThatStay) {
  auto salt = store_->fingerprint_salt();
  ASSERT_TRUE(salt.ok()) << salt.error().to_string();
  EXPECT_EQ(salt->size(), 32u);
  EXPECT_NE(*salt, std::string(32, '\0'));
  ASSERT_TRUE(store_->reset("", "").ok());
  EXPECT_EQ(*store_->fingerprint_salt(), *salt);
}

INSTANTIATE_TEST_SUITE_P(Memory, AuthStateStoreConformance,
                         ::testing::Values(StoreKind{
                             "memory", [](const ScratchDir&) { return make_memory_auth_store(); }}),
                         [](const auto& info) { return info.param.name; });

TEST(MemoryAuthStore, EachStoreHasItsOwnState) {
  auto a = make_memory_auth_store();
  auto b = make_memory_auth_store();
  ASSERT_TRUE(a->save(named("openai", "main", 7)).ok());
  EXPECT_EQ((*a->load("openai", "main"))->failure_count, 7);
  EXPECT_FALSE(b->load("openai", "main")->has_value());
  EXPECT_NE(*a->fingerprint_salt(), *b->fingerprint_salt());
  ASSERT_TRUE(a->update_cursor("openai", [](std::string& c) { c = "k2"; }).ok());
  EXPECT_EQ(*b->update_cursor("openai", [](std::string&) {}), "");
}

TEST(ProfileStateReadyAt, LatestOfDisablementAndModelAndWildcardCooldowns) {
  const SystemTime now = at_ms(1'000'000);
  ProfileState s;
  EXPECT_EQ(s.ready_at("m", now), std::nullopt);
  s.model_cooldowns["m"] = now + milliseconds(500);
  s.model_cooldowns["other"] = now + milliseconds(9000);
  EXPECT_EQ(s.ready_at("m", now), now + milliseconds(500));
  EXPECT_EQ(s.ready_at("x", now), std::nullopt);    // scoped to its model
  s.model_cooldowns[""] = now + milliseconds(700);  // every model
  EXPECT_EQ(s.ready_at("m", now), now + milliseconds(700));
  EXPECT_EQ(s.ready_at("x", now), now + milliseconds(700));
  s.disabled_until = now + milliseconds(800);
  EXPECT_EQ(s.ready_at("m", now), now + milliseconds(800));
  // Times in the past do not count; a time equal to now is ready.
  EXPECT_EQ(s.ready_at("m", now + milliseconds(800)), std::nullopt);
  EXPECT_EQ(s.ready_at("other", now + milliseconds(800)), now + milliseconds(9000));
}

TEST(ProfileStateMarks, GoodAndFailed) {
  ProfileState s;
  EXPECT_FALSE(s.marked_good());
  EXPECT_FALSE(s.marked_failed());
  s.last_good = at_ms(1);
  EXPECT_TRUE(s.marked_good());
  s.last_error = "billing";
  EXPECT_FALSE(s.marked_good());
  EXPECT_TRUE(s.marked_failed());
}

}  // namespace
}  // namespace aisopod
