// Secret fingerprints: HMAC-SHA-256 (checked against RFC 4231), keyed, and random salts.
#include "state/fingerprint.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace aisopod {
namespace {

TEST(SecretFingerprint, IsHmacSha256AsLowercaseHex) {
  // RFC 4231, test case 2.
  EXPECT_EQ(secret_fingerprint("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231, test case 1: a 20-byte key of 0x0b.
  EXPECT_EQ(secret_fingerprint(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(SecretFingerprint, DependsOnTheSaltAndTheSecret) {
  const std::string salt_a(32, 'a');
  const std::string salt_b(32, 'b');
  EXPECT_EQ(secret_fingerprint(salt_a, "sk-one"), secret_fingerprint(salt_a, "sk-one"));
  EXPECT_NE(secret_fingerprint(salt_a, "sk-one"), secret_fingerprint(salt_b, "sk-one"));
  EXPECT_NE(secret_fingerprint(salt_a, "sk-one"), secret_fingerprint(salt_a, "sk-two"));
  // Not SHA-256 of the secret alone (sha256("") below): the salt is the key.
  EXPECT_NE(secret_fingerprint(salt_a, ""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(secret_fingerprint(salt_a, "").size(), 64u);
}

TEST(SecretFingerprint, SaltsAreRandomThirtyTwoBytes) {
  std::set<std::string> seen;
  for (int i = 0; i < 16; ++i) {
    auto salt = random_fingerprint_salt();
    ASSERT_TRUE(salt.ok()) << salt.error().to_string();
    EXPECT_EQ(salt->size(), kFingerprintSaltBytes);
    seen.insert(*salt);
  }
  EXPECT_EQ(seen.size(), 16u);
}

}  // namespace
}  // namespace aisopod
