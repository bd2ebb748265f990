#include "providers/gemini/google_auth.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "testing/fake_upstream.hpp"
#include "testing/run_task.hpp"

namespace aisopod::gemini {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using aisopod::testing::BodyPiece;
using aisopod::testing::FakeUpstream;
using aisopod::testing::RecordedRequest;
using aisopod::testing::run_task;
using aisopod::testing::ScriptedResponse;
using std::chrono::seconds;

constexpr std::string_view kEmail = "gemini-caller@aisopod-test.iam.gserviceaccount.com";
constexpr std::string_view kKeyId = "4f1c2b3a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";
constexpr std::string_view kClientId =
    "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com";
// FakeClock's start, 2020-01-01T00:00:00Z.
constexpr std::int64_t kStart = 1'577'836'800;
constexpr std::string_view kNoAdc =
    "no Google application default credentials: set GOOGLE_APPLICATION_CREDENTIALS or run "
    "`gcloud auth application-default login`";

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

PkeyPtr generate_key(int type) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(type, nullptr);
  EVP_PKEY* key = nullptr;
  const bool ok = ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 &&
                  (type != EVP_PKEY_RSA || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) == 1) &&
                  EVP_PKEY_keygen(ctx, &key) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) ADD_FAILURE() << "key generation failed";
  return PkeyPtr(key);
}

// PKCS#8 PEM ("BEGIN PRIVATE KEY"), encrypted with `passphrase` when it is not empty.
std::string pem_of(EVP_PKEY* key, const std::string& passphrase = {}) {
  BIO* bio = BIO_new(BIO_s_mem());
  const int written =
      passphrase.empty()
          ? PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr)
          : PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), passphrase.data(),
                                          static_cast<int>(passphrase.size()), nullptr, nullptr);
  EXPECT_EQ(written, 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

// One RSA-2048 key for the whole run (generating one takes a noticeable fraction of a second).
struct TestKey {
  PkeyPtr key;
  std::string pem;
};
const TestKey& test_key() {
  static const TestKey* key = [] {
    auto* k = new TestKey{generate_key(EVP_PKEY_RSA), {}};
    k->pem = pem_of(k->key.get());
    return k;
  }();
  return *key;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '-') {
      v = 62;
    } else if (c == '_') {
      v = 63;
    } else {
      return std::nullopt;  // '+', '/', '=' padding: not base64url without padding
    }
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (bits >= 6 || (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

bool verify_rs256(EVP_PKEY* key, std::string_view input, std::string_view signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::map<std::string, std::string> form_fields(std::string_view body) {
  std::map<std::string, std::string> fields;
  for (const std::string& pair : split(body, '&')) {
    const std::size_t equals = pair.find('=');
    fields[pair.substr(0, equals)] = equals == std::string::npos ? "" : pair.substr(equals + 1);
  }
  return fields;
}

ScriptedResponse token_answer(std::string token, int expires_in = 3599) {
  return ScriptedResponse::with_body(200, "application/json",
                                     R"({"access_token":")" + token + R"(","expires_in":)" +
                                         std::to_string(expires_in) + R"(,"token_type":"Bearer"})");
}

// A token endpoint answering "ya29.token-1", "ya29.token-2", ... valid for `expires_in`.
testing::Handler numbered_tokens(int expires_in = 3599) {
  auto count = std::make_shared<std::atomic<int>>(0);
  return [count, expires_in](const RecordedRequest&) {
    return token_answer("ya29.token-" + std::to_string(++*count), expires_in);
  };
}

SystemTime at(std::int64_t unix_seconds) { return SystemTime(seconds(unix_seconds)); }

Task<void> get_into(std::shared_ptr<CredentialSource> source,
                    std::optional<Result<Credential>>& out) {
  out.emplace(co_await source->get());
}

class GoogleAuthFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("aisopod_google_auth_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::string write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  json::object service_account(const std::string& token_uri) const {
    return json::object{{"type", "service_account"},
                        {"project_id", "aisopod-test"},
                        {"private_key_id", kKeyId},
                        {"private_key", test_key().pem},
                        {"client_email", kEmail},
                        {"client_id", "103735528394866125123"},
                        {"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
                        {"token_uri", token_uri}};
  }

  json::object authorized_user(const std::string& token_uri, std::string_view client_id = kClientId,
                               std::string_view refresh_token = "1//0gRefresh-Token") const {
    json::object object{{"type", "authorized_user"},
                        {"client_id", client_id},
                        {"client_secret", "d-Sec/ret+1 x"},
                        {"refresh_token", refresh_token},
                        {"quota_project_id", "aisopod-test"}};
    if (!token_uri.empty()) object["token_uri"] = token_uri;
    return object;
  }

  std::shared_ptr<CredentialSource> service_account_source(const std::string& token_uri) {
    Result<std::shared_ptr<CredentialSource>> source = make_service_account_source(
        write("key.json", json::serialize(service_account(token_uri))), clock_);
    EXPECT_TRUE(source.ok()) << source.status().to_string();
    return source.ok() ? *source : nullptr;
  }

  fs::path dir_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
};

// ---- service accounts ----

class GoogleServiceAccount : public GoogleAuthFixture {};

TEST_F(GoogleServiceAccount, PostsASignedJwtAssertionToTheFilesTokenUri) {
  FakeUpstream upstream(numbered_tokens());
  const std::string token_uri = upstream.base_url() + "/token";
  auto source = service_account_source(token_uri);
  ASSERT_NE(source, nullptr);

  Result<Credential> credential = run_task(source->get());
  ASSERT_TRUE(credential.ok()) << credential.status().to_string();
  EXPECT_EQ(*credential, Credential::bearer_token("ya29.token-1", at(kStart + 3599)));

  const std::vector<RecordedRequest> requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  const RecordedRequest& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/token");
  EXPECT_EQ(request.header("content-type"), "application/x-www-form-urlencoded");
  const std::string prefix =
      "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
  ASSERT_EQ(request.body.substr(0, prefix.size()), prefix);
  const std::string jwt = request.body.substr(prefix.size());

  const std::vector<std::string> parts = split(jwt, '.');
  ASSERT_EQ(parts.size(), 3u) << jwt;
  EXPECT_EQ(base64url_decode(parts[0]),
            R"({"alg":"RS256","typ":"JWT","kid":")" + std::string(kKeyId) + R"("})");
  EXPECT_EQ(base64url_decode(parts[1]),
            R"({"iss":")" + std::string(kEmail) +
                R"(","scope":"https://www.googleapis.com/auth/cloud-platform )"
                R"(https://www.googleapis.com/auth/generative-language","aud":")" +
                token_uri + R"(","iat":1577836800,"exp":1577840400})");
  const std::optional<std::string> signature = base64url_decode(parts[2]);
  ASSERT_TRUE(signature.has_value());
  EXPECT_EQ(signature->size(), 256u);  // RSA-2048
  EXPECT_TRUE(verify_rs256(test_key().key.get(), parts[0] + "." + parts[1], *signature));
  // The check can fail: the same signature does not verify other claims.
  EXPECT_FALSE(verify_rs256(test_key().key.get(), parts[0] + "." + parts[0], *signature));
}

TEST_F(GoogleServiceAccount, IdentityIsTheAccountAndKeyIdNeverTheKey) {
  auto source = service_account_source("https://oauth2.googleapis.com/token");
  ASSERT_NE(source, nullptr);
  Result<std::string> identity = source->identity();
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(*identity, "service_account:" + std::string(kEmail) + ":" + std::string(kKeyId));
}

TEST_F(GoogleServiceAccount, KeepsTheTokenUntilFiveMinutesBeforeItExpires) {
  FakeUpstream upstream(numbered_tokens(3600));
  auto source = service_account_source(upstream.base_url() + "/token");
  ASSERT_NE(source, nullptr);

  EXPECT_EQ(run_task(source->get()).value().secret, "ya29.token-1");
  EXPECT_EQ(run_task(source->get()).value().secret, "ya29.token-1");
  EXPECT_EQ(upstream.requests().size(), 1u);

  clock_->advance(seconds(3600 - 300 - 1));
  EXPECT_EQ(run_task(source->get()).value().secret, "ya29.token-1");
  EXPECT_EQ(upstream.requests().size(), 1u);

  clock_->advance(seconds(1));
  Result<Credential> refreshed = run_task(source->get());
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().to_string();
  EXPECT_EQ(*refreshed, Credential::bearer_token("ya29.token-2", at(kStart + 3300 + 3600)));
  const std::vector<RecordedRequest> requests = upstream.requests();
  ASSERT_EQ(requests.size(), 2u);
  // The new assertion is signed at the new time.
  const std::string jwt = form_fields(requests[1].body)["assertion"];
  const std::optional<std::string> claims = base64url_decode(split(jwt, '.').at(1));
  ASSERT_TRUE(claims.has_value());
  const json::value parsed = json::parse(*claims);
  EXPECT_EQ(parsed.at("iat").as_int64(), kStart + 3300);
  EXPECT_EQ(parsed.at("exp").as_int64(), kStart + 3300 + 3600);
}

TEST_F(GoogleServiceAccount, HundredConcurrentCallersShareOneExchange) {
  FakeUpstream upstream([](const RecordedRequest&) {
    ScriptedResponse answer = token_answer("ya29.shared");
    answer.body.at(0).delay = std::chrono::milliseconds(50);
    return answer;
  });
  auto source = service_account_source(upstream.base_url() + "/token");
  ASSERT_NE(source, nullptr);

  boost::asio::io_context io;
  std::vector<std::optional<Result<Credential>>> results(100);
  for (auto& result : results) {
    boost::asio::co_spawn(io, get_into(source, result), boost::asio::detached);
  }
  io.run();

  EXPECT_EQ(upstream.requests().size(), 1u);
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].has_value()) << i;
    ASSERT_TRUE(results[i]->ok()) << i << ": " << results[i]->status().to_string();
    EXPECT_EQ(**results[i], Credential::bearer_token("ya29.shared", at(kStart + 3599))) << i;
  }
}

TEST_F(GoogleServiceAccount, AnExpiresInStringIsReadAndAMissingOneMeansAnHour) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/json",
                                       R"({"access_token":"ya29.s","expires_in":"1800"})");
  });
  auto source = service_account_source(upstream.base_url() + "/token");
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(run_task(source->get()).value(), Credential::bearer_token("ya29.s", at(kStart + 1800)));

  upstream.set_handler([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/json", R"({"access_token":"ya29.h"})");
  });
  auto second = make_service_account_source((dir_ / "key.json").string(), clock_);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(run_task((*second)->get()).value(),
            Credential::bearer_token("ya29.h", at(kStart + 3600)));
}

struct ErrorCase {
  int status;
  std::string content_type;
  std::string body;
  StatusCode code;
  std::string message;  // after "token exchange at 127.0.0.1 "
};

TEST_F(GoogleServiceAccount, TokenEndpointAnswersMapToExactErrors) {
  const std::vector<ErrorCase> cases = {
      {400, "application/json",
       R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})",
       StatusCode::kUnauthenticated, "failed: invalid_grant: Invalid JWT Signature."},
      {401, "application/json",
       R"({"error":"invalid_client","error_description":"The OAuth client was not found."})",
       StatusCode::kUnauthenticated, "failed: invalid_client: The OAuth client was not found."},
      {400, "application/json", R"({"error":"invalid_scope"})", StatusCode::kUnauthenticated,
       "failed: invalid_scope"},
      {400, "application/json",
       R"({"error":"invalid_grant","error_description":"Invalid JWT:\n\tToken must be short-lived"})",
       StatusCode::kUnauthenticated,
       "failed: invalid_grant: Invalid JWT:  Token must be short-lived"},
      {400, "application/json",
       R"({"error":"invalid_grant","error_description":")" + std::string(600, 'x') + R"("})",
       StatusCode::kUnauthenticated, "failed: invalid_grant: " + std::string(500, 'x') + "..."},
      {403, "application/json",
       R"({"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}})",
       StatusCode::kPermissionDenied,
       "failed: PERMISSION_DENIED: The caller does not have permission"},
      {429, "application/json", R"({"error":"rate_limit_exceeded"})", StatusCode::kRateLimited,
       "failed: rate_limit_exceeded"},
      {503, "text/html", "<html>Service Unavailable</html>", StatusCode::kUnavailable,
       "failed: <html>Service Unavailable</html>"},
      {500, "application/json", "{}", StatusCode::kUnavailable, "failed: HTTP 500"},
      {502, "text/plain", "", StatusCode::kUnavailable, "failed: HTTP 502 with an empty body"},
      {200, "application/json", R"({"expires_in":3599,"token_type":"Bearer"})",
       StatusCode::kProtocolError, "returned no access_token"},
      {200, "application/json", R"({"access_token":"","expires_in":3599})",
       StatusCode::kProtocolError, "returned no access_token"},
      {200, "text/plain", "access_token=ya29.secret", StatusCode::kProtocolError,
       "returned a body that is not JSON"},
      {200, "application/json", R"({"access_token":"ya29.secret","token_type":"mac"})",
       StatusCode::kProtocolError, R"(returned token_type "mac", expected "Bearer")"},
      {200, "application/json", R"({"access_token":"ya29.secret","expires_in":-5})",
       StatusCode::kProtocolError, "returned an invalid expires_in"},
      {200, "application/json", R"({"access_token":"ya29.secret","expires_in":"soon"})",
       StatusCode::kProtocolError, "returned an invalid expires_in"},
  };
  for (const ErrorCase& c : cases) {
    FakeUpstream upstream([&c](const RecordedRequest&) {
      return ScriptedResponse::with_body(c.status, c.content_type, c.body);
    });
    auto source = service_account_source(upstream.base_url() + "/token");
    ASSERT_NE(source, nullptr);
    Result<Credential> credential = run_task(source->get());
    ASSERT_FALSE(credential.ok()) << c.body;
    EXPECT_EQ(credential.error(), Status(c.code, "token exchange at 127.0.0.1 " + c.message))
        << c.body;
    EXPECT_EQ(credential.error().http_status(), c.status == 200 ? 0 : c.status) << c.body;
  }
}

TEST_F(GoogleServiceAccount, AFailedExchangeIsNotKept) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(500, "application/json", "{}");
  });
  auto source = service_account_source(upstream.base_url() + "/token");
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(run_task(source->get()).status().code(), StatusCode::kUnavailable);
  upstream.set_handler(numbered_tokens());
  EXPECT_EQ(run_task(source->get()).value().secret, "ya29.token-1");
  EXPECT_EQ(upstream.requests().size(), 2u);
}

TEST_F(GoogleServiceAccount, TransportErrorsPassThrough) {
  std::string token_uri;
  {
    FakeUpstream closed(numbered_tokens());
    token_uri = closed.base_url() + "/token";
  }  // nothing listens on its port any more
  auto source = service_account_source(token_uri);
  ASSERT_NE(source, nullptr);
  Result<Credential> credential = run_task(source->get());
  ASSERT_FALSE(credential.ok());
  EXPECT_EQ(credential.error().code(), StatusCode::kUnavailable) << credential.status().to_string();
}

// ---- the credentials file ----

class GoogleCredentialsFile : public GoogleAuthFixture {
 protected:
  // The error of loading `content` as a service-account file, checked not to quote the key.
  Status load_error(const std::string& content) {
    Result<std::shared_ptr<CredentialSource>> source =
        make_service_account_source(write("key.json", content), clock_);
    if (source.ok()) return Status(StatusCode::kOk, "");
    EXPECT_EQ(source.error().message().find("PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(source.error().message().find(test_key().pem.substr(40, 40)), std::string::npos);
    return source.error();
  }
  std::string key_path() const { return (dir_ / "key.json").string(); }
};

TEST_F(GoogleCredentialsFile, AMissingFileOrADirectoryCannotBeRead) {
  const std::string missing = (dir_ / "absent.json").string();
  EXPECT_EQ(make_service_account_source(missing).status(),
            Status(StatusCode::kInvalidArgument, "cannot read Google credentials file " + missing +
                                                     ": No such file or directory"));
  EXPECT_EQ(make_service_account_source(dir_.string()).status(),
            Status(StatusCode::kInvalidArgument,
                   "cannot read Google credentials file " + dir_.string() + ": Is a directory"));
}

TEST_F(GoogleCredentialsFile, JsonErrorsNeverQuoteTheKey) {
  std::string truncated = json::serialize(service_account("https://oauth2.googleapis.com/token"));
  truncated.resize(truncated.find("BEGIN PRIVATE KEY") + 200);
  EXPECT_EQ(load_error(truncated),
            Status(StatusCode::kInvalidArgument,
                   "Google credentials file " + key_path() + " is not valid JSON"));
  EXPECT_EQ(load_error("[1, 2]"),
            Status(StatusCode::kInvalidArgument,
                   "Google credentials file " + key_path() + " is not a JSON object"));
}

TEST_F(GoogleCredentialsFile, EachMissingMemberIsNamed) {
  for (const char* field : {"type", "client_email", "private_key", "private_key_id", "token_uri"}) {
    json::object object = service_account("https://oauth2.googleapis.com/token");
    object.erase(field);
    EXPECT_EQ(
        load_error(json::serialize(object)),
        Status(StatusCode::kInvalidArgument, "Google credentials file " + key_path() +
                                                 " has no \"" + field + "\" (a non-empty string)"));
    object[field] = 42;
    EXPECT_EQ(
        load_error(json::serialize(object)),
        Status(StatusCode::kInvalidArgument, "Google credentials file " + key_path() +
                                                 " has no \"" + field + "\" (a non-empty string)"));
  }
}

TEST_F(GoogleCredentialsFile, OnlyAServiceAccountIsAServiceAccount) {
  EXPECT_EQ(load_error(json::serialize(authorized_user("https://oauth2.googleapis.com/token"))),
            Status(StatusCode::kInvalidArgument,
                   "Google credentials file " + key_path() +
                       R"( has type "authorized_user", expected "service_account")"));
  json::object object = service_account("https://oauth2.googleapis.com/token");
  object["type"] = test_key().pem;  // never quoted
  EXPECT_EQ(
      load_error(json::serialize(object)),
      Status(StatusCode::kInvalidArgument, "Google credentials file " + key_path() +
                                               R"( has a "type", expected "service_account")"));
}

TEST_F(GoogleCredentialsFile, KeysThatAreNotPemRsaKeysAreRefused) {
  const std::string not_a_key = "no pem here: c2VjcmV0LWtleS1tYXRlcmlhbA";
  const std::string garbage =
      "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n";
  const PkeyPtr ed25519 = generate_key(EVP_PKEY_ED25519);
  struct Case {
    std::string pem;
    std::string message;
  };
  const std::vector<Case> cases = {
      {not_a_key, R"(: "private_key" is not a PEM private key)"},
      {garbage, R"(: "private_key" is not a PEM private key)"},
      // Encrypted: refused without asking for a passphrase on the terminal.
      {pem_of(test_key().key.get(), "passphrase"), R"(: "private_key" is not a PEM private key)"},
      {pem_of(ed25519.get()), R"(: "private_key" is not an RSA key)"},
  };
  for (const Case& c : cases) {
    json::object object = service_account("https://oauth2.googleapis.com/token");
    object["private_key"] = c.pem;
    const Status error = load_error(json::serialize(object));
    EXPECT_EQ(error, Status(StatusCode::kInvalidArgument,
                            "Google credentials file " + key_path() + c.message));
    EXPECT_EQ(error.message().find("c2VjcmV0"), std::string::npos);
  }
}

TEST_F(GoogleCredentialsFile, TheTokenUriMustBeHttp) {
  EXPECT_EQ(
      load_error(json::serialize(service_account("ftp://oauth2.googleapis.com/token"))),
      Status(StatusCode::kInvalidArgument, "Google credentials file " + key_path() +
                                               R"(: "token_uri" is not an http or https URL)"));
}

TEST_F(GoogleCredentialsFile, OtherCredentialTypesAreNamed) {
  const std::string path =
      write("external.json", R"({"type":"external_account","audience":"//iam.googleapis.com/x"})");
  EXPECT_EQ(make_google_credentials_source(path).status(),
            Status(StatusCode::kInvalidArgument,
                   "Google credentials file " + path +
                       R"( has type "external_account", expected "service_account" or )"
                       R"("authorized_user")"));
}

// ---- application default credentials ----

class GoogleAdc : public GoogleAuthFixture {
 protected:
  EnvLookup env() const {
    return [vars = vars_](std::string_view name) -> std::optional<std::string> {
      const auto it = vars.find(std::string(name));
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
  std::string identity_of(Result<std::shared_ptr<CredentialSource>> source) {
    if (!source.ok()) return "error: " + source.status().to_string();
    Result<std::string> identity = (*source)->identity();
    return identity.ok() ? *identity : "error: " + identity.status().to_string();
  }
  std::map<std::string, std::string> vars_;
};

TEST_F(GoogleAdc, TheVariableBeatsTheGcloudFile) {
  vars_["GOOGLE_APPLICATION_CREDENTIALS"] =
      write("sa.json", json::serialize(service_account("https://oauth2.googleapis.com/token")));
  vars_["CLOUDSDK_CONFIG"] = (dir_ / "gcloud").string();
  write("gcloud/application_default_credentials.json", json::serialize(authorized_user("")));
  EXPECT_EQ(identity_of(make_adc_source(env(), clock_)),
            "service_account:" + std::string(kEmail) + ":" + std::string(kKeyId));
}

TEST_F(GoogleAdc, TheVariableMayNameAnAuthorizedUserFile) {
  vars_["GOOGLE_APPLICATION_CREDENTIALS"] =
      write("user.json", json::serialize(authorized_user("", "named-client")));
  EXPECT_EQ(identity_of(make_adc_source(env(), clock_)),
            "authorized_user:named-client:1//0gRefresh-Token");
}

TEST_F(GoogleAdc, CloudsdkConfigBeatsHome) {
  vars_["CLOUDSDK_CONFIG"] = (dir_ / "sdk").string();
  vars_["HOME"] = (dir_ / "home").string();
  write("sdk/application_default_credentials.json",
        json::serialize(authorized_user("", "sdk-client", "1//sdk")));
  write("home/.config/gcloud/application_default_credentials.json",
        json::serialize(authorized_user("", "home-client", "1//home")));
  EXPECT_EQ(identity_of(make_adc_source(env(), clock_)), "authorized_user:sdk-client:1//sdk");
}

TEST_F(GoogleAdc, HomeIsTheLastPlace) {
  vars_["GOOGLE_APPLICATION_CREDENTIALS"] = "";  // empty counts as unset
  vars_["CLOUDSDK_CONFIG"] = "";
  vars_["HOME"] = (dir_ / "home").string();
  write("home/.config/gcloud/application_default_credentials.json",
        json::serialize(authorized_user("", "home-client", "1//home")));
  EXPECT_EQ(identity_of(make_adc_source(env(), clock_)), "authorized_user:home-client:1//home");
}

TEST_F(GoogleAdc, NothingFoundIsUnauthenticated) {
  EXPECT_EQ(make_adc_source(env(), clock_).status(),
            Status(StatusCode::kUnauthenticated, std::string(kNoAdc)));
  EXPECT_EQ(make_adc_source(EnvLookup(), clock_).status(),
            Status(StatusCode::kUnauthenticated, std::string(kNoAdc)));
  vars_["HOME"] = (dir_ / "home").string();
  EXPECT_EQ(make_adc_source(env(), clock_).status(),
            Status(StatusCode::kUnauthenticated, std::string(kNoAdc)));
  // gcloud keeps one configuration directory: with CLOUDSDK_CONFIG set, $HOME is not searched.
  write("home/.config/gcloud/application_default_credentials.json",
        json::serialize(authorized_user("")));
  vars_["CLOUDSDK_CONFIG"] = (dir_ / "empty-sdk").string();
  EXPECT_EQ(make_adc_source(env(), clock_).status(),
            Status(StatusCode::kUnauthenticated, std::string(kNoAdc)));
}

TEST_F(GoogleAdc, AMissingFileNamedByTheVariableIsAnError) {
  const std::string missing = (dir_ / "absent.json").string();
  vars_["GOOGLE_APPLICATION_CREDENTIALS"] = missing;
  vars_["HOME"] = (dir_ / "home").string();
  write("home/.config/gcloud/application_default_credentials.json",
        json::serialize(authorized_user("")));
  EXPECT_EQ(make_adc_source(env(), clock_).status(),
            Status(StatusCode::kInvalidArgument,
                   "cannot read Google credentials file " + missing +
                       " (GOOGLE_APPLICATION_CREDENTIALS): No such file or directory"));
}

TEST_F(GoogleAdc, ABrokenGcloudFileIsNamed) {
  vars_["HOME"] = (dir_ / "home").string();
  json::object user = authorized_user("");
  user.erase("refresh_token");
  const std::string path =
      write("home/.config/gcloud/application_default_credentials.json", json::serialize(user));
  const Status error = make_adc_source(env(), clock_).status();
  EXPECT_EQ(error, Status(StatusCode::kInvalidArgument,
                          "Google credentials file " + path +
                              R"( has no "refresh_token" (a non-empty string))"));
  EXPECT_EQ(error.message().find("d-Sec"), std::string::npos);  // the client secret
}

TEST_F(GoogleAdc, AnAuthorizedUserRefreshesItsToken) {
  FakeUpstream upstream(numbered_tokens());
  vars_["HOME"] = (dir_ / "home").string();
  write("home/.config/gcloud/application_default_credentials.json",
        json::serialize(authorized_user(upstream.base_url() + "/oauth2/token")));
  Result<std::shared_ptr<CredentialSource>> source = make_adc_source(env(), clock_);
  ASSERT_TRUE(source.ok()) << source.status().to_string();

  EXPECT_EQ(run_task((*source)->get()).value(),
            Credential::bearer_token("ya29.token-1", at(kStart + 3599)));
  EXPECT_EQ(run_task((*source)->get()).value().secret, "ya29.token-1");  // kept
  const std::vector<RecordedRequest> requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/oauth2/token");
  EXPECT_EQ(requests[0].header("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(requests[0].body, "grant_type=refresh_token&client_id=" + std::string(kClientId) +
                                  "&client_secret=d-Sec%2Fret%2B1%20x"
                                  "&refresh_token=1%2F%2F0gRefresh-Token");

  clock_->advance(seconds(3599 - 300));
  EXPECT_EQ(run_task((*source)->get()).value().secret, "ya29.token-2");
  EXPECT_EQ(upstream.requests().size(), 2u);
}

TEST_F(GoogleAdc, ARevokedRefreshTokenIsUnauthenticated) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(
        400, "application/json",
        R"({"error":"invalid_grant","error_description":"Token has been expired or revoked."})");
  });
  const std::string path =
      write("user.json", json::serialize(authorized_user(upstream.base_url() + "/token")));
  Result<std::shared_ptr<CredentialSource>> source = make_google_credentials_source(path, clock_);
  ASSERT_TRUE(source.ok()) << source.status().to_string();
  EXPECT_EQ(run_task((*source)->get()).status(),
            Status(StatusCode::kUnauthenticated,
                   "token exchange at 127.0.0.1 failed: invalid_grant: Token has been expired or "
                   "revoked."));
}

}  // namespace
}  // namespace aisopod::gemini
