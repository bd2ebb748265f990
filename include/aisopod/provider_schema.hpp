// What a provider type accepts in its configuration table: the typed option schema that each
// provider folder exports with its factory. The configuration loader validates provider tables
// against it, and `aisopod --help` and the README's table of provider options are written from
// it. Standard-library types only; plain data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aisopod {

// The type of an option's value in the file. Every value is kept as text in
// ProviderConfig::options (integers in decimal, booleans "true"/"false").
enum class OptionType {
  kString,           // any string
  kRegion,           // an AWS region name ("us-east-1"); it ends up in a host name
  kStringOrInteger,  // a string or an integer (ollama keep_alive: "5m", 300, -1)
  kDuration,         // "250ms", "60s", "5m", "1h", or an integer number of seconds
  kBoolean,          // true or false
};

// "a string", "an AWS region", "a string or an integer", "a duration", "a boolean".
std::string_view option_type_name(OptionType type);

// One option of a provider table.
struct ProviderOptionSpec {
  std::string name;
  OptionType type = OptionType::kString;
  // The value used when neither the file nor the environment sets one, as text; "" for none.
  std::string default_value;
  // Variables read, in order, when the file does not set the option, for a provider whose id
  // is the built-in type name only (so OPENAI_ORG_ID never configures a second OpenAI-compatible
  // provider such as "local").
  std::vector<std::string> env;
  // One line of help for --help and the README.
  std::string help;
};

// The schema of one provider type.
struct ProviderSchema {
  // The type name used in `type = "..."` and as the default provider id ("openai").
  std::string type;
  // One line: what the type talks to.
  std::string summary;
  // The type's own options, in the order documented. The options every type has (timeout)
  // come from common_provider_options() and are not repeated here.
  std::vector<ProviderOptionSpec> options;
  // The profile kinds this type takes besides "api_key" and "oauth" ("aws" for bedrock;
  // "google_service_account" and "google_adc" for gemini), each with the profile keys it uses
  // besides name and kind (string values, ${VAR} expanded).
  struct ProfileKind {
    std::string name;
    std::vector<std::string> keys;
  };
  std::vector<ProfileKind> profile_kinds = {};
};

// The options of every provider type: `timeout`, each chat attempt's total deadline.
const std::vector<ProviderOptionSpec>& common_provider_options();

// The option named `name` of `schema`, or of common_provider_options(); nullptr when none.
const ProviderOptionSpec* find_provider_option(const ProviderSchema& schema, std::string_view name);

// The README's table of provider options, in Markdown: one row per option of every schema (the
// common ones once, first), with its type, default, environment variables and help.
std::string provider_options_markdown(const std::vector<ProviderSchema>& schemas);

// The same as plain text for --help: one block per type, one line per option.
std::string provider_options_text(const std::vector<ProviderSchema>& schemas);

}  // namespace aisopod
