#include "aisopod/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace aisopod {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

// An environment made of a map, so tests never depend on the machine's variables.
EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// The five provider types as the configuration tests see them (test data: the real schemas are
// each provider folder's, and a build may leave some out).
const std::vector<ProviderSchema>& test_schemas() {
  static const std::vector<ProviderSchema> schemas = {
      {"openai",
       "OpenAI",
       {{"organization", OptionType::kString, "", {"OPENAI_ORG_ID"}, "org"},
        {"project", OptionType::kString, "", {"OPENAI_PROJECT_ID"}, "project"}}},
      {"anthropic",
       "Anthropic",
       {{"anthropic_version", OptionType::kString, "2023-06-01", {}, "version"},
        {"prompt_caching", OptionType::kBoolean, "false", {}, "cache"}}},
      {"gemini",
       "Gemini",
       {},
       {{"google_service_account", {"credentials_file"}}, {"google_adc", {}}}},
      {"bedrock",
       "Bedrock",
       {{"region", OptionType::kRegion, "", {"AWS_REGION", "AWS_DEFAULT_REGION"}, "region"}},
       {{"aws", {}}}},
      {"ollama", "Ollama", {{"keep_alive", OptionType::kStringOrInteger, "", {}, "keep"}}},
  };
  return schemas;
}

// The loaders with test_schemas().
Result<Config> parse_config(std::string_view text, std::string_view name, const EnvLookup& env) {
  return aisopod::parse_config(text, name, env, test_schemas());
}
Result<Config> load_config(std::optional<std::string> path, const EnvLookup& env,
                           const std::filesystem::path& cwd) {
  return aisopod::load_config(std::move(path), env, test_schemas(), cwd);
}
Config config_from_env(const EnvLookup& env) {
  return aisopod::config_from_env(env, test_schemas());
}

std::vector<std::string> provider_ids(const Config& config) {
  std::vector<std::string> ids;
  for (const ProviderConfig& provider : config.providers) ids.push_back(provider.id);
  return ids;
}

// The error message of a parse that must fail.
std::string parse_error(std::string_view text, std::map<std::string, std::string> vars = {}) {
  Result<Config> result = parse_config(text, "f.toml", fake_env(std::move(vars)));
  EXPECT_FALSE(result.ok()) << "parsed without error:\n" << text;
  if (result.ok()) return "";
  EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
  return result.error().message();
}

// The example from DESIGN.md section 8, verbatim.
constexpr std::string_view kDesignExample =
    R"toml([providers.openai]                # the table's name is the provider id in "openai/gpt-4o"
base_url = "https://api.openai.com/v1"
organization = "org-123"          # provider-specific options sit beside the common ones

[[providers.openai.profiles]]     # auth profiles, handed out round-robin
name = "main"
api_key_env = "OPENAI_API_KEY"    # the key is read from this variable
[[providers.openai.profiles]]
name = "batch"
api_key = "${OPENAI_KEY_2}"       # inline value; ${VAR} is expanded

[providers.local]                 # any OpenAI-compatible server, under an id of its own
type = "openai"                   # type defaults to the id for the five built-in names
base_url = "http://127.0.0.1:8080/v1"

[providers.bedrock]
region = "us-west-2"              # no profiles: the AWS credential chain

[models]
default = "anthropic/claude-sonnet-4-5"
aliases = { fast = "openai/gpt-4o-mini", local = "ollama/qwen3:8b" }
fallbacks = { "anthropic/claude-sonnet-4-5" = ["openai/gpt-4o", "gemini/gemini-2.5-pro"] }

[auth]
state = "sqlite"                  # or "memory"; the file defaults to $XDG_STATE_HOME/aisopod/auth.db
cooldown = { base = "60s", factor = 5, cap = "1h" }
)toml";

TEST(ParseConfig, DesignExample) {
  Result<Config> result =
      parse_config(kDesignExample, "aisopod.toml",
                   fake_env({{"OPENAI_KEY_2", "sk-second"}, {"XDG_STATE_HOME", "/state/"}}));
  ASSERT_TRUE(result.ok()) << result.error().message();
  const Config& config = *result;
  EXPECT_EQ(config.source_path, "aisopod.toml");
  // File order, not the alphabetical order toml++ keeps.
  EXPECT_EQ(provider_ids(config), (std::vector<std::string>{"openai", "local", "bedrock"}));

  const ProviderConfig& openai = config.providers[0];
  EXPECT_EQ(openai.type, "openai");
  EXPECT_EQ(openai.base_url, "https://api.openai.com/v1");
  EXPECT_EQ(openai.options, (std::map<std::string, std::string>{{"organization", "org-123"}}));
  ASSERT_EQ(openai.profiles.size(), 2u);
  EXPECT_EQ(openai.profiles[0].name, "main");
  EXPECT_EQ(openai.profiles[0].provider_id, "openai");
  EXPECT_EQ(openai.profiles[0].kind, "api_key");
  EXPECT_EQ(openai.profiles[0].api_key_env, "OPENAI_API_KEY");
  EXPECT_EQ(openai.profiles[0].api_key, "");
  EXPECT_EQ(openai.profiles[0].source, "aisopod.toml:5");
  EXPECT_EQ(openai.profiles[1].name, "batch");
  EXPECT_EQ(openai.profiles[1].api_key, "sk-second");
  EXPECT_EQ(openai.profiles[1].api_key_env, "");
  EXPECT_EQ(openai.profiles[1].source, "aisopod.toml:8");

  const ProviderConfig& local = config.providers[1];
  EXPECT_EQ(local.type, "openai");
  EXPECT_EQ(local.base_url, "http://127.0.0.1:8080/v1");
  EXPECT_TRUE(local.profiles.empty());  // not the built-in id: no OPENAI_API_KEY profile
  EXPECT_TRUE(local.options.empty());

  const ProviderConfig& bedrock = config.providers[2];
  EXPECT_EQ(bedrock.type, "bedrock");
  EXPECT_EQ(bedrock.options, (std::map<std::string, std::string>{{"region", "us-west-2"}}));
  EXPECT_EQ(bedrock.base_url, "https://bedrock-runtime.us-west-2.amazonaws.com");
  EXPECT_TRUE(bedrock.profiles.empty());

  EXPECT_EQ(config.models.default_model, "anthropic/claude-sonnet-4-5");
  EXPECT_EQ(config.models.aliases,
            (std::map<std::string, std::string>{{"fast", "openai/gpt-4o-mini"},
                                                {"local", "ollama/qwen3:8b"}}));
  EXPECT_EQ(config.models.fallbacks,
            (std::map<std::string, std::vector<std::string>>{
                {"anthropic/claude-sonnet-4-5", {"openai/gpt-4o", "gemini/gemini-2.5-pro"}}}));

  EXPECT_EQ(config.auth.state, "sqlite");
  EXPECT_EQ(config.auth.state_path, "/state/aisopod/auth.db");
  EXPECT_EQ(config.auth.cooldown_base, 60s);
  EXPECT_EQ(config.auth.cooldown_factor, 5.0);
  EXPECT_EQ(config.auth.cooldown_cap, 1h);
}

TEST(ParseConfig, NonDefaultAuthValues) {
  Result<Config> result = parse_config(R"(
[auth]
state = "memory"
path = "${HOME}/auth.db"
[auth.cooldown]
base = "250ms"
factor = 2.5
cap = 90
)",
                                       "f.toml", fake_env({{"HOME", "/home/u"}}));
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->auth.state, "memory");
  EXPECT_EQ(result->auth.state_path, "/home/u/auth.db");
  EXPECT_EQ(result->auth.cooldown_base, 250ms);
  EXPECT_EQ(result->auth.cooldown_factor, 2.5);
  EXPECT_EQ(result->auth.cooldown_cap, 90s);
}

TEST(ParseConfig, EmptyFileTakesProvidersFromEnvironment) {
  Result<Config> result =
      parse_config("", "f.toml", fake_env({{"ANTHROPIC_API_KEY", "x"}, {"HOME", "/h"}}));
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(provider_ids(*result), (std::vector<std::string>{"anthropic", "ollama"}));
  EXPECT_EQ(result->source_path, "f.toml");
  EXPECT_EQ(result->auth.state_path, "/h/.local/state/aisopod/auth.db");
  EXPECT_EQ(result->auth.cooldown_base, 60s);
  EXPECT_EQ(result->auth.cooldown_cap, 1h);
}

TEST(ParseConfig, BuiltinIdWithoutProfilesReadsUsualVariable) {
  Result<Config> result = parse_config(R"(
[providers.anthropic]
timeout = 30
anthropic_version = "2023-06-01"
[providers.gemini]
timeout = "2m"
[providers.ollama]
base_url = "gpu-box:11500/"
keep_alive = -1
[providers.proxy]
type = "anthropic"
)",
                                       "f.toml",
                                       fake_env({{"ANTHROPIC_BASE_URL", "https://gw.example/"},
                                                 {"GOOGLE_API_KEY", "g"},
                                                 {"OLLAMA_HOST", "ignored:1"}}));
  ASSERT_TRUE(result.ok()) << result.error().message();
  ASSERT_EQ(provider_ids(*result),
            (std::vector<std::string>{"anthropic", "gemini", "ollama", "proxy"}));
  const ProviderConfig& anthropic = result->providers[0];
  EXPECT_EQ(anthropic.base_url, "https://gw.example");
  EXPECT_EQ(anthropic.options, (std::map<std::string, std::string>{
                                   {"anthropic_version", "2023-06-01"}, {"timeout", "30"}}));
  ASSERT_EQ(anthropic.profiles.size(), 1u);
  EXPECT_EQ(anthropic.profiles[0].api_key_env, "ANTHROPIC_API_KEY");
  EXPECT_EQ(anthropic.profiles[0].source, "env ANTHROPIC_API_KEY");

  const ProviderConfig& gemini = result->providers[1];
  EXPECT_EQ(gemini.base_url, "https://generativelanguage.googleapis.com");
  EXPECT_EQ(gemini.options.at("timeout"), "2m");
  ASSERT_EQ(gemini.profiles.size(), 1u);
  EXPECT_EQ(gemini.profiles[0].api_key_env, "GOOGLE_API_KEY");

  const ProviderConfig& ollama = result->providers[2];
  EXPECT_EQ(ollama.base_url, "http://gpu-box:11500");  // the file wins over OLLAMA_HOST
  EXPECT_EQ(ollama.options.at("keep_alive"), "-1");
  EXPECT_TRUE(ollama.profiles.empty());

  const ProviderConfig& proxy = result->providers[3];
  EXPECT_EQ(proxy.type, "anthropic");
  EXPECT_EQ(proxy.base_url, "https://api.anthropic.com");  // ANTHROPIC_BASE_URL is not its own
  EXPECT_TRUE(proxy.profiles.empty());
}

TEST(ParseConfig, ShorthandKeyOnProvider) {
  Result<Config> result = parse_config(R"([providers.local]
type = "openai"
base_url = "http://localhost:8080/v1/"
api_key_env = "LOCAL_KEY"
[providers.openai]
api_key = "${K}"
)",
                                       "f.toml", fake_env({{"K", "sk-inline"}}));
  ASSERT_TRUE(result.ok()) << result.error().message();
  const ProviderConfig& local = result->providers[0];
  EXPECT_EQ(local.base_url, "http://localhost:8080/v1");
  ASSERT_EQ(local.profiles.size(), 1u);
  EXPECT_EQ(local.profiles[0].name, "default");
  EXPECT_EQ(local.profiles[0].provider_id, "local");
  EXPECT_EQ(local.profiles[0].api_key_env, "LOCAL_KEY");
  EXPECT_EQ(local.profiles[0].source, "f.toml:4");
  const ProviderConfig& openai = result->providers[1];
  ASSERT_EQ(openai.profiles.size(), 1u);
  EXPECT_EQ(openai.profiles[0].api_key, "sk-inline");
  EXPECT_EQ(openai.profiles[0].source, "f.toml:6");
}

TEST(ParseConfig, AwsAndOauthProfiles) {
  Result<Config> result =
      parse_config(R"([providers.bedrock]
region = "eu-central-1"
[[providers.bedrock.profiles]]
name = "keys"
kind = "aws"
aws_access_key_id = "AKIA${SUFFIX}"
aws_secret_access_key = "${SECRET}"
[providers.anthropic]
[[providers.anthropic.profiles]]
name = "sub"
kind = "oauth"
api_key_env = "CLAUDE_TOKEN"
)",
                   "f.toml", fake_env({{"SUFFIX", "123"}, {"SECRET", "s3cr3t"}}));
  ASSERT_TRUE(result.ok()) << result.error().message();
  const AuthProfileConfig& aws = result->providers[0].profiles.at(0);
  EXPECT_EQ(aws.kind, "aws");
  EXPECT_EQ(aws.aws_access_key_id, "AKIA123");
  EXPECT_EQ(aws.aws_secret_access_key, "s3cr3t");
  EXPECT_EQ(aws.aws_session_token, "");
  EXPECT_EQ(result->providers[0].base_url, "https://bedrock-runtime.eu-central-1.amazonaws.com");
  const AuthProfileConfig& oauth = result->providers[1].profiles.at(0);
  EXPECT_EQ(oauth.kind, "oauth");
  EXPECT_EQ(oauth.api_key_env, "CLAUDE_TOKEN");
}

TEST(ParseConfig, ExpandsVariablesAndKeepsDollarSigns) {
  Result<Config> result =
      parse_config(R"([providers.openai]
base_url = "https://${HOST}/v1"
api_key = "a$$b${K}c$d$"
)",
                   "f.toml", fake_env({{"HOST", "proxy.example"}, {"K", "-key-"}}));
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->providers[0].base_url, "https://proxy.example/v1");
  EXPECT_EQ(result->providers[0].profiles.at(0).api_key, "a$$b-key-c$d$");
}

TEST(ParseConfig, DoubleDollarDoesNotStartExpansion) {
  Result<Config> result =
      parse_config("[providers.openai]\napi_key = \"x$${UNSET}\"\n", "f.toml", fake_env({}));
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->providers[0].profiles.at(0).api_key, "x$${UNSET}");
}

TEST(ParseConfig, UnsetVariableNamesVariableAndLine) {
  EXPECT_EQ(parse_error("[providers.openai]\n\nbase_url = \"${PROXY_URL}/v1\"\n"),
            "f.toml:3:12: environment variable PROXY_URL is not set (used by 'base_url' in "
            "[providers.openai])");
  EXPECT_EQ(parse_error("[[providers.openai.profiles]]\nname = \"b\"\napi_key = \"${KEY_2}\"\n"),
            "f.toml:3:11: environment variable KEY_2 is not set (used by 'api_key' in "
            "[[providers.openai.profiles]])");
}

// Each error names the file, the line and column of the offending key or value, and the key.
struct ErrorCase {
  const char* name;
  const char* toml;
  const char* expected;
};

class ParseConfigErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParseConfigErrors, MessageNamesFileLineAndKey) {
  EXPECT_EQ(parse_error(GetParam().toml, {{"SET", "1"}}), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    All, ParseConfigErrors,
    ::testing::Values(
        ErrorCase{"Syntax", "[providers.openai]\nbase_url = \"http://x\"\norganization = \n",
                  "f.toml:3:16: Error while parsing key-value pair: expected value, saw '\\n'"},
        ErrorCase{"UnknownKeyWithHint", "[providers.openai]\n\nbse_url = \"http://x\"\n",
                  "f.toml:3:1: unknown key 'bse_url' in [providers.openai] (did you mean "
                  "'base_url'?)"},
        ErrorCase{"OptionOfAnotherType", "[providers.anthropic]\norganization = \"o\"\n",
                  "f.toml:2:1: unknown key 'organization' in [providers.anthropic] (expected "
                  "type, base_url, profiles, api_key, api_key_env, anthropic_version, "
                  "prompt_caching, timeout)"},
        ErrorCase{"BooleanOption", "[providers.anthropic]\nprompt_caching = \"yes\"\n",
                  "f.toml:2:18: expected a boolean for 'prompt_caching' in [providers.anthropic], "
                  "got a string"},

        ErrorCase{"UnknownTopLevel", "[providers.openai]\n[model]\ndefault = \"a/b\"\n",
                  "f.toml:2:2: unknown key 'model' at the top level (did you mean 'models'?)"},
        ErrorCase{"WrongType", "[providers.openai]\nbase_url = 8080\n",
                  "f.toml:2:12: expected a string for 'base_url' in [providers.openai], got an "
                  "integer"},
        ErrorCase{"NotAUrl", "[providers.openai]\nbase_url = \"api.example.com\"\n",
                  "f.toml:2:12: expected an http:// or https:// URL for 'base_url' in "
                  "[providers.openai]"},
        ErrorCase{"UnknownProviderType", "[providers.mine]\ntype = \"cohere\"\n",
                  "f.toml:2:8: unknown provider type 'cohere' in [providers.mine] (expected "
                  "openai, anthropic, gemini, bedrock or ollama)"},
        ErrorCase{"MissingType", "[providers.openai]\n[providers.mine]\nbase_url = \"http://x\"\n",
                  "f.toml:2:1: missing key 'type' in [providers.mine]: only openai, anthropic, "
                  "gemini, bedrock and ollama imply their type"},
        ErrorCase{"ProviderNotATable", "[providers]\nopenai = \"x\"\n",
                  "f.toml:2:10: expected a table for 'openai' in [providers], got a string"},
        ErrorCase{"BadRegion", "[providers.bedrock]\nregion = \"us west\"\n",
                  "f.toml:2:10: expected an AWS region such as 'us-east-1' for 'region' in "
                  "[providers.bedrock]"},
        ErrorCase{"BadTimeout", "[providers.openai]\ntimeout = \"soon\"\n",
                  "f.toml:2:11: invalid duration 'soon' (expected a number with ms, s, m or h, "
                  "like \"250ms\" or \"5m\", or a number of seconds) for 'timeout' in "
                  "[providers.openai]"},
        ErrorCase{"BadCooldownDuration", "[auth]\n\ncooldown = { base = \"5x\" }\n",
                  "f.toml:3:21: invalid duration '5x' (expected a number with ms, s, m or h, "
                  "like \"250ms\" or \"5m\", or a number of seconds) for 'base' in "
                  "[auth.cooldown]"},
        ErrorCase{"NegativeSeconds", "[auth.cooldown]\ncap = -5\n",
                  "f.toml:2:7: expected a non-negative number of seconds for 'cap' in "
                  "[auth.cooldown]"},
        ErrorCase{"CapBelowBase", "[auth]\ncooldown = { base = \"2h\" }\n",
                  "f.toml:2:12: 'cap' in [auth.cooldown] must not be shorter than 'base'"},
        ErrorCase{"FactorBelowOne", "[auth.cooldown]\nfactor = 0.5\n",
                  "f.toml:2:10: 'factor' in [auth.cooldown] must be between 1 and 1000"},
        ErrorCase{"UnknownState", "[auth]\nstate = \"redis\"\n",
                  "f.toml:2:9: unknown state 'redis' in [auth] (expected sqlite or memory)"},
        ErrorCase{"ProfileWithoutKey",
                  "[providers.openai]\n[[providers.openai.profiles]]\nname = \"main\"\n",
                  "f.toml:2:1: profile 'main' in [[providers.openai.profiles]] needs 'api_key' "
                  "or 'api_key_env'"},
        ErrorCase{"ProfileWithBothKeys",
                  "[[providers.openai.profiles]]\nname = \"m\"\napi_key = \"${SET}\"\n"
                  "api_key_env = \"K\"\n",
                  "f.toml:4:15: set only one of 'api_key' and 'api_key_env' in "
                  "[[providers.openai.profiles]]"},
        ErrorCase{"ProfileWithoutName", "[[providers.openai.profiles]]\napi_key_env = \"K\"\n",
                  "f.toml:1:1: missing key 'name' in [[providers.openai.profiles]]"},
        ErrorCase{"DuplicateProfileName",
                  "[[providers.openai.profiles]]\nname = \"main\"\napi_key_env = \"A\"\n"
                  "[[providers.openai.profiles]]\nname = \"main\"\napi_key_env = \"B\"\n",
                  "f.toml:5:8: duplicate profile name 'main' in [[providers.openai.profiles]] "
                  "(first defined on line 2)"},
        ErrorCase{"ProfilesNotArray", "[providers.openai.profiles]\nname = \"main\"\n",
                  "f.toml:1:1: expected an array of tables (write [[providers.openai.profiles]]) "
                  "for 'profiles' in [providers.openai], got a table"},
        ErrorCase{"UnknownProfileKind",
                  "[[providers.openai.profiles]]\nname = \"m\"\nkind = \"basic\"\n",
                  "f.toml:3:8: unknown profile kind 'basic' in [[providers.openai.profiles]] "
                  "(expected api_key or oauth)"},
        ErrorCase{"AwsKindOutsideBedrock",
                  "[[providers.openai.profiles]]\nname = \"m\"\nkind = \"aws\"\n",
                  "f.toml:3:8: profiles of kind 'aws' are only for bedrock providers"},
        ErrorCase{"AwsKeyOnApiKeyProfile",
                  "[[providers.bedrock.profiles]]\nname = \"m\"\napi_key_env = \"K\"\n"
                  "aws_session_token = \"t\"\n",
                  "f.toml:4:21: 'aws_session_token' in [[providers.bedrock.profiles]] needs "
                  "kind = \"aws\""},
        ErrorCase{"AwsProfileMissingSecret",
                  "[[providers.bedrock.profiles]]\nname = \"m\"\nkind = \"aws\"\n"
                  "aws_access_key_id = \"AKIA\"\n",
                  "f.toml:1:1: profile 'm' of kind 'aws' in [[providers.bedrock.profiles]] needs "
                  "non-empty 'aws_access_key_id' and 'aws_secret_access_key'"},
        ErrorCase{"ShorthandAndProfiles",
                  "[providers.openai]\napi_key_env = \"K\"\n[[providers.openai.profiles]]\n"
                  "name = \"m\"\napi_key_env = \"K\"\n",
                  "f.toml:2:15: use either api_key/api_key_env or [[providers.openai.profiles]] "
                  "in [providers.openai], not both"},
        ErrorCase{"UnknownAlias", "[models]\ndefault = \"fst\"\naliases = { fast = \"o/m\" }\n",
                  "f.toml:2:11: unknown model 'fst': expected 'provider/model' or an alias "
                  "(known aliases: fast) in 'default' in [models]"},
        ErrorCase{"AliasWithSlash", "[models]\naliases = { \"a/b\" = \"o/m\" }\n",
                  "f.toml:2:13: alias name 'a/b' in [models.aliases] must be non-empty and must "
                  "not contain '/'"},
        ErrorCase{"AliasCycle", "[models]\naliases = { a = \"b\", b = \"a\" }\n",
                  "f.toml:2:17: model alias cycle: b -> a -> b in alias 'a'"},
        ErrorCase{"EmptyModelPart", "[models]\nfallbacks = { \"o/m\" = [\"o/\"] }\n",
                  "f.toml:2:24: expected 'provider/model' for fallbacks of 'o/m', got 'o/'"},
        ErrorCase{"FallbackNotArray", "[models]\nfallbacks = { \"o/m\" = \"p/n\" }\n",
                  "f.toml:2:23: expected an array of model names for 'o/m' in "
                  "[models.fallbacks], got a string"},
        ErrorCase{"MalformedExpansion", "[providers.openai]\nbase_url = \"http://${HOST\"\n",
                  "f.toml:2:12: malformed ${...} in 'base_url' in [providers.openai]: expected "
                  "${NAME} with NAME made of letters, digits and '_' (write $$ for a literal "
                  "'$')"}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return std::string(info.param.name); });

// Whatever goes wrong around a secret, the secret is not in the message.
TEST(ParseConfig, SecretValuesNeverAppearInErrors) {
  struct Case {
    std::string toml;
    std::string secret;
  };
  const std::vector<Case> cases = {
      // toml++ alone would say "expected 'true', saw 'tru_'".
      {"[providers.openai]\napi_key = tru_Zx9SECRET\n", "tru_"},
      // toml++ alone would quote the bad escape sequence.
      {"[providers.openai]\napi_key = \"sk-\\qSECRET\"\n", "\\q"},
      {"[providers.openai]\napi_key = \"sk-live-SECRET\" trailing\n", "SECRET"},
      {"[providers.openai]\napi_key = 987654321\n", "987654321"},
      {"[providers.openai]\napi_key = \"sk-live-SECRET\"\napi_key_env = \"K\"\n", "SECRET"},
      {"[providers.openai]\napi_key = \"sk-${live-SECRET\"\n", "SECRET"},
      // A key pasted where a variable name belongs.
      {"[providers.openai]\napi_key_env = \"sk-live-SECRET\"\n", "SECRET"},
      {"[[providers.bedrock.profiles]]\nname = \"m\"\nkind = \"aws\"\n"
       "aws_secret_access_key = \"wJalrSECRET\"\n",
       "SECRET"},
      {"[[providers.openai.profiles]]\nname = \"m\"\napi_key = \"sk-SECRET\"\nkind = 3\n",
       "SECRET"},
  };
  for (const Case& c : cases) {
    const std::string message = parse_error(c.toml);
    EXPECT_THAT(message, HasSubstr("f.toml:")) << c.toml;
    EXPECT_THAT(message, Not(HasSubstr(c.secret))) << c.toml;
  }
}

TEST(ParseConfig, SyntaxErrorNearSecretKeepsLocation) {
  EXPECT_EQ(parse_error("[providers.openai]\n\napi_key = tru_Zx9SECRET\n"),
            "f.toml:3:14: Error while parsing boolean: expected 'true' (rest of the message "
            "withheld: the line holds a secret)");
}

TEST(ResolveSecret, InlineKeyWinsOverVariable) {
  AuthProfileConfig profile;
  profile.name = "main";
  profile.provider_id = "openai";
  profile.api_key = "sk-inline";
  profile.api_key_env = "OPENAI_API_KEY";
  Result<std::string> secret = profile.resolve_secret(fake_env({{"OPENAI_API_KEY", "sk-env"}}));
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(*secret, "sk-inline");
}

TEST(ResolveSecret, ReadsVariableAtCallTime) {
  AuthProfileConfig profile;
  profile.name = "main";
  profile.provider_id = "openai";
  profile.api_key_env = "OPENAI_API_KEY";
  Result<std::string> secret = profile.resolve_secret(fake_env({{"OPENAI_API_KEY", "sk-env"}}));
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(*secret, "sk-env");

  Result<std::string> unset = profile.resolve_secret(fake_env({}));
  ASSERT_FALSE(unset.ok());
  EXPECT_EQ(unset.error().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(unset.error().message(),
            "profile 'main' of provider 'openai': environment variable OPENAI_API_KEY is not set");

  Result<std::string> empty = profile.resolve_secret(fake_env({{"OPENAI_API_KEY", ""}}));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message(),
            "profile 'main' of provider 'openai': environment variable OPENAI_API_KEY is empty");
}

TEST(ResolveSecret, AwsProfileYieldsSecretAccessKey) {
  AuthProfileConfig profile;
  profile.name = "keys";
  profile.provider_id = "bedrock";
  profile.kind = "aws";
  profile.aws_access_key_id = "AKIA";
  profile.aws_secret_access_key = "wJalr";
  Result<std::string> secret = profile.resolve_secret(fake_env({}));
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(*secret, "wJalr");
}

TEST(ConfigFromEnv, OnlyOllamaWhenNothingIsSet) {
  const Config config = config_from_env(fake_env({}));
  EXPECT_EQ(provider_ids(config), (std::vector<std::string>{"ollama"}));
  EXPECT_EQ(config.providers[0].type, "ollama");
  EXPECT_EQ(config.providers[0].base_url, "http://127.0.0.1:11434");
  EXPECT_TRUE(config.providers[0].profiles.empty());
  EXPECT_EQ(config.source_path, "");
  EXPECT_EQ(config.auth.state_path, "");
}

TEST(ConfigFromEnv, OpenAIWithOptions) {
  const Config config = config_from_env(fake_env({{"OPENAI_API_KEY", "sk-1"},
                                                  {"OPENAI_BASE_URL", "https://proxy/v1/"},
                                                  {"OPENAI_ORG_ID", "org-9"},
                                                  {"OPENAI_PROJECT_ID", "proj-3"}}));
  ASSERT_EQ(provider_ids(config), (std::vector<std::string>{"openai", "ollama"}));
  const ProviderConfig& openai = config.providers[0];
  EXPECT_EQ(openai.type, "openai");
  EXPECT_EQ(openai.base_url, "https://proxy/v1");
  EXPECT_EQ(openai.options,
            (std::map<std::string, std::string>{{"organization", "org-9"}, {"project", "proj-3"}}));
  ASSERT_EQ(openai.profiles.size(), 1u);
  EXPECT_EQ(openai.profiles[0].name, "default");
  EXPECT_EQ(openai.profiles[0].provider_id, "openai");
  EXPECT_EQ(openai.profiles[0].api_key_env, "OPENAI_API_KEY");
  EXPECT_EQ(openai.profiles[0].api_key, "");  // read at use time, not copied
  EXPECT_EQ(openai.profiles[0].source, "env OPENAI_API_KEY");
}

TEST(ConfigFromEnv, DefaultBaseUrls) {
  const Config config = config_from_env(
      fake_env({{"OPENAI_API_KEY", "a"}, {"ANTHROPIC_API_KEY", "b"}, {"GEMINI_API_KEY", "c"}}));
  ASSERT_EQ(provider_ids(config),
            (std::vector<std::string>{"openai", "anthropic", "gemini", "ollama"}));
  EXPECT_EQ(config.providers[0].base_url, "https://api.openai.com/v1");
  EXPECT_EQ(config.providers[1].base_url, "https://api.anthropic.com");
  EXPECT_EQ(config.providers[2].base_url, "https://generativelanguage.googleapis.com");
  EXPECT_EQ(config.providers[2].profiles.at(0).api_key_env, "GEMINI_API_KEY");
  EXPECT_TRUE(config.providers[0].options.empty());
}

TEST(ConfigFromEnv, Anthropic) {
  const Config config = config_from_env(
      fake_env({{"ANTHROPIC_API_KEY", "k"}, {"ANTHROPIC_BASE_URL", "http://127.0.0.1:9000"}}));
  ASSERT_EQ(provider_ids(config), (std::vector<std::string>{"anthropic", "ollama"}));
  EXPECT_EQ(config.providers[0].base_url, "http://127.0.0.1:9000");
  EXPECT_EQ(config.providers[0].profiles.at(0).api_key_env, "ANTHROPIC_API_KEY");
  EXPECT_EQ(config.providers[0].profiles.at(0).source, "env ANTHROPIC_API_KEY");
}

TEST(ConfigFromEnv, GeminiPrefersGoogleApiKey) {
  const Config google_only = config_from_env(
      fake_env({{"GOOGLE_API_KEY", "g"}, {"GOOGLE_GEMINI_BASE_URL", "https://gem.proxy/"}}));
  ASSERT_EQ(provider_ids(google_only), (std::vector<std::string>{"gemini", "ollama"}));
  EXPECT_EQ(google_only.providers[0].base_url, "https://gem.proxy");
  EXPECT_EQ(google_only.providers[0].profiles.at(0).api_key_env, "GOOGLE_API_KEY");

  const Config both = config_from_env(fake_env({{"GOOGLE_API_KEY", "g"}, {"GEMINI_API_KEY", "m"}}));
  ASSERT_EQ(both.providers[0].profiles.size(), 1u);
  EXPECT_EQ(both.providers[0].profiles[0].api_key_env, "GOOGLE_API_KEY");
  EXPECT_EQ(both.providers[0].profiles[0].source, "env GOOGLE_API_KEY");
}

TEST(ConfigFromEnv, BedrockFromEachVariable) {
  for (const char* variable : {"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_REGION"}) {
    const Config config = config_from_env(fake_env({{variable, "us-east-2"}}));
    EXPECT_EQ(provider_ids(config), (std::vector<std::string>{"bedrock", "ollama"})) << variable;
    EXPECT_TRUE(config.providers[0].profiles.empty()) << variable;
  }
  const Config none = config_from_env(fake_env({{"AWS_DEFAULT_REGION", "us-east-2"}}));
  EXPECT_EQ(provider_ids(none), (std::vector<std::string>{"ollama"}));
}

TEST(ConfigFromEnv, BedrockRegionAndEndpoint) {
  const Config regional =
      config_from_env(fake_env({{"AWS_PROFILE", "dev"}, {"AWS_DEFAULT_REGION", "ap-south-1"}}));
  EXPECT_EQ(regional.providers[0].options.at("region"), "ap-south-1");
  EXPECT_EQ(regional.providers[0].base_url, "https://bedrock-runtime.ap-south-1.amazonaws.com");

  const Config both_regions = config_from_env(
      fake_env({{"AWS_REGION", "eu-west-1"}, {"AWS_DEFAULT_REGION", "ap-south-1"}}));
  EXPECT_EQ(both_regions.providers[0].options.at("region"), "eu-west-1");

  const Config generic = config_from_env(
      fake_env({{"AWS_ACCESS_KEY_ID", "AKIA"}, {"AWS_ENDPOINT_URL", "http://localstack:4566/"}}));
  EXPECT_EQ(generic.providers[0].base_url, "http://localstack:4566");
  EXPECT_EQ(generic.providers[0].options.count("region"), 0u);

  const Config specific =
      config_from_env(fake_env({{"AWS_REGION", "us-east-1"},
                                {"AWS_ENDPOINT_URL", "http://generic"},
                                {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://bedrock-only"}}));
  EXPECT_EQ(specific.providers[0].base_url, "http://bedrock-only");

  const Config no_region = config_from_env(fake_env({{"AWS_PROFILE", "dev"}}));
  EXPECT_EQ(no_region.providers[0].base_url, "");
}

TEST(ConfigFromEnv, BedrockBearerToken) {
  const Config config = config_from_env(fake_env({{"AWS_BEARER_TOKEN_BEDROCK", "tok"}}));
  ASSERT_EQ(provider_ids(config), (std::vector<std::string>{"bedrock", "ollama"}));
  ASSERT_EQ(config.providers[0].profiles.size(), 1u);
  EXPECT_EQ(config.providers[0].profiles[0].api_key_env, "AWS_BEARER_TOKEN_BEDROCK");
}

TEST(ConfigFromEnv, OllamaHostAndEmptyVariables) {
  const Config config =
      config_from_env(fake_env({{"OLLAMA_HOST", "gpu:8000"}, {"OPENAI_API_KEY", ""}}));
  EXPECT_EQ(provider_ids(config), (std::vector<std::string>{"ollama"}));  // empty = unset
  EXPECT_EQ(config.providers[0].base_url, "http://gpu:8000");
}

TEST(ConfigFromEnv, StatePath) {
  EXPECT_EQ(config_from_env(fake_env({{"XDG_STATE_HOME", "/s"}, {"HOME", "/h"}})).auth.state_path,
            "/s/aisopod/auth.db");
  EXPECT_EQ(config_from_env(fake_env({{"HOME", "/h"}})).auth.state_path,
            "/h/.local/state/aisopod/auth.db");
}

TEST(NormalizeOllamaHost, Table) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "http://127.0.0.1:11434"},
      {"  ", "http://127.0.0.1:11434"},
      {"gpu-box", "http://gpu-box:11434"},
      {"gpu-box:8080", "http://gpu-box:8080"},
      {":8080", "http://127.0.0.1:8080"},
      {"0.0.0.0", "http://0.0.0.0:11434"},
      {"10.0.0.5:11500", "http://10.0.0.5:11500"},
      {"http://gpu-box", "http://gpu-box:80"},
      {"https://ollama.example.com", "https://ollama.example.com:443"},
      {"https://ollama.example.com:8443/", "https://ollama.example.com:8443"},
      {"http://proxy:9000/ollama/", "http://proxy:9000/ollama"},
      {"::1", "http://[::1]:11434"},
      {"[::1]:9000", "http://[::1]:9000"},
      {"[fe80::1]", "http://[fe80::1]:11434"},
  };
  for (const auto& [input, expected] : cases) {
    EXPECT_EQ(normalize_ollama_host(input), expected) << "input: '" << input << "'";
  }
}

TEST(ParseDuration, Units) {
  const std::vector<std::pair<std::string, std::chrono::milliseconds>> cases = {
      {"250ms", 250ms}, {"60s", 60s}, {"5m", 5min}, {"1h", 1h}, {"90", 90s}, {"0s", 0ms},
  };
  for (const auto& [text, expected] : cases) {
    Result<std::chrono::milliseconds> parsed = parse_duration(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(*parsed, expected) << text;
  }
  for (const char* bad : {"", "s", "5x", "-5s", "1.5s", "5 m", "99999999999999999999h"}) {
    Result<std::chrono::milliseconds> parsed = parse_duration(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(parsed.error().message(), HasSubstr("'" + std::string(bad) + "'"));
  }
}

Config config_for_models() {
  Config config;
  for (const char* id : {"openai", "ollama", "openrouter"}) {
    ProviderConfig provider;
    provider.id = id;
    provider.type = "openai";
    config.providers.push_back(provider);
  }
  config.models.default_model = "fast";
  config.models.aliases = {{"fast", "openai/gpt-4o-mini"},
                           {"quick", "fast"},
                           {"local", "ollama/qwen3:8b"},
                           {"loop1", "loop2"},
                           {"loop2", "loop1"}};
  return config;
}

TEST(ResolveModel, ProviderSlashModel) {
  Result<ModelRef> ref = resolve_model(config_for_models(), "openrouter/meta-llama/llama-3-70b");
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  EXPECT_EQ(ref->provider, "openrouter");
  EXPECT_EQ(ref->model, "meta-llama/llama-3-70b");
}

TEST(ResolveModel, AliasAndAliasChain) {
  Result<ModelRef> local = resolve_model(config_for_models(), "local");
  ASSERT_TRUE(local.ok()) << local.error().message();
  EXPECT_EQ(local->provider, "ollama");
  EXPECT_EQ(local->model, "qwen3:8b");
  Result<ModelRef> quick = resolve_model(config_for_models(), "quick");
  ASSERT_TRUE(quick.ok()) << quick.error().message();
  EXPECT_EQ(quick->provider, "openai");
  EXPECT_EQ(quick->model, "gpt-4o-mini");
}

TEST(ResolveModel, EmptyMeansDefault) {
  Result<ModelRef> ref = resolve_model(config_for_models(), "");
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  EXPECT_EQ(ref->provider, "openai");
  EXPECT_EQ(ref->model, "gpt-4o-mini");

  Config no_default = config_for_models();
  no_default.models.default_model.clear();
  Result<ModelRef> missing = resolve_model(no_default, "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.error().message(),
            "no model given and no default model configured (set 'default' in [models])");
}

TEST(ResolveModel, Errors) {
  const Config config = config_for_models();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"gpt-4o",
       "unknown model 'gpt-4o': expected 'provider/model' or an alias (known aliases: "
       "fast, local, loop1, loop2, quick)"},
      {"loop1", "model alias cycle: loop1 -> loop2 -> loop1"},
      {"anthropic/claude",
       "unknown provider 'anthropic' in 'anthropic/claude' (configured "
       "providers: openai, ollama, openrouter)"},
      {"/gpt-4o", "expected 'provider/model', got '/gpt-4o'"},
      {"openai/", "expected 'provider/model', got 'openai/'"},
  };
  for (const auto& [spec, expected] : cases) {
    Result<ModelRef> ref = resolve_model(config, spec);
    ASSERT_FALSE(ref.ok()) << spec;
    EXPECT_EQ(ref.error().code(), StatusCode::kInvalidArgument) << spec;
    EXPECT_EQ(ref.error().message(), expected) << spec;
  }
  Result<ModelRef> no_aliases = resolve_model(Config{}, "gpt-4o");
  ASSERT_FALSE(no_aliases.ok());
  EXPECT_EQ(no_aliases.error().message(),
            "unknown model 'gpt-4o': expected 'provider/model' or an alias (no aliases are "
            "configured)");
}

TEST(ParseConfig, FallbacksExpandAliases) {
  Result<Config> result = parse_config(R"([models]
aliases = { fast = "openai/gpt-4o-mini", smart = "anthropic/claude-opus-4" }
fallbacks = { smart = ["fast", "gemini/gemini-2.5-pro"] }
)",
                                       "f.toml", fake_env({}));
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->models.fallbacks,
            (std::map<std::string, std::vector<std::string>>{
                {"anthropic/claude-opus-4", {"openai/gpt-4o-mini", "gemini/gemini-2.5-pro"}}}));
}

TEST(FindProvider, ById) {
  const Config config = config_for_models();
  ASSERT_NE(config.find_provider("ollama"), nullptr);
  EXPECT_EQ(config.find_provider("ollama"), &config.providers[1]);
  EXPECT_EQ(config.find_provider("gemini"), nullptr);
}

// A scratch directory tree, removed at the end of the test.
class LoadConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    root_ = std::filesystem::temp_directory_path() /
            ("aisopod_config_test_" + std::to_string(random()));
    std::filesystem::create_directories(root_ / "cwd");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  // Writes a config whose default model tells which file was loaded.
  std::filesystem::path write(const std::filesystem::path& relative, const std::string& tag) {
    const std::filesystem::path path = root_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << "[models]\ndefault = \"ollama/" << tag << "\"\n";
    return path;
  }

  std::string loaded_tag(const Result<Config>& result) {
    EXPECT_TRUE(result.ok()) << result.error().message();
    if (!result.ok()) return "";
    return result->models.default_model;
  }

  std::filesystem::path root_;
};

TEST_F(LoadConfigTest, SearchOrder) {
  const auto explicit_file = write("explicit.toml", "explicit");
  const auto env_file = write("env.toml", "env");
  write("cwd/aisopod.toml", "cwd");
  write("xdg/aisopod/config.toml", "xdg");
  write("home/.config/aisopod/config.toml", "home");
  std::map<std::string, std::string> vars = {{"AISOPOD_CONFIG", env_file.string()},
                                             {"XDG_CONFIG_HOME", (root_ / "xdg").string()},
                                             {"HOME", (root_ / "home").string()}};
  const std::filesystem::path cwd = root_ / "cwd";

  Result<Config> result = load_config(explicit_file.string(), fake_env(vars), cwd);
  EXPECT_EQ(loaded_tag(result), "ollama/explicit");
  EXPECT_EQ(result.ok() ? result->source_path : "", explicit_file.string());

  EXPECT_EQ(loaded_tag(load_config(std::nullopt, fake_env(vars), cwd)), "ollama/env");
  vars.erase("AISOPOD_CONFIG");
  result = load_config(std::nullopt, fake_env(vars), cwd);
  EXPECT_EQ(loaded_tag(result), "ollama/cwd");
  EXPECT_EQ(result.ok() ? result->source_path : "", (cwd / "aisopod.toml").string());

  std::filesystem::remove(cwd / "aisopod.toml");
  EXPECT_EQ(loaded_tag(load_config(std::nullopt, fake_env(vars), cwd)), "ollama/xdg");
  vars.erase("XDG_CONFIG_HOME");
  EXPECT_EQ(loaded_tag(load_config(std::nullopt, fake_env(vars), cwd)), "ollama/home");

  // XDG_CONFIG_HOME replaces ~/.config: a missing file there does not fall back to HOME.
  vars["XDG_CONFIG_HOME"] = (root_ / "empty-xdg").string();
  vars["OPENAI_API_KEY"] = "k";
  result = load_config(std::nullopt, fake_env(vars), cwd);
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->source_path, "");
  EXPECT_EQ(result->models.default_model, "");
  EXPECT_EQ(provider_ids(*result), (std::vector<std::string>{"openai", "ollama"}));
}

TEST_F(LoadConfigTest, RelativeExplicitPathIsTakenFromCwd) {
  write("cwd/conf/mine.toml", "relative");
  Result<Config> result = load_config("conf/mine.toml", fake_env({}), root_ / "cwd");
  EXPECT_EQ(loaded_tag(result), "ollama/relative");
  EXPECT_EQ(result.ok() ? result->source_path : "", "conf/mine.toml");
}

TEST_F(LoadConfigTest, MissingExplicitFilesAreErrors) {
  write("cwd/aisopod.toml", "cwd");
  Result<Config> missing = load_config("nope.toml", fake_env({}), root_ / "cwd");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.error().message(),
            "config file 'nope.toml' (given with --config) does not exist");

  const std::string env_path = (root_ / "gone.toml").string();
  Result<Config> missing_env =
      load_config(std::nullopt, fake_env({{"AISOPOD_CONFIG", env_path}}), root_ / "cwd");
  ASSERT_FALSE(missing_env.ok());
  EXPECT_EQ(missing_env.error().message(),
            "config file '" + env_path + "' (from AISOPOD_CONFIG) does not exist");

  Result<Config> directory = load_config(root_.string(), fake_env({}), root_ / "cwd");
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().message(), "config file '" + root_.string() + "' is a directory");
}

TEST_F(LoadConfigTest, ParseErrorsNameTheFile) {
  const auto path = root_ / "cwd" / "aisopod.toml";
  std::ofstream(path) << "[providers.openai]\nbse_url = \"http://x\"\n";
  Result<Config> result = load_config(std::nullopt, fake_env({}), root_ / "cwd");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message(),
            path.string() +
                ":2:1: unknown key 'bse_url' in [providers.openai] (did you mean 'base_url'?)");
}

// Profile kinds a type defines: their keys are read (required, ${VAR} expanded) and kept in
// `fields`; other types refuse them, naming the type they belong to.
TEST(ProviderSchemas, ProfileKindsOfATypeAndTheirKeys) {
  Result<Config> parsed = parse_config(R"([providers.gemini]
[[providers.gemini.profiles]]
name = "sa"
kind = "google_service_account"
credentials_file = "${HOME}/key.json"
[[providers.gemini.profiles]]
name = "adc"
kind = "google_adc"
)",
                                       "f.toml", fake_env({{"HOME", "/home/me"}}));
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  const ProviderConfig& gemini = parsed->providers.at(0);
  ASSERT_EQ(gemini.profiles.size(), 2u);
  EXPECT_EQ(gemini.profiles[0].kind, "google_service_account");
  EXPECT_EQ(gemini.profiles[0].fields,
            (std::map<std::string, std::string>{{"credentials_file", "/home/me/key.json"}}));
  EXPECT_EQ(gemini.profiles[1].kind, "google_adc");
  EXPECT_TRUE(gemini.profiles[1].fields.empty());

  EXPECT_EQ(parse_error("[providers.gemini]\n[[providers.gemini.profiles]]\nname = \"sa\"\n"
                        "kind = \"google_service_account\"\n"),
            "f.toml:2:1: profile 'sa' of kind 'google_service_account' in "
            "[[providers.gemini.profiles]] needs 'credentials_file'");
  EXPECT_EQ(parse_error("[providers.gemini]\n[[providers.gemini.profiles]]\nname = \"a\"\n"
                        "kind = \"google_adc\"\napi_key = \"k\"\n"),
            "f.toml:5:11: 'api_key' is not used by profiles of kind 'google_adc' in "
            "[[providers.gemini.profiles]]");
  EXPECT_EQ(parse_error("[providers.openai]\n[[providers.openai.profiles]]\nname = \"a\"\n"
                        "kind = \"google_adc\"\n"),
            "f.toml:4:8: profiles of kind 'google_adc' are only for gemini providers");
  EXPECT_EQ(parse_error("[providers.gemini]\n[[providers.gemini.profiles]]\nname = \"a\"\n"
                        "kind = \"jwt\"\n"),
            "f.toml:4:8: unknown profile kind 'jwt' in [[providers.gemini.profiles]] (expected "
            "api_key, oauth, google_service_account or google_adc)");
}

// The types a build has are its schemas': a type left out of the build is refused by name, the
// environment does not configure it, and the options' environment defaults come from them.
TEST(ProviderSchemas, OnlyTheBuildsTypesAreAcceptedAndTheirEnvDefaultsApply) {
  const std::vector<ProviderSchema> two = {
      {"openai", "OpenAI", {{"organization", OptionType::kString, "", {"OPENAI_ORG_ID"}, "org"}}},
      {"ollama", "Ollama", {{"keep_alive", OptionType::kStringOrInteger, "", {}, "keep"}}},
  };
  const EnvLookup env =
      fake_env({{"GEMINI_API_KEY", "g"}, {"OPENAI_API_KEY", "sk"}, {"OPENAI_ORG_ID", "org-7"}});
  Result<Config> gemini = aisopod::parse_config("[providers.gemini]\n", "f.toml", env, two);
  ASSERT_FALSE(gemini.ok());
  EXPECT_EQ(gemini.error().message(),
            "f.toml:1:1: missing key 'type' in [providers.gemini]: only openai and ollama imply "
            "their type");
  Result<Config> typed =
      aisopod::parse_config("[providers.g]\ntype = \"gemini\"\n", "f.toml", env, two);
  ASSERT_FALSE(typed.ok());
  EXPECT_EQ(typed.error().message(),
            "f.toml:2:8: unknown provider type 'gemini' in [providers.g] (expected openai or "
            "ollama)");
  const Config from_env = aisopod::config_from_env(env, two);
  EXPECT_EQ(provider_ids(from_env), (std::vector<std::string>{"openai", "ollama"}));
  EXPECT_EQ(from_env.providers[0].options,
            (std::map<std::string, std::string>{{"organization", "org-7"}}));
  Result<Config> none =
      aisopod::parse_config("[providers.x]\ntype = \"openai\"\n", "f.toml", env, {});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message(),
            "f.toml:2:8: unknown provider type 'openai' in [providers.x] (expected none: this "
            "build has no provider)");
}

TEST(ProviderSchemas, TheOptionTablesAreWrittenFromTheSchemas) {
  const std::vector<ProviderSchema> one = {
      {"ollama",
       "an Ollama server",
       {{"keep_alive", OptionType::kStringOrInteger, "5m", {"OK_A", "OK_B"}, "keep it loaded"}}},
  };
  EXPECT_EQ(provider_options_markdown(one),
            "| type | option | value | default | environment | meaning |\n"
            "|---|---|---|---|---|---|\n"
            "| every type | `timeout` | a duration |  |  | each chat attempt's total deadline "
            "(\"90s\"; none by default) |\n"
            "| ollama | `keep_alive` | a string or an integer | `5m` | `OK_A`, `OK_B` | keep it "
            "loaded |\n");
  EXPECT_EQ(provider_options_text(one),
            "  ollama: an Ollama server\n"
            "    timeout (a duration): each chat attempt's total deadline (\"90s\"; none by "
            "default)\n"
            "    keep_alive (a string or an integer, default 5m, from OK_A or OK_B): keep it "
            "loaded\n");
  const std::vector<ProviderSchema> kinds = {
      {"gemini",
       "Gemini",
       {},
       {{"google_service_account", {"credentials_file"}}, {"google_adc", {}}}},
  };
  EXPECT_EQ(provider_options_text(kinds),
            "  gemini: Gemini\n"
            "    timeout (a duration): each chat attempt's total deadline (\"90s\"; none by "
            "default)\n"
            "    profile kinds besides api_key and oauth: google_service_account (with "
            "credentials_file), google_adc\n");
}

}  // namespace
}  // namespace aisopod
