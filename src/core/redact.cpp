#include "aisopod/redact.hpp"

#include <algorithm>
#include <cstring>

namespace aisopod {
namespace {

using Runs = std::vector<std::pair<std::size_t, std::size_t>>;

std::uint64_t load8(const char* p) {
  std::uint64_t x;
  std::memcpy(&x, p, sizeof x);
  return x;
}

std::size_t bloom_bit(std::uint64_t gram) { return (gram * 0x9E3779B97F4A7C15ULL) >> 48; }

// Sorts and merges overlapping or touching ranges.
void merge(Runs& runs) {
  std::sort(runs.begin(), runs.end());
  Runs merged;
  for (const auto& run : runs) {
    if (!merged.empty() && run.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, run.second);
    } else {
      merged.push_back(run);
    }
  }
  runs = std::move(merged);
}

// Appends text[0, end) to `out` with every run (all of which end at or before `end`) replaced.
void append_redacted(std::string_view text, std::size_t end, const Runs& runs, std::string& out) {
  std::size_t at = 0;
  for (const auto& [begin, stop] : runs) {
    if (begin >= end) break;
    out.append(text.substr(at, begin - at));
    out.append(kRedacted);
    at = stop;
  }
  if (at < end) out.append(text.substr(at, end - at));
}

}  // namespace

SecretMatcher::SecretMatcher(const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.size() < 4) continue;
    longest_ = std::max(longest_, secret.size());
    if (std::find(secrets_.begin(), secrets_.end(), secret) == secrets_.end()) {
      secrets_.push_back(secret);
    }
    if (secret.size() < kMinPiece) {
      if (std::find(short_secrets_.begin(), short_secrets_.end(), secret) == short_secrets_.end()) {
        short_secrets_.push_back(secret);
      }
      continue;
    }
    for (std::size_t i = 0; i + kMinPiece <= secret.size(); ++i) {
      grams_.push_back(load8(secret.data() + i));
    }
  }
  std::sort(grams_.begin(), grams_.end());
  grams_.erase(std::unique(grams_.begin(), grams_.end()), grams_.end());
  if (!grams_.empty()) {
    bloom_.assign((std::size_t{1} << 16) / 64, 0);
    for (const std::uint64_t gram : grams_) {
      const std::size_t bit = bloom_bit(gram);
      bloom_[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
  }
}

bool SecretMatcher::gram_at(const char* p) const {
  const std::uint64_t gram = load8(p);
  const std::size_t bit = bloom_bit(gram);
  if ((bloom_[bit / 64] & (std::uint64_t{1} << (bit % 64))) == 0) return false;
  return std::binary_search(grams_.begin(), grams_.end(), gram);
}

std::vector<std::pair<std::size_t, std::size_t>> SecretMatcher::find(std::string_view text) const {
  Runs runs;
  if (!grams_.empty() && text.size() >= kMinPiece) {
    for (std::size_t i = 0; i + kMinPiece <= text.size(); ++i) {
      if (!gram_at(text.data() + i)) continue;
      if (!runs.empty() && i <= runs.back().second) {
        runs.back().second = i + kMinPiece;
      } else {
        runs.emplace_back(i, i + kMinPiece);
      }
    }
  }
  bool more = false;
  for (const std::string& secret : short_secrets_) {
    for (std::size_t at = text.find(secret); at != std::string_view::npos;
         at = text.find(secret, at + 1)) {
      runs.emplace_back(at, at + secret.size());
      more = true;
    }
  }
  if (more) merge(runs);
  return runs;
}

std::string SecretMatcher::redact(std::string_view text) const {
  if (empty()) return std::string(text);
  const Runs runs = find(text);
  std::string out;
  out.reserve(text.size());
  append_redacted(text, text.size(), runs, out);
  return out;
}

std::size_t SecretMatcher::secret_prefix_at_end(std::string_view text) const {
  std::size_t best = 0;
  for (const std::string& secret : secrets_) {
    // Candidates start where the secret's first byte occurs in the last size-1 bytes.
    const std::size_t window = std::min(secret.size() - 1, text.size());
    const std::size_t from = text.size() - window;
    for (std::size_t at = text.find(secret.front(), from); at != std::string_view::npos;
         at = text.find(secret.front(), at + 1)) {
      const std::size_t length = text.size() - at;
      if (length <= best) break;
      if (text.substr(at) == std::string_view(secret).substr(0, length)) {
        best = length;
        break;
      }
    }
  }
  return best;
}

std::string redact_secrets(std::string_view text, const std::vector<std::string>& secrets) {
  return SecretMatcher(secrets).redact(text);
}

StreamRedactor::StreamRedactor(std::shared_ptr<const SecretMatcher> matcher)
    : matcher_(std::move(matcher)) {}

void StreamRedactor::write(std::string_view text, std::string& out) {
  if (matcher_->empty()) {
    out.append(text);
    return;
  }
  std::string_view all = text;
  if (!held_.empty()) {
    held_.append(text);
    all = held_;
  }
  const std::size_t n = all.size();
  const Runs runs = matcher_->find(all);
  // Only bytes that may begin a secret wait for the next piece, so ordinary text is shown at
  // once; a secret split across pieces is whole in the next call and redacted there.
  std::size_t hold = n - matcher_->secret_prefix_at_end(all);
  for (const auto& [begin, end] : runs) {
    if (begin < hold && hold < end) hold = begin;  // never cut through a redaction
  }
  append_redacted(all, hold, runs, out);
  std::string rest(all.substr(hold));
  held_ = std::move(rest);
}

void StreamRedactor::finish(std::string& out) {
  if (held_.empty()) return;
  append_redacted(held_, held_.size(), matcher_->find(held_), out);
  held_.clear();
}

}  // namespace aisopod
