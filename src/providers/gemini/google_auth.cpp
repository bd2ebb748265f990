#include "providers/gemini/google_auth.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "core/error_text.hpp"
#include "core/request_encoding.hpp"
#include "core/url_text.hpp"
#include "http/http.hpp"

namespace aisopod::gemini {
namespace {

namespace json = boost::json;

// A credentials file is a few kilobytes; anything far larger is not one.
constexpr std::size_t kMaxFileBytes = 1024 * 1024;
constexpr std::size_t kMaxTokenResponseBytes = 1024 * 1024;
// How long a signed assertion is valid: the most Google accepts.
constexpr std::chrono::seconds kAssertionLifetime{3600};
// The lifetime assumed for a token whose answer has no expires_in (Google's tokens live 1 h).
constexpr std::chrono::seconds kDefaultTokenLifetime{3600};
constexpr std::string_view kJwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1]))
                                << 8 |
                            static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    if (rest == 2) out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

// application/x-www-form-urlencoded value: everything outside the RFC 3986 unreserved set is
// %XX (a space too, which is valid and avoids the '+' ambiguity).
std::string form_value(std::string_view text) { return percent_encode(text); }

std::int64_t unix_seconds(SystemTime time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

// ---- the credentials file ----

// How messages name a file: "Google credentials file /p/key.json", plus where the path came
// from when an environment variable named it.
struct FileLabel {
  std::string path;
  std::string text;
};

FileLabel label_for(const std::string& path, std::string_view origin) {
  std::string text = "Google credentials file " + path;
  if (!origin.empty()) text += " (" + std::string(origin) + ")";
  return {path, std::move(text)};
}

Status file_error(const FileLabel& file, const std::string& what) {
  return Status(StatusCode::kInvalidArgument, file.text + what);
}

Result<std::string> read_file(const FileLabel& file) {
  const auto cannot_read = [&file](int error) {
    return Status(StatusCode::kInvalidArgument,
                  "cannot read " + file.text + ": " + std::generic_category().message(error));
  };
  errno = 0;
  std::FILE* stream = std::fopen(file.path.c_str(), "rb");
  if (stream == nullptr) return cannot_read(errno != 0 ? errno : EIO);
  std::string content;
  char buffer[8192];
  while (true) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, stream);
    content.append(buffer, n);
    if (content.size() > kMaxFileBytes) {
      std::fclose(stream);
      return file_error(file, " is larger than 1 MiB");
    }
    if (n < sizeof buffer) break;
  }
  // A directory opens and then fails to read (EISDIR).
  const int error = std::ferror(stream) != 0 ? (errno != 0 ? errno : EIO) : 0;
  std::fclose(stream);
  if (error != 0) return cannot_read(error);
  return content;
}

Result<json::object> load_json(const FileLabel& file) {
  AISOPOD_ASSIGN_OR_RETURN(const std::string content, read_file(file));
  // The parser's own message is left out: its position may point into the private key.
  boost::system::error_code error;
  json::value value = json::parse(content, error);
  if (error) return file_error(file, " is not valid JSON");
  if (!value.is_object()) return file_error(file, " is not a JSON object");
  return std::move(value.as_object());
}

Result<std::string> required_string(const json::object& object, std::string_view key,
                                    const FileLabel& file) {
  const json::value* value = object.if_contains(key);
  const json::string* text = value != nullptr ? value->if_string() : nullptr;
  if (text == nullptr || text->empty()) {
    return file_error(file, " has no \"" + std::string(key) + "\" (a non-empty string)");
  }
  return std::string(*text);
}

// A value that is safe and useful to quote: an identifier-like "type", never a secret pasted
// in the wrong place.
bool quotable(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (!((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' ||
          u == '-')) {
      return false;
    }
  }
  return true;
}

Status wrong_type(const FileLabel& file, std::string_view type, std::string_view expected) {
  const std::string shown = quotable(type) ? "type \"" + std::string(type) + "\"" : "a \"type\"";
  return file_error(file, " has " + shown + ", expected " + std::string(expected));
}

Result<std::string> token_uri_of(const json::object& object, const FileLabel& file,
                                 std::optional<std::string_view> fallback) {
  std::string uri;
  if (fallback && object.if_contains("token_uri") == nullptr) {
    uri = std::string(*fallback);
  } else {
    AISOPOD_ASSIGN_OR_RETURN(uri, required_string(object, "token_uri", file));
  }
  if (url_host(uri).empty()) return file_error(file, ": \"token_uri\" is not an http or https URL");
  return uri;
}

// No passphrase is ever asked for (OpenSSL would otherwise prompt on the terminal for an
// encrypted key).
int no_passphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) { return -1; }

Result<std::shared_ptr<EVP_PKEY>> parse_private_key(const std::string& pem, const FileLabel& file) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Status(StatusCode::kInternal, "BIO_new_mem_buf failed");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  // OpenSSL's error queue says nothing the message needs; leave it empty for the next caller.
  ERR_clear_error();
  if (!key) return file_error(file, ": \"private_key\" is not a PEM private key");
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
    return file_error(file, ": \"private_key\" is not an RSA key");
  }
  return std::shared_ptr<EVP_PKEY>(key.release(), PkeyFree());
}

// ---- the token exchange ----

// The Status of a token endpoint's error answer (never fails). OAuth endpoints answer
// {"error": "invalid_grant", "error_description": "..."}; some Google endpoints answer a
// google.rpc.Status {"error": {"message", "status"}} instead.
Status exchange_error(int http_status, const http::Headers& headers, std::string_view body,
                      const std::string& host) {
  StatusCode code;
  if (http_status >= 500) {
    code = StatusCode::kUnavailable;
  } else if (http_status == 429) {
    code = StatusCode::kRateLimited;
  } else if (http_status == 403) {
    code = StatusCode::kPermissionDenied;
  } else if (http_status >= 400) {
    code = StatusCode::kUnauthenticated;
  } else {
    code = StatusCode::kProtocolError;  // a redirect: http::send does not follow them
  }
  boost::system::error_code parse_error;
  const json::value value = json::parse(body, parse_error);
  const json::object* object = parse_error ? nullptr : value.if_object();
  std::string error;
  std::string description;
  if (object != nullptr) {
    if (const json::value* e = object->if_contains("error")) {
      if (const json::string* s = e->if_string()) {
        error = std::string(*s);
        if (const json::value* d = object->if_contains("error_description")) {
          if (const json::string* ds = d->if_string()) description = std::string(*ds);
        }
      } else if (const json::object* rpc = e->if_object()) {
        if (const json::value* st = rpc->if_contains("status"); st && st->is_string()) {
          error = std::string(st->get_string());
        }
        if (const json::value* m = rpc->if_contains("message"); m && m->is_string()) {
          description = std::string(m->get_string());
        }
      }
    }
  }
  std::string detail;
  if (!error.empty()) {
    detail = one_line(truncate_utf8(error, 100));
    if (!description.empty()) {
      detail += ": " + one_line(truncate_utf8(description, kErrorMessageBytes));
    }
  } else {
    detail = upstream_error_message(description, object != nullptr, http_status, body, {});
  }
  return upstream_error(code, "token exchange at " + host + " failed: " + detail, http_status,
                        &headers, {});
}

// The credential in a successful answer. Its body holds the token, so no message quotes it.
Result<Credential> parse_token_answer(std::string_view body, const std::string& host,
                                      SystemTime now) {
  const std::string where = "token exchange at " + host + " returned ";
  boost::system::error_code parse_error;
  const json::value value = json::parse(body, parse_error);
  const json::object* object = parse_error ? nullptr : value.if_object();
  if (object == nullptr)
    return Status(StatusCode::kProtocolError, where + "a body that is not JSON");
  const json::value* token = object->if_contains("access_token");
  if (token == nullptr || !token->is_string() || token->get_string().empty()) {
    return Status(StatusCode::kProtocolError, where + "no access_token");
  }
  if (const json::value* type = object->if_contains("token_type")) {
    const json::string* text = type->if_string();
    std::string lower = text != nullptr ? std::string(*text) : std::string();
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "bearer") {
      const std::string shown =
          text != nullptr && quotable(*text) ? "\"" + std::string(*text) + "\"" : "a token_type";
      return Status(StatusCode::kProtocolError,
                    where + "token_type " + shown + ", expected \"Bearer\"");
    }
  }
  std::chrono::seconds lifetime = kDefaultTokenLifetime;
  if (const json::value* expires = object->if_contains("expires_in")) {
    std::optional<double> seconds;
    if (expires->is_number()) {
      boost::system::error_code ignored;
      seconds = expires->to_number<double>(ignored);
    } else if (const json::string* text = expires->if_string()) {
      // Some OAuth servers send the number as a string.
      errno = 0;
      char* end = nullptr;
      const std::string copy(*text);
      const double parsed = std::strtod(copy.c_str(), &end);
      if (!copy.empty() && end == copy.c_str() + copy.size() && errno == 0) seconds = parsed;
    }
    if (!seconds || !(*seconds > 0) || *seconds > 366.0 * 24 * 3600) {
      return Status(StatusCode::kProtocolError, where + "an invalid expires_in");
    }
    lifetime = std::chrono::seconds(static_cast<std::int64_t>(*seconds));
  }
  return Credential::bearer_token(std::string(token->get_string()), now + lifetime);
}

// Posts a form to the token endpoint and reads the token from the answer. `now` is when the
// exchange started: the token's lifetime counts from then, which errs on the early side.
Task<Result<Credential>> exchange(std::string token_uri, std::string form, SystemTime now) {
  const std::string host = url_host(token_uri);
  http::Request request;
  request.method = "POST";
  request.url = std::move(token_uri);
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  request.body = std::move(form);
  request.timeouts.total = std::chrono::seconds(60);
  Result<http::Response> response = co_await http::send(std::move(request));
  if (!response.ok()) co_return response.error();
  Result<std::string> body = co_await response->read_all(kMaxTokenResponseBytes);
  if (!body.ok()) co_return body.error();
  const int status = response->status();
  if (status < 200 || status >= 300) {
    co_return exchange_error(status, response->headers(), *body, host);
  }
  co_return parse_token_answer(*body, host, now);
}

// ---- service accounts ----

struct ServiceAccount {
  std::string client_email;
  std::string private_key_id;
  std::string token_uri;
  std::shared_ptr<EVP_PKEY> key;  // read-only after loading; shared by concurrent signers
};

Result<std::string> sign_rs256(EVP_PKEY* key, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, data, input.size()) != 1) {
    ERR_clear_error();
    return Status(StatusCode::kInternal, "signing the service-account assertion failed");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                     input.size()) != 1) {
    ERR_clear_error();
    return Status(StatusCode::kInternal, "signing the service-account assertion failed");
  }
  signature.resize(length);
  return signature;
}

Result<std::string> signed_assertion(const ServiceAccount& account, SystemTime now) {
  json::object header;
  header["alg"] = "RS256";
  header["typ"] = "JWT";
  header["kid"] = account.private_key_id;
  json::object claims;
  const std::int64_t issued = unix_seconds(now);
  claims["iss"] = account.client_email;
  claims["scope"] = kGoogleOAuthScopes;
  claims["aud"] = account.token_uri;
  claims["iat"] = issued;
  claims["exp"] = issued + kAssertionLifetime.count();
  std::string input = base64url(json::serialize(header)) + "." + base64url(json::serialize(claims));
  AISOPOD_ASSIGN_OR_RETURN(const std::string signature, sign_rs256(account.key.get(), input));
  return input + "." + base64url(signature);
}

Task<Result<Credential>> fetch_service_account_token(std::shared_ptr<const ServiceAccount> account,
                                                     std::shared_ptr<Clock> clock) {
  const SystemTime now = clock->now();
  Result<std::string> assertion = signed_assertion(*account, now);
  if (!assertion.ok()) co_return assertion.error();
  std::string form = "grant_type=" + form_value(kJwtBearerGrant) + "&assertion=" + *assertion;
  co_return co_await exchange(account->token_uri, std::move(form), now);
}

Result<std::shared_ptr<CredentialSource>> service_account_source(const json::object& object,
                                                                 const FileLabel& file,
                                                                 std::shared_ptr<Clock> clock) {
  auto account = std::make_shared<ServiceAccount>();
  AISOPOD_ASSIGN_OR_RETURN(account->client_email, required_string(object, "client_email", file));
  AISOPOD_ASSIGN_OR_RETURN(const std::string pem, required_string(object, "private_key", file));
  AISOPOD_ASSIGN_OR_RETURN(account->private_key_id,
                           required_string(object, "private_key_id", file));
  AISOPOD_ASSIGN_OR_RETURN(account->token_uri, token_uri_of(object, file, std::nullopt));
  AISOPOD_ASSIGN_OR_RETURN(account->key, parse_private_key(pem, file));
  if (!clock) clock = system_clock();
  std::string identity = "service_account:" + account->client_email + ":" + account->private_key_id;
  // The lambda only starts the coroutine: its captures are copied into the coroutine's frame,
  // which outlives the std::function call.
  return make_caching_credential_source(
      std::move(identity),
      [account = std::shared_ptr<const ServiceAccount>(std::move(account)), clock] {
        return fetch_service_account_token(account, clock);
      },
      std::chrono::minutes(5), clock);
}

// ---- authorized users (gcloud auth application-default login) ----

Result<std::shared_ptr<CredentialSource>> authorized_user_source(const json::object& object,
                                                                 const FileLabel& file,
                                                                 std::shared_ptr<Clock> clock) {
  AISOPOD_ASSIGN_OR_RETURN(const std::string client_id, required_string(object, "client_id", file));
  AISOPOD_ASSIGN_OR_RETURN(const std::string client_secret,
                           required_string(object, "client_secret", file));
  AISOPOD_ASSIGN_OR_RETURN(const std::string refresh_token,
                           required_string(object, "refresh_token", file));
  AISOPOD_ASSIGN_OR_RETURN(std::string token_uri,
                           token_uri_of(object, file, kGoogleDefaultTokenUri));
  if (!clock) clock = system_clock();
  std::string form = "grant_type=refresh_token&client_id=" + form_value(client_id) +
                     "&client_secret=" + form_value(client_secret) +
                     "&refresh_token=" + form_value(refresh_token);
  return make_caching_credential_source(
      "authorized_user:" + client_id + ":" + refresh_token,
      [token_uri = std::move(token_uri), form = std::move(form), clock] {
        return exchange(token_uri, form, clock->now());
      },
      std::chrono::minutes(5), clock);
}

enum class Accept { kServiceAccountOnly, kAny };

Result<std::shared_ptr<CredentialSource>> load_source(const FileLabel& file, Accept accept,
                                                      std::shared_ptr<Clock> clock) {
  AISOPOD_ASSIGN_OR_RETURN(const json::object object, load_json(file));
  AISOPOD_ASSIGN_OR_RETURN(const std::string type, required_string(object, "type", file));
  if (type == "service_account") return service_account_source(object, file, std::move(clock));
  if (accept == Accept::kAny && type == "authorized_user") {
    return authorized_user_source(object, file, std::move(clock));
  }
  return wrong_type(file, type,
                    accept == Accept::kAny ? "\"service_account\" or \"authorized_user\""
                                           : "\"service_account\"");
}

std::optional<std::string> non_empty(const EnvLookup& env, std::string_view name) {
  if (!env) return std::nullopt;
  std::optional<std::string> value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

}  // namespace

Result<std::shared_ptr<CredentialSource>> make_service_account_source(
    const std::string& credentials_file, std::shared_ptr<Clock> clock) {
  return load_source(label_for(credentials_file, {}), Accept::kServiceAccountOnly,
                     std::move(clock));
}

Result<std::shared_ptr<CredentialSource>> make_google_credentials_source(
    const std::string& credentials_file, std::shared_ptr<Clock> clock) {
  return load_source(label_for(credentials_file, {}), Accept::kAny, std::move(clock));
}

Result<std::shared_ptr<CredentialSource>> make_adc_source(const EnvLookup& env,
                                                          std::shared_ptr<Clock> clock) {
  if (std::optional<std::string> path = non_empty(env, "GOOGLE_APPLICATION_CREDENTIALS")) {
    return load_source(label_for(*path, "GOOGLE_APPLICATION_CREDENTIALS"), Accept::kAny,
                       std::move(clock));
  }
  std::filesystem::path directory;
  if (std::optional<std::string> config = non_empty(env, "CLOUDSDK_CONFIG")) {
    directory = *config;
  } else if (std::optional<std::string> home = non_empty(env, "HOME")) {
    directory = std::filesystem::path(*home) / ".config" / "gcloud";
  }
  if (!directory.empty()) {
    const std::filesystem::path file = directory / "application_default_credentials.json";
    std::error_code error;
    // An error other than "not found" (a directory we may not search) is left to the read,
    // whose message says what it is.
    if (std::filesystem::exists(file, error) || error) {
      return load_source(label_for(file.string(), {}), Accept::kAny, std::move(clock));
    }
  }
  return Status(StatusCode::kUnauthenticated,
                "no Google application default credentials: set GOOGLE_APPLICATION_CREDENTIALS "
                "or run `gcloud auth application-default login`");
}

}  // namespace aisopod::gemini
