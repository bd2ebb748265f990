// Anthropic model list decoder (GET /v1/models). Pure; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"

namespace aisopod::anthropic {

// One page of GET /v1/models.
struct ModelsPage {
  std::vector<ModelInfo> models;
  // True when more models follow: ask again with after_id = last_id.
  bool has_more = false;
  std::string last_id;
};

// Decodes {"data":[{"type":"model","id":..,"display_name":..,"created_at":..},..],
// "has_more":..,"last_id":..} into ModelInfo values {id, provider = provider_id, display_name
// (the id when absent), owned_by "anthropic", created (from created_at, RFC 3339)}, in the
// order given. Errors: protocol_error (carrying `provider_id`) when the body is not JSON, has
// no "data" array, or an entry is not an object with a string id.
Result<ModelsPage> decode_models_page(std::string_view body, std::string_view provider_id);

// Seconds since the epoch for an RFC 3339 UTC time ("2025-09-29T00:00:00Z", fractions and
// numeric offsets allowed); std::nullopt when malformed.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace aisopod::anthropic
