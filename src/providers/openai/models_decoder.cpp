#include "providers/openai/models_decoder.hpp"

#include <boost/json.hpp>
#include <string>

#include "core/error_mapping.hpp"

namespace aisopod::openai {
namespace {

namespace json = boost::json;

Status bad_shape(std::string_view provider_id, std::string what) {
  return protocol_error(provider_id, "model list: " + std::move(what));
}

}  // namespace

Result<std::vector<ModelInfo>> decode_models(std::string_view body, std::string_view provider_id) {
  boost::system::error_code ec;
  const json::value root = json::parse(body, ec);
  if (ec) return bad_shape(provider_id, "not valid JSON (" + ec.message() + ")");
  const json::object* object = root.if_object();
  if (object == nullptr) return bad_shape(provider_id, "not a JSON object");
  const json::value* data = object->if_contains("data");
  if (data == nullptr || !data->is_array()) return bad_shape(provider_id, "no \"data\" array");

  std::vector<ModelInfo> models;
  models.reserve(data->get_array().size());
  for (const json::value& entry : data->get_array()) {
    const json::object* model = entry.if_object();
    const json::value* id = model != nullptr ? model->if_contains("id") : nullptr;
    if (id == nullptr || !id->is_string() || id->get_string().empty()) {
      return bad_shape(provider_id, "an entry has no string \"id\"");
    }
    ModelInfo info;
    info.id = std::string(id->get_string());
    info.provider = std::string(provider_id);
    info.display_name = info.id;
    if (const json::value* owned_by = model->if_contains("owned_by");
        owned_by != nullptr && owned_by->is_string()) {
      info.owned_by = std::string(owned_by->get_string());
    }
    if (const json::value* created = model->if_contains("created"); created != nullptr) {
      if (created->is_int64()) info.created = created->get_int64();
      if (created->is_uint64()) info.created = static_cast<std::int64_t>(created->get_uint64());
    }
    models.push_back(std::move(info));
  }
  return models;
}

}  // namespace aisopod::openai
