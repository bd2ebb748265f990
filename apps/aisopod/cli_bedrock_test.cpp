// The command with the Bedrock provider, end to end against the fake upstream: AWS_PROFILE and a
// shared credentials file, the request signed with SigV4, the recorded event stream printed.
#include <gtest/gtest.h>

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

TEST_F(CliTest, BedrockWithAwsProfileAndACredentialsFile) {
  const std::string wire =
      read_testdata("bedrock/pydantic-ai/test_bedrock_model_stream.response.eventstream");
  FakeUpstream upstream([&wire](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/vnd.amazon.eventstream", wire);
  });
  const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  std::ofstream(dir_ / "credentials") << "[default]\naws_access_key_id = AKIDDEFAULT\n"
                                      << "aws_secret_access_key = not-this-one\n\n[dev]\n"
                                      << "aws_access_key_id = AKIDDEVPROFILE01\n"
                                      << "aws_secret_access_key = " << secret << "\n";
  env_["AWS_PROFILE"] = "dev";
  env_["AWS_SHARED_CREDENTIALS_FILE"] = (dir_ / "credentials").string();
  env_["AWS_CONFIG_FILE"] = (dir_ / "config").string();
  env_["AWS_REGION"] = "us-west-2";
  env_["AWS_EC2_METADATA_DISABLED"] = "true";
  env_["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = upstream.base_url();
  CliResult r = run({"chat", "-m", "bedrock/us.amazon.nova-pro-v1:0", "Capital of France?"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("The capital of France is Paris.", 0), 0u) << r.out;
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/model/us.amazon.nova-pro-v1%3A0/converse-stream");
  const std::string authorization = requests[0].header("Authorization");
  EXPECT_EQ(authorization.rfind("AWS4-HMAC-SHA256 Credential=AKIDDEVPROFILE01/", 0), 0u)
      << authorization;
  EXPECT_NE(authorization.find("/us-west-2/bedrock/aws4_request"), std::string::npos);
  EXPECT_EQ(r.out.find(secret), std::string::npos);
  EXPECT_EQ(r.err.find(secret), std::string::npos);
}

TEST_F(CliTest, BedrockWithoutCredentialsSaysWhatItTried) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/json", "{}");
  });
  env_["AWS_REGION"] = "us-west-2";
  env_["AWS_EC2_METADATA_DISABLED"] = "true";
  env_["AWS_SHARED_CREDENTIALS_FILE"] = (dir_ / "none-credentials").string();
  env_["AWS_CONFIG_FILE"] = (dir_ / "none-config").string();
  env_["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = upstream.base_url();
  write_config("[providers.bedrock]\n");
  CliResult r = run({"chat", "-m", "bedrock/m", "hi"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.err,
            "aisopod: error: unauthenticated (bedrock, profile default): no AWS credentials: tried "
            "the "
            "environment (AWS_ACCESS_KEY_ID), the shared files for profile 'default' (" +
                (dir_ / "none-credentials").string() + ", " + (dir_ / "none-config").string() +
                "), web identity and container (instance metadata is disabled)\n");
  EXPECT_TRUE(upstream.requests().empty());
  // A listing that failed prints no empty table, only the error.
  CliResult models = run({"models", "bedrock"});
  EXPECT_EQ(models.exit_code, 3) << models.err;
  EXPECT_EQ(models.out, "");
}

}  // namespace
}  // namespace aisopod::cli
