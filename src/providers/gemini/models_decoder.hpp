// Gemini model list decoder (GET /v1beta/models). Pure; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"

namespace aisopod::gemini {

// One page of GET {base}/{api_version}/models.
struct ModelsPage {
  std::vector<ModelInfo> models;
  // Non-empty when more models follow: ask again with pageToken = next_page_token.
  std::string next_page_token;
};

// Decodes {"models":[{"name":"models/gemini-2.5-pro","displayName":..,"inputTokenLimit":..,
// "outputTokenLimit":..,"supportedGenerationMethods":[..],"thinking":..},..],
// "nextPageToken":..} into ModelInfo values {id = name without its "models/" prefix,
// provider = provider_id, display_name (the id when absent), context_window = inputTokenLimit,
// max_output_tokens = outputTokenLimit, capabilities = supportedGenerationMethods as given
// ("generateContent", "countTokens", ...) plus "thinking" when "thinking" is true, owned_by
// "google"}, in the order given. Only models that can chat are kept: an entry whose
// supportedGenerationMethods lacks "generateContent" (embedding, AQA, Imagen models) is
// skipped; an entry without that list is kept. A body without "models" (an empty page) has no
// models. Errors: protocol_error (carrying `provider_id`) when the body is not a JSON object,
// "models" is not an array, or an entry is not an object with a string name.
Result<ModelsPage> decode_models_page(std::string_view body, std::string_view provider_id);

}  // namespace aisopod::gemini
