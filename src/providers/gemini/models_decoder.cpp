#include "providers/gemini/models_decoder.hpp"

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <utility>

namespace aisopod::gemini {
namespace {

namespace json = boost::json;

Status protocol_error(std::string_view provider_id, std::string message) {
  return Status(StatusCode::kProtocolError,
                std::string(provider_id) + ": models list: " + std::move(message))
      .set_provider(std::string(provider_id));
}

std::optional<std::int64_t> count_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->get_uint64());
  return std::nullopt;
}

}  // namespace

Result<ModelsPage> decode_models_page(std::string_view body, std::string_view provider_id) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) return protocol_error(provider_id, "body is not a JSON object");
  const json::object& object = root.get_object();
  ModelsPage page;
  if (const json::value* token = object.if_contains("nextPageToken"); token && token->is_string()) {
    page.next_page_token = std::string(token->get_string());
  }
  const json::value* models = object.if_contains("models");
  if (models == nullptr) return page;  // the API leaves the field out of an empty page
  if (!models->is_array()) return protocol_error(provider_id, "\"models\" is not an array");
  for (const json::value& entry : models->get_array()) {
    const json::object* model = entry.if_object();
    const json::value* name = model != nullptr ? model->if_contains("name") : nullptr;
    if (name == nullptr || !name->is_string()) {
      return protocol_error(provider_id, "an entry has no string name");
    }
    std::vector<std::string> methods;
    bool chats = true;
    if (const json::value* list = model->if_contains("supportedGenerationMethods");
        list != nullptr && list->is_array()) {
      chats = false;
      for (const json::value& method : list->get_array()) {
        if (!method.is_string()) continue;
        methods.emplace_back(method.get_string());
        if (method.get_string() == "generateContent") chats = true;
      }
    }
    if (!chats) continue;
    ModelInfo info;
    std::string_view id = name->get_string();
    if (id.substr(0, 7) == "models/") id.remove_prefix(7);
    info.id = std::string(id);
    info.provider = std::string(provider_id);
    info.owned_by = "google";
    const json::value* display = model->if_contains("displayName");
    info.display_name =
        display != nullptr && display->is_string() ? std::string(display->get_string()) : info.id;
    info.context_window = count_at(*model, "inputTokenLimit");
    info.max_output_tokens = count_at(*model, "outputTokenLimit");
    info.capabilities = std::move(methods);
    if (const json::value* thinking = model->if_contains("thinking");
        thinking != nullptr && thinking->is_bool() && thinking->get_bool()) {
      info.capabilities.emplace_back("thinking");
    }
    page.models.push_back(std::move(info));
  }
  return page;
}

}  // namespace aisopod::gemini
