#include "providers/gemini/request_encoder.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ascii_text.hpp"
#include "core/request_encoding.hpp"
#include "providers/common/json_writing.hpp"

namespace aisopod::gemini {
namespace {

namespace json = boost::json;

constexpr int kMaxSchemaDepth = 64;
constexpr int kMaxSchemaNodes = 10000;

Status invalid(const GeminiOptions& options, std::string message) {
  return invalid_request(options.provider_id, std::move(message));
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string ascii_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Boost.JSON's default nesting limit (32) is below what deep tool schemas reach.
json::value parse_deep(std::string_view text, boost::system::error_code& ec) {
  json::parse_options options;
  options.max_depth = 256;
  return json::parse(text, ec, json::storage_ptr(), options);
}

// Parses text that must be a JSON object. `what` names it in the error.
Result<json::value> parse_object(std::string_view text, const GeminiOptions& options,
                                 const std::string& what) {
  boost::system::error_code ec;
  json::value value = parse_deep(text, ec);
  if (ec) return invalid(options, what + " is not valid JSON: " + ec.message());
  if (!value.is_object()) return invalid(options, what + " is not a JSON object");
  return value;
}

// ---------------------------------------------------------------------------------------------
// JSON Schema -> Gemini Schema

class SchemaReducer {
 public:
  // The root itself counts as being expanded: a "$ref": "#" inside it is recursion.
  explicit SchemaReducer(const json::value& root) : root_(root), expanding_{"#"} {}

  Result<json::object> reduce(const json::value& schema, const std::string& path, int depth) {
    if (depth > kMaxSchemaDepth) {
      return error(path,
                   "the schema nests deeper than " + std::to_string(kMaxSchemaDepth) + " levels");
    }
    if (++nodes_ > kMaxSchemaNodes) {
      return error(
          path, "the schema expands to more than " + std::to_string(kMaxSchemaNodes) + " schemas");
    }
    if (schema.is_bool()) {
      if (schema.get_bool()) return json::object();
      return error(path, "the schema 'false' (no value is valid) cannot be expressed");
    }
    if (!schema.is_object()) return error(path, "is not a schema object");
    const json::object& in = schema.get_object();

    json::object out;
    if (const json::value* ref = in.if_contains("$ref")) {
      AISOPOD_ASSIGN_OR_RETURN(out, reduce_ref(*ref, path, depth));
    }
    if (const json::value* all_of = in.if_contains("allOf")) {
      if (!all_of->is_array()) return error(path, "'allOf' is not an array");
      std::size_t i = 0;
      for (const json::value& member : all_of->get_array()) {
        AISOPOD_ASSIGN_OR_RETURN(json::object reduced,
                                 reduce(member, path + "/allOf/" + std::to_string(i++), depth + 1));
        merge_member(out, std::move(reduced));
      }
    }
    AISOPOD_ASSIGN_OR_RETURN(json::object own, reduce_keywords(in, path, depth));
    // The schema's own keywords win over what $ref and allOf brought; properties and required
    // are united.
    merge_own(out, std::move(own));
    finish(out);
    return out;
  }

 private:
  Status error(const std::string& path, const std::string& message) const {
    return Status(StatusCode::kInvalidArgument,
                  "schema at " + (path.empty() ? std::string("#") : path) + ": " + message);
  }

  // A JSON pointer ("#/a/b") into the root document; nullptr when it names nothing.
  const json::value* resolve(std::string_view pointer) const {
    const json::value* at = &root_;
    std::string_view rest = pointer.substr(1);  // after '#'
    while (!rest.empty()) {
      if (rest.front() != '/') return nullptr;
      rest.remove_prefix(1);
      const std::size_t slash = rest.find('/');
      std::string token(rest.substr(0, slash));
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
      // RFC 6901 escapes.
      std::string unescaped;
      for (std::size_t i = 0; i < token.size(); ++i) {
        if (token[i] == '~' && i + 1 < token.size() &&
            (token[i + 1] == '0' || token[i + 1] == '1')) {
          unescaped += token[i + 1] == '0' ? '~' : '/';
          ++i;
        } else {
          unescaped += token[i];
        }
      }
      if (const json::object* object = at->if_object()) {
        at = object->if_contains(unescaped);
      } else if (const json::array* array = at->if_array()) {
        std::size_t index = 0;
        const char* end = unescaped.data() + unescaped.size();
        auto [ptr, ec] = std::from_chars(unescaped.data(), end, index);
        if (unescaped.empty() || ec != std::errc() || ptr != end) return nullptr;
        at = index < array->size() ? &(*array)[index] : nullptr;
      } else {
        return nullptr;
      }
      if (at == nullptr) return nullptr;
    }
    return at;
  }

  Result<json::object> reduce_ref(const json::value& ref, const std::string& path, int depth) {
    if (!ref.is_string()) return error(path, "'$ref' is not a string");
    const std::string target(ref.get_string());
    if (!starts_with(target, "#")) {
      return error(path, "$ref '" + target +
                             "' is not a local reference (expected #/$defs/<name> or "
                             "#/definitions/<name>)");
    }
    if (std::find(expanding_.begin(), expanding_.end(), target) != expanding_.end()) {
      return error(
          path, "$ref '" + target + "' is recursive, and Gemini schemas cannot express recursion");
    }
    const json::value* resolved = resolve(target);
    if (resolved == nullptr) return error(path, "$ref '" + target + "' names no definition");
    // Errors inside the definition name its own place ("#/$defs/Node/properties/a").
    expanding_.push_back(target);
    Result<json::object> out = reduce(*resolved, target, depth + 1);
    expanding_.pop_back();
    return out;
  }

  static std::optional<std::string> gemini_type(std::string_view name) {
    static constexpr std::string_view kTypes[] = {"string", "number", "integer", "boolean",
                                                  "array",  "object", "null"};
    const std::string lower = ascii_lower(name);
    for (std::string_view type : kTypes) {
      if (lower == type) return ascii_upper(type);
    }
    return std::nullopt;
  }

  static bool is_null_schema(const json::object& schema) {
    return schema.size() == 1 && schema.contains("type") && schema.at("type") == "NULL";
  }

  static bool is_count(const json::value& value) {
    if (value.is_uint64()) return true;
    if (value.is_int64()) return value.get_int64() >= 0;
    if (value.is_double()) {
      const double d = value.get_double();
      return d >= 0 && d == static_cast<double>(static_cast<long long>(d));
    }
    return false;
  }

  static json::value as_count(const json::value& value) {
    if (value.is_double()) return static_cast<std::int64_t>(value.get_double());
    return value;
  }

  // The keywords of `in` other than $ref and allOf, reduced.
  Result<json::object> reduce_keywords(const json::object& in, const std::string& path, int depth) {
    json::object out;
    bool nullable = false;
    // type
    if (const json::value* type = in.if_contains("type")) {
      std::vector<std::string> types;
      if (type->is_string()) {
        types.emplace_back(type->get_string());
      } else if (type->is_array()) {
        for (const json::value& t : type->get_array()) {
          if (!t.is_string()) return error(path, "'type' holds a value that is not a string");
          types.emplace_back(t.get_string());
        }
      } else {
        return error(path, "'type' is not a string or an array of strings");
      }
      std::vector<std::string> gemini_types;
      for (const std::string& t : types) {
        std::optional<std::string> mapped = gemini_type(t);
        if (!mapped) return error(path, "unknown type '" + t + "'");
        if (*mapped == "NULL" && types.size() > 1) {
          nullable = true;
        } else if (std::find(gemini_types.begin(), gemini_types.end(), *mapped) ==
                   gemini_types.end()) {
          gemini_types.push_back(*mapped);
        }
      }
      if (gemini_types.size() == 1) {
        out["type"] = gemini_types.front();
      } else if (gemini_types.size() > 1) {
        json::array any_of;
        for (const std::string& t : gemini_types) any_of.push_back(json::object{{"type", t}});
        out["anyOf"] = std::move(any_of);
      }
    }
    if (const json::value* description = in.if_contains("description")) {
      if (!description->is_string()) return error(path, "'description' is not a string");
      out["description"] = *description;
    }
    if (const json::value* value = in.if_contains("nullable")) {
      if (!value->is_bool()) return error(path, "'nullable' is not a boolean");
      if (value->get_bool()) nullable = true;
    }
    // enum / const: strings only (Gemini enums are strings); null means nullable.
    auto string_enum = [&nullable](const json::array& values) -> std::optional<json::array> {
      json::array strings;
      bool saw_null = false;
      for (const json::value& v : values) {
        if (v.is_null()) {
          saw_null = true;
        } else if (v.is_string()) {
          strings.push_back(v);
        } else {
          return std::nullopt;
        }
      }
      if (saw_null) nullable = true;
      if (strings.empty()) return std::nullopt;
      return strings;
    };
    if (const json::value* values = in.if_contains("enum")) {
      if (!values->is_array()) return error(path, "'enum' is not an array");
      if (std::optional<json::array> strings = string_enum(values->get_array())) {
        out["enum"] = std::move(*strings);
      }
    } else if (const json::value* value = in.if_contains("const")) {
      if (std::optional<json::array> strings = string_enum(json::array{*value})) {
        out["enum"] = std::move(*strings);
      }
    }
    // properties / required / propertyOrdering
    if (const json::value* properties = in.if_contains("properties")) {
      if (!properties->is_object()) return error(path, "'properties' is not an object");
      json::object reduced;
      for (const auto& member : properties->get_object()) {
        const std::string name(member.key());
        AISOPOD_ASSIGN_OR_RETURN(json::object property,
                                 reduce(member.value(), path + "/properties/" + name, depth + 1));
        reduced[name] = std::move(property);
      }
      if (!reduced.empty()) out["properties"] = std::move(reduced);
    }
    if (const json::value* required = in.if_contains("required")) {
      if (!required->is_array()) return error(path, "'required' is not an array");
      out["required"] = *required;  // filtered against the final properties in finish()
    }
    if (const json::value* ordering = in.if_contains("propertyOrdering")) {
      if (!ordering->is_array()) return error(path, "'propertyOrdering' is not an array");
      out["propertyOrdering"] = *ordering;  // checked in finish()
    }
    // items
    if (const json::value* items = in.if_contains("items")) {
      if (items->is_array()) {
        json::array members;
        std::size_t i = 0;
        for (const json::value& item : items->get_array()) {
          AISOPOD_ASSIGN_OR_RETURN(json::object reduced,
                                   reduce(item, path + "/items/" + std::to_string(i++), depth + 1));
          members.push_back(std::move(reduced));
        }
        if (members.size() == 1) {
          out["items"] = std::move(members.front());
        } else if (!members.empty()) {
          out["items"] = json::object{{"anyOf", std::move(members)}};
        }
      } else {
        AISOPOD_ASSIGN_OR_RETURN(json::object reduced, reduce(*items, path + "/items", depth + 1));
        out["items"] = std::move(reduced);
      }
    }
    // anyOf / oneOf
    json::array alternatives;
    for (std::string_view keyword : {std::string_view("anyOf"), std::string_view("oneOf")}) {
      const json::value* members = in.if_contains(keyword);
      if (members == nullptr) continue;
      if (!members->is_array())
        return error(path, "'" + std::string(keyword) + "' is not an array");
      std::size_t i = 0;
      for (const json::value& member : members->get_array()) {
        AISOPOD_ASSIGN_OR_RETURN(
            json::object reduced,
            reduce(member, path + "/" + std::string(keyword) + "/" + std::to_string(i++),
                   depth + 1));
        if (is_null_schema(reduced)) {
          nullable = true;
        } else {
          alternatives.push_back(std::move(reduced));
        }
      }
    }
    if (alternatives.size() == 1) {
      // One alternative left (typically Optional[X]): it is the schema.
      json::object single = std::move(alternatives.front().as_object());
      for (auto& member : single) {
        if (!out.contains(member.key())) out[member.key()] = std::move(member.value());
      }
    } else if (!alternatives.empty()) {
      if (out.contains("anyOf")) {
        // A type list and anyOf together: both must hold; keep the explicit alternatives.
        out.erase("anyOf");
      }
      out["anyOf"] = std::move(alternatives);
    } else if (in.contains("anyOf") || in.contains("oneOf")) {
      if (!out.contains("type")) out["type"] = "NULL";
    }
    // Counts, bounds, pattern.
    for (std::string_view keyword :
         {"minItems", "maxItems", "minProperties", "maxProperties", "minLength", "maxLength"}) {
      const json::value* value = in.if_contains(keyword);
      if (value == nullptr) continue;
      if (!is_count(*value)) {
        return error(path, "'" + std::string(keyword) + "' is not a non-negative integer");
      }
      out[keyword] = as_count(*value);
    }
    for (std::string_view keyword : {"minimum", "maximum"}) {
      const json::value* value = in.if_contains(keyword);
      if (value == nullptr) continue;
      if (!value->is_number()) return error(path, "'" + std::string(keyword) + "' is not a number");
      out[keyword] = *value;
    }
    if (const json::value* pattern = in.if_contains("pattern")) {
      if (!pattern->is_string()) return error(path, "'pattern' is not a string");
      out["pattern"] = *pattern;
    }
    if (const json::value* format = in.if_contains("format")) {
      if (format->is_string()) out["format"] = *format;  // checked against the type in finish()
    }
    if (nullable) out["nullable"] = true;
    return out;
  }

  // An allOf member: properties and required are united; other keywords are taken when the
  // schema does not have them yet.
  static void merge_member(json::object& out, json::object member) {
    for (auto& entry : member) {
      const std::string_view key = entry.key();
      if (key == "properties" && out.contains("properties")) {
        json::object& into = out["properties"].as_object();
        for (auto& property : entry.value().as_object()) {
          if (!into.contains(property.key())) into[property.key()] = std::move(property.value());
        }
      } else if (key == "required" && out.contains("required")) {
        json::array& into = out["required"].as_array();
        for (json::value& name : entry.value().as_array()) into.push_back(std::move(name));
      } else if (!out.contains(key)) {
        out[key] = std::move(entry.value());
      }
    }
  }

  // The schema's own keywords over what $ref / allOf brought.
  static void merge_own(json::object& out, json::object own) {
    for (auto& entry : own) {
      const std::string_view key = entry.key();
      if (key == "properties" && out.contains("properties")) {
        json::object& into = out["properties"].as_object();
        for (auto& property : entry.value().as_object()) {
          into[property.key()] = std::move(property.value());
        }
      } else if (key == "required" && out.contains("required")) {
        json::array& into = out["required"].as_array();
        for (json::value& name : entry.value().as_array()) into.push_back(std::move(name));
      } else {
        out[key] = std::move(entry.value());
      }
    }
  }

  // Infers a missing type and checks the keywords that depend on the final shape.
  static void finish(json::object& out) {
    if (!out.contains("type") && !out.contains("anyOf")) {
      if (out.contains("properties")) {
        out["type"] = "OBJECT";
      } else if (out.contains("items")) {
        out["type"] = "ARRAY";
      } else if (out.contains("enum")) {
        out["type"] = "STRING";
      }
    }
    const json::object* properties =
        out.contains("properties") ? out["properties"].if_object() : nullptr;
    if (json::value* required = out.if_contains("required")) {
      json::array kept;
      for (const json::value& name : required->as_array()) {
        if (!name.is_string() || properties == nullptr || !properties->contains(name.get_string()))
          continue;
        if (std::find(kept.begin(), kept.end(), name) == kept.end()) kept.push_back(name);
      }
      if (kept.empty()) {
        out.erase("required");
      } else {
        *required = std::move(kept);
      }
    }
    if (json::value* ordering = out.if_contains("propertyOrdering")) {
      bool ok = properties != nullptr;
      for (const json::value& name : ordering->as_array()) {
        if (!ok) break;
        ok = name.is_string() && properties->contains(name.get_string());
      }
      if (!ok) out.erase("propertyOrdering");
    }
    if (const json::value* format = out.if_contains("format")) {
      const json::value* type = out.if_contains("type");
      const std::string_view t = type != nullptr && type->is_string()
                                     ? std::string_view(type->get_string())
                                     : std::string_view();
      const std::string_view f = format->get_string();
      const bool ok = (t == "STRING" && (f == "enum" || f == "date-time")) ||
                      (t == "NUMBER" && (f == "float" || f == "double")) ||
                      (t == "INTEGER" && (f == "int32" || f == "int64"));
      if (!ok) out.erase("format");
    }
  }

  const json::value& root_;
  std::vector<std::string> expanding_;  // $refs being inlined, innermost last
  int nodes_ = 0;
};

Result<json::object> reduce_schema_value(const json::value& schema) {
  SchemaReducer reducer(schema);
  return reducer.reduce(schema, "#", 0);
}

// True for a reduced schema that Gemini rejects as function parameters or responseSchema: an
// object without properties.
bool is_empty_object_schema(const json::object& schema) {
  const json::value* type = schema.if_contains("type");
  return !schema.contains("properties") && !schema.contains("anyOf") &&
         (type == nullptr || *type == "OBJECT");
}

// A schema from the request (tool parameters, response format), parsed and reduced; `what`
// names it in errors.
Result<json::object> request_schema(std::string_view text, const GeminiOptions& options,
                                    const std::string& what) {
  AISOPOD_ASSIGN_OR_RETURN(json::value parsed, parse_object(text, options, what));
  Result<json::object> reduced = reduce_schema_value(parsed);
  if (!reduced.ok()) return invalid(options, what + ": " + reduced.error().message());
  return std::move(*reduced);
}

// ---------------------------------------------------------------------------------------------
// Media

bool accepted_media_type(std::string_view media_type) {
  return starts_with(media_type, "image/") || starts_with(media_type, "audio/") ||
         starts_with(media_type, "video/") || starts_with(media_type, "text/") ||
         media_type == "application/pdf";
}

Result<json::object> encode_media(const ContentPart& part, const GeminiOptions& options) {
  AISOPOD_ASSIGN_OR_RETURN(MediaSource source, media_source(part, options.provider_id));
  const std::string media_type = std::move(source.media_type);
  const std::string_view data = source.data;
  const std::string_view url = source.url;
  if (!url.empty() && !starts_with_ignoring_case(url, "gs://") &&
      !starts_with_ignoring_case(url, "https://") && !starts_with_ignoring_case(url, "http://")) {
    return invalid(options,
                   "Gemini takes media as base64 data, data: URLs, gs:// or http(s) URLs, not '" +
                       std::string(url.substr(0, url.find(':'))) + ":' URLs");
  }
  if (!media_type.empty() && !accepted_media_type(media_type)) {
    return invalid(options, "Gemini does not take media type '" + media_type +
                                "' (it takes image/*, audio/*, video/*, text/* and "
                                "application/pdf)");
  }
  if (!url.empty()) {
    json::object file{{"fileUri", url}};
    if (!media_type.empty()) file["mimeType"] = media_type;
    return json::object{{"fileData", std::move(file)}};
  }
  if (media_type.empty()) return invalid(options, "a base64 media part names no media type");
  if (data.empty()) return invalid(options, "a media part has neither data nor a URL");
  return json::object{{"inlineData", json::object{{"mimeType", media_type}, {"data", data}}}};
}

// ---------------------------------------------------------------------------------------------
// Contents

// Text and media parts of a message, in order (reasoning parts are not sent).
Status append_content_parts(const Message& message, const GeminiOptions& options,
                            json::array& parts) {
  for (const ContentPart& part : message.content) {
    if (part.kind == ContentPart::Kind::kText) {
      if (!part.text.empty()) parts.push_back(json::object{{"text", part.text}});
    } else if (part.kind == ContentPart::Kind::kMedia) {
      AISOPOD_ASSIGN_OR_RETURN(json::object encoded, encode_media(part, options));
      parts.push_back(std::move(encoded));
    }
  }
  return Status();
}

Result<json::array> encode_model_parts(const Message& message, const GeminiOptions& options) {
  json::array parts;
  AISOPOD_TRY_STATUS(append_content_parts(message, options, parts));
  std::optional<std::size_t> last_text;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].as_object().contains("text")) last_text = i;
  }
  const std::size_t first_call = parts.size();
  for (const ToolCall& call : message.tool_calls) {
    json::value args = json::object();
    if (!call.arguments.empty()) {
      AISOPOD_ASSIGN_OR_RETURN(
          args, parse_object(call.arguments, options, "arguments of tool call '" + call.id + "'"));
    }
    json::object function_call{{"name", call.name}, {"args", std::move(args)}};
    if (!call.id.empty()) function_call["id"] = call.id;
    parts.push_back(json::object{{"functionCall", std::move(function_call)}});
  }
  // Thought signatures go back on the parts Gemini put them on (see the header).
  std::vector<std::size_t> carriers;
  if (!message.tool_calls.empty()) {
    for (std::size_t i = first_call; i < parts.size(); ++i) carriers.push_back(i);
  } else if (last_text) {
    carriers.push_back(*last_text);
  }
  std::size_t next_carrier = 0;
  for (const ContentPart& part : message.content) {
    if (part.kind != ContentPart::Kind::kReasoning || part.signature.empty()) continue;
    if (next_carrier < carriers.size()) {
      parts[carriers[next_carrier++]].as_object()["thoughtSignature"] = part.signature;
    } else {
      parts.push_back(json::object{{"text", ""}, {"thoughtSignature", part.signature}});
    }
  }
  return parts;
}

// The function name of the call `tool_call_id` in the nearest assistant message before
// `before`.
const ToolCall* find_call(const std::vector<Message>& messages, std::size_t before,
                          std::string_view tool_call_id) {
  for (std::size_t i = before; i-- > 0;) {
    if (messages[i].role != Role::kAssistant) continue;
    for (const ToolCall& call : messages[i].tool_calls) {
      if (call.id == tool_call_id) return &call;
    }
  }
  return nullptr;
}

Result<json::object> encode_function_response(const ChatCompletionRequest& request,
                                              std::size_t index, const GeminiOptions& options) {
  const Message& message = request.messages[index];
  if (message.tool_call_id.empty()) {
    return invalid(options, "a tool result message has no tool_call_id");
  }
  const ToolCall* call = find_call(request.messages, index, message.tool_call_id);
  if (call == nullptr) {
    return invalid(options, "tool result '" + message.tool_call_id +
                                "' answers no tool call of an earlier assistant message (Gemini "
                                "needs the function's name)");
  }
  const std::string text = message.text();
  json::object response;
  if (message.is_error) {
    response = json::object{{"error", text}};
  } else {
    boost::system::error_code ec;
    json::value parsed = parse_deep(text, ec);
    if (!ec && parsed.is_object()) {
      response = std::move(parsed.as_object());
    } else {
      response = json::object{{"output", text}};
    }
  }
  json::object function_response{{"name", call->name}, {"response", std::move(response)}};
  function_response["id"] = message.tool_call_id;
  return json::object{{"functionResponse", std::move(function_response)}};
}

Result<json::array> encode_contents(const ChatCompletionRequest& request,
                                    const GeminiOptions& options, json::array& system_parts) {
  // Consecutive messages of the same Gemini role are merged; functionResponse parts lead a
  // user turn.
  json_writing::TurnBuilder turns;
  auto append = [](json::array& into, json::array& parts) {
    for (json::value& part : parts) into.push_back(std::move(part));
  };
  for (std::size_t i = 0; i < request.messages.size(); ++i) {
    const Message& message = request.messages[i];
    switch (message.role) {
      case Role::kSystem: {
        const std::string text = message.text();
        if (!text.empty()) system_parts.push_back(json::object{{"text", text}});
        break;
      }
      case Role::kUser: {
        json::array parts;
        AISOPOD_TRY_STATUS(append_content_parts(message, options, parts));
        if (!parts.empty()) append(turns.blocks("user"), parts);
        break;
      }
      case Role::kTool: {
        AISOPOD_ASSIGN_OR_RETURN(json::object response,
                                 encode_function_response(request, i, options));
        json::array media;
        for (const ContentPart& part : message.content) {
          if (part.kind != ContentPart::Kind::kMedia) continue;
          AISOPOD_ASSIGN_OR_RETURN(json::object encoded, encode_media(part, options));
          media.push_back(std::move(encoded));
        }
        turns.leading("user").push_back(std::move(response));
        append(turns.blocks("user"), media);
        break;
      }
      case Role::kAssistant: {
        AISOPOD_ASSIGN_OR_RETURN(json::array parts, encode_model_parts(message, options));
        if (!parts.empty()) append(turns.blocks("model"), parts);
        break;
      }
    }
  }
  return turns.take("parts");
}

// ---------------------------------------------------------------------------------------------
// Config

std::optional<json::object> thinking_config(const ChatCompletionRequest& request) {
  const ReasoningConfig& reasoning = request.reasoning;
  if (!reasoning.enabled()) return std::nullopt;
  json::object config;
  if (reasoning.budget_tokens <= 0 && reasoning.effort == "none") {
    config["thinkingBudget"] = 0;
    return config;
  }
  if (reasoning.budget_tokens > 0) {
    config["thinkingBudget"] = reasoning.budget_tokens;
  } else if (starts_with(request.model, "gemini-3")) {
    const std::string& effort = reasoning.effort;
    const bool known =
        effort == "minimal" || effort == "low" || effort == "medium" || effort == "high";
    config["thinkingLevel"] = known ? effort : std::string("high");
  } else if (reasoning.effort == "minimal" || reasoning.effort == "low") {
    config["thinkingBudget"] = 1024;
  } else if (reasoning.effort == "medium") {
    config["thinkingBudget"] = 8192;
  } else {
    config["thinkingBudget"] = 24576;
  }
  config["includeThoughts"] = true;
  return config;
}

Result<json::object> encode_tool_declarations(const std::vector<Tool>& tools,
                                              const GeminiOptions& options) {
  json::array declarations;
  for (const Tool& tool : tools) {
    if (tool.name.empty()) return invalid(options, "a tool has no name");
    json::object declaration{{"name", tool.name}};
    if (!tool.description.empty()) declaration["description"] = tool.description;
    if (!tool.parameters_schema.empty()) {
      AISOPOD_ASSIGN_OR_RETURN(json::object schema,
                               request_schema(tool.parameters_schema, options,
                                              "parameters schema of tool '" + tool.name + "'"));
      if (!is_empty_object_schema(schema)) declaration["parameters"] = std::move(schema);
    }
    declarations.push_back(std::move(declaration));
  }
  return json::object{{"functionDeclarations", std::move(declarations)}};
}

Result<json::object> encode_tool_config(const ChatCompletionRequest& request,
                                        const GeminiOptions& options) {
  const ToolChoice& choice = *request.tool_choice;
  json::object config;
  switch (choice.mode) {
    case ToolChoice::Mode::kAuto:
      config["mode"] = "AUTO";
      break;
    case ToolChoice::Mode::kNone:
      config["mode"] = "NONE";
      break;
    case ToolChoice::Mode::kRequired:
      config["mode"] = "ANY";
      break;
    case ToolChoice::Mode::kNamed: {
      const bool known =
          std::any_of(request.tools.begin(), request.tools.end(),
                      [&choice](const Tool& tool) { return tool.name == choice.name; });
      if (!known) {
        return invalid(options, "tool_choice names tool '" + choice.name +
                                    "', which is not one of the request's tools");
      }
      config["mode"] = "ANY";
      config["allowedFunctionNames"] = json::array{json::string(choice.name)};
      break;
    }
  }
  return json::object{{"functionCallingConfig", std::move(config)}};
}

// ---------------------------------------------------------------------------------------------
// URLs

Result<std::string> base_root(const GeminiOptions& options) {
  std::string_view base = options.base_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  if (base.empty()) return invalid(options, "base_url is empty");
  return std::string(base);
}

Status check_vertex(const GeminiOptions& options) {
  if (options.project.empty() != options.location.empty()) {
    return invalid(options, std::string("Vertex AI needs both project and location (only ") +
                                (options.project.empty() ? "location" : "project") + " is set)");
  }
  if (!options.location.empty() &&
      !std::all_of(options.location.begin(), options.location.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
      })) {
    return invalid(options, "location '" + options.location +
                                "' is not a Vertex AI location name (letters, digits and '-')");
  }
  return Status();
}

Result<std::string> chat_url(const GeminiOptions& options, std::string_view model, bool stream) {
  AISOPOD_TRY_STATUS(check_vertex(options));
  AISOPOD_ASSIGN_OR_RETURN(std::string url, base_root(options));
  if (options.vertex()) {
    if (url == kDefaultBaseUrl) {
      url = options.location == "global"
                ? std::string("https://aiplatform.googleapis.com")
                : "https://" + options.location + "-aiplatform.googleapis.com";
    }
    url += "/" + options.vertex_api_version + "/projects/" + percent_encode(options.project) +
           "/locations/" + options.location + "/publishers/google/models/";
  } else {
    url += "/" + options.api_version + "/models/";
  }
  url += percent_encode(model);
  url += stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
  return url;
}

}  // namespace

Result<std::string> reduce_schema(std::string_view schema_json) {
  boost::system::error_code ec;
  json::value value = parse_deep(schema_json, ec);
  if (ec) return Status(StatusCode::kInvalidArgument, "schema is not valid JSON: " + ec.message());
  if (!value.is_object()) {
    return Status(StatusCode::kInvalidArgument, "schema is not a JSON object");
  }
  AISOPOD_ASSIGN_OR_RETURN(json::object reduced, reduce_schema_value(value));
  return json::serialize(reduced);
}

Result<http::Request> encode_chat_request(const ChatCompletionRequest& request,
                                          const GeminiOptions& options) {
  std::string_view model = request.model;
  if (starts_with(model, "models/")) model.remove_prefix(7);
  if (model.empty()) return invalid(options, "the request names no model");
  AISOPOD_ASSIGN_OR_RETURN(std::string url, chat_url(options, model, request.stream));

  json::object body;
  json::array system_parts;
  AISOPOD_ASSIGN_OR_RETURN(json::array contents, encode_contents(request, options, system_parts));
  if (contents.empty()) {
    return invalid(options, "the request has no user, assistant or tool content to send");
  }
  if (!system_parts.empty()) {
    body["systemInstruction"] = json::object{{"parts", std::move(system_parts)}};
  }
  body["contents"] = std::move(contents);

  if (!request.tools.empty()) {
    AISOPOD_ASSIGN_OR_RETURN(json::object declarations,
                             encode_tool_declarations(request.tools, options));
    body["tools"] = json::array{std::move(declarations)};
    if (request.tool_choice) {
      AISOPOD_ASSIGN_OR_RETURN(json::object tool_config, encode_tool_config(request, options));
      body["toolConfig"] = std::move(tool_config);
    }
  }

  json::object generation;
  if (request.temperature) generation["temperature"] = *request.temperature;
  if (request.top_p) generation["topP"] = *request.top_p;
  if (request.max_tokens) generation["maxOutputTokens"] = *request.max_tokens;
  if (!request.stop.empty()) {
    json::array stop;
    for (const std::string& s : request.stop) stop.push_back(json::string(s));
    generation["stopSequences"] = std::move(stop);
  }
  if (request.seed) generation["seed"] = *request.seed;
  if (request.response_format.kind != ResponseFormat::Kind::kText) {
    generation["responseMimeType"] = "application/json";
    if (request.response_format.kind == ResponseFormat::Kind::kJsonSchema) {
      AISOPOD_ASSIGN_OR_RETURN(
          json::object schema,
          request_schema(request.response_format.schema, options, "response format schema"));
      if (!is_empty_object_schema(schema)) generation["responseSchema"] = std::move(schema);
    }
  }
  if (std::optional<json::object> thinking = thinking_config(request)) {
    generation["thinkingConfig"] = std::move(*thinking);
  }
  if (!generation.empty()) body["generationConfig"] = std::move(generation);

  if (!options.safety_settings.empty()) {
    json::array settings;
    for (const SafetySetting& setting : options.safety_settings) {
      settings.push_back(
          json::object{{"category", setting.category}, {"threshold", setting.threshold}});
    }
    body["safetySettings"] = std::move(settings);
  }

  if (!request.extra_body_json.empty()) {
    AISOPOD_ASSIGN_OR_RETURN(json::value extra,
                             parse_object(request.extra_body_json, options, "extra_body_json"));
    for (auto& member : extra.as_object()) body[member.key()] = std::move(member.value());
  }

  http::Request out;
  out.method = "POST";
  out.url = std::move(url);
  out.headers.push_back({"Content-Type", "application/json"});
  out.headers.push_back({"Accept", request.stream ? "text/event-stream" : "application/json"});
  out.body = json::serialize(body);
  return out;
}

Result<http::Request> encode_models_request(const GeminiOptions& options, int page_size,
                                            std::string_view page_token) {
  AISOPOD_TRY_STATUS(check_vertex(options));
  if (options.vertex()) {
    return invalid(options,
                   "listing models is not supported for Vertex AI (project and location are set)");
  }
  AISOPOD_ASSIGN_OR_RETURN(std::string url, base_root(options));
  url += "/" + options.api_version + "/models";
  char separator = '?';
  if (page_size > 0) {
    url += separator + std::string("pageSize=") + std::to_string(page_size);
    separator = '&';
  }
  if (!page_token.empty())
    url += separator + std::string("pageToken=") + percent_encode(page_token);
  http::Request out;
  out.method = "GET";
  out.url = std::move(url);
  out.headers.push_back({"Accept", "application/json"});
  return out;
}

}  // namespace aisopod::gemini
