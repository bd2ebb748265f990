// What each provider folder exports: its typed option schema and how to make the provider from
// a configured table. The runtime collects the factories of the providers compiled in; the
// configuration loader, --help and the README's option table read their schemas.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aisopod/auth.hpp"
#include "aisopod/config.hpp"
#include "aisopod/credential.hpp"
#include "aisopod/provider.hpp"
#include "aisopod/provider_schema.hpp"

namespace aisopod {

struct ProviderFactory {
  ProviderSchema schema;
  // Makes the provider of `config` (its type is schema.type and its options were checked
  // against the schema), with the profiles `auth` holds for config.id. Errors: an option value
  // the provider cannot use (invalid_argument naming the provider and the option).
  std::function<Result<std::shared_ptr<ModelProvider>>(const ProviderConfig& config,
                                                       std::shared_ptr<AuthProfileManager> auth)>
      make;
  // Optional: the credential source of a profile whose kind the schema defines
  // (schema.profile_kinds; "google_adc", ...). Called when the runtime is built; an error is
  // kept and returned at the profile's first use, so a provider that is not used never fails
  // another's call. The kinds api_key and oauth are read by the runtime itself.
  std::function<Result<std::shared_ptr<CredentialSource>>(const AuthProfileConfig& profile)>
      make_credential_source = {};
  // Optional: the credential source of a provider configured without profiles (bedrock: the
  // AWS credential chain), added as its profile "default". Errors are kept as with
  // make_credential_source.
  std::function<Result<std::shared_ptr<CredentialSource>>(const ProviderConfig& config)>
      default_credential_source = {};
};

// The option `name` of `config`: its configured value, else the default of `schema` (or of the
// common options); "" when neither has one.
std::string provider_option(const ProviderConfig& config, const ProviderSchema& schema,
                            std::string_view name);

// The common `timeout` option as each chat attempt's total deadline: std::nullopt when unset or
// zero. Error: invalid_argument "provider '<id>' timeout: <why>".
Result<std::optional<std::chrono::milliseconds>> attempt_timeout_option(
    const ProviderConfig& config);

}  // namespace aisopod
