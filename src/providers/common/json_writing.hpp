// Small helpers for building request bodies with Boost.JSON, shared by the request encoders
// (header-only). Errors are invalid_request() values naming the provider
// (core/request_encoding.hpp).
#pragma once

#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
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

// A conversation's turns being built, where consecutive messages of the same role merge into
// one turn (for APIs whose roles must alternate). Each turn keeps the blocks that must lead it
// (tool results) apart from the others until take() joins them.
class TurnBuilder {
 public:
  // The leading blocks / the other blocks of the turn of `role`: the last turn when it has
  // that role, else a new one.
  json::array& leading(std::string_view role) { return turn(role).leading; }
  json::array& blocks(std::string_view role) { return turn(role).blocks; }

  // The turns in order, each {"role": role, <content_key>: leading blocks then the others}.
  json::array take(std::string_view content_key) {
    json::array out;
    for (Turn& turn : turns_) {
      json::array content = std::move(turn.leading);
      for (json::value& block : turn.blocks) content.push_back(std::move(block));
      out.push_back(json::object{{"role", turn.role}, {content_key, std::move(content)}});
    }
    turns_.clear();
    return out;
  }

 private:
  struct Turn {
    std::string_view role;
    json::array leading;
    json::array blocks;
  };

  Turn& turn(std::string_view role) {
    if (turns_.empty() || turns_.back().role != role) turns_.push_back(Turn{role, {}, {}});
    return turns_.back();
  }

  std::vector<Turn> turns_;
};

// Compact JSON (request bodies, tool-call arguments, the CLI's own output). Boost.JSON's own
// serializer writes doubles as "7E-1" and infinity as "Infinity" (not JSON); this writes the
// shortest text that reads back as the same double.
inline void write_compact(const json::value& value, std::string& out) {
  switch (value.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += value.get_bool() ? "true" : "false";
      return;
    case json::kind::int64:
      out += std::to_string(value.get_int64());
      return;
    case json::kind::uint64:
      out += std::to_string(value.get_uint64());
      return;
    case json::kind::double_: {
      const double number = value.get_double();
      if (std::isinf(number)) {
        // Reads back as infinity in every parser that accepts the number at all.
        out += number > 0 ? "1e99999" : "-1e99999";
        return;
      }
      if (std::isnan(number)) {
        out += "null";
        return;
      }
      std::array<char, 32> buffer;
      const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), number);
      out.append(buffer.data(), result.ptr);
      return;
    }
    case json::kind::string:
      out += json::serialize(value.get_string());
      return;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& element : value.get_array()) {
        if (!first) out += ',';
        first = false;
        write_compact(element, out);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const json::key_value_pair& member : value.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(member.key());
        out += ':';
        write_compact(member.value(), out);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace aisopod::json_writing
