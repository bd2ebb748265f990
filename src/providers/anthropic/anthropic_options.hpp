// Settings shared by the Anthropic translators and the Anthropic provider. Plain values; safe to
// copy and to share between threads.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace aisopod::anthropic {

// Where and as whom the Anthropic Messages API is called. The secret itself is not here: the
// provider adds it (x-api-key or Authorization: Bearer) as the last step before sending.
struct AnthropicOptions {
  // The API root as the official SDKs take it (ANTHROPIC_BASE_URL); requests go to
  // {base_url}/v1/messages and {base_url}/v1/models. A trailing slash is ignored.
  std::string base_url = "https://api.anthropic.com";
  // The id this provider is configured under ("anthropic", ...): named in error messages and
  // set on every Status the translators and the provider return.
  std::string provider_id = "anthropic";
  // Each chat attempt's total deadline (the configuration's `timeout`): one HTTP exchange from
  // sending to the end of its body, streamed or not. Unset or zero: none. The other deadlines
  // are the defaults of chat_timeouts() (core/http_provider.hpp); CallOptions override them all.
  std::optional<std::chrono::milliseconds> timeout;
  // Sent as anthropic-version on every request.
  std::string anthropic_version = "2023-06-01";
  // Sent as anthropic-beta when not empty (comma-separated beta names, e.g.
  // "oauth-2025-04-20" for OAuth tokens, "prompt-caching-2024-07-31" for old deployments).
  std::string anthropic_beta;
  // Adds cache_control {"type":"ephemeral"} to the last block of the system prompt and to the
  // last tool, so that the stable prefix of a conversation is cached between calls.
  bool prompt_caching = false;
  // How the secret of a provider built from a bare SecretSource is sent. Profiles of an
  // AuthProfileManager carry their own kind (SecretKind), which wins.
  enum class AuthKind {
    // `x-api-key: <key>` (console API keys, sk-ant-api...).
    kApiKey,
    // `Authorization: Bearer <token>` (OAuth access tokens, gateways that expect bearer auth).
    kBearer,
  };
  AuthKind auth = AuthKind::kApiKey;
};

}  // namespace aisopod::anthropic
