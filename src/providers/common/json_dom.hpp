// Small helpers for reading a whole JSON body with Boost.JSON's DOM (error bodies, non-streaming
// answers, model lists: not the hot paths, which use simdjson, json_reading.hpp). Header-only.
#pragma once

#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace aisopod::json_dom {

namespace json = boost::json;

// `text` parsed, when it is a JSON object; std::nullopt for anything else (not JSON, an array).
inline std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

// The string at `key`; "" when absent, null or not a string.
inline std::string string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->get_string());
}

// The object at `key`; nullptr when absent or not an object.
inline const json::object* object_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr ? value->if_object() : nullptr;
}

// The token count at `key`: an integer, or a number rounded to the nearest; 0 when absent or
// not a number.
inline std::int64_t count_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return 0;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->get_uint64());
  if (value->is_double()) return static_cast<std::int64_t>(std::llround(value->get_double()));
  return 0;
}

}  // namespace aisopod::json_dom
