#include "providers/anthropic/models_decoder.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <chrono>

#include "core/error_mapping.hpp"

namespace aisopod::anthropic {
namespace {

namespace json = boost::json;

Status bad_shape(std::string_view provider_id, std::string message) {
  return protocol_error(provider_id,
                        std::string(provider_id) + ": models list: " + std::move(message));
}

std::optional<int> parse_digits(std::string_view text) {
  int value = 0;
  if (text.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  auto year = parse_digits(text.substr(0, 4));
  auto month = parse_digits(text.substr(5, 2));
  auto day = parse_digits(text.substr(8, 2));
  auto hour = parse_digits(text.substr(11, 2));
  auto minute = parse_digits(text.substr(14, 2));
  auto second = parse_digits(text.substr(17, 2));
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') rest.remove_prefix(1);
  }
  std::int64_t offset = 0;
  if (rest == "Z" || rest == "z") {
    offset = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    auto oh = parse_digits(rest.substr(1, 2));
    auto om = parse_digits(rest.substr(4, 2));
    if (!oh || !om) return std::nullopt;
    offset = (*oh * 3600 + *om * 60) * (rest[0] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  const auto days = std::chrono::sys_days(date).time_since_epoch();
  return std::chrono::duration_cast<std::chrono::seconds>(days).count() + *hour * 3600 +
         *minute * 60 + *second - offset;
}

Result<ModelsPage> decode_models_page(std::string_view body, std::string_view provider_id) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) return bad_shape(provider_id, "body is not a JSON object");
  const json::object& object = root.get_object();
  const json::value* data = object.if_contains("data");
  if (data == nullptr || !data->is_array()) return bad_shape(provider_id, "no data array");
  ModelsPage page;
  for (const json::value& entry : data->get_array()) {
    const json::object* model = entry.if_object();
    const json::value* id = model != nullptr ? model->if_contains("id") : nullptr;
    if (id == nullptr || !id->is_string()) {
      return bad_shape(provider_id, "an entry has no string id");
    }
    ModelInfo info;
    info.id = std::string(id->get_string());
    info.provider = std::string(provider_id);
    info.owned_by = "anthropic";
    const json::value* name = model->if_contains("display_name");
    info.display_name =
        name != nullptr && name->is_string() ? std::string(name->get_string()) : info.id;
    if (const json::value* created = model->if_contains("created_at");
        created != nullptr && created->is_string()) {
      info.created = parse_rfc3339(created->get_string());
    }
    page.models.push_back(std::move(info));
  }
  if (const json::value* more = object.if_contains("has_more"); more && more->is_bool()) {
    page.has_more = more->get_bool();
  }
  if (const json::value* last = object.if_contains("last_id"); last && last->is_string()) {
    page.last_id = std::string(last->get_string());
  }
  return page;
}

}  // namespace aisopod::anthropic
