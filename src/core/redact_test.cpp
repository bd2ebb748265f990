#include "aisopod/redact.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace aisopod {
namespace {

// A 100-character key with no repeated 8-byte window.
std::string long_key() {
  std::string key = "sk-proj-";
  for (int i = 0; key.size() < 100; ++i)
    key += "0123456789abcdefghijklmnopqrstuvwxyz"[(i * 7) % 36];
  key.resize(100);
  return key;
}

// True when some window of 8 bytes of `secret` occurs in `text`.
bool has_piece(const std::string& text, const std::string& secret) {
  for (std::size_t i = 0; i + 8 <= secret.size(); ++i) {
    if (text.find(secret.substr(i, 8)) != std::string::npos) return true;
  }
  return false;
}

TEST(RedactSecrets, ReplacesWholeKeys) {
  EXPECT_EQ(redact_secrets("key sk-abcdefghij1234 and sk-abcdefghij1234!", {"sk-abcdefghij1234"}),
            "key [redacted] and [redacted]!");
  EXPECT_EQ(redact_secrets("pin 1234 here", {"1234"}), "pin [redacted] here");
  EXPECT_EQ(redact_secrets("abc stays", {"abc"}), "abc stays");
  EXPECT_EQ(redact_secrets("nothing secret", {}), "nothing secret");
}

TEST(RedactSecrets, RemovesEveryPrefixLeftByACut) {
  const std::string key = long_key();
  for (std::size_t cut = 0; cut <= key.size(); ++cut) {
    const std::string text = "Incorrect API key provided: " + key.substr(0, cut);
    const std::string out = redact_secrets(text, {key});
    if (cut < 8) {
      EXPECT_EQ(out, text) << "cut " << cut;
    } else {
      EXPECT_EQ(out, "Incorrect API key provided: [redacted]") << "cut " << cut;
    }
  }
}

TEST(RedactSecrets, RemovesSuffixesAndMiddlePieces) {
  const std::string key = long_key();
  EXPECT_EQ(redact_secrets("..." + key.substr(60) + "\"}", {key}), "...[redacted]\"}");
  EXPECT_EQ(redact_secrets("a " + key.substr(20, 30) + " b", {key}), "a [redacted] b");
  EXPECT_EQ(redact_secrets("a " + key.substr(20, 7) + " b", {key}),
            "a " + key.substr(20, 7) + " b");
}

TEST(RedactSecrets, TwoKeysSideBySideAndShortKeys) {
  EXPECT_EQ(redact_secrets("x=AAAABBBBCCCC,y=short!", {"AAAABBBBCCCC", "short"}),
            "x=[redacted],y=[redacted]!");
}

std::string stream_through(const std::vector<std::string>& pieces, const std::string& key,
                           std::size_t* max_held) {
  StreamRedactor redactor(std::make_shared<SecretMatcher>(std::vector<std::string>{key}));
  std::string out;
  for (const std::string& piece : pieces) {
    redactor.write(piece, out);
    *max_held = std::max(*max_held, redactor.held_bytes());
  }
  redactor.finish(out);
  EXPECT_EQ(redactor.held_bytes(), 0u);
  return out;
}

TEST(StreamRedactor, KeySplitAcrossTwoPiecesAtEveryPoint) {
  const std::string key = long_key();
  const std::string text = "The key is " + key + ", keep it safe.";
  const std::string expected = "The key is [redacted], keep it safe.";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    std::size_t max_held = 0;
    EXPECT_EQ(stream_through({text.substr(0, cut), text.substr(cut)}, key, &max_held), expected)
        << "cut " << cut;
    EXPECT_LE(max_held, key.size() - 1) << "cut " << cut;
  }
}

TEST(StreamRedactor, KeyOneByteAtATime) {
  const std::string key = long_key();
  const std::string text = "a" + key + "b" + key.substr(0, 40) + " end " + key.substr(0, 12);
  std::vector<std::string> pieces;
  for (char c : text) pieces.push_back(std::string(1, c));
  std::size_t max_held = 0;
  const std::string out = stream_through(pieces, key, &max_held);
  EXPECT_EQ(out, "a[redacted]b[redacted] end [redacted]");
  EXPECT_LE(max_held, key.size() - 1);
}

TEST(StreamRedactor, PrefixAtTheEndOfTheStreamIsRedactedOnFinish) {
  const std::string key = long_key();
  for (std::size_t cut = 8; cut < key.size(); ++cut) {
    std::size_t max_held = 0;
    const std::string out = stream_through({"tail: ", key.substr(0, cut)}, key, &max_held);
    EXPECT_EQ(out, "tail: [redacted]") << cut;
    EXPECT_FALSE(has_piece(out, key));
  }
}

TEST(StreamRedactor, PlainTextPassesThroughAtOnce) {
  const std::string key = long_key();
  StreamRedactor redactor(std::make_shared<SecretMatcher>(std::vector<std::string>{key}));
  std::string out;
  redactor.write("Hello, world", out);
  EXPECT_EQ(out, "Hello, world");
  EXPECT_EQ(redactor.held_bytes(), 0u);
  // Only what may begin the key waits: "sk-p" here.
  redactor.write("! Ask sk-p", out);
  EXPECT_EQ(out, "Hello, world! Ask ");
  EXPECT_EQ(redactor.held_bytes(), 4u);
  redactor.write("lease", out);
  EXPECT_EQ(out, "Hello, world! Ask sk-please");
  redactor.finish(out);
  EXPECT_EQ(out, "Hello, world! Ask sk-please");
}

TEST(StreamRedactor, NoSecretsNoHoldBack) {
  StreamRedactor redactor(std::make_shared<SecretMatcher>());
  std::string out;
  redactor.write("Hello", out);
  EXPECT_EQ(out, "Hello");
  EXPECT_EQ(redactor.held_bytes(), 0u);
}

}  // namespace
}  // namespace aisopod
