// Settings shared by the OpenAI translators and the OpenAI provider. Plain values; safe to copy
// and to share between threads.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace aisopod::openai {

// Where and as whom the OpenAI (or OpenAI-compatible) API is called. The API key is not here:
// the provider adds `Authorization: Bearer <key>` as the last step before sending.
struct OpenAIOptions {
  // The API root as the official SDKs take it (OPENAI_BASE_URL); requests go to
  // {base_url}/chat/completions and {base_url}/models. A trailing slash is ignored.
  std::string base_url = "https://api.openai.com/v1";
  // Sent as OpenAI-Organization when not empty.
  std::string organization;
  // Sent as OpenAI-Project when not empty.
  std::string project;
  // The id this provider is configured under ("openai", "local", ...): named in error messages
  // and set on every Status the translators return.
  std::string provider_id = "openai";
  // Each chat attempt's total deadline (the configuration's `timeout`): one HTTP exchange from
  // sending to the end of its body, streamed or not. Unset or zero: none. The other deadlines
  // are the defaults of chat_timeouts() (core/http_provider.hpp); CallOptions override them all.
  std::optional<std::chrono::milliseconds> timeout;
};

}  // namespace aisopod::openai
