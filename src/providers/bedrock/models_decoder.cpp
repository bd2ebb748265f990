#include "providers/bedrock/models_decoder.hpp"

#include "core/request_encoding.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

namespace aisopod::bedrock {
namespace {

namespace json = boost::json;

std::string string_of(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->get_string());
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool valid_region(std::string_view region) {
  return !region.empty() && std::all_of(region.begin(), region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

Status protocol_error(std::string_view provider_id, std::string message) {
  return Status(StatusCode::kProtocolError,
                std::string(provider_id) + ": models list: " + std::move(message))
      .set_provider(std::string(provider_id));
}

void add_modalities(const json::object& summary, std::string_view key, std::string_view prefix,
                    ModelInfo& model) {
  const json::value* list = summary.if_contains(key);
  if (list == nullptr || !list->is_array()) return;
  for (const json::value& modality : list->get_array()) {
    if (modality.is_string()) {
      model.capabilities.push_back(std::string(prefix) +
                                   lowercase(std::string(modality.get_string())));
    }
  }
}

}  // namespace

Result<std::string> control_plane_url(std::string_view region) {
  if (!valid_region(region)) {
    return Status(
        StatusCode::kInvalidArgument,
        "no valid AWS region for the Bedrock control plane: '" + std::string(region) + "'");
  }
  return "https://bedrock." + std::string(region) + ".amazonaws.com";
}

Result<http::Request> encode_models_request(std::string_view control_url, std::string_view cursor) {
  http::Request request;
  request.method = "GET";
  request.headers.push_back({"Accept", "application/json"});
  if (cursor.empty()) {
    request.url = std::string(control_url) + "/foundation-models";
  } else {
    std::string_view token = cursor.substr(std::min(cursor.size(), kProfilesCursor.size()));
    request.url = std::string(control_url) + "/inference-profiles?maxResults=1000";
    if (!token.empty()) request.url += "&nextToken=" + percent_encode(token);
  }
  return request;
}

Result<ModelsPageResult> decode_models_page(std::string_view body, std::string_view provider_id) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) return protocol_error(provider_id, "the body is not a JSON object");
  const json::object& object = root.get_object();
  ModelsPageResult page;
  if (const json::value* summaries = object.if_contains("modelSummaries")) {
    if (!summaries->is_array()) return protocol_error(provider_id, "modelSummaries is not a list");
    for (const json::value& entry : summaries->get_array()) {
      if (!entry.is_object()) continue;
      const json::object& summary = entry.get_object();
      ModelInfo model;
      model.id = string_of(summary, "modelId");
      if (model.id.empty()) continue;
      model.provider = std::string(provider_id);
      model.display_name = string_of(summary, "modelName");
      model.owned_by = string_of(summary, "providerName");
      const json::value* streaming = summary.if_contains("responseStreamingSupported");
      if (streaming != nullptr && streaming->is_bool() && streaming->get_bool()) {
        model.capabilities.push_back("streaming");
      }
      add_modalities(summary, "inputModalities", "input:", model);
      add_modalities(summary, "outputModalities", "output:", model);
      if (std::find(model.capabilities.begin(), model.capabilities.end(), "output:text") ==
          model.capabilities.end()) {
        continue;  // embeddings and image models cannot chat
      }
      page.models.push_back(std::move(model));
    }
    page.next_cursor = std::string(kProfilesCursor);
    return page;
  }
  if (const json::value* summaries = object.if_contains("inferenceProfileSummaries")) {
    if (!summaries->is_array()) {
      return protocol_error(provider_id, "inferenceProfileSummaries is not a list");
    }
    for (const json::value& entry : summaries->get_array()) {
      if (!entry.is_object()) continue;
      const json::object& summary = entry.get_object();
      const std::string status = string_of(summary, "status");
      if (!status.empty() && status != "ACTIVE") continue;
      ModelInfo model;
      model.id = string_of(summary, "inferenceProfileId");
      if (model.id.empty()) continue;
      model.provider = std::string(provider_id);
      model.display_name = string_of(summary, "inferenceProfileName");
      model.capabilities.push_back("inference-profile");
      page.models.push_back(std::move(model));
    }
    const std::string next = string_of(object, "nextToken");
    if (!next.empty()) page.next_cursor = std::string(kProfilesCursor) + next;
    return page;
  }
  return protocol_error(provider_id,
                        "expected modelSummaries or inferenceProfileSummaries in the body");
}

}  // namespace aisopod::bedrock
