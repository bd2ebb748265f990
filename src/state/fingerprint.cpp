#include "state/fingerprint.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace aisopod {

Result<std::string> random_fingerprint_salt() {
  std::string salt(kFingerprintSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) !=
      1) {
    return Status(StatusCode::kInternal, "cannot make a fingerprint salt: RAND_bytes failed");
  }
  return salt;
}

std::string secret_fingerprint(std::string_view salt, std::string_view secret) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // An empty string_view may have a null data(); HMAC() wants a pointer either way.
  static constexpr unsigned char kNothing = 0;
  const auto* data =
      secret.empty() ? &kNothing : reinterpret_cast<const unsigned char*>(secret.data());
  const char* key = salt.empty() ? "" : salt.data();
  if (HMAC(EVP_sha256(), key, static_cast<int>(salt.size()), data, secret.size(), digest,
           &length) == nullptr) {
    return std::string();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace aisopod
