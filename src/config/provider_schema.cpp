#include "aisopod/provider_schema.hpp"

#include <string>
#include <vector>

namespace aisopod {
namespace {

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// The common options, then the type's own.
std::vector<const ProviderOptionSpec*> all_options(const ProviderSchema& schema) {
  std::vector<const ProviderOptionSpec*> out;
  for (const ProviderOptionSpec& option : common_provider_options()) out.push_back(&option);
  for (const ProviderOptionSpec& option : schema.options) out.push_back(&option);
  return out;
}

}  // namespace

std::string_view option_type_name(OptionType type) {
  switch (type) {
    case OptionType::kString:
      return "a string";
    case OptionType::kRegion:
      return "an AWS region";
    case OptionType::kStringOrInteger:
      return "a string or an integer";
    case OptionType::kDuration:
      return "a duration";
    case OptionType::kBoolean:
      return "a boolean";
  }
  return "a value";
}

const std::vector<ProviderOptionSpec>& common_provider_options() {
  static const std::vector<ProviderOptionSpec> options = {
      {"timeout",
       OptionType::kDuration,
       "",
       {},
       "each chat attempt's total deadline (\"90s\"; none by default)"},
  };
  return options;
}

const ProviderOptionSpec* find_provider_option(const ProviderSchema& schema,
                                               std::string_view name) {
  for (const ProviderOptionSpec* option : all_options(schema)) {
    if (option->name == name) return option;
  }
  return nullptr;
}

std::string provider_options_markdown(const std::vector<ProviderSchema>& schemas) {
  std::string out =
      "| type | option | value | default | environment | meaning |\n"
      "|---|---|---|---|---|---|\n";
  const auto row = [&out](std::string_view type, const ProviderOptionSpec& option) {
    std::vector<std::string> env;
    for (const std::string& variable : option.env) env.push_back("`" + variable + "`");
    out += "| " + std::string(type) + " | `" + option.name + "` | " +
           std::string(option_type_name(option.type)) + " | " +
           (option.default_value.empty() ? std::string() : "`" + option.default_value + "`") +
           " | " + join(env, ", ") + " | " + option.help + " |\n";
  };
  for (const ProviderOptionSpec& option : common_provider_options()) row("every type", option);
  for (const ProviderSchema& schema : schemas) {
    for (const ProviderOptionSpec& option : schema.options) row(schema.type, option);
  }
  return out;
}

std::string provider_options_text(const std::vector<ProviderSchema>& schemas) {
  std::string out;
  for (const ProviderSchema& schema : schemas) {
    out += "  " + schema.type + ": " + schema.summary + "\n";
    for (const ProviderOptionSpec* option : all_options(schema)) {
      out += "    " + option->name + " (" + std::string(option_type_name(option->type));
      if (!option->default_value.empty()) out += ", default " + option->default_value;
      if (!option->env.empty()) out += ", from " + join(option->env, " or ");
      out += "): " + option->help + "\n";
    }
    if (!schema.profile_kinds.empty()) {
      std::vector<std::string> kinds;
      for (const ProviderSchema::ProfileKind& kind : schema.profile_kinds) {
        kinds.push_back(kind.keys.empty() ? kind.name
                                          : kind.name + " (with " + join(kind.keys, ", ") + ")");
      }
      out += "    profile kinds besides api_key and oauth: " + join(kinds, ", ") + "\n";
    }
  }
  return out;
}

}  // namespace aisopod
