#include "providers/ollama/request_encoder.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "core/request_encoding.hpp"
#include "providers/common/json_dom.hpp"
#include "providers/common/json_writing.hpp"

namespace aisopod::ollama {
namespace {

namespace json = boost::json;

Status invalid(const OllamaOptions& options, std::string message) {
  return invalid_request(options.provider_id, std::move(message));
}

// `text` as a JSON object; invalid(`message`) when it is not one.
Result<json::object> parse_object(std::string_view text, const OllamaOptions& options,
                                  std::string_view message) {
  std::optional<json::object> parsed = json_dom::parse_object(text);
  if (!parsed) return invalid(options, std::string(message));
  return std::move(*parsed);
}

std::string api_url(const OllamaOptions& options, std::string_view path) {
  std::string url = options.base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += path;
  return url;
}

Status check_base_url(const OllamaOptions& options) {
  std::string_view base = options.base_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  if (base.empty()) return invalid(options, "empty base_url");
  return Status();
}

// The base64 payload of an image part: its data, or the payload of a base64 data: URL.
Result<std::string> image_base64(const ContentPart& part, const OllamaOptions& options) {
  const std::string_view type = part.media_type;
  if (!type.empty() && type.substr(0, 6) != "image/") {
    return invalid(options, "Ollama takes images only, not " + part.media_type);
  }
  if (!part.data.empty()) return part.data;
  const std::string_view url = part.url;
  constexpr std::string_view kMarker = ";base64,";
  if (url.substr(0, 5) == "data:") {
    const std::size_t marker = url.find(kMarker);
    if (marker != std::string_view::npos) {
      const std::string_view url_type = url.substr(5, marker - 5);
      if (url_type.substr(0, 6) != "image/") {
        return invalid(options, "Ollama takes images only, not " + std::string(url_type));
      }
      return std::string(url.substr(marker + kMarker.size()));
    }
  }
  return invalid(options, "Ollama takes images as base64 data, not as URLs");
}

// keep_alive as Ollama reads it (api.Duration): a JSON number is seconds (negative keeps the
// model loaded), a string must parse as a Go duration ("5m", "1h30m"). Numbers must go
// out as numbers, since "-1" or "300" as strings fail Go's duration parser ("missing unit");
// the config layer stores a TOML `keep_alive = -1` as the text "-1".
json::value keep_alive_value(std::string_view text) {
  const char* const first = text.data();
  const char* const last = text.data() + text.size();
  std::int64_t integer = 0;
  if (auto [end, ec] = std::from_chars(first, last, integer); ec == std::errc() && end == last) {
    return json::value(integer);
  }
  double number = 0;
  if (auto [end, ec] = std::from_chars(first, last, number);
      ec == std::errc() && end == last && std::isfinite(number)) {
    return json::value(number);
  }
  return json::value(json::string(text));
}

// Merges `extra` into `body`: members replace the body's, except that two objects are merged
// member by member (so {"options":{"num_ctx":8192}} keeps the encoded temperature).
void merge_into(json::object& body, const json::object& extra) {
  for (const auto& member : extra) {
    json::value* existing = body.if_contains(member.key());
    if (existing != nullptr && existing->is_object() && member.value().is_object()) {
      merge_into(existing->get_object(), member.value().get_object());
    } else {
      body[member.key()] = member.value();
    }
  }
}

Result<json::object> encode_message(const Message& message,
                                    const std::unordered_map<std::string, std::string>& tool_names,
                                    const OllamaOptions& options) {
  json::object out;
  out["role"] = role_name(message.role);
  std::string text;
  std::string thinking;
  json::array images;
  for (const ContentPart& part : message.content) {
    switch (part.kind) {
      case ContentPart::Kind::kText:
        text += part.text;
        break;
      case ContentPart::Kind::kMedia: {
        AISOPOD_ASSIGN_OR_RETURN(std::string data, image_base64(part, options));
        images.emplace_back(data);
        break;
      }
      case ContentPart::Kind::kReasoning:
        // Only the model's own earlier reasoning is sent back.
        if (message.role == Role::kAssistant) thinking += part.text;
        break;
      case ContentPart::Kind::kRedactedReasoning:
        break;
    }
  }
  out["content"] = text;
  if (!thinking.empty()) out["thinking"] = thinking;
  if (!images.empty()) out["images"] = std::move(images);
  if (message.role == Role::kAssistant && !message.tool_calls.empty()) {
    json::array calls;
    for (std::size_t i = 0; i < message.tool_calls.size(); ++i) {
      const ToolCall& call = message.tool_calls[i];
      json::object arguments;
      if (!call.arguments.empty()) {
        AISOPOD_ASSIGN_OR_RETURN(
            arguments,
            parse_object(call.arguments, options,
                         "the arguments of tool call '" + call.name + "' are not a JSON object"));
      }
      json::object function;
      function["index"] = i;
      function["name"] = call.name;
      function["arguments"] = std::move(arguments);
      json::object entry;
      if (!call.id.empty()) entry["id"] = call.id;
      entry["function"] = std::move(function);
      calls.emplace_back(std::move(entry));
    }
    out["tool_calls"] = std::move(calls);
  }
  if (message.role == Role::kTool) {
    if (auto it = tool_names.find(message.tool_call_id); it != tool_names.end()) {
      out["tool_name"] = it->second;
    }
    if (!message.tool_call_id.empty()) out["tool_call_id"] = message.tool_call_id;
  }
  return out;
}

// POST `path` with `body`, streamed as NDJSON or answered with one JSON object.
http::Request post(const OllamaOptions& options, std::string_view path, const json::object& body,
                   bool stream) {
  return json_post(api_url(options, path), json::serialize(body),
                   stream ? "application/x-ndjson" : "application/json");
}

}  // namespace

Result<http::Request> encode_chat_request(const ChatCompletionRequest& request,
                                          const OllamaOptions& options) {
  AISOPOD_TRY_STATUS(check_base_url(options));
  if (request.model.empty()) return invalid(options, "no model given");
  if (request.messages.empty()) return invalid(options, "no messages given");

  json::object body;
  body["model"] = request.model;

  // Tool results name their call by id; Ollama wants the tool's name.
  std::unordered_map<std::string, std::string> tool_names;
  json::array messages;
  for (const Message& message : request.messages) {
    AISOPOD_ASSIGN_OR_RETURN(json::object encoded, encode_message(message, tool_names, options));
    messages.emplace_back(std::move(encoded));
    if (message.role == Role::kAssistant) {
      for (const ToolCall& call : message.tool_calls) {
        if (!call.id.empty()) tool_names[call.id] = call.name;
      }
    }
  }
  body["messages"] = std::move(messages);

  const bool tools_allowed =
      !request.tool_choice || request.tool_choice->mode != ToolChoice::Mode::kNone;
  if (!request.tools.empty() && tools_allowed) {
    json::array tools;
    for (const Tool& tool : request.tools) {
      json::object parameters;
      if (tool.parameters_schema.empty()) {
        parameters["type"] = "object";
        parameters["properties"] = json::object();
      } else {
        AISOPOD_ASSIGN_OR_RETURN(
            parameters,
            parse_object(tool.parameters_schema, options,
                         "the parameters schema of tool '" + tool.name + "' is not a JSON object"));
      }
      json::object function;
      function["name"] = tool.name;
      if (!tool.description.empty()) function["description"] = tool.description;
      function["parameters"] = std::move(parameters);
      json::object entry;
      entry["type"] = "function";
      entry["function"] = std::move(function);
      tools.emplace_back(std::move(entry));
    }
    body["tools"] = std::move(tools);
  }

  switch (request.response_format.kind) {
    case ResponseFormat::Kind::kText:
      break;
    case ResponseFormat::Kind::kJsonObject:
      body["format"] = "json";
      break;
    case ResponseFormat::Kind::kJsonSchema: {
      AISOPOD_ASSIGN_OR_RETURN(body["format"],
                               parse_object(request.response_format.schema, options,
                                            "the response schema is not a JSON object"));
      break;
    }
  }

  if (request.reasoning.enabled()) {
    const std::string& effort = request.reasoning.effort;
    if (effort == "low" || effort == "medium" || effort == "high") {
      body["think"] = effort;
    } else {
      body["think"] = true;
    }
  }

  json::object model_options;
  if (request.temperature) model_options["temperature"] = *request.temperature;
  if (request.top_p) model_options["top_p"] = *request.top_p;
  if (request.max_tokens) model_options["num_predict"] = *request.max_tokens;
  if (!request.stop.empty()) model_options["stop"] = json_writing::string_array(request.stop);
  if (request.seed) model_options["seed"] = *request.seed;
  if (!model_options.empty()) body["options"] = std::move(model_options);

  body["stream"] = request.stream;
  if (!options.keep_alive.empty()) body["keep_alive"] = keep_alive_value(options.keep_alive);

  if (!request.extra_body_json.empty()) {
    AISOPOD_ASSIGN_OR_RETURN(
        json::object extra,
        parse_object(request.extra_body_json, options, "extra_body_json is not a JSON object"));
    merge_into(body, extra);
  }

  return post(options, "/api/chat", body, request.stream);
}

Result<http::Request> encode_tags_request(const OllamaOptions& options) {
  AISOPOD_TRY_STATUS(check_base_url(options));
  return json_get(api_url(options, "/api/tags"));
}

Result<http::Request> encode_version_request(const OllamaOptions& options) {
  AISOPOD_TRY_STATUS(check_base_url(options));
  return json_get(api_url(options, "/api/version"));
}

Result<http::Request> encode_pull_request(std::string_view model, const OllamaOptions& options) {
  AISOPOD_TRY_STATUS(check_base_url(options));
  if (model.empty()) return invalid(options, "no model to pull given");
  json::object body;
  body["model"] = model;
  body["stream"] = true;
  return post(options, "/api/pull", body, true);
}

}  // namespace aisopod::ollama
