#include "providers/bedrock/aws_credentials.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/bedrock/sigv4.hpp"
#include "testing/fake_upstream.hpp"
#include "testing/run_task.hpp"

namespace aisopod::bedrock {
namespace {

namespace fs = std::filesystem;
using aisopod::testing::FakeUpstream;
using aisopod::testing::RecordedRequest;
using aisopod::testing::run_task;
using aisopod::testing::ScriptedResponse;
using std::chrono::seconds;

// FakeClock's start, 2020-01-01T00:00:00Z.
constexpr std::int64_t kStart = 1'577'836'800;
constexpr std::string_view kRoleArn = "arn:aws:iam::123456789012:role/demo";
constexpr std::string_view kRoleArnForm = "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo";

SystemTime at(std::int64_t unix_seconds) { return SystemTime(seconds(unix_seconds)); }

// An STS answer as AWS writes it.
std::string sts_answer(std::string_view action, std::string_view id, std::string_view secret,
                       std::string_view token, std::string_view expiration) {
  return "<" + std::string(action) +
         "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <" +
         std::string(action) +
         "Result>\n    <AssumedRoleUser>\n      "
         "<AssumedRoleId>AROA3XFRBF535PLBIFPI4:aisopod</AssumedRoleId>\n      "
         "<Arn>arn:aws:sts::123456789012:assumed-role/demo/aisopod</Arn>\n    "
         "</AssumedRoleUser>\n    <Credentials>\n      <AccessKeyId>" +
         std::string(id) + "</AccessKeyId>\n      <SecretAccessKey>" + std::string(secret) +
         "</SecretAccessKey>\n      <SessionToken>" + std::string(token) +
         "</SessionToken>\n      <Expiration>" + std::string(expiration) +
         "</Expiration>\n    </Credentials>\n  </" + std::string(action) +
         "Result>\n  <ResponseMetadata>\n    "
         "<RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n  "
         "</ResponseMetadata>\n</" +
         std::string(action) + "Response>\n";
}

std::string sts_error(std::string_view code, std::string_view message) {
  return "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    "
         "<Type>Sender</Type>\n    <Code>" +
         std::string(code) + "</Code>\n    <Message>" + std::string(message) +
         "</Message>\n  </Error>\n  <RequestId>4b2b6b6e-1f2d-4c1e-9c7e-2f1d0e3a4b5c</RequestId>\n"
         "</ErrorResponse>\n";
}

// An STS endpoint that answers `action` with keys ASIAROLE<n>, secret-<n>, token-<n>, valid
// for an hour from the fake clock's start.
testing::Handler numbered_sts(std::string action) {
  auto count = std::make_shared<std::atomic<int>>(0);
  return [count, action](const RecordedRequest&) {
    const std::string n = std::to_string(++*count);
    return ScriptedResponse::with_body(
        200, "text/xml",
        sts_answer(action, "ASIAROLE" + n, "secret-" + n, "token-" + n, "2020-01-01T01:00:00Z"));
  };
}

// A container or metadata answer with keys ASIA<prefix><n>, valid until `expiration`.
std::string keys_json(std::string_view id, std::string_view expiration) {
  return R"({"AccessKeyId":")" + std::string(id) + R"(","SecretAccessKey":"secret-of-)" +
         std::string(id) + R"(","Token":"token-of-)" + std::string(id) + R"(","Expiration":")" +
         std::string(expiration) + R"("})";
}

testing::Handler numbered_container_keys(std::string_view expiration = "2020-01-01T01:00:00Z",
                                         std::chrono::milliseconds delay = {}) {
  auto count = std::make_shared<std::atomic<int>>(0);
  return [count, expiration = std::string(expiration), delay](const RecordedRequest&) {
    ScriptedResponse answer = ScriptedResponse::with_body(
        200, "application/json", keys_json("ASIACONT" + std::to_string(++*count), expiration));
    answer.body.at(0).delay = delay;
    return answer;
  };
}

Credential container_keys(std::string_view id, std::int64_t expires_at = kStart + 3600) {
  return Credential::aws_keys(std::string(id), "secret-of-" + std::string(id),
                              "token-of-" + std::string(id), at(expires_at));
}

// The value after `key=` up to the next ',' in an Authorization header.
std::string authorization_part(std::string_view authorization, std::string_view key) {
  const std::size_t start = authorization.find(std::string(key) + "=");
  if (start == std::string_view::npos) return {};
  const std::size_t from = start + key.size() + 1;
  return std::string(authorization.substr(from, authorization.find(',', from) - from));
}

// Signs the recorded request again with `keys`, over the headers its Authorization names:
// equal only when the request was signed with those keys at that time.
std::string expected_authorization(const RecordedRequest& request, const AwsKeys& keys,
                                   std::string_view region, SystemTime time) {
  const std::string signed_names =
      authorization_part(request.header("authorization"), "SignedHeaders");
  http::Headers headers;
  for (const auto& [name, value] : request.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((";" + signed_names + ";").find(";" + lower + ";") != std::string::npos) {
      headers.push_back({name, value});
    }
  }
  SigV4Request parts;
  parts.method = request.method;
  parts.path = request.target;
  parts.headers = headers;
  parts.body = request.body;
  Result<SigV4Signature> signature = sign(parts, keys, region, "sts", time);
  return signature.ok() ? signature->authorization : "error: " + signature.status().to_string();
}

Task<void> get_into(std::shared_ptr<CredentialSource> source,
                    std::optional<Result<Credential>>& out) {
  out.emplace(co_await source->get());
}

class AwsFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("aisopod_aws_credentials_" + std::to_string(::getpid()) + "_" +
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

  // A shell script the test writes, made executable.
  std::string script(const std::string& name, const std::string& body) {
    const std::string path = write(name, "#!/bin/sh\n" + body);
    ::chmod(path.c_str(), 0755);
    return path;
  }

  // The fake environment; changes made to vars_ later are seen by sources made earlier.
  EnvLookup env() {
    return [vars = vars_](std::string_view name) -> std::optional<std::string> {
      const auto it = vars->find(std::string(name));
      if (it == vars->end()) return std::nullopt;
      return it->second;
    };
  }

  // HOME in the temp dir; never any real AWS endpoint: instance metadata is off unless a test
  // points it at a fake.
  AwsChainOptions options() {
    AwsChainOptions options;
    options.env = env();
    options.imds_enabled = false;
    options.clock = clock_;
    return options;
  }

  void set(const std::string& name, const std::string& value) { (*vars_)[name] = value; }
  void home() { set("HOME", (dir_ / "home").string()); }
  std::string credentials_path() const { return (dir_ / "home/.aws/credentials").string(); }
  std::string config_path() const { return (dir_ / "home/.aws/config").string(); }
  void credentials_file(const std::string& text) { write("home/.aws/credentials", text); }
  void config_file(const std::string& text) { write("home/.aws/config", text); }

  Result<Credential> get(AwsChainOptions options) {
    return run_task(make_aws_chain_source(std::move(options))->get());
  }

  // "no AWS credentials: ..." as expected with HOME set and instance metadata off.
  std::string no_credentials(const std::string& profile = "default") const {
    return "no AWS credentials: tried the environment (AWS_ACCESS_KEY_ID), the shared files for "
           "profile '" +
           profile + "' (" + credentials_path() + ", " + config_path() +
           "), web identity and container (instance metadata is disabled)";
  }

  fs::path dir_;
  std::shared_ptr<std::map<std::string, std::string>> vars_ =
      std::make_shared<std::map<std::string, std::string>>();
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
};

// ---- the order of the chain ----

class AwsChainOrder : public AwsFixture {};

TEST_F(AwsChainOrder, EnvironmentKeysComeFirst) {
  home();
  credentials_file(
      "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n");
  set("AWS_ACCESS_KEY_ID", "AKIDENV");
  set("AWS_SECRET_ACCESS_KEY", "env-secret");
  EXPECT_EQ(get(options()).value(), Credential::aws_keys("AKIDENV", "env-secret"));
  set("AWS_SESSION_TOKEN", "env-token");
  EXPECT_EQ(get(options()).value(), Credential::aws_keys("AKIDENV", "env-secret", "env-token"));
}

TEST_F(AwsChainOrder, HalfOfTheEnvironmentKeysIsAnError) {
  home();
  credentials_file(
      "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n");
  set("AWS_ACCESS_KEY_ID", "AKIDENV");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated,
                   "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"));
  vars_->erase("AWS_ACCESS_KEY_ID");
  set("AWS_SECRET_ACCESS_KEY", "env-secret");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated,
                   "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
  set("AWS_SECRET_ACCESS_KEY", "");  // empty counts as unset
  EXPECT_EQ(get(options()).value(), Credential::aws_keys("AKIDFILE", "file-secret"));
}

TEST_F(AwsChainOrder, TheCredentialsFileBeatsTheConfigFile) {
  home();
  credentials_file(
      "[default]\naws_access_key_id = AKIDCRED\naws_secret_access_key = cred-secret\n");
  config_file(
      "[default]\nregion = eu-west-1\naws_access_key_id = AKIDCONF\n"
      "aws_secret_access_key = conf-secret\naws_session_token = conf-token\n");
  // Merged key by key, as botocore does: the config file's session token stays.
  EXPECT_EQ(get(options()).value(), Credential::aws_keys("AKIDCRED", "cred-secret", "conf-token"));
}

TEST_F(AwsChainOrder, AProfileOnlyInTheConfigFileCounts) {
  home();
  config_file(
      "[profile work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = work-secret\n"
      "[other]\naws_access_key_id = AKIDNOPROFILE\naws_secret_access_key = nope\n");
  set("AWS_PROFILE", "work");
  EXPECT_EQ(get(options()).value(), Credential::aws_keys("AKIDWORK", "work-secret"));
  // In the config file a profile section is "[profile name]": "[other]" is none.
  set("AWS_PROFILE", "other");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated, "AWS profile 'other' (AWS_PROFILE) is not in " +
                                                     credentials_path() + " or " + config_path()));
}

TEST_F(AwsChainOrder, TheProfileOptionBeatsAwsProfileAndTheEnvironmentKeys) {
  home();
  credentials_file(
      "[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = work-secret\n"
      "[play]\naws_access_key_id = AKIDPLAY\naws_secret_access_key = play-secret\n");
  set("AWS_PROFILE", "work");
  EXPECT_EQ(get(options()).value(), Credential::aws_keys("AKIDWORK", "work-secret"));
  AwsChainOptions play = options();
  play.profile = "play";
  EXPECT_EQ(get(play).value(), Credential::aws_keys("AKIDPLAY", "play-secret"));
  // Keys in the environment win over AWS_PROFILE, not over a profile the configuration names.
  set("AWS_ACCESS_KEY_ID", "AKIDENV");
  set("AWS_SECRET_ACCESS_KEY", "env-secret");
  EXPECT_EQ(get(options()).value(), Credential::aws_keys("AKIDENV", "env-secret"));
  EXPECT_EQ(get(play).value(), Credential::aws_keys("AKIDPLAY", "play-secret"));
}

TEST_F(AwsChainOrder, FileLocationsComeFromTheVariables) {
  home();
  credentials_file(
      "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = home-secret\n");
  const std::string credentials = write(
      "elsewhere/creds", "[default]\naws_access_key_id = AKIDVAR\naws_secret_access_key = s\n");
  const std::string config = write("elsewhere/conf", "[default]\nregion = eu-north-1\n");
  set("AWS_SHARED_CREDENTIALS_FILE", credentials);
  set("AWS_CONFIG_FILE", config);
  EXPECT_EQ(get(options()).value(), Credential::aws_keys("AKIDVAR", "s"));
  // "~/" is the home directory, as in the AWS CLI.
  write("home/alt-creds", "[default]\naws_access_key_id = AKIDTILDE\naws_secret_access_key = t\n");
  set("AWS_SHARED_CREDENTIALS_FILE", "~/alt-creds");
  EXPECT_EQ(get(options()).value(), Credential::aws_keys("AKIDTILDE", "t"));
}

TEST_F(AwsChainOrder, TheSharedFilesBeatWebIdentityWhichBeatsContainerWhichBeatsMetadata) {
  FakeUpstream sts(numbered_sts("AssumeRoleWithWebIdentity"));
  FakeUpstream container(numbered_container_keys());
  FakeUpstream imds([](const RecordedRequest&) {
    return ScriptedResponse::with_body(500, "text/plain", "metadata should not be asked");
  });
  home();
  credentials_file(
      "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n");
  set("AWS_WEB_IDENTITY_TOKEN_FILE", write("token", "eyJ.web.identity"));
  set("AWS_ROLE_ARN", std::string(kRoleArn));
  set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.base_url() + "/creds");
  AwsChainOptions chain = options();
  chain.sts_endpoint = sts.base_url();
  chain.imds_enabled = true;
  chain.imds_endpoint = imds.base_url();

  EXPECT_EQ(get(chain).value(), Credential::aws_keys("AKIDFILE", "file-secret"));
  EXPECT_EQ(sts.requests().size(), 0u);

  credentials_file("");
  EXPECT_EQ(get(chain).value(),
            Credential::aws_keys("ASIAROLE1", "secret-1", "token-1", at(kStart + 3600)));
  EXPECT_EQ(sts.requests().size(), 1u);
  EXPECT_EQ(container.requests().size(), 0u);

  vars_->erase("AWS_WEB_IDENTITY_TOKEN_FILE");
  vars_->erase("AWS_ROLE_ARN");
  EXPECT_EQ(get(chain).value(), container_keys("ASIACONT1"));
  EXPECT_EQ(container.requests().size(), 1u);
  EXPECT_EQ(imds.requests().size(), 0u);
}

TEST_F(AwsChainOrder, NothingConfiguredListsWhatWasTried) {
  home();
  EXPECT_EQ(get(options()).status(), Status(StatusCode::kUnauthenticated, no_credentials()));
  // An empty file, a profile with only a region: still nothing.
  credentials_file("");
  config_file("[default]\nregion = us-west-2\n");
  EXPECT_EQ(get(options()).status(), Status(StatusCode::kUnauthenticated, no_credentials()));

  vars_->erase("HOME");
  AwsChainOptions chain = options();
  chain.profile = "ci";
  EXPECT_EQ(get(chain).status(),
            Status(StatusCode::kUnauthenticated,
                   "AWS profile 'ci' (profile option) is not in none: HOME is not set"));
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated,
                   "no AWS credentials: tried the environment (AWS_ACCESS_KEY_ID), the shared "
                   "files for profile 'default' (none: HOME is not set), web identity and "
                   "container (instance metadata is disabled)"));
  AwsChainOptions no_environment;  // an empty EnvLookup is an empty environment
  no_environment.imds_enabled = false;
  EXPECT_EQ(get(no_environment).status(), get(options()).status());
}

TEST_F(AwsChainOrder, NothingConfiguredWithInstanceMetadataTried) {
  FakeUpstream imds([](const RecordedRequest&) {
    return ScriptedResponse::with_body(404, "text/plain", "Not Found");
  });
  home();
  AwsChainOptions chain = options();
  chain.imds_enabled = true;
  chain.imds_endpoint = imds.base_url();
  chain.profile = "dev";
  config_file("[profile dev]\nregion = us-west-2\n");
  EXPECT_EQ(
      get(chain).status(),
      Status(StatusCode::kUnauthenticated,
             "no AWS credentials: tried the shared files for profile 'dev' (" + credentials_path() +
                 ", " + config_path() + "), web identity, container and instance metadata"));
  EXPECT_EQ(imds.requests().size(), 1u);

  // AWS_EC2_METADATA_DISABLED turns it off whatever the options say.
  set("AWS_EC2_METADATA_DISABLED", "TRUE");
  EXPECT_EQ(get(chain).status().message(),
            "no AWS credentials: tried the shared files for profile 'dev' (" + credentials_path() +
                ", " + config_path() +
                "), web identity and container (instance metadata is "
                "disabled)");
  EXPECT_EQ(imds.requests().size(), 1u);
}

TEST_F(AwsChainOrder, IdentityIsTheProfileNameAndAChangedProfileStartsClean) {
  home();
  credentials_file(
      "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d\n"
      "[a]\naws_access_key_id = AKIDA\naws_secret_access_key = a\n"
      "[b]\naws_access_key_id = AKIDB\naws_secret_access_key = b\n");
  std::shared_ptr<CredentialSource> source = make_aws_chain_source(options());
  EXPECT_EQ(source->identity().value(), "aws:default");
  EXPECT_EQ(run_task(source->get()).value(), Credential::aws_keys("AKIDDEFAULT", "d"));
  set("AWS_PROFILE", "a");
  EXPECT_EQ(source->identity().value(), "aws:a");
  EXPECT_EQ(run_task(source->get()).value(), Credential::aws_keys("AKIDA", "a"));
  set("AWS_PROFILE", "b");
  EXPECT_EQ(source->identity().value(), "aws:b");
  EXPECT_EQ(run_task(source->get()).value(), Credential::aws_keys("AKIDB", "b"));

  AwsChainOptions named = options();
  named.profile = "a";
  EXPECT_EQ(make_aws_chain_source(named)->identity().value(), "aws:a");
}

TEST_F(AwsChainOrder, StaticKeysAreKeptForTheLifeOfTheSource) {
  home();
  credentials_file("[default]\naws_access_key_id = AKIDOLD\naws_secret_access_key = old\n");
  std::shared_ptr<CredentialSource> source = make_aws_chain_source(options());
  EXPECT_EQ(run_task(source->get()).value(), Credential::aws_keys("AKIDOLD", "old"));
  credentials_file("[default]\naws_access_key_id = AKIDNEW\naws_secret_access_key = new\n");
  clock_->advance(std::chrono::hours(24 * 365));
  EXPECT_EQ(run_task(source->get()).value(), Credential::aws_keys("AKIDOLD", "old"));
}

// ---- the shared files ----

class AwsSharedFiles : public AwsFixture {};

TEST_F(AwsSharedFiles, ReadsTheAwsCliDialect) {
  home();
  config_file(
      "# a comment\n"
      "; another\n"
      "[default]\n"
      "region=us-east-2\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "  aws_access_key_id = AKIDNESTED\n"
      "\n"
      "[sso-session corp]\n"
      "aws_access_key_id = AKIDSSO\n"
      "[profile   spaced  ]\n"
      "aws_access_key_id: AKIDSPACED\r\n"
      "aws_secret_access_key  =  spaced secret with = and : \r\n");
  EXPECT_EQ(get(options()).status(), Status(StatusCode::kUnauthenticated, no_credentials()));
  set("AWS_PROFILE", "spaced");
  EXPECT_EQ(get(options()).value(),
            Credential::aws_keys("AKIDSPACED", "spaced secret with = and :"));
}

TEST_F(AwsSharedFiles, AMalformedLineIsNamedNotQuoted) {
  home();
  credentials_file(
      "[default]\naws_access_key_id = AKIDX\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
  const Status error = get(options()).status();
  EXPECT_EQ(error,
            Status(StatusCode::kInvalidArgument, "AWS shared file " + credentials_path() +
                                                     ":3: expected [section] or key = value"));
  config_file("region = us-east-1\n");  // a key before any section
  credentials_file("");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kInvalidArgument,
                   "AWS shared file " + config_path() + ":1: expected [section] or key = value"));
}

TEST_F(AwsSharedFiles, AnUnreadableFileIsAnErrorAMissingOneIsNot) {
  home();
  fs::create_directories(dir_ / "home/.aws/credentials");  // a directory
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kInvalidArgument,
                   "cannot read AWS shared file " + credentials_path() + ": Is a directory"));
}

TEST_F(AwsSharedFiles, HalfAKeyPairIsAnError) {
  home();
  credentials_file("[default]\naws_access_key_id = AKIDHALF\n");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated,
                   "AWS profile 'default' has aws_access_key_id but no aws_secret_access_key"));
  credentials_file("[default]\naws_secret_access_key = only-secret\n");
  const Status error = get(options()).status();
  EXPECT_EQ(error, Status(StatusCode::kUnauthenticated,
                          "AWS profile 'default' has aws_secret_access_key but no "
                          "aws_access_key_id"));
  EXPECT_EQ(error.message().find("only-secret"), std::string::npos);
}

TEST_F(AwsSharedFiles, AnSsoProfileSaysWhatToDoInstead) {
  home();
  config_file("[profile corp]\nsso_session = corp\nsso_account_id = 123456789012\n");
  set("AWS_PROFILE", "corp");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated,
                   "AWS profile 'corp' uses IAM Identity Center (sso_*), which aisopod does not "
                   "support: set credential_process = aws configure export-credentials --profile "
                   "corp --format process"));
}

// ---- region ----

class AwsRegion : public AwsFixture {};

TEST_F(AwsRegion, ConfiguredThenAwsRegionThenAwsDefaultRegionThenTheProfile) {
  home();
  config_file("[default]\nregion = eu-west-1\n[profile work]\nregion = ap-south-1\n");
  EXPECT_EQ(resolve_aws_region(env(), "", ""), "eu-west-1");
  EXPECT_EQ(resolve_aws_region(env(), "", "work"), "ap-south-1");
  EXPECT_EQ(resolve_aws_region(env(), "", "absent"), "");
  set("AWS_PROFILE", "work");
  EXPECT_EQ(resolve_aws_region(env(), "", ""), "ap-south-1");
  EXPECT_EQ(resolve_aws_region(env(), "", "default"), "eu-west-1");
  set("AWS_DEFAULT_REGION", "us-east-2");
  EXPECT_EQ(resolve_aws_region(env(), "", ""), "us-east-2");
  set("AWS_REGION", "us-west-1");
  EXPECT_EQ(resolve_aws_region(env(), "", ""), "us-west-1");
  EXPECT_EQ(resolve_aws_region(env(), "ca-central-1", ""), "ca-central-1");
}

TEST_F(AwsRegion, TheConfigFileVariableAndBrokenFiles) {
  EXPECT_EQ(resolve_aws_region(env(), "", ""), "");
  EXPECT_EQ(resolve_aws_region(EnvLookup(), "", ""), "");
  set("AWS_CONFIG_FILE", write("conf", "[default]\nregion = sa-east-1\n"));
  EXPECT_EQ(resolve_aws_region(env(), "", ""), "sa-east-1");
  set("AWS_CONFIG_FILE", write("broken", "not ini at all\n"));
  EXPECT_EQ(resolve_aws_region(env(), "", ""), "");
  // The credentials file is not read for the region.
  set("AWS_SHARED_CREDENTIALS_FILE", write("creds", "[default]\nregion = me-south-1\n"));
  EXPECT_EQ(resolve_aws_region(env(), "", ""), "");
}

// ---- credential_process ----

class AwsCredentialProcess : public AwsFixture {
 protected:
  void use(const std::string& command) {
    home();
    config_file("[default]\ncredential_process = " + command + "\n");
  }
};

TEST_F(AwsCredentialProcess, TemporaryKeysAreRefreshedFiveMinutesEarly) {
  const std::string counter = (dir_ / "count").string();
  use(script("process.sh",
             "n=$(cat '" + counter +
                 "' 2>/dev/null || echo 0)\n"
                 "n=$((n + 1))\n"
                 "echo $n > '" +
                 counter +
                 "'\n"
                 "printf '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC%s\", \"SecretAccessKey\": "
                 "\"proc-secret\", \"SessionToken\": \"proc-token\", \"Expiration\": "
                 "\"2020-01-01T01:00:00Z\"}\\n' $n\n") +
      " --profile default");
  std::shared_ptr<CredentialSource> source = make_aws_chain_source(options());
  const Credential first =
      Credential::aws_keys("ASIAPROC1", "proc-secret", "proc-token", at(kStart + 3600));
  EXPECT_EQ(run_task(source->get()).value(), first);
  EXPECT_EQ(run_task(source->get()).value(), first);
  clock_->advance(seconds(3600 - 300 - 1));
  EXPECT_EQ(run_task(source->get()).value(), first);
  clock_->advance(seconds(1));
  EXPECT_EQ(run_task(source->get()).value(),
            Credential::aws_keys("ASIAPROC2", "proc-secret", "proc-token", at(kStart + 3600)));
}

TEST_F(AwsCredentialProcess, KeysWithoutExpirationAreStatic) {
  use("printf '{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"s\"}'");
  EXPECT_EQ(get(options()).value(), Credential::aws_keys("AKIDPROC", "s"));
}

TEST_F(AwsCredentialProcess, AFailingCommandIsNamedWithoutItsOutput) {
  use(script("fail.sh",
             "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDLEAK\",\"SecretAccessKey\":\"leaked-"
             "secret\"}'\nexit 3\n"));
  const Status error = get(options()).status();
  EXPECT_EQ(error, Status(StatusCode::kUnauthenticated,
                          "credential_process of AWS profile 'default' exited with status 3"));
  EXPECT_EQ(error.message().find("leaked"), std::string::npos);

  use("kill -9 $$");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated,
                   "credential_process of AWS profile 'default' was killed by signal 9"));
  use("/nonexistent/aws-helper 2>/dev/null");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated,
                   "credential_process of AWS profile 'default' exited with status 127"));
}

TEST_F(AwsCredentialProcess, BadOutputIsAnError) {
  const std::string who = "credential_process of AWS profile 'default' returned ";
  use("echo not json");
  EXPECT_EQ(get(options()).status(), Status(StatusCode::kUnauthenticated, who + "no JSON object"));
  use("echo '{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}'");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated, who + "no \"Version\": 1"));
  use("echo '{\"Version\":1,\"AccessKeyId\":\"A\"}'");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated, who + "no SecretAccessKey"));
  use("echo '{\"Version\":1,\"SecretAccessKey\":\"s\"}'");
  EXPECT_EQ(get(options()).status(), Status(StatusCode::kUnauthenticated, who + "no AccessKeyId"));
  use("echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":"
      "\"tomorrow\"}'");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated, who + "an invalid Expiration"));
  use("head -c 2000000 /dev/zero | tr '\\0' x");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated,
                   "credential_process of AWS profile 'default' wrote more than 1 MiB"));
}

TEST_F(AwsCredentialProcess, ExpirationFormsAreRead) {
  use("echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":"
      "\"2020-01-01T02:30:00.123+01:00\"}'");
  EXPECT_EQ(get(options()).value().expires_at, at(kStart + 5400));
}

// ---- role_arn + source_profile (STS AssumeRole) ----

class AwsAssumeRole : public AwsFixture {
 protected:
  void SetUp() override {
    AwsFixture::SetUp();
    home();
    credentials_file("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n");
  }
  AwsChainOptions chain(const FakeUpstream& sts, const std::string& profile = "dev") {
    AwsChainOptions chain = options();
    chain.profile = profile;
    chain.sts_endpoint = sts.base_url();
    return chain;
  }
};

TEST_F(AwsAssumeRole, IsSignedWithTheSourceProfilesKeys) {
  FakeUpstream sts(numbered_sts("AssumeRole"));
  config_file("[profile dev]\nrole_arn = " + std::string(kRoleArn) +
              "\nsource_profile = base\nregion = us-west-2\n");
  EXPECT_EQ(get(chain(sts)).value(),
            Credential::aws_keys("ASIAROLE1", "secret-1", "token-1", at(kStart + 3600)));

  const std::vector<RecordedRequest> requests = sts.requests();
  ASSERT_EQ(requests.size(), 1u);
  const RecordedRequest& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/");
  EXPECT_EQ(request.header("content-type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(request.body, "Action=AssumeRole&Version=2011-06-15&RoleArn=" +
                              std::string(kRoleArnForm) + "&RoleSessionName=aisopod-1577836800");
  EXPECT_EQ(request.header("x-amz-date"), "20200101T000000Z");
  EXPECT_EQ(request.header("x-amz-security-token"), "");
  const std::string authorization = request.header("authorization");
  EXPECT_TRUE(authorization.starts_with(
      "AWS4-HMAC-SHA256 Credential=AKIDBASE/20200101/us-west-2/sts/aws4_request, SignedHeaders="))
      << authorization;
  EXPECT_EQ(authorization, expected_authorization(request, AwsKeys{"AKIDBASE", "base-secret", ""},
                                                  "us-west-2", at(kStart)));
  // The check can fail: another secret signs differently.
  EXPECT_NE(authorization, expected_authorization(request, AwsKeys{"AKIDBASE", "other-secret", ""},
                                                  "us-west-2", at(kStart)));
}

TEST_F(AwsAssumeRole, ChainedRolesSignWithTheTemporaryKeysOfTheFirst) {
  FakeUpstream sts(numbered_sts("AssumeRole"));
  config_file(
      "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = mid\n"
      "role_session_name = my-session\nexternal_id = ext 1\nduration_seconds = 900\n"
      "[profile mid]\nrole_arn = arn:aws:iam::123456789012:role/mid\nsource_profile = base\n");
  set("AWS_REGION", "eu-central-1");
  EXPECT_EQ(get(chain(sts)).value(),
            Credential::aws_keys("ASIAROLE2", "secret-2", "token-2", at(kStart + 3600)));
  const std::vector<RecordedRequest> requests = sts.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%"
            "2Fmid&RoleSessionName=aisopod-1577836800");
  EXPECT_EQ(requests[0].header("authorization"),
            expected_authorization(requests[0], AwsKeys{"AKIDBASE", "base-secret", ""},
                                   "eu-central-1", at(kStart)));
  EXPECT_EQ(requests[1].body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%"
            "2Fdev&RoleSessionName=my-session&ExternalId=ext%201&DurationSeconds=900");
  EXPECT_EQ(requests[1].header("x-amz-security-token"), "token-1");
  EXPECT_EQ(requests[1].header("authorization"),
            expected_authorization(requests[1], AwsKeys{"ASIAROLE1", "secret-1", "token-1"},
                                   "eu-central-1", at(kStart)));
}

TEST_F(AwsAssumeRole, AProfileMaySourceItsOwnKeys) {
  FakeUpstream sts(numbered_sts("AssumeRole"));
  credentials_file("[dev]\naws_access_key_id = AKIDSELF\naws_secret_access_key = self-secret\n");
  config_file("[profile dev]\nrole_arn = " + std::string(kRoleArn) + "\nsource_profile = dev\n");
  EXPECT_EQ(get(chain(sts)).value().access_key_id, "ASIAROLE1");
  const std::vector<RecordedRequest> requests = sts.requests();
  ASSERT_EQ(requests.size(), 1u);
  // No region anywhere: us-east-1.
  EXPECT_EQ(requests[0].header("authorization"),
            expected_authorization(requests[0], AwsKeys{"AKIDSELF", "self-secret", ""}, "us-east-1",
                                   at(kStart)));
}

TEST_F(AwsAssumeRole, CredentialSourceEnvironment) {
  FakeUpstream sts(numbered_sts("AssumeRole"));
  config_file("[profile dev]\nrole_arn = " + std::string(kRoleArn) +
              "\ncredential_source = Environment\n");
  set("AWS_ACCESS_KEY_ID", "AKIDENV");
  set("AWS_SECRET_ACCESS_KEY", "env-secret");
  set("AWS_SESSION_TOKEN", "env-token");
  EXPECT_EQ(get(chain(sts)).value().access_key_id, "ASIAROLE1");
  const std::vector<RecordedRequest> requests = sts.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("x-amz-security-token"), "env-token");
  EXPECT_EQ(requests[0].header("authorization"),
            expected_authorization(requests[0], AwsKeys{"AKIDENV", "env-secret", "env-token"},
                                   "us-east-1", at(kStart)));
}

TEST_F(AwsAssumeRole, ProfileMistakesAreNamed) {
  FakeUpstream sts(numbered_sts("AssumeRole"));
  const auto error_of = [&](const std::string& config) {
    config_file(config);
    return get(chain(sts)).status();
  };
  const std::string role = "[profile dev]\nrole_arn = " + std::string(kRoleArn) + "\n";
  EXPECT_EQ(error_of(role), Status(StatusCode::kUnauthenticated,
                                   "AWS profile 'dev' has role_arn but no source_profile, "
                                   "credential_source or web_identity_token_file"));
  EXPECT_EQ(error_of(role + "source_profile = nowhere\n"),
            Status(StatusCode::kUnauthenticated,
                   "AWS profile 'dev': source_profile 'nowhere' is not in the shared files"));
  EXPECT_EQ(error_of(role + "source_profile = empty\n[profile empty]\nregion = us-east-1\n"),
            Status(StatusCode::kUnauthenticated,
                   "AWS profile 'dev': source_profile 'empty' provides no credentials"));
  EXPECT_EQ(error_of(role + "credential_source = Ec2InstanceMetadata\n"),
            Status(StatusCode::kUnauthenticated,
                   "AWS profile 'dev': credential_source 'Ec2InstanceMetadata' provides no "
                   "credentials"));
  EXPECT_EQ(error_of(role + "credential_source = Magic\n"),
            Status(StatusCode::kUnauthenticated,
                   "AWS profile 'dev': credential_source 'Magic' is not Environment, "
                   "Ec2InstanceMetadata or EcsContainer"));
  EXPECT_EQ(error_of(role + "source_profile = base\nmfa_serial = arn:aws:iam::1:mfa/u\n"),
            Status(StatusCode::kUnauthenticated,
                   "AWS profile 'dev' needs an MFA code (mfa_serial), which aisopod cannot ask "
                   "for"));
  EXPECT_EQ(error_of(role + "source_profile = base\nduration_seconds = 1h\n"),
            Status(StatusCode::kUnauthenticated,
                   "AWS profile 'dev': duration_seconds is not a number of seconds"));
  EXPECT_EQ(error_of("[profile dev]\nrole_arn = r1\nsource_profile = a\n"
                     "[profile a]\nrole_arn = r2\nsource_profile = b\n"
                     "[profile b]\nrole_arn = r3\nsource_profile = a\n"),
            Status(StatusCode::kUnauthenticated,
                   "AWS profiles 'dev' -> 'a' -> 'b' -> 'a' form a source_profile cycle"));
  EXPECT_EQ(sts.requests().size(), 0u);
}

struct StsErrorCase {
  int status;
  std::string body;
  StatusCode code;
  std::string message;  // after "STS AssumeRole at 127.0.0.1 for AWS profile 'dev' failed: "
};

TEST_F(AwsAssumeRole, StsErrorsKeepTheirCodeAndMessage) {
  const std::vector<StsErrorCase> cases = {
      {403,
       sts_error("AccessDenied",
                 "User: arn:aws:iam::123456789012:user/base is not authorized to perform: "
                 "sts:AssumeRole on resource: arn:aws:iam::123456789012:role/demo"),
       StatusCode::kPermissionDenied,
       "AccessDenied: User: arn:aws:iam::123456789012:user/base is not authorized to perform: "
       "sts:AssumeRole on resource: arn:aws:iam::123456789012:role/demo"},
      {403,
       sts_error("InvalidClientTokenId", "The security token included in the request is invalid."),
       StatusCode::kUnauthenticated,
       "InvalidClientTokenId: The security token included in the request is invalid."},
      {403,
       sts_error("SignatureDoesNotMatch",
                 "The request signature we calculated does not match the signature you "
                 "provided. Check your AWS Secret Access Key &amp; signing method."),
       StatusCode::kUnauthenticated,
       "SignatureDoesNotMatch: The request signature we calculated does not match the signature "
       "you provided. Check your AWS Secret Access Key & signing method."},
      {400, sts_error("Throttling", "Rate exceeded"), StatusCode::kRateLimited,
       "Throttling: Rate exceeded"},
      {400, sts_error("ValidationError", "1 validation error detected"),
       StatusCode::kUnauthenticated, "ValidationError: 1 validation error detected"},
      {503, "<html><body>Service Unavailable</body></html>", StatusCode::kUnavailable,
       "<html><body>Service Unavailable</body></html>"},
      {500, "", StatusCode::kUnavailable, "HTTP 500 with an empty body"},
  };
  config_file("[profile dev]\nrole_arn = " + std::string(kRoleArn) + "\nsource_profile = base\n");
  for (const StsErrorCase& c : cases) {
    FakeUpstream sts([&c](const RecordedRequest&) {
      return ScriptedResponse::with_body(c.status, "text/xml", c.body);
    });
    const Status error = get(chain(sts)).status();
    EXPECT_EQ(error, Status(c.code, "STS AssumeRole at 127.0.0.1 for AWS profile 'dev' failed: " +
                                        c.message))
        << c.body;
    EXPECT_EQ(error.http_status(), c.status);
  }
}

TEST_F(AwsAssumeRole, AnIncompleteAnswerIsAProtocolError) {
  config_file("[profile dev]\nrole_arn = " + std::string(kRoleArn) + "\nsource_profile = base\n");
  FakeUpstream sts([](const RecordedRequest&) {
    return ScriptedResponse::with_body(
        200, "text/xml", sts_answer("AssumeRole", "ASIAX", "s", "", "2020-01-01T01:00:00Z"));
  });
  EXPECT_EQ(
      get(chain(sts)).status(),
      Status(StatusCode::kProtocolError, "STS AssumeRole at 127.0.0.1 returned no SessionToken"));
  sts.set_handler([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "text/xml",
                                       sts_answer("AssumeRole", "ASIAX", "s", "t", "soon"));
  });
  EXPECT_EQ(get(chain(sts)).status(),
            Status(StatusCode::kProtocolError,
                   "STS AssumeRole at 127.0.0.1 returned no valid Expiration"));
}

TEST_F(AwsAssumeRole, RoleKeysAreRefreshedBeforeTheyExpire) {
  FakeUpstream sts(numbered_sts("AssumeRole"));
  config_file("[profile dev]\nrole_arn = " + std::string(kRoleArn) + "\nsource_profile = base\n");
  std::shared_ptr<CredentialSource> source = make_aws_chain_source(chain(sts));
  EXPECT_EQ(run_task(source->get()).value().access_key_id, "ASIAROLE1");
  clock_->advance(seconds(3600 - 300 - 1));
  EXPECT_EQ(run_task(source->get()).value().access_key_id, "ASIAROLE1");
  EXPECT_EQ(sts.requests().size(), 1u);
  clock_->advance(seconds(1));
  EXPECT_EQ(run_task(source->get()).value().access_key_id, "ASIAROLE2");
  const std::vector<RecordedRequest> requests = sts.requests();
  ASSERT_EQ(requests.size(), 2u);
  // Signed at the new time, with a new session name.
  EXPECT_EQ(requests[1].header("x-amz-date"), "20200101T005500Z");
  EXPECT_TRUE(requests[1].body.ends_with("&RoleSessionName=aisopod-1577840100"))
      << requests[1].body;
}

// ---- web identity ----

class AwsWebIdentity : public AwsFixture {};

TEST_F(AwsWebIdentity, TheEnvironmentsTokenFileGoesUnsignedToSts) {
  FakeUpstream sts(numbered_sts("AssumeRoleWithWebIdentity"));
  set("AWS_WEB_IDENTITY_TOKEN_FILE", write("token", "eyJhbGciOiJSUzI1NiJ9.e30.sig+/=\n"));
  set("AWS_ROLE_ARN", std::string(kRoleArn));
  set("AWS_ROLE_SESSION_NAME", "ci-run");
  AwsChainOptions chain = options();
  chain.sts_endpoint = sts.base_url() + "/";
  EXPECT_EQ(get(chain).value(),
            Credential::aws_keys("ASIAROLE1", "secret-1", "token-1", at(kStart + 3600)));
  const std::vector<RecordedRequest> requests = sts.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/");
  EXPECT_EQ(requests[0].header("authorization"), "");
  EXPECT_EQ(
      requests[0].body,
      "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + std::string(kRoleArnForm) +
          "&RoleSessionName=ci-run&WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.e30.sig%2B%2F%3D");
}

TEST_F(AwsWebIdentity, TheStsEndpointVariableAndTheDefaultSessionName) {
  FakeUpstream sts(numbered_sts("AssumeRoleWithWebIdentity"));
  set("AWS_WEB_IDENTITY_TOKEN_FILE", write("token", "tok"));
  set("AWS_ROLE_ARN", std::string(kRoleArn));
  set("AWS_ENDPOINT_URL_STS", sts.base_url());
  EXPECT_EQ(get(options()).value().access_key_id, "ASIAROLE1");
  ASSERT_EQ(sts.requests().size(), 1u);
  EXPECT_EQ(sts.requests()[0].body, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" +
                                        std::string(kRoleArnForm) +
                                        "&RoleSessionName=aisopod-1577836800&WebIdentityToken=tok");
}

TEST_F(AwsWebIdentity, AProfileMayNameATokenFile) {
  FakeUpstream sts(numbered_sts("AssumeRoleWithWebIdentity"));
  home();
  const std::string token = write("profile-token", "profile.jwt");
  config_file("[profile eks]\nrole_arn = " + std::string(kRoleArn) +
              "\nweb_identity_token_file = " + token + "\nrole_session_name = pod\n");
  AwsChainOptions chain = options();
  chain.profile = "eks";
  chain.sts_endpoint = sts.base_url();
  EXPECT_EQ(get(chain).value().access_key_id, "ASIAROLE1");
  ASSERT_EQ(sts.requests().size(), 1u);
  EXPECT_EQ(sts.requests()[0].body, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" +
                                        std::string(kRoleArnForm) +
                                        "&RoleSessionName=pod&WebIdentityToken=profile.jwt");

  sts.set_handler([](const RecordedRequest&) {
    return ScriptedResponse::with_body(
        400, "text/xml", sts_error("InvalidIdentityToken", "Couldn't retrieve verification key"));
  });
  config_file("[profile eks]\nrole_arn = " + std::string(kRoleArn) +
              "\nweb_identity_token_file = " + token + "\n");
  EXPECT_EQ(get(chain).status(),
            Status(StatusCode::kUnauthenticated,
                   "STS AssumeRoleWithWebIdentity at 127.0.0.1 for AWS profile 'eks' failed: "
                   "InvalidIdentityToken: Couldn't retrieve verification key"));
}

TEST_F(AwsWebIdentity, MistakesAreNamed) {
  const std::string missing = (dir_ / "absent").string();
  set("AWS_WEB_IDENTITY_TOKEN_FILE", missing);
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated,
                   "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"));
  set("AWS_ROLE_ARN", std::string(kRoleArn));
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated,
                   "cannot read the web identity token file " + missing +
                       " (AWS_WEB_IDENTITY_TOKEN_FILE): No such file or directory"));
  const std::string empty = write("empty", " \n");
  set("AWS_WEB_IDENTITY_TOKEN_FILE", empty);
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated, "the web identity token file " + empty +
                                                     " (AWS_WEB_IDENTITY_TOKEN_FILE) is empty"));
  vars_->erase("AWS_WEB_IDENTITY_TOKEN_FILE");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated,
                   "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not"));
}

// ---- container credentials ----

class AwsContainer : public AwsFixture {};

TEST_F(AwsContainer, ARelativeUriGoesToTheContainerHost) {
  FakeUpstream agent(numbered_container_keys());
  set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/3f1a-task");
  set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic dGFzaw==");
  AwsChainOptions chain = options();
  chain.container_host = agent.base_url() + "/";
  EXPECT_EQ(get(chain).value(), container_keys("ASIACONT1"));
  const std::vector<RecordedRequest> requests = agent.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/v2/credentials/3f1a-task");
  EXPECT_EQ(requests[0].header("authorization"), "Basic dGFzaw==");
}

TEST_F(AwsContainer, AFullUriWithATokenFileThatBeatsTheToken) {
  FakeUpstream agent(numbered_container_keys());
  set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.base_url() + "/get-credentials?a=1");
  set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token");
  set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", write("eks-token", "file-token\n"));
  EXPECT_EQ(get(options()).value(), container_keys("ASIACONT1"));
  ASSERT_EQ(agent.requests().size(), 1u);
  EXPECT_EQ(agent.requests()[0].target, "/get-credentials?a=1");
  EXPECT_EQ(agent.requests()[0].header("authorization"), "file-token");

  vars_->erase("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  vars_->erase("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  EXPECT_EQ(get(options()).value(), container_keys("ASIACONT2"));
  EXPECT_EQ(agent.requests().at(1).header("authorization"), "");
}

TEST_F(AwsContainer, MistakesAndRefusalsAreNamed) {
  set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.0.0.5:8080/creds");
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kUnauthenticated,
                   "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https or a loopback, ECS or EKS "
                   "host, not 10.0.0.5"));

  FakeUpstream agent([](const RecordedRequest&) {
    return ScriptedResponse::with_body(
        401, "application/json",
        R"({"code":"InvalidTokenError","message":"invalid authorization token"})");
  });
  set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.base_url() + "/creds");
  const std::string missing = (dir_ / "absent").string();
  set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", missing);
  EXPECT_EQ(get(options()).status(), Status(StatusCode::kUnauthenticated,
                                            "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " +
                                                missing + ": No such file or directory"));
  vars_->erase("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  const Status error = get(options()).status();
  EXPECT_EQ(error, Status(StatusCode::kUnauthenticated,
                          "container credentials endpoint 127.0.0.1 failed: invalid authorization "
                          "token (code: InvalidTokenError)"));
  EXPECT_EQ(error.http_status(), 401);

  agent.set_handler([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "application/json", R"({"AccessKeyId":"ASIA"})");
  });
  EXPECT_EQ(get(options()).status(),
            Status(StatusCode::kProtocolError,
                   "container credentials endpoint 127.0.0.1 returned no SecretAccessKey"));
}

// ---- instance metadata (IMDSv2) ----

class AwsInstanceMetadata : public AwsFixture {
 protected:
  AwsChainOptions chain(const FakeUpstream& imds) {
    AwsChainOptions chain = options();
    chain.imds_enabled = true;
    chain.imds_endpoint = imds.base_url();
    return chain;
  }
};

// An IMDSv2 server: a token for PUT /latest/api/token, then the role and its keys for requests
// that carry it; 401 without it.
testing::Handler imds_server(std::string role_keys_json, int role_status = 200) {
  return [role_keys_json, role_status](const RecordedRequest& request) {
    if (request.method == "PUT" && request.target == "/latest/api/token") {
      return ScriptedResponse::with_body(200, "text/plain", "AQAEAImdsSessionToken==");
    }
    if (request.header("x-aws-ec2-metadata-token") != "AQAEAImdsSessionToken==") {
      return ScriptedResponse::with_body(401, "text/plain", "");
    }
    if (request.target == "/latest/meta-data/iam/security-credentials/") {
      return role_status == 200 ? ScriptedResponse::with_body(200, "text/plain", "ec2-role")
                                : ScriptedResponse::with_body(role_status, "text/html", "");
    }
    if (request.target == "/latest/meta-data/iam/security-credentials/ec2-role") {
      return ScriptedResponse::with_body(200, "text/plain", role_keys_json);
    }
    return ScriptedResponse::with_body(404, "text/html", "");
  };
}

TEST_F(AwsInstanceMetadata, TokenFirstThenTheRoleThenItsKeys) {
  FakeUpstream imds(
      imds_server(R"({"Code":"Success","LastUpdated":"2019-12-31T23:55:00Z","Type":"AWS-HMAC",)"
                  R"("AccessKeyId":"ASIAEC2","SecretAccessKey":"ec2-secret","Token":"ec2-token",)"
                  R"("Expiration":"2020-01-01T06:00:00Z"})"));
  EXPECT_EQ(get(chain(imds)).value(),
            Credential::aws_keys("ASIAEC2", "ec2-secret", "ec2-token", at(kStart + 6 * 3600)));
  const std::vector<RecordedRequest> requests = imds.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].target, "/latest/api/token");
  EXPECT_EQ(requests[0].header("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].target, "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(requests[1].header("x-aws-ec2-metadata-token"), "AQAEAImdsSessionToken==");
  EXPECT_EQ(requests[2].method, "GET");
  EXPECT_EQ(requests[2].target, "/latest/meta-data/iam/security-credentials/ec2-role");
  EXPECT_EQ(requests[2].header("x-aws-ec2-metadata-token"), "AQAEAImdsSessionToken==");
}

TEST_F(AwsInstanceMetadata, TheEndpointVariable) {
  FakeUpstream imds(imds_server(keys_json("ASIAEC2", "2020-01-01T06:00:00Z")));
  AwsChainOptions chain = options();
  chain.imds_enabled = true;
  set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.base_url() + "/");
  EXPECT_EQ(get(chain).value(), container_keys("ASIAEC2", kStart + 6 * 3600));
  EXPECT_EQ(imds.requests().size(), 3u);
}

TEST_F(AwsInstanceMetadata, NoRoleOrNoServerIsNoCredentials) {
  home();
  const std::string nothing =
      "no AWS credentials: tried the environment (AWS_ACCESS_KEY_ID), the shared files for "
      "profile 'default' (" +
      credentials_path() + ", " + config_path() +
      "), web identity, container and instance metadata";
  FakeUpstream imds(imds_server("", 404));
  EXPECT_EQ(get(chain(imds)).status(), Status(StatusCode::kUnauthenticated, nothing));
  EXPECT_EQ(imds.requests().size(), 2u);

  // Refused connections: a port nobody listens on any more.
  std::string closed;
  {
    FakeUpstream gone([](const RecordedRequest&) { return ScriptedResponse{}; });
    closed = gone.base_url();
  }
  AwsChainOptions unreachable = options();
  unreachable.imds_enabled = true;
  unreachable.imds_endpoint = closed;
  EXPECT_EQ(get(unreachable).status(), Status(StatusCode::kUnauthenticated, nothing));

  // A server that never answers: the 1 s deadline ends the wait.
  FakeUpstream silent([](const RecordedRequest&) {
    ScriptedResponse response;
    response.fault = ScriptedResponse::Fault::kNoResponse;
    return response;
  });
  AwsChainOptions stalled = options();
  stalled.imds_enabled = true;
  stalled.imds_endpoint = silent.base_url();
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(get(stalled).status(), Status(StatusCode::kUnauthenticated, nothing));
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(5));
}

TEST_F(AwsInstanceMetadata, AFailureAfterTheTokenIsAnError) {
  FakeUpstream imds(imds_server(R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"denied"})"));
  EXPECT_EQ(get(chain(imds)).status(),
            Status(StatusCode::kUnavailable,
                   "instance metadata at 127.0.0.1 returned Code AssumeRoleUnauthorizedAccess"));
  imds.set_handler(imds_server("", 500));
  EXPECT_EQ(get(chain(imds)).status(),
            Status(StatusCode::kUnavailable,
                   "instance metadata at 127.0.0.1 failed: HTTP 500 with an empty body"));
}

// ---- refresh ----

class AwsRefresh : public AwsFixture {
 protected:
  AwsChainOptions container_chain(const FakeUpstream& agent) {
    set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.base_url() + "/creds");
    return options();
  }
};

TEST_F(AwsRefresh, TemporaryKeysAreFetchedAgainFiveMinutesBeforeTheyExpire) {
  FakeUpstream agent(numbered_container_keys());
  std::shared_ptr<CredentialSource> source = make_aws_chain_source(container_chain(agent));
  EXPECT_EQ(run_task(source->get()).value(), container_keys("ASIACONT1"));
  EXPECT_EQ(run_task(source->get()).value(), container_keys("ASIACONT1"));
  clock_->advance(seconds(3600 - 300 - 1));
  EXPECT_EQ(run_task(source->get()).value(), container_keys("ASIACONT1"));
  EXPECT_EQ(agent.requests().size(), 1u);
  clock_->advance(seconds(1));
  EXPECT_EQ(run_task(source->get()).value(), container_keys("ASIACONT2"));
  EXPECT_EQ(agent.requests().size(), 2u);
}

TEST_F(AwsRefresh, HundredConcurrentCallersShareOneFetch) {
  FakeUpstream agent(
      numbered_container_keys("2020-01-01T01:00:00Z", std::chrono::milliseconds(50)));
  std::shared_ptr<CredentialSource> source = make_aws_chain_source(container_chain(agent));
  for (const char* expected : {"ASIACONT1", "ASIACONT2"}) {
    boost::asio::io_context io;
    std::vector<std::optional<Result<Credential>>> results(100);
    for (auto& result : results) {
      boost::asio::co_spawn(io, get_into(source, result), boost::asio::detached);
    }
    io.run();
    for (std::size_t i = 0; i < results.size(); ++i) {
      ASSERT_TRUE(results[i].has_value()) << i;
      ASSERT_TRUE(results[i]->ok()) << i << ": " << results[i]->status().to_string();
      EXPECT_EQ(**results[i], container_keys(expected)) << i;
    }
    // The second round comes inside the refresh margin: one new fetch for all of them.
    clock_->advance(seconds(3600 - 300));
  }
  EXPECT_EQ(agent.requests().size(), 2u);
}

TEST_F(AwsRefresh, AFailedRefreshKeepsKeysThatAreStillValid) {
  FakeUpstream agent(numbered_container_keys());
  std::shared_ptr<CredentialSource> source = make_aws_chain_source(container_chain(agent));
  EXPECT_EQ(run_task(source->get()).value(), container_keys("ASIACONT1"));
  agent.set_handler([](const RecordedRequest&) {
    return ScriptedResponse::with_body(503, "text/plain", "agent restarting");
  });
  clock_->advance(seconds(3600 - 240));  // 4 minutes left: inside the margin
  EXPECT_EQ(run_task(source->get()).value(), container_keys("ASIACONT1"));
  EXPECT_EQ(agent.requests().size(), 2u);
  clock_->advance(seconds(200));  // 40 s left: too little to hand out
  EXPECT_EQ(run_task(source->get()).status(),
            Status(StatusCode::kUnavailable,
                   "container credentials endpoint 127.0.0.1 failed: agent restarting"));
  EXPECT_EQ(agent.requests().size(), 3u);
  agent.set_handler(numbered_container_keys("2020-01-01T02:00:00Z"));
  EXPECT_EQ(run_task(source->get()).value(), container_keys("ASIACONT1", kStart + 7200));
}

}  // namespace
}  // namespace aisopod::bedrock
