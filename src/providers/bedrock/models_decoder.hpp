// Bedrock's model listings on the control-plane host (bedrock.{region}.amazonaws.com):
// ListFoundationModels and ListInferenceProfiles, as one paged listing. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "aisopod/status.hpp"
#include "core/spec_provider.hpp"
#include "http/http.hpp"

namespace aisopod::bedrock {

// The cursor of the first inference-profiles page (the foundation models come first, on the
// page of cursor "").
inline constexpr std::string_view kProfilesCursor = "profiles:";

// The control-plane root for `region`: "https://bedrock.{region}.amazonaws.com". Errors:
// invalid_argument for a region that is empty or not made of [a-z0-9-].
Result<std::string> control_plane_url(std::string_view region);

// The request of one page of the listing, without credentials: cursor "" is
// `GET {control}/foundation-models`; a cursor starting with kProfilesCursor is
// `GET {control}/inference-profiles?maxResults=1000` (plus `&nextToken=<token>`, percent-encoded,
// for what follows the prefix).
Result<http::Request> encode_models_request(std::string_view control_url, std::string_view cursor);

// Decodes a page. {"modelSummaries":[{"modelId","modelName","providerName",
// "inputModalities","outputModalities","responseStreamingSupported",
// "inferenceTypesSupported"}]} -> models {id = modelId, display_name = modelName,
// owned_by = providerName, capabilities = "streaming" when responseStreamingSupported, plus
// "input:<modality>" and "output:<modality>" lowercased}, only those with TEXT output; its
// next cursor is kProfilesCursor. {"inferenceProfileSummaries":[{"inferenceProfileId",
// "inferenceProfileName","status"}],"nextToken"} -> models {id = inferenceProfileId,
// display_name = inferenceProfileName, capabilities {"inference-profile"}}, ACTIVE ones only;
// next cursor kProfilesCursor + nextToken, or "" at the end. Errors: protocol_error naming
// `provider_id` for a body that is neither.
Result<ModelsPageResult> decode_models_page(std::string_view body, std::string_view provider_id);

}  // namespace aisopod::bedrock
