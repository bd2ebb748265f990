// The command with the Gemini provider, end to end against the fake upstream: an API key from
// the environment, an attached image, and OAuth from a service-account key file and from
// application default credentials, the token endpoint being the fake too.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_harness.hpp"
#include "testing/fake_upstream.hpp"
#include "testing/testdata.hpp"

namespace aisopod::cli {
namespace {

using aisopod::testing::FakeUpstream;
using aisopod::testing::read_testdata;
using aisopod::testing::RecordedRequest;
using aisopod::testing::ScriptedResponse;

// Gemini from the environment alone: the key goes in x-goog-api-key (never in the URL), an
// attached image reaches the request as inlineData, and the recorded answer is printed.
TEST_F(CliTest, GeminiFromTheEnvironmentWithAnAttachedImage) {
  const std::string wire =
      read_testdata("google/pydantic-ai/test_google_model_stream.response.sse");
  FakeUpstream upstream([&](const RecordedRequest&) { return ScriptedResponse::sse(wire); });
  env_["GEMINI_API_KEY"] = "AIza-cli-test-key-000001";
  env_["GOOGLE_GEMINI_BASE_URL"] = upstream.base_url();
  const std::string png("\x89PNG\r\n\x1a\n0000", 12);
  std::ofstream(dir_ / "dot.png", std::ios::binary) << png;
  CliResult r = run({"chat", "-m", "gemini/gemini-2.0-flash-exp", "--attach",
                     (dir_ / "dot.png").string(), "What is the capital of France?"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("The capital of France", 0), 0u) << r.out;
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target,
            "/v1beta/models/gemini-2.0-flash-exp:streamGenerateContent?alt=sse");
  EXPECT_EQ(requests[0].header("x-goog-api-key"), "AIza-cli-test-key-000001");
  EXPECT_NE(
      requests[0].body.find(R"("inlineData":{"mimeType":"image/png","data":"iVBORw0KGgowMDAw"})"),
      std::string::npos)
      << requests[0].body;
}

// A fresh RSA-2048 private key as PKCS#8 PEM, made at test time (never a committed secret).
std::string fresh_rsa_pem() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  EXPECT_NE(key, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

// `text` as the inside of a JSON string (the PEM's newlines as \n).
std::string json_escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// A google_service_account profile end to end: the key file's token_uri is the fake, which
// answers the JWT exchange; the chat request carries the token; the private key never reaches
// the output.
TEST_F(CliTest, GeminiWithAServiceAccountKeyFile) {
  const std::string wire =
      read_testdata("google/pydantic-ai/test_google_model_stream.response.sse");
  FakeUpstream upstream([&](const RecordedRequest& request) {
    if (request.target == "/token") {
      return ScriptedResponse::with_body(
          200, "application/json",
          R"({"access_token":"ya29.sa-access-token","expires_in":3599,"token_type":"Bearer"})");
    }
    return ScriptedResponse::sse(wire);
  });
  const std::string pem = fresh_rsa_pem();
  std::ofstream(dir_ / "sa.json")
      << R"({"type":"service_account","project_id":"p","private_key_id":"kid-1","private_key":")"
      << json_escaped(pem) << R"(","client_email":"bot@p.iam.gserviceaccount.com","token_uri":")"
      << upstream.base_url() << R"(/token"})";
  write_config("[providers.gemini]\nbase_url = \"" + upstream.base_url() +
               "\"\n[[providers.gemini.profiles]]\nname = \"sa\"\n"
               "kind = \"google_service_account\"\ncredentials_file = \"${HOME}/sa.json\"\n");
  CliResult r = run({"chat", "-m", "gemini/gemini-2.0-flash-exp", "Capital of France?"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("The capital of France", 0), 0u) << r.out;
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/token");
  EXPECT_EQ(requests[0].body.rfind(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=", 0),
            0u)
      << requests[0].body;
  EXPECT_EQ(requests[1].header("Authorization"), "Bearer ya29.sa-access-token");
  const std::string key_body = pem.substr(pem.find('\n') + 1, 64);
  EXPECT_EQ(r.out.find(key_body), std::string::npos);
  EXPECT_EQ(r.err.find(key_body), std::string::npos);
}

// A google_adc profile: the authorized_user file named by GOOGLE_APPLICATION_CREDENTIALS is
// exchanged at its token_uri (a fake), and the token goes as a bearer token; the refresh token
// and the client secret never reach the output or the state database.
TEST_F(CliTest, GeminiWithApplicationDefaultCredentials) {
  const std::string wire =
      read_testdata("google/pydantic-ai/test_google_model_stream.response.sse");
  FakeUpstream upstream([&](const RecordedRequest& request) {
    if (request.target == "/token") {
      return ScriptedResponse::with_body(
          200, "application/json",
          R"({"access_token":"ya29.cli-access-token","expires_in":3599,"token_type":"Bearer"})");
    }
    return ScriptedResponse::sse(wire);
  });
  const std::string secret = "client-secret-0123456789";
  const std::string refresh = "refresh-token-0123456789";
  std::ofstream(dir_ / "adc.json")
      << R"({"type":"authorized_user","client_id":"cid.apps.googleusercontent.com","client_secret":")"
      << secret << R"(","refresh_token":")" << refresh << R"(","token_uri":")"
      << upstream.base_url() << R"(/token"})";
  env_["GOOGLE_APPLICATION_CREDENTIALS"] = (dir_ / "adc.json").string();
  write_config("[providers.gemini]\nbase_url = \"" + upstream.base_url() +
               "\"\n[[providers.gemini.profiles]]\nname = \"adc\"\nkind = \"google_adc\"\n");
  CliResult r = run({"chat", "-m", "gemini/gemini-2.0-flash-exp", "Capital of France?"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("The capital of France", 0), 0u) << r.out;
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/token");
  EXPECT_NE(requests[0].body.find("grant_type=refresh_token"), std::string::npos);
  EXPECT_EQ(requests[1].header("Authorization"), "Bearer ya29.cli-access-token");
  EXPECT_EQ(requests[1].header("x-goog-api-key"), "");
  for (const std::string& text : {r.out, r.err}) {
    EXPECT_EQ(text.find(secret), std::string::npos);
    EXPECT_EQ(text.find(refresh), std::string::npos);
  }
}

}  // namespace
}  // namespace aisopod::cli
