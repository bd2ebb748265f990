// Ollama model list (GET /api/tags) and version (GET /api/version) decoders. Pure; safe from
// any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"

namespace aisopod::ollama {

// Decodes {"models":[{"name":..,"model":..,"details":{"family":..,"parameter_size":..,
// "quantization_level":..},"capabilities":[..]},..]} into ModelInfo values, in the order
// given: id = name (or model when name is absent), provider = provider_id, display_name =
// "<id> (<parameter_size>, <quantization>)" (the parts that are known; just the id when none
// is), capabilities = "family:<family>", "parameter_size:<size>", "quantization:<level>" for the
// details present, followed by the server's own capability names ("completion", "tools",
// "thinking", "vision", ...) when it sends them (newer servers). Context window and max output
// are not in this response and stay unset.
// Errors: protocol_error (carrying `provider_id`) when the body is not JSON, has no "models"
// array, or an entry is not an object with a string name or model.
Result<std::vector<ModelInfo>> decode_models(std::string_view body, std::string_view provider_id);

// Decodes {"version":"0.5.1"} into "0.5.1". Errors: protocol_error (carrying `provider_id`) when
// the body is not a JSON object with a string version.
Result<std::string> decode_version(std::string_view body, std::string_view provider_id);

}  // namespace aisopod::ollama
