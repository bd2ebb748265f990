// Keyed fingerprints of secrets, so that auth state can be tied to the key it was recorded with
// without storing the key: HMAC-SHA-256 keyed with a random salt that each store keeps (see
// AuthStateStore::fingerprint_salt). Without the salt a fingerprint cannot be checked against
// guessed keys, and the same key has unrelated fingerprints in two stores. Internal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "aisopod/status.hpp"

namespace aisopod {

// The length of a fingerprint salt, in bytes.
inline constexpr std::size_t kFingerprintSaltBytes = 32;

// kFingerprintSaltBytes bytes from OpenSSL's random generator (RAND_bytes).
// Errors: internal when the generator fails (it has no entropy).
Result<std::string> random_fingerprint_salt();

// HMAC-SHA-256 of `secret` keyed with `salt`, as 64 lowercase hex digits; empty in the unlikely
// case that OpenSSL fails. Pure; thread-safe.
std::string secret_fingerprint(std::string_view salt, std::string_view secret);

}  // namespace aisopod
