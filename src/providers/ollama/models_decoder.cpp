#include "providers/ollama/models_decoder.hpp"

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "core/error_mapping.hpp"
#include "providers/common/json_dom.hpp"

namespace aisopod::ollama {
namespace {

namespace json = boost::json;
using json_dom::string_at;

}  // namespace

Result<std::vector<ModelInfo>> decode_models(std::string_view body, std::string_view provider_id) {
  const std::optional<json::object> root = json_dom::parse_object(body);
  if (!root) return protocol_error(provider_id, "model list: not a JSON object");
  const json::value* models = root->if_contains("models");
  if (models == nullptr || !models->is_array()) {
    return protocol_error(provider_id, "model list: no \"models\" array");
  }
  std::vector<ModelInfo> out;
  out.reserve(models->get_array().size());
  for (const json::value& entry : models->get_array()) {
    if (!entry.is_object()) {
      return protocol_error(provider_id, "model list: an entry is not an object");
    }
    const json::object& object = entry.get_object();
    ModelInfo info;
    info.id = string_at(object, "name");
    if (info.id.empty()) info.id = string_at(object, "model");
    if (info.id.empty()) return protocol_error(provider_id, "model list: an entry has no name");
    info.provider = std::string(provider_id);

    std::string family;
    std::string parameter_size;
    std::string quantization;
    if (const json::value* details = object.if_contains("details");
        details != nullptr && details->is_object()) {
      family = string_at(details->get_object(), "family");
      parameter_size = string_at(details->get_object(), "parameter_size");
      quantization = string_at(details->get_object(), "quantization_level");
    }
    if (!family.empty()) info.capabilities.push_back("family:" + family);
    if (!parameter_size.empty()) info.capabilities.push_back("parameter_size:" + parameter_size);
    if (!quantization.empty()) info.capabilities.push_back("quantization:" + quantization);
    if (const json::value* capabilities = object.if_contains("capabilities");
        capabilities != nullptr && capabilities->is_array()) {
      for (const json::value& capability : capabilities->get_array()) {
        if (capability.is_string()) info.capabilities.emplace_back(capability.get_string());
      }
    }

    info.display_name = info.id;
    std::string extra = parameter_size;
    if (!quantization.empty()) extra += (extra.empty() ? "" : ", ") + quantization;
    if (!extra.empty()) info.display_name += " (" + extra + ")";
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::string> decode_version(std::string_view body, std::string_view provider_id) {
  const std::optional<json::object> root = json_dom::parse_object(body);
  if (!root) return protocol_error(provider_id, "version: not a JSON object");
  const json::value* version = root->if_contains("version");
  if (version == nullptr || !version->is_string()) {
    return protocol_error(provider_id, "version: no \"version\" string");
  }
  return std::string(version->get_string());
}

}  // namespace aisopod::ollama
