// Secret redaction: keeps API keys and tokens out of everything aisopod prints or stores, even
// when an upstream echoes a key back in an error body, a stream, or generated text.
// Standard-library types only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aisopod {

// What a redacted piece of text is replaced with.
inline constexpr std::string_view kRedacted = "[redacted]";

// Finds secrets in text. Built once from a set of secrets; immutable afterwards, so one matcher
// may be shared between threads.
//
// A run of text is secret when it is made of overlapping windows of 8 bytes that each occur in
// some secret of 8 or more bytes (so a whole key, a prefix left by a cut, a suffix, or any other
// piece of 8 or more bytes), or when it is an occurrence of a secret of 4 to 7 bytes. Secrets
// shorter than 4 bytes are ignored (they would match ordinary text).
class SecretMatcher {
 public:
  // Pieces shorter than this are not considered secret (they cannot identify a key).
  static constexpr std::size_t kMinPiece = 8;

  SecretMatcher() = default;
  explicit SecretMatcher(const std::vector<std::string>& secrets);

  // True when no secret of 4 or more bytes was given: redaction leaves text as it is.
  bool empty() const { return longest_ == 0; }
  // The length of the longest secret considered (0 when empty).
  std::size_t longest() const { return longest_; }

  // The secret runs of `text` as sorted, disjoint [begin, end) byte ranges.
  std::vector<std::pair<std::size_t, std::size_t>> find(std::string_view text) const;

  // `text` with every secret run replaced by kRedacted.
  std::string redact(std::string_view text) const;

  // The length of the longest end of `text` that is the beginning (shorter than the whole) of
  // a secret: the bytes a streamed text holds back until the next piece shows whether a secret
  // follows. 0 when none.
  std::size_t secret_prefix_at_end(std::string_view text) const;

 private:
  bool gram_at(const char* p) const;

  std::vector<std::uint64_t> grams_;        // sorted 8-byte windows of the long secrets
  std::vector<std::uint64_t> bloom_;        // 2^16-bit filter in front of grams_
  std::vector<std::string> short_secrets_;  // 4..7 bytes, matched whole
  std::vector<std::string> secrets_;        // every secret of 4 or more bytes
  std::size_t longest_ = 0;
};

// `text` with every piece of every secret redacted (see SecretMatcher). For messages: error
// bodies, excerpts, stored error messages. Redact before cutting a text to a length.
std::string redact_secrets(std::string_view text, const std::vector<std::string>& secrets);

// Redacts a text that arrives in pieces (streamed answer text, reasoning, tool arguments), so a
// secret split across two pieces is still caught: write() passes on at once everything except
// trailing bytes that are the beginning of a secret (fewer than the longest secret's length),
// which wait for the next piece; finish() passes on the rest, redacted (a beginning of 8 or
// more bytes is a piece of a secret). One per stream; not thread-safe.
class StreamRedactor {
 public:
  // `matcher` is shared, never null.
  explicit StreamRedactor(std::shared_ptr<const SecretMatcher> matcher);

  // Appends to `out` the redacted part of (what was held) + `text` that no later text can
  // change.
  void write(std::string_view text, std::string& out);

  // End of the stream: appends the bytes still held, redacted.
  void finish(std::string& out);

  // How many bytes are held back: fewer than the longest secret's length.
  std::size_t held_bytes() const { return held_.size(); }

 private:
  std::shared_ptr<const SecretMatcher> matcher_;
  std::string held_;
};

}  // namespace aisopod
