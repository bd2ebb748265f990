// The aisopod configuration: providers with their auth profiles, model aliases and fallbacks,
// and the auth-state settings, read from a TOML file or, with no file, from the environment.
//
// The file format is described in DESIGN.md section 8. Every error names the file, line and
// column, and never contains a credential: messages name keys and environment variables, never
// the value of api_key, aws_secret_access_key or any other secret.
//
// All functions here are pure except process_env() (reads the process environment) and
// load_config() (reads files). Config values are plain data, safe to copy between threads.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/provider_schema.hpp"
#include "aisopod/status.hpp"

namespace aisopod {

// Reads one environment variable: its value, or std::nullopt when it is not set. Injected so
// that tests use a map instead of the process environment. Must be callable from the thread
// that loads the configuration; an empty std::function is treated as an empty environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment (std::getenv). Not safe to call while another thread modifies the
// environment (setenv/putenv).
EnvLookup process_env();

// One credential of a provider. Profiles of a provider are handed out round-robin.
struct AuthProfileConfig {
  // Unique within its provider ("main", "batch"; "default" for a profile made from the
  // environment or from the api_key/api_key_env shorthand on a provider).
  std::string name;
  // The id of the provider this profile belongs to; used in error messages.
  std::string provider_id;
  // "api_key" (a key sent in the provider's key header), "oauth" (a bearer token), or a kind
  // that the provider type defines (ProviderSchema::profile_kinds): "aws" (AWS access keys,
  // bedrock), "google_service_account" and "google_adc" (gemini).
  std::string kind = "api_key";
  // Name of the environment variable that holds the key or token; read at use time, so a key
  // changed in the environment of a long-running process is picked up.
  std::string api_key_env;
  // The key or token itself, with ${VAR} already expanded. Takes precedence over api_key_env.
  std::string api_key;
  // AWS credentials for kind "aws", with ${VAR} already expanded. The session token is optional.
  std::string aws_access_key_id;
  std::string aws_secret_access_key;
  std::string aws_session_token;
  // The keys of a kind that its provider type defines (ProviderSchema::profile_kinds), with
  // ${VAR} expanded: credentials_file for gemini's google_service_account.
  std::map<std::string, std::string> fields;
  // Where the profile was defined, for messages: "aisopod.toml:12" or "env OPENAI_API_KEY".
  std::string source;

  // Resolves the secret now: api_key when set, else the value of the variable api_key_env;
  // for kind "aws" with neither set, aws_secret_access_key. Error: unauthenticated
  // "profile 'main' of provider 'openai': environment variable OPENAI_API_KEY is not set" (or
  // "... is empty"), never containing a secret. The first form reads the process environment.
  Result<std::string> resolve_secret() const;
  Result<std::string> resolve_secret(const EnvLookup& env) const;
};

// One configured provider: a [providers.<id>] table, or one made from the environment.
struct ProviderConfig {
  // The name used in "id/model" ("openai", "local"). Never empty, never contains '/'.
  std::string id;
  // The implementation: "openai", "anthropic", "gemini", "bedrock" or "ollama".
  std::string type;
  // Without a trailing slash; for ollama, normalized by normalize_ollama_host() (so the file
  // accepts "gpu-box:11434" as OLLAMA_HOST does). When not configured, the provider's documented
  // default, or the environment override for a provider whose id is the built-in name
  // (OPENAI_BASE_URL for "openai", ...). Empty only for a bedrock provider with neither endpoint
  // nor region, which then leaves the choice to the AWS configuration.
  std::string base_url;
  // Provider-specific options as text (integers in decimal, booleans "true"/"false"), as the
  // file or the environment set them (defaults are not filled in). The accepted names and types
  // are the type's ProviderSchema (each provider folder exports it with its factory) and
  // common_provider_options() (timeout). Any other key in a provider table is an error.
  std::map<std::string, std::string> options;
  // In file order. Empty means no credential (a local server, or the AWS credential chain for
  // bedrock).
  std::vector<AuthProfileConfig> profiles;
};

// The [models] table.
struct ModelsConfig {
  // Used when no model is given: "provider/model" or an alias. Empty when not configured.
  std::string default_model;
  // Alias name (no '/') -> "provider/model" or another alias name.
  std::map<std::string, std::string> aliases;
  // "provider/model" -> the candidates to try after it, in order. Aliases written in the file
  // are expanded, so keys and candidates are all of the form "provider/model".
  std::map<std::string, std::vector<std::string>> fallbacks;
};

// The [auth] table.
struct AuthConfig {
  // "sqlite" (persisted, shared between processes) or "memory".
  std::string state = "sqlite";
  // The SQLite file. Defaults to $XDG_STATE_HOME/aisopod/auth.db, else
  // $HOME/.local/state/aisopod/auth.db; empty when neither variable is set.
  std::string state_path;
  // Cooldown after the n-th consecutive failure: min(cap, base * factor^(n-1)).
  std::chrono::milliseconds cooldown_base{60000};
  double cooldown_factor = 5;
  std::chrono::milliseconds cooldown_cap{3600000};
};

// The whole configuration.
struct Config {
  // In file order (environment order: openai, anthropic, gemini, bedrock, ollama).
  std::vector<ProviderConfig> providers;
  ModelsConfig models;
  AuthConfig auth;
  // The file loaded, or "" when the configuration came from the environment alone.
  std::string source_path;

  // The provider with this id, or nullptr. The pointer is valid while `providers` is unchanged.
  const ProviderConfig* find_provider(std::string_view id) const;
};

// Parses a configuration file's text. `schemas` are the provider types this build has (the
// runtime passes those of its provider factories): a table's type must be one of them, and
// its options are checked against the type's schema. `source_name` names it in messages and
// profile sources ("aisopod.toml"); `env` expands ${VAR} in api_key, aws_* keys, base_url and
// auth.path, and supplies what the file leaves out: providers come from config_from_env() when the
// file has no [providers] table at all; a provider whose id is a built-in name ("openai") and that
// has no profile gets one that reads the usual variable (OPENAI_API_KEY; bedrock and ollama get
// none); base URL and region overrides as in config_from_env().
//
// ${NAME} (NAME of letters, digits and '_', not starting with a digit) is replaced by the
// variable's value; "$$" and a '$' not followed by '{' are left as they are ("$${X}" stays
// "$${X}"); "${" without a valid NAME and '}' is an error.
//
// Errors (all invalid_argument, all starting "<source_name>:<line>:<col>: "): TOML syntax;
// an unknown key or table ("unknown key 'bse_url' in [providers.openai]"); a value of the
// wrong type ("expected a string for 'base_url' in [providers.openai]"); an unknown provider
// type, or a provider id that is not a built-in name and has no type; a base_url that is not
// http(s); an invalid duration; a ${VAR} whose variable is not set; a profile of kind api_key or
// oauth without exactly one of api_key and api_key_env; a duplicate profile name; an alias or
// fallback naming neither "provider/model" nor an alias; a bad [auth] value.
Result<Config> parse_config(std::string_view toml_text, std::string_view source_name,
                            const EnvLookup& env, const std::vector<ProviderSchema>& schemas);

// Finds and loads the configuration file, first match wins: `explicit_path` (the CLI's
// --config), $AISOPOD_CONFIG, <cwd>/aisopod.toml, $XDG_CONFIG_HOME/aisopod/config.toml (or
// $HOME/.config/aisopod/config.toml when XDG_CONFIG_HOME is unset or empty). Relative paths
// are taken from `cwd`; an empty `cwd` means the current directory. With no file found,
// returns config_from_env(env). Errors: invalid_argument when the explicit path or
// $AISOPOD_CONFIG does not exist (naming it and where it came from), when a file cannot be
// read, or any parse_config() error.
Result<Config> load_config(std::optional<std::string> explicit_path, const EnvLookup& env,
                           const std::vector<ProviderSchema>& schemas,
                           const std::filesystem::path& cwd = {});

// The configuration when there is no file (only types that `schemas` has; the options'
// environment defaults are the schemas'):
//  - openai when OPENAI_API_KEY is set (base URL OPENAI_BASE_URL, options organization from
//    OPENAI_ORG_ID and project from OPENAI_PROJECT_ID);
//  - anthropic when ANTHROPIC_API_KEY is set (ANTHROPIC_BASE_URL);
//  - gemini when GOOGLE_API_KEY or GEMINI_API_KEY is set (GOOGLE_API_KEY wins when both are,
//    as in Google's SDK; GOOGLE_GEMINI_BASE_URL);
//  - bedrock when AWS_ACCESS_KEY_ID, AWS_PROFILE, AWS_REGION or AWS_BEARER_TOKEN_BEDROCK is
//    set (option region from AWS_REGION, else AWS_DEFAULT_REGION; base URL from
//    AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else AWS_ENDPOINT_URL, else the region's endpoint); its
//    only profile is an api_key profile for AWS_BEARER_TOKEN_BEDROCK when that is set,
//    otherwise it has none and uses the AWS credential chain;
//  - ollama always (base URL normalize_ollama_host($OLLAMA_HOST)).
// Each key profile is named "default", reads its variable at use time (api_key_env) and has
// source "env <VAR>". A variable set to the empty string counts as unset. Never fails.
Config config_from_env(const EnvLookup& env, const std::vector<ProviderSchema>& schemas);

// Normalizes an OLLAMA_HOST value the way the ollama CLI does: "" -> "http://127.0.0.1:11434",
// "host" -> "http://host:11434", "host:port" -> "http://host:port", ":port" ->
// "http://127.0.0.1:port", "https://host" -> "https://host:443", "http://host" ->
// "http://host:80", "::1" -> "http://[::1]:11434"; a path is kept, a trailing slash removed.
std::string normalize_ollama_host(std::string_view value);

// Parses a duration: "250ms", "60s", "5m", "1h", or a bare non-negative integer meaning
// seconds. Error: invalid_argument naming the text.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// The one model-spec resolver, used by resolve_model(), the registry and the runtime: "" means
// models.default_model; a spec without '/' is an alias and expands, through other aliases too;
// the result is "provider/model", split at its first '/' (the model part may contain '/').
// Errors, all invalid_argument: an empty spec with no default model; a spec without '/' that is
// no alias (the message lists the known aliases); an alias cycle (the message shows it); an
// empty provider or model part.
Result<std::string> expand_model_spec(const ModelsConfig& models, std::string_view spec);

// A model reference split into its parts.
struct ModelRef {
  std::string provider;  // a configured provider id
  std::string model;     // the provider's model name; may itself contain '/'
};

// Resolves a model spec: "" means models.default_model; an alias (no '/') expands, possibly
// through other aliases; "provider/model" splits at the first '/'. Errors, all
// invalid_argument: empty spec with no default model; a spec without '/' that is no alias
// (the message lists the known aliases); an alias cycle; an empty provider or model part; a
// provider id that is not configured (the message lists the configured ones).
Result<ModelRef> resolve_model(const Config& config, std::string_view spec);

}  // namespace aisopod
