#include "aisopod/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <system_error>
#include <utility>

// toml++ is built as a shared library with exceptions enabled (only its `ex` ABI is exported),
// so parse errors arrive as toml::parse_error and are caught in parse_config(); no exception
// leaves this file.
#include <toml++/toml.h>

namespace aisopod {
namespace {

constexpr std::string_view kOpenAIBaseUrl = "https://api.openai.com/v1";
constexpr std::string_view kAnthropicBaseUrl = "https://api.anthropic.com";
constexpr std::string_view kGeminiBaseUrl = "https://generativelanguage.googleapis.com";
constexpr std::string_view kOllamaDefaultHost = "127.0.0.1";
constexpr std::string_view kOllamaDefaultPort = "11434";

// Keys whose values are credentials. A TOML syntax error on a line that mentions one of them
// is reported without the fragment of the line that toml++ quotes.
constexpr std::string_view kSecretMarkers[] = {"api_key", "secret", "token", "aws_access_key"};

// The schema of `type`, or nullptr when this build has no such provider type.
const ProviderSchema* find_schema(const std::vector<ProviderSchema>& schemas,
                                  std::string_view type) {
  for (const ProviderSchema& schema : schemas) {
    if (schema.type == type) return &schema;
  }
  return nullptr;
}

// "openai, anthropic or ollama".
std::string type_list(const std::vector<ProviderSchema>& schemas) {
  std::string out;
  for (size_t i = 0; i < schemas.size(); ++i) {
    if (i > 0) out += i + 1 == schemas.size() ? " or " : ", ";
    out += schemas[i].type;
  }
  return out.empty() ? "none: this build has no provider" : out;
}

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string strip_trailing_slashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return std::string(s);
}

bool is_env_name(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// Edit distance, for "did you mean" hints on misspelled keys.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A variable that is unset, or set to the empty string, counts as absent.
std::optional<std::string> env_value(const EnvLookup& env, std::string_view name) {
  if (!env) return std::nullopt;
  std::optional<std::string> value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

std::string default_state_path(const EnvLookup& env) {
  if (auto state_home = env_value(env, "XDG_STATE_HOME")) {
    return strip_trailing_slashes(*state_home) + "/aisopod/auth.db";
  }
  if (auto home = env_value(env, "HOME")) {
    return strip_trailing_slashes(*home) + "/.local/state/aisopod/auth.db";
  }
  return "";
}

AuthProfileConfig env_profile(std::string_view provider_id, std::string_view variable) {
  AuthProfileConfig profile;
  profile.name = "default";
  profile.provider_id = std::string(provider_id);
  profile.api_key_env = std::string(variable);
  profile.source = "env " + std::string(variable);
  return profile;
}

// Fills in what a provider leaves out from the environment and the documented defaults. The
// provider-specific variables apply only to a provider whose id is the built-in name, so that
// OPENAI_BASE_URL never redirects a second OpenAI-compatible provider such as "local".
void fill_defaults(ProviderConfig& provider, const EnvLookup& env,
                   const std::vector<ProviderSchema>& schemas) {
  const bool builtin_id = provider.id == provider.type;
  // The options' environment defaults (the schema's), for the built-in id only.
  if (const ProviderSchema* schema = find_schema(schemas, provider.type); schema && builtin_id) {
    for (const ProviderOptionSpec& option : schema->options) {
      if (provider.options.count(option.name) != 0) continue;
      for (const std::string& variable : option.env) {
        if (auto value = env_value(env, variable)) {
          provider.options[option.name] = *value;
          break;
        }
      }
    }
  }
  const auto base_url_from_env = [&](std::initializer_list<const char*> variables) {
    if (!provider.base_url.empty() || !builtin_id) return;
    for (const char* variable : variables) {
      if (auto value = env_value(env, variable)) {
        provider.base_url = strip_trailing_slashes(*value);
        return;
      }
    }
  };
  const bool wants_default_profile = builtin_id && provider.profiles.empty();

  if (provider.type == "openai") {
    base_url_from_env({"OPENAI_BASE_URL"});
    if (provider.base_url.empty()) provider.base_url = kOpenAIBaseUrl;
    if (wants_default_profile) provider.profiles.push_back(env_profile("openai", "OPENAI_API_KEY"));
  } else if (provider.type == "anthropic") {
    base_url_from_env({"ANTHROPIC_BASE_URL"});
    if (provider.base_url.empty()) provider.base_url = kAnthropicBaseUrl;
    if (wants_default_profile) {
      provider.profiles.push_back(env_profile("anthropic", "ANTHROPIC_API_KEY"));
    }
  } else if (provider.type == "gemini") {
    base_url_from_env({"GOOGLE_GEMINI_BASE_URL"});
    if (provider.base_url.empty()) provider.base_url = kGeminiBaseUrl;
    if (wants_default_profile) {
      // Google's SDK prefers GOOGLE_API_KEY when both are set.
      const bool google = env_value(env, "GOOGLE_API_KEY").has_value();
      provider.profiles.push_back(
          env_profile("gemini", google ? "GOOGLE_API_KEY" : "GEMINI_API_KEY"));
    }
  } else if (provider.type == "bedrock") {
    base_url_from_env({"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL"});
    auto region = provider.options.find("region");
    if (provider.base_url.empty() && region != provider.options.end()) {
      provider.base_url = "https://bedrock-runtime." + region->second + ".amazonaws.com";
    }
    if (wants_default_profile && env_value(env, "AWS_BEARER_TOKEN_BEDROCK")) {
      provider.profiles.push_back(env_profile("bedrock", "AWS_BEARER_TOKEN_BEDROCK"));
    }
  } else if (provider.type == "ollama") {
    if (provider.base_url.empty() && builtin_id) {
      if (auto host = env_value(env, "OLLAMA_HOST"))
        provider.base_url = normalize_ollama_host(*host);
    }
    if (provider.base_url.empty()) provider.base_url = normalize_ollama_host("");
  }
}

// Expands aliases until a "provider/model" string; checks neither provider nor model.
Result<std::string> expand_alias(const ModelsConfig& models, std::string_view spec) {
  std::string current(spec);
  std::vector<std::string> seen;
  while (current.find('/') == std::string::npos) {
    auto it = models.aliases.find(current);
    if (it == models.aliases.end()) {
      std::vector<std::string> known;
      for (const auto& [alias, target] : models.aliases) known.push_back(alias);
      std::string message =
          "unknown model '" + current + "': expected 'provider/model' or an alias (" +
          (known.empty() ? "no aliases are configured" : "known aliases: " + join(known, ", ")) +
          ")";
      return Status(StatusCode::kInvalidArgument, std::move(message));
    }
    if (std::find(seen.begin(), seen.end(), current) != seen.end()) {
      seen.push_back(current);
      return Status(StatusCode::kInvalidArgument, "model alias cycle: " + join(seen, " -> "));
    }
    seen.push_back(current);
    current = it->second;
  }
  return current;
}

std::string describe_type(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date or time";
  }
}

// Walks one parsed TOML document. Holds references to its arguments; lives for one
// parse_config() call.
class Parser {
 public:
  Parser(std::string_view source_name, const EnvLookup& env,
         const std::vector<ProviderSchema>& schemas)
      : source_name_(source_name.empty() ? "<config>" : source_name),
        env_(env),
        schemas_(schemas) {}

  Result<Config> run(const toml::table& root) {
    Config config;
    config.source_path = std::string(source_name_);
    AISOPOD_TRY_STATUS(check_keys(root, "the top level", {"providers", "models", "auth"}));
    bool has_providers = false;
    if (const toml::node* providers = root.get("providers")) {
      has_providers = true;
      AISOPOD_TRY_STATUS(parse_providers(*providers, config));
    }
    if (const toml::node* models = root.get("models")) {
      AISOPOD_TRY_STATUS(parse_models(*models, config.models));
    }
    if (const toml::node* auth = root.get("auth")) {
      AISOPOD_TRY_STATUS(parse_auth(*auth, config.auth));
    }
    if (!has_providers) config.providers = config_from_env(env_, schemas_).providers;
    for (ProviderConfig& provider : config.providers) fill_defaults(provider, env_, schemas_);
    if (config.auth.state_path.empty()) config.auth.state_path = default_state_path(env_);
    return config;
  }

 private:
  Status error_at(const toml::source_region& where, std::string_view message) const {
    return Status(StatusCode::kInvalidArgument,
                  source_name_ + ":" + std::to_string(where.begin.line) + ":" +
                      std::to_string(where.begin.column) + ": " + std::string(message));
  }

  // "in [providers.openai]", "at the top level".
  static std::string in(std::string_view where) {
    return (where.substr(0, 1) == "[" ? "in " : "at ") + std::string(where);
  }

  Status check_keys(const toml::table& table, std::string_view where,
                    const std::vector<std::string_view>& allowed) const {
    for (auto&& [key, node] : table) {
      (void)node;
      const std::string_view name = key.str();
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
      std::string message = "unknown key '" + std::string(name) + "' " + in(where);
      std::string_view closest;
      size_t best = 3;
      for (std::string_view candidate : allowed) {
        const size_t distance = edit_distance(name, candidate);
        if (distance < best) {
          best = distance;
          closest = candidate;
        }
      }
      if (!closest.empty()) {
        message += " (did you mean '" + std::string(closest) + "'?)";
      } else {
        std::vector<std::string> names(allowed.begin(), allowed.end());
        message += " (expected " + join(names, ", ") + ")";
      }
      return error_at(key.source(), message);
    }
    return Status();
  }

  Status type_error(const toml::node& node, std::string_view expected, std::string_view key,
                    std::string_view where) const {
    return error_at(node.source(), "expected " + std::string(expected) + " for '" +
                                       std::string(key) + "' " + in(where) + ", got " +
                                       describe_type(node));
  }

  Result<std::string> string_value(const toml::node& node, std::string_view key,
                                   std::string_view where) const {
    if (!node.is_string()) return type_error(node, "a string", key, where);
    return node.as_string()->get();
  }

  // The string with ${NAME} replaced. Messages name the key and variable, never the value.
  Result<std::string> expanded_string(const toml::node& node, std::string_view key,
                                      std::string_view where) const {
    AISOPOD_ASSIGN_OR_RETURN(std::string raw, string_value(node, key, where));
    std::string out;
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '$' || i + 1 >= raw.size()) {
        out += raw[i];
        continue;
      }
      if (raw[i + 1] == '$') {  // "$$" is copied as is, and its second '$' starts nothing
        out += "$$";
        ++i;
        continue;
      }
      if (raw[i + 1] != '{') {
        out += raw[i];
        continue;
      }
      const size_t close = raw.find('}', i + 2);
      const std::string_view name = close == std::string::npos
                                        ? std::string_view()
                                        : std::string_view(raw).substr(i + 2, close - i - 2);
      if (!is_env_name(name)) {
        return error_at(node.source(), "malformed ${...} in '" + std::string(key) + "' in " +
                                           std::string(where) +
                                           ": expected ${NAME} with NAME made of letters, "
                                           "digits and '_' (write $$ for a literal '$')");
      }
      std::optional<std::string> value = env_ ? env_(name) : std::nullopt;
      if (!value) {
        return error_at(node.source(), "environment variable " + std::string(name) +
                                           " is not set (used by '" + std::string(key) + "' in " +
                                           std::string(where) + ")");
      }
      out += *value;
      i = close;
    }
    return out;
  }

  Result<std::chrono::milliseconds> duration_value(const toml::node& node, std::string_view key,
                                                   std::string_view where) const {
    if (node.is_integer()) {
      const int64_t seconds = node.as_integer()->get();
      if (seconds < 0 || seconds > std::numeric_limits<int64_t>::max() / 1000) {
        return error_at(node.source(), "expected a non-negative number of seconds for '" +
                                           std::string(key) + "' in " + std::string(where));
      }
      return std::chrono::milliseconds(seconds * 1000);
    }
    if (!node.is_string()) {
      return type_error(node, "a duration (\"250ms\", \"60s\", \"5m\", \"1h\" or seconds)", key,
                        where);
    }
    Result<std::chrono::milliseconds> parsed = parse_duration(node.as_string()->get());
    if (!parsed.ok()) {
      return error_at(node.source(), parsed.error().message() + " for '" + std::string(key) +
                                         "' in " + std::string(where));
    }
    return parsed;
  }

  Result<std::string> base_url_value(const toml::node& node, std::string_view type,
                                     std::string_view where) const {
    AISOPOD_ASSIGN_OR_RETURN(std::string url, expanded_string(node, "base_url", where));
    url = std::string(trim(url));
    // Ollama accepts what OLLAMA_HOST accepts: scheme and port are optional.
    if (type == "ollama" && !url.empty()) return normalize_ollama_host(url);
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return error_at(node.source(), "expected an http:// or https:// URL for 'base_url' in " +
                                         std::string(where));
    }
    return strip_trailing_slashes(url);
  }

  Status parse_providers(const toml::node& node, Config& config) {
    const toml::table* table = node.as_table();
    if (table == nullptr) return type_error(node, "a table", "providers", "the top level");
    // toml::table is ordered by key; the file order is the order of the tables' positions.
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (auto&& [key, value] : *table) entries.emplace_back(&key, &value);
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      const toml::source_position& pa = a.second->source().begin;
      const toml::source_position& pb = b.second->source().begin;
      return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
    });
    for (const auto& [key, value] : entries) {
      AISOPOD_ASSIGN_OR_RETURN(ProviderConfig provider, parse_provider(*key, *value));
      config.providers.push_back(std::move(provider));
    }
    return Status();
  }

  Result<ProviderConfig> parse_provider(const toml::key& key, const toml::node& node) {
    ProviderConfig provider;
    provider.id = std::string(key.str());
    const std::string where = "[providers." + provider.id + "]";
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      return type_error(node, "a table", provider.id, "[providers]");
    }
    if (provider.id.empty() || provider.id.find('/') != std::string::npos) {
      return error_at(key.source(), "a provider id must be non-empty and must not contain '/'");
    }

    if (const toml::node* type = table->get("type")) {
      AISOPOD_ASSIGN_OR_RETURN(provider.type, string_value(*type, "type", where));
      if (find_schema(schemas_, provider.type) == nullptr) {
        return error_at(type->source(), "unknown provider type '" + provider.type + "' in " +
                                            where + " (expected " + type_list(schemas_) + ")");
      }
    } else if (find_schema(schemas_, provider.id) != nullptr) {
      provider.type = provider.id;
    } else {
      std::string implied = type_list(schemas_);
      if (const size_t last_or = implied.rfind(" or "); last_or != std::string::npos) {
        implied.replace(last_or, 4, " and ");
      }
      return error_at(table->source(),
                      "missing key 'type' in " + where + ": only " + implied + " imply their type");
    }
    const ProviderSchema& schema = *find_schema(schemas_, provider.type);
    std::vector<const ProviderOptionSpec*> options;
    for (const ProviderOptionSpec& option : schema.options) options.push_back(&option);
    for (const ProviderOptionSpec& option : common_provider_options()) options.push_back(&option);

    std::vector<std::string_view> allowed = {"type", "base_url", "profiles", "api_key",
                                             "api_key_env"};
    for (const ProviderOptionSpec* option : options) allowed.push_back(option->name);
    AISOPOD_TRY_STATUS(check_keys(*table, where, allowed));

    if (const toml::node* base_url = table->get("base_url")) {
      AISOPOD_ASSIGN_OR_RETURN(provider.base_url, base_url_value(*base_url, provider.type, where));
    }
    for (const ProviderOptionSpec* spec : options) {
      const toml::node* option = table->get(spec->name);
      if (option == nullptr) continue;
      AISOPOD_ASSIGN_OR_RETURN(provider.options[spec->name], option_value(*option, *spec, where));
    }

    const toml::node* api_key = table->get("api_key");
    const toml::node* api_key_env = table->get("api_key_env");
    const toml::node* profiles = table->get("profiles");
    if (profiles != nullptr) {
      if (api_key != nullptr || api_key_env != nullptr) {
        const toml::node* shorthand = api_key != nullptr ? api_key : api_key_env;
        return error_at(shorthand->source(), "use either api_key/api_key_env or [[providers." +
                                                 provider.id + ".profiles]] in " + where +
                                                 ", not both");
      }
      AISOPOD_TRY_STATUS(parse_profiles(*profiles, provider));
    } else if (api_key != nullptr || api_key_env != nullptr) {
      AuthProfileConfig profile;
      profile.name = "default";
      profile.provider_id = provider.id;
      const toml::node* first = api_key != nullptr ? api_key : api_key_env;
      profile.source = source_name_ + ":" + std::to_string(first->source().begin.line);
      AISOPOD_TRY_STATUS(parse_key_fields(*table, table->source(), where, profile));
      provider.profiles.push_back(std::move(profile));
    }
    return provider;
  }

  Result<std::string> option_value(const toml::node& node, const ProviderOptionSpec& spec,
                                   std::string_view where) const {
    switch (spec.type) {
      case OptionType::kBoolean:
        if (!node.is_boolean()) return type_error(node, "a boolean", spec.name, where);
        return std::string(node.as_boolean()->get() ? "true" : "false");
      case OptionType::kString:
        return string_value(node, spec.name, where);
      case OptionType::kRegion: {
        AISOPOD_ASSIGN_OR_RETURN(std::string region, string_value(node, spec.name, where));
        const bool valid = !region.empty() && std::all_of(region.begin(), region.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        });
        if (!valid) {
          return error_at(node.source(), "expected an AWS region such as 'us-east-1' for '" +
                                             std::string(spec.name) + "' in " + std::string(where));
        }
        return region;
      }
      case OptionType::kStringOrInteger:
        if (node.is_integer()) return std::to_string(node.as_integer()->get());
        if (!node.is_string()) return type_error(node, "a string or an integer", spec.name, where);
        return node.as_string()->get();
      case OptionType::kDuration: {
        AISOPOD_ASSIGN_OR_RETURN(auto ignored, duration_value(node, spec.name, where));
        (void)ignored;
        return node.is_integer() ? std::to_string(node.as_integer()->get())
                                 : node.as_string()->get();
      }
    }
    return Status(StatusCode::kInternal, "unhandled option kind");
  }

  Status parse_profiles(const toml::node& node, ProviderConfig& provider) {
    const std::string where = "[[providers." + provider.id + ".profiles]]";
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      return type_error(node, "an array of tables (write " + where + ")", "profiles",
                        "[providers." + provider.id + "]");
    }
    std::map<std::string, uint32_t> lines_by_name;
    for (const toml::node& element : *array) {
      const toml::table* table = element.as_table();
      if (table == nullptr) {
        return type_error(element, "a table", "profiles", "[providers." + provider.id + "]");
      }
      const ProviderSchema& schema = *find_schema(schemas_, provider.type);
      std::vector<std::string_view> allowed = {"name",
                                               "kind",
                                               "api_key_env",
                                               "api_key",
                                               "aws_access_key_id",
                                               "aws_secret_access_key",
                                               "aws_session_token"};
      for (const ProviderSchema::ProfileKind& kind : schema.profile_kinds) {
        for (const std::string& key : kind.keys) allowed.push_back(key);
      }
      AISOPOD_TRY_STATUS(check_keys(*table, where, allowed));
      AuthProfileConfig profile;
      profile.provider_id = provider.id;
      profile.source = source_name_ + ":" + std::to_string(table->source().begin.line);
      const toml::node* name = table->get("name");
      if (name == nullptr) return error_at(table->source(), "missing key 'name' in " + where);
      AISOPOD_ASSIGN_OR_RETURN(profile.name, string_value(*name, "name", where));
      if (profile.name.empty()) {
        return error_at(name->source(), "'name' in " + where + " must not be empty");
      }
      auto [previous, inserted] = lines_by_name.emplace(profile.name, name->source().begin.line);
      if (!inserted) {
        return error_at(name->source(), "duplicate profile name '" + profile.name + "' in " +
                                            where + " (first defined on line " +
                                            std::to_string(previous->second) + ")");
      }
      if (const toml::node* kind = table->get("kind")) {
        AISOPOD_ASSIGN_OR_RETURN(profile.kind, string_value(*kind, "kind", where));
        std::vector<std::string> kinds = {"api_key", "oauth"};
        const ProviderSchema::ProfileKind* special = nullptr;
        for (const ProviderSchema::ProfileKind& candidate : schema.profile_kinds) {
          kinds.push_back(candidate.name);
          if (candidate.name == profile.kind) special = &candidate;
        }
        if (special == nullptr && profile.kind != "api_key" && profile.kind != "oauth") {
          // A kind of another type: say whose.
          for (const ProviderSchema& other : schemas_) {
            for (const ProviderSchema::ProfileKind& candidate : other.profile_kinds) {
              if (candidate.name == profile.kind) {
                return error_at(kind->source(), "profiles of kind '" + profile.kind +
                                                    "' are only for " + other.type + " providers");
              }
            }
          }
          std::string expected = join(kinds, ", ");
          if (const size_t last = expected.rfind(", "); last != std::string::npos) {
            expected.replace(last, 2, " or ");
          }
          return error_at(kind->source(), "unknown profile kind '" + profile.kind + "' in " +
                                              where + " (expected " + expected + ")");
        }
        if (special != nullptr && special->name != "aws") {
          AISOPOD_TRY_STATUS(parse_kind_fields(*table, where, *special, profile));
          provider.profiles.push_back(std::move(profile));
          continue;
        }
      }
      if (profile.kind == "aws") {
        AISOPOD_TRY_STATUS(parse_aws_fields(*table, where, profile));
      } else {
        AISOPOD_TRY_STATUS(parse_key_fields(*table, table->source(), where, profile));
      }
      provider.profiles.push_back(std::move(profile));
    }
    return Status();
  }

  // api_key / api_key_env of a profile of kind api_key or oauth (or the provider shorthand).
  Status parse_key_fields(const toml::table& table, const toml::source_region& table_source,
                          std::string_view where, AuthProfileConfig& profile) const {
    for (const char* aws_key :
         {"aws_access_key_id", "aws_secret_access_key", "aws_session_token"}) {
      if (const toml::node* node = table.get(aws_key)) {
        return error_at(node->source(), "'" + std::string(aws_key) + "' in " + std::string(where) +
                                            " needs kind = \"aws\"");
      }
    }
    const toml::node* api_key = table.get("api_key");
    const toml::node* api_key_env = table.get("api_key_env");
    if (api_key != nullptr && api_key_env != nullptr) {
      return error_at(api_key_env->source(),
                      "set only one of 'api_key' and 'api_key_env' in " + std::string(where));
    }
    if (api_key == nullptr && api_key_env == nullptr) {
      return error_at(table_source, "profile '" + profile.name + "' in " + std::string(where) +
                                        " needs 'api_key' or 'api_key_env'");
    }
    if (api_key != nullptr) {
      AISOPOD_ASSIGN_OR_RETURN(profile.api_key, expanded_string(*api_key, "api_key", where));
      if (profile.api_key.empty()) {
        return error_at(api_key->source(), "'api_key' in " + std::string(where) + " is empty");
      }
      return Status();
    }
    AISOPOD_ASSIGN_OR_RETURN(profile.api_key_env, string_value(*api_key_env, "api_key_env", where));
    if (!is_env_name(profile.api_key_env)) {
      // Deliberately not quoted: a user may have pasted the key itself here.
      return error_at(api_key_env->source(),
                      "'api_key_env' in " + std::string(where) +
                          " must be the name of an environment variable (letters, digits and "
                          "'_'); to give the key itself, use 'api_key'");
    }
    return Status();
  }

  // The keys of a profile of a provider-defined kind (credentials_file of
  // google_service_account): each required, a string, ${VAR} expanded; api_key and aws_* refused.
  Status parse_kind_fields(const toml::table& table, std::string_view where,
                           const ProviderSchema::ProfileKind& kind,
                           AuthProfileConfig& profile) const {
    for (const char* other : {"api_key", "api_key_env", "aws_access_key_id",
                              "aws_secret_access_key", "aws_session_token"}) {
      if (const toml::node* node = table.get(other)) {
        return error_at(node->source(), "'" + std::string(other) +
                                            "' is not used by profiles of kind '" + kind.name +
                                            "' in " + std::string(where));
      }
    }
    for (const std::string& key : kind.keys) {
      const toml::node* node = table.get(key);
      if (node == nullptr) {
        return error_at(table.source(), "profile '" + profile.name + "' of kind '" + kind.name +
                                            "' in " + std::string(where) + " needs '" + key + "'");
      }
      AISOPOD_ASSIGN_OR_RETURN(profile.fields[key], expanded_string(*node, key, where));
    }
    return Status();
  }

  Status parse_aws_fields(const toml::table& table, std::string_view where,
                          AuthProfileConfig& profile) const {
    for (const char* key_key : {"api_key", "api_key_env"}) {
      if (const toml::node* node = table.get(key_key)) {
        return error_at(node->source(), "'" + std::string(key_key) +
                                            "' is not used by profiles of kind 'aws' in " +
                                            std::string(where));
      }
    }
    const std::pair<const char*, std::string*> fields[] = {
        {"aws_access_key_id", &profile.aws_access_key_id},
        {"aws_secret_access_key", &profile.aws_secret_access_key},
        {"aws_session_token", &profile.aws_session_token},
    };
    for (const auto& [key, target] : fields) {
      if (const toml::node* node = table.get(key)) {
        AISOPOD_ASSIGN_OR_RETURN(*target, expanded_string(*node, key, where));
      }
    }
    if (profile.aws_access_key_id.empty() || profile.aws_secret_access_key.empty()) {
      return error_at(table.source(), "profile '" + profile.name + "' of kind 'aws' in " +
                                          std::string(where) +
                                          " needs non-empty 'aws_access_key_id' and "
                                          "'aws_secret_access_key'");
    }
    return Status();
  }

  Status parse_models(const toml::node& node, ModelsConfig& models) const {
    const toml::table* table = node.as_table();
    if (table == nullptr) return type_error(node, "a table", "models", "the top level");
    AISOPOD_TRY_STATUS(check_keys(*table, "[models]", {"default", "aliases", "fallbacks"}));

    const toml::node* aliases = table->get("aliases");
    if (aliases != nullptr) {
      const toml::table* alias_table = aliases->as_table();
      if (alias_table == nullptr) return type_error(*aliases, "a table", "aliases", "[models]");
      for (auto&& [key, target] : *alias_table) {
        const std::string name(key.str());
        if (name.empty() || name.find('/') != std::string::npos) {
          return error_at(key.source(), "alias name '" + name +
                                            "' in [models.aliases] must be non-empty and "
                                            "must not contain '/'");
        }
        AISOPOD_ASSIGN_OR_RETURN(models.aliases[name],
                                 string_value(target, name, "[models.aliases]"));
      }
      // Checked once all aliases are known, since one may name another.
      for (auto&& [key, target] : *alias_table) {
        AISOPOD_TRY_STATUS(
            check_model(models, target, "alias '" + std::string(key.str()) + "'").status());
      }
    }

    if (const toml::node* default_model = table->get("default")) {
      AISOPOD_ASSIGN_OR_RETURN(models.default_model,
                               string_value(*default_model, "default", "[models]"));
      AISOPOD_TRY_STATUS(check_model(models, *default_model, "'default' in [models]").status());
    }

    if (const toml::node* fallbacks = table->get("fallbacks")) {
      const toml::table* fallback_table = fallbacks->as_table();
      if (fallback_table == nullptr) {
        return type_error(*fallbacks, "a table", "fallbacks", "[models]");
      }
      for (auto&& [key, candidates] : *fallback_table) {
        const std::string what = "fallbacks of '" + std::string(key.str()) + "'";
        AISOPOD_ASSIGN_OR_RETURN(
            std::string primary,
            check_model_text(models, key.str(), key.source(), "a key of [models.fallbacks]"));
        const toml::array* array = candidates.as_array();
        if (array == nullptr) {
          return type_error(candidates, "an array of model names", key.str(), "[models.fallbacks]");
        }
        std::vector<std::string> list;
        for (const toml::node& candidate : *array) {
          AISOPOD_ASSIGN_OR_RETURN(std::string expanded, check_model(models, candidate, what));
          list.push_back(std::move(expanded));
        }
        models.fallbacks[primary] = std::move(list);
      }
    }
    return Status();
  }

  // A model named in [models]: "provider/model" with both parts, or an alias; returns it with
  // aliases expanded.
  Result<std::string> check_model(const ModelsConfig& models, const toml::node& node,
                                  const std::string& what) const {
    if (!node.is_string()) {
      return error_at(node.source(), "expected a string naming a model for " + what + ", got " +
                                         describe_type(node));
    }
    return check_model_text(models, node.as_string()->get(), node.source(), what);
  }

  Result<std::string> check_model_text(const ModelsConfig& models, std::string_view text,
                                       const toml::source_region& where,
                                       const std::string& what) const {
    Result<std::string> expanded = expand_alias(models, text);
    if (!expanded.ok()) return error_at(where, expanded.error().message() + " in " + what);
    const size_t slash = expanded->find('/');
    if (slash == 0 || slash + 1 == expanded->size()) {
      return error_at(where, "expected 'provider/model' for " + what + ", got '" + *expanded + "'");
    }
    return expanded;
  }

  Status parse_auth(const toml::node& node, AuthConfig& auth) const {
    const toml::table* table = node.as_table();
    if (table == nullptr) return type_error(node, "a table", "auth", "the top level");
    AISOPOD_TRY_STATUS(check_keys(*table, "[auth]", {"state", "path", "cooldown"}));
    if (const toml::node* state = table->get("state")) {
      AISOPOD_ASSIGN_OR_RETURN(auth.state, string_value(*state, "state", "[auth]"));
      if (auth.state != "sqlite" && auth.state != "memory") {
        return error_at(state->source(),
                        "unknown state '" + auth.state + "' in [auth] (expected sqlite or memory)");
      }
    }
    if (const toml::node* path = table->get("path")) {
      AISOPOD_ASSIGN_OR_RETURN(auth.state_path, expanded_string(*path, "path", "[auth]"));
      if (auth.state_path.empty()) {
        return error_at(path->source(), "'path' in [auth] must not be empty");
      }
    }
    const toml::node* cooldown = table->get("cooldown");
    if (cooldown == nullptr) return Status();
    const toml::table* cooldown_table = cooldown->as_table();
    if (cooldown_table == nullptr) return type_error(*cooldown, "a table", "cooldown", "[auth]");
    constexpr std::string_view kWhere = "[auth.cooldown]";
    AISOPOD_TRY_STATUS(check_keys(*cooldown_table, kWhere, {"base", "factor", "cap"}));
    if (const toml::node* base = cooldown_table->get("base")) {
      AISOPOD_ASSIGN_OR_RETURN(auth.cooldown_base, duration_value(*base, "base", kWhere));
    }
    if (const toml::node* factor = cooldown_table->get("factor")) {
      if (!factor->is_number()) return type_error(*factor, "a number", "factor", kWhere);
      auth.cooldown_factor = factor->is_integer() ? static_cast<double>(factor->as_integer()->get())
                                                  : factor->as_floating_point()->get();
      if (!(auth.cooldown_factor >= 1.0 && auth.cooldown_factor <= 1000.0)) {
        return error_at(factor->source(), "'factor' in [auth.cooldown] must be between 1 and 1000");
      }
    }
    if (const toml::node* cap = cooldown_table->get("cap")) {
      AISOPOD_ASSIGN_OR_RETURN(auth.cooldown_cap, duration_value(*cap, "cap", kWhere));
    }
    if (auth.cooldown_cap < auth.cooldown_base) {
      return error_at(cooldown->source(),
                      "'cap' in [auth.cooldown] must not be shorter than 'base'");
    }
    return Status();
  }

  std::string source_name_;
  const EnvLookup& env_;
  const std::vector<ProviderSchema>& schemas_;
};

// The line `line` (1-based) of `text`, or "" past the end.
std::string_view line_of(std::string_view text, uint32_t line) {
  size_t start = 0;
  for (uint32_t i = 1; i < line; ++i) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  const size_t end = text.find('\n', start);
  return text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

bool mentions_secret(std::string_view line) {
  std::string lower(line);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::any_of(
      std::begin(kSecretMarkers), std::end(kSecretMarkers),
      [&](std::string_view marker) { return lower.find(marker) != std::string::npos; });
}

// toml++ quotes a fragment of the offending text ("saw 'tru_'"); on a line that holds a secret
// that fragment may be part of the key, so the message stops before it.
std::string syntax_error_message(std::string_view text, const toml::parse_error& error) {
  std::string description(error.description());
  const uint32_t line = error.source().begin.line;
  const bool secret = mentions_secret(line_of(text, line)) ||
                      (line > 1 && mentions_secret(line_of(text, line - 1)));
  if (secret) {
    size_t cut = description.find(", saw");
    if (cut == std::string::npos) cut = description.find('\'');
    if (cut != std::string::npos) {
      description.erase(cut);
      while (!description.empty() && description.back() == ' ') description.pop_back();
      description += " (rest of the message withheld: the line holds a secret)";
    }
  }
  return description;
}

Result<Config> load_file(const std::filesystem::path& path, const std::string& display_name,
                         const EnvLookup& env, const std::vector<ProviderSchema>& schemas) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status(StatusCode::kInvalidArgument,
                  "config file '" + display_name + "' is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  if (in) contents << in.rdbuf();
  if (!in || in.bad()) {
    return Status(StatusCode::kInvalidArgument, "cannot read config file '" + display_name + "'");
  }
  return parse_config(contents.str(), display_name, env, schemas);
}

}  // namespace

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<std::string> AuthProfileConfig::resolve_secret() const {
  return resolve_secret(process_env());
}

Result<std::string> AuthProfileConfig::resolve_secret(const EnvLookup& env) const {
  const std::string prefix = "profile '" + name + "' of provider '" + provider_id + "': ";
  if (!api_key.empty()) return api_key;
  if (!api_key_env.empty()) {
    std::optional<std::string> value = env ? env(api_key_env) : std::nullopt;
    if (!value) {
      return Status(StatusCode::kUnauthenticated,
                    prefix + "environment variable " + api_key_env + " is not set");
    }
    if (value->empty()) {
      return Status(StatusCode::kUnauthenticated,
                    prefix + "environment variable " + api_key_env + " is empty");
    }
    return *value;
  }
  if (kind == "aws" && !aws_secret_access_key.empty()) return aws_secret_access_key;
  return Status(StatusCode::kUnauthenticated, prefix + "no key or token is configured");
}

const ProviderConfig* Config::find_provider(std::string_view id) const {
  for (const ProviderConfig& provider : providers) {
    if (provider.id == id) return &provider;
  }
  return nullptr;
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const std::string_view trimmed = trim(text);
  const auto invalid = [&] {
    return Status(StatusCode::kInvalidArgument,
                  "invalid duration '" + std::string(text) +
                      "' (expected a number with ms, s, m or h, like \"250ms\" or \"5m\", or "
                      "a number of seconds)");
  };
  uint64_t number = 0;
  const char* begin = trimmed.data();
  const char* end = trimmed.data() + trimmed.size();
  auto [rest, ec] = std::from_chars(begin, end, number);
  if (ec != std::errc() || rest == begin) return invalid();
  const std::string_view unit(rest, static_cast<size_t>(end - rest));
  uint64_t scale = 0;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s" || unit.empty()) {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60 * 1000;
  } else if (unit == "h") {
    scale = 60 * 60 * 1000;
  } else {
    return invalid();
  }
  // Far beyond any sensible cooldown or timeout; keeps the product inside int64.
  constexpr uint64_t kMaxMilliseconds = uint64_t{1} << 50;
  if (number > kMaxMilliseconds / scale) return invalid();
  return std::chrono::milliseconds(static_cast<int64_t>(number * scale));
}

std::string normalize_ollama_host(std::string_view value) {
  std::string_view rest = trim(value);
  std::string scheme = "http";
  std::string_view default_port = kOllamaDefaultPort;
  if (const size_t separator = rest.find("://"); separator != std::string_view::npos) {
    scheme = std::string(rest.substr(0, separator));
    rest.remove_prefix(separator + 3);
    if (scheme == "http") default_port = "80";
    if (scheme == "https") default_port = "443";
  }
  std::string_view path;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash);
    rest = rest.substr(0, slash);
  }
  std::string host;
  std::string port;
  if (!rest.empty() && rest.front() == '[') {  // "[::1]" or "[::1]:port"
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      host = std::string(rest.substr(1));
    } else {
      host = std::string(rest.substr(1, close - 1));
      std::string_view after = rest.substr(close + 1);
      if (!after.empty() && after.front() == ':') port = std::string(after.substr(1));
    }
  } else if (std::count(rest.begin(), rest.end(), ':') == 1) {
    const size_t colon = rest.find(':');
    host = std::string(rest.substr(0, colon));
    port = std::string(rest.substr(colon + 1));
  } else {
    host = std::string(rest);  // a name, an IPv4 address or a bare IPv6 address
  }
  if (host.empty()) host = kOllamaDefaultHost;
  if (port.empty()) port = std::string(default_port);
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return strip_trailing_slashes(scheme + "://" + host + ":" + port + std::string(path));
}

Result<Config> parse_config(std::string_view toml_text, std::string_view source_name,
                            const EnvLookup& env, const std::vector<ProviderSchema>& schemas) {
  const std::string name(source_name.empty() ? "<config>" : source_name);
  try {
    toml::table root = toml::parse(toml_text, std::string_view(name));
    return Parser(name, env, schemas).run(root);
  } catch (const toml::parse_error& error) {
    return Status(StatusCode::kInvalidArgument,
                  name + ":" + std::to_string(error.source().begin.line) + ":" +
                      std::to_string(error.source().begin.column) + ": " +
                      syntax_error_message(toml_text, error));
  } catch (const std::exception& error) {
    return Status(StatusCode::kInternal,
                  "reading configuration " + name + ": " + std::string(error.what()));
  }
}

Result<Config> load_config(std::optional<std::string> explicit_path, const EnvLookup& env,
                           const std::vector<ProviderSchema>& schemas,
                           const std::filesystem::path& cwd) {
  std::error_code ec;
  std::filesystem::path base = cwd;
  if (base.empty()) base = std::filesystem::current_path(ec);
  const auto absolute = [&](const std::string& path) {
    const std::filesystem::path p(path);
    return p.is_relative() && !base.empty() ? base / p : p;
  };

  if (explicit_path) {
    const std::filesystem::path path = absolute(*explicit_path);
    if (explicit_path->empty() || !std::filesystem::exists(path, ec)) {
      return Status(StatusCode::kInvalidArgument,
                    "config file '" + *explicit_path + "' (given with --config) does not exist");
    }
    return load_file(path, *explicit_path, env, schemas);
  }
  if (std::optional<std::string> from_env = env_value(env, "AISOPOD_CONFIG")) {
    const std::filesystem::path path = absolute(*from_env);
    if (!std::filesystem::exists(path, ec)) {
      return Status(StatusCode::kInvalidArgument,
                    "config file '" + *from_env + "' (from AISOPOD_CONFIG) does not exist");
    }
    return load_file(path, *from_env, env, schemas);
  }

  std::vector<std::filesystem::path> candidates;
  if (!base.empty()) candidates.push_back(base / "aisopod.toml");
  if (std::optional<std::string> config_home = env_value(env, "XDG_CONFIG_HOME")) {
    candidates.push_back(std::filesystem::path(*config_home) / "aisopod" / "config.toml");
  } else if (std::optional<std::string> home = env_value(env, "HOME")) {
    candidates.push_back(std::filesystem::path(*home) / ".config" / "aisopod" / "config.toml");
  }
  for (const std::filesystem::path& candidate : candidates) {
    if (std::filesystem::exists(candidate, ec))
      return load_file(candidate, candidate.string(), env, schemas);
  }
  return config_from_env(env, schemas);
}

Config config_from_env(const EnvLookup& env, const std::vector<ProviderSchema>& schemas) {
  Config config;
  const auto has = [&](const char* variable) { return env_value(env, variable).has_value(); };
  const auto add = [&](std::string_view id) {
    if (find_schema(schemas, id) == nullptr) return;  // not in this build
    ProviderConfig provider;
    provider.id = std::string(id);
    provider.type = std::string(id);
    fill_defaults(provider, env, schemas);
    config.providers.push_back(std::move(provider));
  };
  if (has("OPENAI_API_KEY")) add("openai");
  if (has("ANTHROPIC_API_KEY")) add("anthropic");
  if (has("GOOGLE_API_KEY") || has("GEMINI_API_KEY")) add("gemini");
  if (has("AWS_ACCESS_KEY_ID") || has("AWS_PROFILE") || has("AWS_REGION") ||
      has("AWS_BEARER_TOKEN_BEDROCK")) {
    add("bedrock");
  }
  add("ollama");
  config.auth.state_path = default_state_path(env);
  return config;
}

Result<std::string> expand_model_spec(const ModelsConfig& models, std::string_view spec) {
  std::string_view wanted = spec;
  if (wanted.empty()) {
    if (models.default_model.empty()) {
      return Status(StatusCode::kInvalidArgument,
                    "no model given and no default model configured (set 'default' in [models])");
    }
    wanted = models.default_model;
  }
  AISOPOD_ASSIGN_OR_RETURN(std::string expanded, expand_alias(models, wanted));
  const size_t slash = expanded.find('/');
  if (slash == 0 || slash + 1 >= expanded.size()) {
    return Status(StatusCode::kInvalidArgument,
                  "expected 'provider/model', got '" + expanded + "'");
  }
  return expanded;
}

Result<ModelRef> resolve_model(const Config& config, std::string_view spec) {
  AISOPOD_ASSIGN_OR_RETURN(std::string expanded, expand_model_spec(config.models, spec));
  const size_t slash = expanded.find('/');
  ModelRef ref{expanded.substr(0, slash), expanded.substr(slash + 1)};
  if (config.find_provider(ref.provider) == nullptr) {
    std::vector<std::string> ids;
    for (const ProviderConfig& provider : config.providers) ids.push_back(provider.id);
    return Status(StatusCode::kInvalidArgument,
                  "unknown provider '" + ref.provider + "' in '" + expanded +
                      "' (configured providers: " + (ids.empty() ? "none" : join(ids, ", ")) + ")");
  }
  return ref;
}

}  // namespace aisopod
