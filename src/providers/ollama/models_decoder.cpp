#include "providers/ollama/models_decoder.hpp"

#include <boost/json.hpp>
#include <utility>

namespace aisopod::ollama {
namespace {

namespace json = boost::json;

Status bad_shape(std::string_view provider_id, std::string what) {
  return Status(StatusCode::kProtocolError, std::move(what)).set_provider(std::string(provider_id));
}

std::string string_member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->get_string());
}

}  // namespace

Result<std::vector<ModelInfo>> decode_models(std::string_view body, std::string_view provider_id) {
  boost::system::error_code ec;
  const json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) return bad_shape(provider_id, "model list: not a JSON object");
  const json::value* models = root.get_object().if_contains("models");
  if (models == nullptr || !models->is_array()) {
    return bad_shape(provider_id, "model list: no \"models\" array");
  }
  std::vector<ModelInfo> out;
  out.reserve(models->get_array().size());
  for (const json::value& entry : models->get_array()) {
    if (!entry.is_object()) return bad_shape(provider_id, "model list: an entry is not an object");
    const json::object& object = entry.get_object();
    ModelInfo info;
    info.id = string_member(object, "name");
    if (info.id.empty()) info.id = string_member(object, "model");
    if (info.id.empty()) return bad_shape(provider_id, "model list: an entry has no name");
    info.provider = std::string(provider_id);

    std::string family;
    std::string parameter_size;
    std::string quantization;
    if (const json::value* details = object.if_contains("details");
        details != nullptr && details->is_object()) {
      family = string_member(details->get_object(), "family");
      parameter_size = string_member(details->get_object(), "parameter_size");
      quantization = string_member(details->get_object(), "quantization_level");
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
  boost::system::error_code ec;
  const json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) return bad_shape(provider_id, "version: not a JSON object");
  const json::value* version = root.get_object().if_contains("version");
  if (version == nullptr || !version->is_string()) {
    return bad_shape(provider_id, "version: no \"version\" string");
  }
  return std::string(version->get_string());
}

}  // namespace aisopod::ollama
