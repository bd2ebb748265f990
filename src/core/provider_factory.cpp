#include "core/provider_factory.hpp"

#include <string>

namespace aisopod {

std::string provider_option(const ProviderConfig& config, const ProviderSchema& schema,
                            std::string_view name) {
  if (auto it = config.options.find(std::string(name)); it != config.options.end()) {
    return it->second;
  }
  const ProviderOptionSpec* option = find_provider_option(schema, name);
  return option != nullptr ? option->default_value : std::string();
}

Result<std::optional<std::chrono::milliseconds>> attempt_timeout_option(
    const ProviderConfig& config) {
  auto it = config.options.find("timeout");
  if (it == config.options.end()) return std::optional<std::chrono::milliseconds>();
  Result<std::chrono::milliseconds> parsed = parse_duration(it->second);
  if (!parsed.ok()) {
    return Status(parsed.error().code(),
                  "provider '" + config.id + "' timeout: " + parsed.error().message());
  }
  if (parsed->count() <= 0) return std::optional<std::chrono::milliseconds>();
  return std::optional<std::chrono::milliseconds>(*parsed);
}

}  // namespace aisopod
