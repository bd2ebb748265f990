// OpenAI model list decoder (GET /models). Pure; safe from any thread.
#pragma once

#include <string_view>
#include <vector>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"

namespace aisopod::openai {

// Decodes {"object":"list","data":[{"id":..,"created":..,"owned_by":..},..]} into ModelInfo
// values {id, provider = provider_id, display_name = id, owned_by, created}, in the order
// given. Context window and capabilities are not in this response and stay unset.
// Errors: protocol_error (carrying `provider_id`) when the body is not JSON, has no "data"
// array, or an entry is not an object with a string id.
Result<std::vector<ModelInfo>> decode_models(std::string_view body, std::string_view provider_id);

}  // namespace aisopod::openai
