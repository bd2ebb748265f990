#include "providers/openai/request_encoder.hpp"

#include <boost/json.hpp>
#include <string>
#include <utility>

#include "core/request_encoding.hpp"
#include "providers/common/json_writing.hpp"

namespace aisopod::openai {
namespace {

// json (boost::json), and the helpers that build a request body.
using namespace json_writing;

void add_common_headers(const OpenAIOptions& options, http::Headers& headers) {
  if (!options.organization.empty()) {
    headers.push_back({"OpenAI-Organization", options.organization});
  }
  if (!options.project.empty()) headers.push_back({"OpenAI-Project", options.project});
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
      if (!std::string_view(part.media_type).starts_with("image/")) {
        return invalid_request(options.provider_id, "media type '" + part.media_type +
                                                        "' is not supported (only images are)");
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
    AISOPOD_ASSIGN_OR_RETURN(json::object function,
                             tool_declaration(tool, "parameters", options.provider_id));
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

}  // namespace

Result<http::Request> encode_chat_request(const ChatCompletionRequest& request,
                                          const OpenAIOptions& options) {
  if (request.model.empty()) {
    return invalid_request(options.provider_id, "the request names no model");
  }
  if (request.messages.empty()) {
    return invalid_request(options.provider_id, "the request has no messages");
  }
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
  if (!request.stop.empty()) body["stop"] = string_array(request.stop);
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
      AISOPOD_ASSIGN_OR_RETURN(json::value schema,
                               parse_object(request.response_format.schema, options.provider_id,
                                            "response format schema"));
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

  AISOPOD_TRY_STATUS(merge_extra_body(body, request.extra_body_json, options.provider_id));

  AISOPOD_ASSIGN_OR_RETURN(
      std::string url, endpoint_url(options.provider_id, options.base_url, "/chat/completions"));
  http::Request out = json_post(std::move(url), json::serialize(body),
                                request.stream ? "text/event-stream" : "application/json");
  add_common_headers(options, out.headers);
  return out;
}

Result<http::Request> encode_models_request(const OpenAIOptions& options) {
  AISOPOD_ASSIGN_OR_RETURN(std::string url,
                           endpoint_url(options.provider_id, options.base_url, "/models"));
  http::Request out = json_get(std::move(url));
  add_common_headers(options, out.headers);
  return out;
}

}  // namespace aisopod::openai
