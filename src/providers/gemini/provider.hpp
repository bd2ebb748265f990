// The Gemini provider: Google's Gemini API (generativelanguage.googleapis.com, or Vertex AI with
// `project` and `location`), run by the core pipeline from the pure translators in this folder.
#pragma once

#include <memory>

#include "aisopod/provider.hpp"
#include "core/http_provider.hpp"
#include "core/provider_factory.hpp"
#include "core/spec_provider.hpp"
#include "providers/gemini/gemini_options.hpp"

namespace aisopod::gemini {

// The translators and the authorizer the core pipeline runs: API keys in `x-goog-api-key`
// (never in the URL), OAuth tokens as `Authorization: Bearer`. chat_completion posts to
// models/{model}:streamGenerateContent?alt=sse (or :generateContent, answered as one chunk);
// list_models follows the pages of GET {base_url}/{api_version}/models?pageSize=1000;
// health_check probes GET .../models?pageSize=1.
ProviderSpec provider_spec(GeminiOptions options);

// A provider for options.provider_id with the profiles `auth` holds for it (round-robin,
// rotated on credential errors; no credential when `auth` is null or has none). Thread-safe.
std::shared_ptr<ModelProvider> make_provider(GeminiOptions options,
                                             std::shared_ptr<AuthProfileManager> auth);

// The same with one key from `secret` (empty function: no credential), sent as
// options.auth says.
std::shared_ptr<ModelProvider> make_provider(GeminiOptions options, SecretSource secret);

// Parses the `safety_settings` option: "CATEGORY=THRESHOLD" pairs separated by commas
// ("HARM_CATEGORY_HATE_SPEECH=BLOCK_ONLY_HIGH,HARM_CATEGORY_HARASSMENT=OFF"), spaces around
// them ignored. Error: invalid_argument naming the entry that has no '=' or an empty side.
Result<std::vector<SafetySetting>> parse_safety_settings(std::string_view text);

// The factory of this folder: its option schema and how a configured table becomes a provider.
const ProviderFactory& factory();

}  // namespace aisopod::gemini
