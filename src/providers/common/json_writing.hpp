// Small helpers for building request bodies with Boost.JSON, shared by the request encoders
// (header-only). Errors are invalid_request() values naming the provider
// (core/request_encoding.hpp).
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"
#include "core/request_encoding.hpp"

namespace aisopod::json_writing {

namespace json = boost::json;

// Parses `text`, which must be a JSON object; `what` names it in the error ("<what> is not valid
// JSON: <reason>", "<what> is not a JSON object").
inline Result<json::value> parse_object(std::string_view text, std::string_view provider_id,
                                        const std::string& what) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) return invalid_request(provider_id, what + " is not valid JSON: " + ec.message());
  if (!value.is_object()) return invalid_request(provider_id, what + " is not a JSON object");
  return value;
}

// {"type":"object","properties":{}}: the schema of a tool that takes no parameters.
inline json::object empty_object_schema() {
  return json::object{{"type", "object"}, {"properties", json::object()}};
}

// {"name", "description" (when set), <schema_key>: the parameters schema} of `tool`; an empty
// schema is empty_object_schema(). Errors: a schema that is not a JSON object.
inline Result<json::object> tool_declaration(const Tool& tool, std::string_view schema_key,
                                             std::string_view provider_id) {
  json::object out;
  out["name"] = tool.name;
  if (!tool.description.empty()) out["description"] = tool.description;
  if (tool.parameters_schema.empty()) {
    out[schema_key] = empty_object_schema();
  } else {
    AISOPOD_ASSIGN_OR_RETURN(json::value schema,
                             parse_object(tool.parameters_schema, provider_id,
                                          "parameters schema of tool '" + tool.name + "'"));
    out[schema_key] = std::move(schema);
  }
  return out;
}

// tool_declaration() of each of `tools`, in order.
inline Result<json::array> tool_declarations(const std::vector<Tool>& tools,
                                             std::string_view schema_key,
                                             std::string_view provider_id) {
  json::array out;
  out.reserve(tools.size());
  for (const Tool& tool : tools) {
    AISOPOD_ASSIGN_OR_RETURN(json::object declaration,
                             tool_declaration(tool, schema_key, provider_id));
    out.emplace_back(std::move(declaration));
  }
  return out;
}

// The strings as a JSON array (stop sequences).
inline json::array string_array(const std::vector<std::string>& strings) {
  json::array out;
  out.reserve(strings.size());
  for (const std::string& s : strings) out.emplace_back(s);
  return out;
}

// Merges the caller's extra_body_json (`extra`, a JSON object; nothing when empty) into `body`,
// last: its members replace the body's. Errors: `extra` is not a JSON object.
inline Status merge_extra_body(json::object& body, std::string_view extra,
                               std::string_view provider_id) {
  if (extra.empty()) return Status();
  AISOPOD_ASSIGN_OR_RETURN(json::value parsed, parse_object(extra, provider_id, "extra_body_json"));
  for (auto& member : parsed.as_object()) body[member.key()] = std::move(member.value());
  return Status();
}

}  // namespace aisopod::json_writing
