#include "providers/openai/request_encoder.hpp"

#include <boost/json.hpp>
#include <string>
#include <utility>

namespace aisopod::openai {
namespace {

namespace json = boost::json;

Status invalid(const OpenAIOptions& options, std::string message) {
  return Status(StatusCode::kInvalidArgument, options.provider_id + ": " + std::move(message))
      .set_provider(options.provider_id);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string_view trim_trailing_slashes(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return url;
}

void add_common_headers(const OpenAIOptions& options, http::Headers& headers) {
  if (!options.organization.empty()) {
    headers.push_back({"OpenAI-Organization", options.organization});
  }
  if (!options.project.empty()) headers.push_back({"OpenAI-Project", options.project});
}

// Parses schema text that must be a JSON object. `what` names it in the error.
Result<json::value> parse_object(std::string_view text, const OpenAIOptions& options,
                                 const std::string& what) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) return invalid(options, what + " is not valid JSON: " + ec.message());
  if (!value.is_object()) return invalid(options, what + " is not a JSON object");
  return value;
}

// Reasoning effort for a token budget, for callers that only set a budget (Anthropic-style).
std::string_view effort_for_budget(int budget_tokens) {
  if (budget_tokens <= 1024) return "low";
  if (budget_tokens <= 8192) return "medium";
  return "high";
}

Result<json::value> encode_content(const Message& message, const OpenAIOptions& options) {
  // Reasoning parts have no OpenAI Chat Completions representation; they are dropped.
  std::size_t parts = 0;
  const ContentPart* single_text = nullptr;
  for (const ContentPart& part : message.content) {
    if (part.kind == ContentPart::Kind::kText || part.kind == ContentPart::Kind::kMedia) {
      ++parts;
      if (part.kind == ContentPart::Kind::kText) single_text = &part;
    }
  }
  if (parts == 0) {
    if (message.role == Role::kAssistant && !message.tool_calls.empty())
      return json::value(nullptr);
    return json::value(json::string());
  }
  if (parts == 1 && single_text != nullptr) return json::value(json::string(single_text->text));

  json::array array;
  for (const ContentPart& part : message.content) {
    if (part.kind == ContentPart::Kind::kText) {
      array.push_back(json::object{{"type", "text"}, {"text", part.text}});
    } else if (part.kind == ContentPart::Kind::kMedia) {
      if (!starts_with(part.media_type, "image/")) {
        return invalid(options,
                       "media type '" + part.media_type + "' is not supported (only images are)");
      }
      std::string url = part.url;
      if (url.empty()) url = "data:" + part.media_type + ";base64," + part.data;
      array.push_back(json::object{{"type", "image_url"},
                                   {"image_url", json::object{{"url", std::move(url)}}}});
    }
  }
  return json::value(std::move(array));
}

std::string_view system_role_name(SystemRole role) {
  switch (role) {
    case SystemRole::kSystem:
      return "system";
    case SystemRole::kDeveloper:
      return "developer";
    case SystemRole::kUser:
      return "user";
  }
  return "system";
}

Result<json::object> encode_message(const Message& message, const ModelTraits& traits,
                                    const OpenAIOptions& options) {
  json::object out;
  out["role"] = message.role == Role::kSystem ? system_role_name(traits.system_role)
                                              : role_name(message.role);
  AISOPOD_ASSIGN_OR_RETURN(json::value content, encode_content(message, options));
  out["content"] = std::move(content);
  if (message.role == Role::kAssistant && !message.tool_calls.empty()) {
    json::array calls;
    for (const ToolCall& call : message.tool_calls) {
      calls.push_back(json::object{
          {"id", call.id},
          {"type", "function"},
          {"function", json::object{{"name", call.name},
                                    {"arguments", call.arguments.empty() ? "{}" : call.arguments}}},
      });
    }
    out["tool_calls"] = std::move(calls);
  }
  if (message.role == Role::kTool) out["tool_call_id"] = message.tool_call_id;
  return out;
}

Result<json::array> encode_tools(const std::vector<Tool>& tools, const OpenAIOptions& options) {
  json::array out;
  for (const Tool& tool : tools) {
    json::object function;
    function["name"] = tool.name;
    if (!tool.description.empty()) function["description"] = tool.description;
    if (tool.parameters_schema.empty()) {
      function["parameters"] = json::object{{"type", "object"}, {"properties", json::object()}};
    } else {
      AISOPOD_ASSIGN_OR_RETURN(json::value schema,
                               parse_object(tool.parameters_schema, options,
                                            "parameters schema of tool '" + tool.name + "'"));
      function["parameters"] = std::move(schema);
    }
    if (tool.strict) function["strict"] = true;
    out.push_back(json::object{{"type", "function"}, {"function", std::move(function)}});
  }
  return out;
}

json::value encode_tool_choice(const ToolChoice& choice) {
  switch (choice.mode) {
    case ToolChoice::Mode::kAuto:
      return "auto";
    case ToolChoice::Mode::kNone:
      return "none";
    case ToolChoice::Mode::kRequired:
      return "required";
    case ToolChoice::Mode::kNamed:
      return json::object{{"type", "function"}, {"function", json::object{{"name", choice.name}}}};
  }
  return "auto";
}

Result<std::string> endpoint(const OpenAIOptions& options, std::string_view path) {
  std::string_view base = trim_trailing_slashes(options.base_url);
  if (base.empty()) return invalid(options, "base_url is empty");
  std::string url(base);
  url += path;
  return url;
}

}  // namespace

Result<http::Request> encode_chat_request(const ChatCompletionRequest& request,
                                          const OpenAIOptions& options) {
  if (request.model.empty()) return invalid(options, "the request names no model");
  if (request.messages.empty()) return invalid(options, "the request has no messages");
  const ModelTraits traits = model_traits(request.model);

  json::object body;
  body["model"] = request.model;
  json::array messages;
  messages.reserve(request.messages.size());
  for (const Message& message : request.messages) {
    AISOPOD_ASSIGN_OR_RETURN(json::object encoded, encode_message(message, traits, options));
    messages.push_back(std::move(encoded));
  }
  body["messages"] = std::move(messages);

  if (!request.tools.empty()) {
    AISOPOD_ASSIGN_OR_RETURN(json::array tools, encode_tools(request.tools, options));
    body["tools"] = std::move(tools);
  }
  if (request.tool_choice) body["tool_choice"] = encode_tool_choice(*request.tool_choice);
  if (request.parallel_tool_calls) body["parallel_tool_calls"] = *request.parallel_tool_calls;
  if (traits.sampling == Sampling::kSent) {
    if (request.temperature) body["temperature"] = *request.temperature;
    if (request.top_p) body["top_p"] = *request.top_p;
  }
  if (request.max_tokens) {
    body[traits.token_limit == TokenLimitField::kMaxCompletionTokens ? "max_completion_tokens"
                                                                     : "max_tokens"] =
        *request.max_tokens;
  }
  if (!request.stop.empty()) {
    json::array stop;
    for (const std::string& s : request.stop) stop.push_back(json::string(s));
    body["stop"] = std::move(stop);
  }
  if (!request.reasoning.effort.empty()) {
    body["reasoning_effort"] = request.reasoning.effort;
  } else if (request.reasoning.budget_tokens > 0 && traits.reasoning_effort) {
    // A budget meant for another provider must not break a chat model after failover.
    body["reasoning_effort"] = effort_for_budget(request.reasoning.budget_tokens);
  }
  if (request.seed) body["seed"] = *request.seed;
  if (!request.user.empty()) body["user"] = request.user;

  switch (request.response_format.kind) {
    case ResponseFormat::Kind::kText:
      break;
    case ResponseFormat::Kind::kJsonObject:
      body["response_format"] = json::object{{"type", "json_object"}};
      break;
    case ResponseFormat::Kind::kJsonSchema: {
      AISOPOD_ASSIGN_OR_RETURN(json::value schema, parse_object(request.response_format.schema,
                                                                options, "response format schema"));
      json::object format;
      format["name"] =
          request.response_format.name.empty() ? "response" : request.response_format.name;
      format["schema"] = std::move(schema);
      format["strict"] = request.response_format.strict;
      body["response_format"] =
          json::object{{"type", "json_schema"}, {"json_schema", std::move(format)}};
      break;
    }
  }

  if (request.stream) {
    body["stream"] = true;
    body["stream_options"] = json::object{{"include_usage", true}};
  }

  if (!request.extra_body_json.empty()) {
    AISOPOD_ASSIGN_OR_RETURN(json::value extra,
                             parse_object(request.extra_body_json, options, "extra_body_json"));
    for (auto& member : extra.as_object()) body[member.key()] = std::move(member.value());
  }

  AISOPOD_ASSIGN_OR_RETURN(std::string url, endpoint(options, "/chat/completions"));
  http::Request out;
  out.method = "POST";
  out.url = std::move(url);
  out.headers.push_back({"Content-Type", "application/json"});
  out.headers.push_back({"Accept", request.stream ? "text/event-stream" : "application/json"});
  add_common_headers(options, out.headers);
  out.body = json::serialize(body);
  return out;
}

Result<http::Request> encode_models_request(const OpenAIOptions& options) {
  AISOPOD_ASSIGN_OR_RETURN(std::string url, endpoint(options, "/models"));
  http::Request out;
  out.method = "GET";
  out.url = std::move(url);
  out.headers.push_back({"Accept", "application/json"});
  add_common_headers(options, out.headers);
  return out;
}

}  // namespace aisopod::openai
