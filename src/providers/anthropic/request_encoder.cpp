#include "providers/anthropic/request_encoder.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ascii_text.hpp"
#include "core/request_encoding.hpp"
#include "providers/common/json_writing.hpp"

namespace aisopod::anthropic {
namespace {

// json (boost::json), and the helpers that build a request body.
using namespace json_writing;

constexpr int kMinThinkingBudget = 1024;
constexpr const char* kJsonSystemInstruction =
    "Answer by calling the json_response tool; its input is your answer.";

Status invalid(const AnthropicOptions& options, std::string message) {
  return invalid_request(options.provider_id, std::move(message));
}

json::object ephemeral() { return json::object{{"type", "ephemeral"}}; }

// The image types the API decodes from base64 sources; anything else is refused there.
constexpr std::string_view kBase64ImageTypes[] = {"image/jpeg", "image/png", "image/gif",
                                                  "image/webp"};

// An image or document block for a media part: base64 data and data: URLs become base64
// sources with their media type (a data: URL's own type wins over the part's), http(s) URLs
// become url sources that the API fetches.
Result<json::object> encode_media(const ContentPart& part, const AnthropicOptions& options) {
  AISOPOD_ASSIGN_OR_RETURN(MediaSource media, media_source(part, options.provider_id));
  const std::string& media_type = media.media_type;
  const std::string_view url = media.url;
  if (!url.empty() && !starts_with_ignoring_case(url, "https://") &&
      !starts_with_ignoring_case(url, "http://")) {
    return invalid(options,
                   "Anthropic takes media as base64 data, data: URLs or http(s) URLs, not '" +
                       std::string(url.substr(0, url.find(':'))) + ":' URLs");
  }

  if (media_type.empty()) return invalid(options, "a media part names no media type");
  std::string_view block_type;
  if (media_type == "application/pdf") {
    block_type = "document";
  } else if (media_type.starts_with("image/") &&
             (!url.empty() || std::find(std::begin(kBase64ImageTypes), std::end(kBase64ImageTypes),
                                        media_type) != std::end(kBase64ImageTypes))) {
    // The API infers the type of a fetched image itself; base64 images must name theirs.
    block_type = "image";
  } else {
    return invalid(options, "Anthropic does not take media type '" + media_type +
                                "' (it takes image/jpeg, image/png, image/gif, image/webp and "
                                "application/pdf)");
  }
  json::object source;
  if (!url.empty()) {
    source = json::object{{"type", "url"}, {"url", url}};
  } else {
    source = json::object{{"type", "base64"}, {"media_type", media_type}, {"data", media.data}};
  }
  return json::object{{"type", block_type}, {"source", std::move(source)}};
}

// The text and media blocks of a message, in order (reasoning parts are not among them).
Status append_content_blocks(const Message& message, const AnthropicOptions& options,
                             json::array& blocks) {
  for (const ContentPart& part : message.content) {
    if (part.kind == ContentPart::Kind::kText) {
      if (!part.text.empty()) blocks.push_back(json::object{{"type", "text"}, {"text", part.text}});
    } else if (part.kind == ContentPart::Kind::kMedia) {
      AISOPOD_ASSIGN_OR_RETURN(json::object block, encode_media(part, options));
      blocks.push_back(std::move(block));
    }
  }
  return Status();
}

Status append_assistant_blocks(const Message& message, const AnthropicOptions& options,
                               json::array& blocks) {
  // Thinking blocks come first, in the order received, exactly as the API sent them.
  for (const ContentPart& part : message.content) {
    if (part.kind == ContentPart::Kind::kReasoning && !part.signature.empty()) {
      blocks.push_back(json::object{
          {"type", "thinking"}, {"thinking", part.text}, {"signature", part.signature}});
    } else if (part.kind == ContentPart::Kind::kRedactedReasoning && !part.data.empty()) {
      blocks.push_back(json::object{{"type", "redacted_thinking"}, {"data", part.data}});
    }
  }
  AISOPOD_TRY_STATUS(append_content_blocks(message, options, blocks));
  for (const ToolCall& call : message.tool_calls) {
    json::value input = json::object();
    if (!call.arguments.empty()) {
      AISOPOD_ASSIGN_OR_RETURN(input, parse_object(call.arguments, options.provider_id,
                                                   "arguments of tool call '" + call.id + "'"));
    }
    blocks.push_back(json::object{
        {"type", "tool_use"}, {"id", call.id}, {"name", call.name}, {"input", std::move(input)}});
  }
  return Status();
}

Result<json::object> encode_tool_result(const Message& message, const AnthropicOptions& options) {
  if (message.tool_call_id.empty()) {
    return invalid(options, "a tool result message has no tool_call_id");
  }
  json::object block{{"type", "tool_result"}, {"tool_use_id", message.tool_call_id}};
  bool has_media = false;
  for (const ContentPart& part : message.content) {
    if (part.kind == ContentPart::Kind::kMedia) has_media = true;
  }
  if (has_media) {
    json::array content;
    AISOPOD_TRY_STATUS(append_content_blocks(message, options, content));
    block["content"] = std::move(content);
  } else {
    block["content"] = message.text();
  }
  if (message.is_error) block["is_error"] = true;
  return block;
}

// One turn being built: consecutive messages of the same Anthropic role are merged.
struct Turn {
  std::string_view role;
  json::array tool_results;  // user turns: tool_result blocks, which must come first
  json::array blocks;
};

Result<json::array> encode_messages(const ChatCompletionRequest& request,
                                    const AnthropicOptions& options, json::array& system) {
  std::vector<Turn> turns;
  auto turn_for = [&turns](std::string_view role) -> Turn& {
    if (turns.empty() || turns.back().role != role) turns.push_back(Turn{role, {}, {}});
    return turns.back();
  };
  for (const Message& message : request.messages) {
    switch (message.role) {
      case Role::kSystem: {
        const std::string text = message.text();
        if (!text.empty()) system.push_back(json::object{{"type", "text"}, {"text", text}});
        break;
      }
      case Role::kUser:
        AISOPOD_TRY_STATUS(append_content_blocks(message, options, turn_for("user").blocks));
        break;
      case Role::kTool: {
        AISOPOD_ASSIGN_OR_RETURN(json::object block, encode_tool_result(message, options));
        turn_for("user").tool_results.push_back(std::move(block));
        break;
      }
      case Role::kAssistant:
        AISOPOD_TRY_STATUS(append_assistant_blocks(message, options, turn_for("assistant").blocks));
        break;
    }
  }
  json::array out;
  for (Turn& turn : turns) {
    json::array content = std::move(turn.tool_results);
    for (json::value& block : turn.blocks) content.push_back(std::move(block));
    // A turn left empty (an assistant message without text, say) would be rejected.
    if (content.empty()) continue;
    out.push_back(json::object{{"role", turn.role}, {"content", std::move(content)}});
  }
  // Dropping an empty turn can leave two turns of one role side by side: merge them.
  json::array merged;
  for (json::value& turn : out) {
    json::object& object = turn.as_object();
    if (!merged.empty() && merged.back().as_object()["role"] == object["role"]) {
      json::array& into = merged.back().as_object()["content"].as_array();
      for (json::value& block : object["content"].as_array()) into.push_back(std::move(block));
    } else {
      merged.push_back(std::move(turn));
    }
  }
  return merged;
}

json::object encode_tool_choice(const ToolChoice& choice) {
  switch (choice.mode) {
    case ToolChoice::Mode::kAuto:
      return json::object{{"type", "auto"}};
    case ToolChoice::Mode::kNone:
      return json::object{{"type", "none"}};
    case ToolChoice::Mode::kRequired:
      return json::object{{"type", "any"}};
    case ToolChoice::Mode::kNamed:
      return json::object{{"type", "tool"}, {"name", choice.name}};
  }
  return json::object{{"type", "auto"}};
}

void add_common_headers(const AnthropicOptions& options, http::Headers& headers) {
  headers.push_back({"anthropic-version", options.anthropic_version});
  if (!options.anthropic_beta.empty())
    headers.push_back({"anthropic-beta", options.anthropic_beta});
}

bool is_json_mode(const ChatCompletionRequest& request) {
  return request.response_format.kind != ResponseFormat::Kind::kText;
}

}  // namespace

int default_max_tokens(std::string_view model, bool stream) {
  const int large = stream ? 32000 : 16384;
  if (model.starts_with("claude-3-7") || model.starts_with("claude-sonnet-") ||
      model.starts_with("claude-opus-") || model.starts_with("claude-haiku-")) {
    return large;
  }
  if (model.starts_with("claude-3-5")) return 8192;
  if (model.starts_with("claude-3") || model.starts_with("claude-2") ||
      model.starts_with("claude-instant")) {
    return 4096;
  }
  // Later generations ("claude-5...") follow the newest naming and allow at least as much.
  if (model.starts_with("claude-")) return large;
  return 4096;
}

int thinking_budget(const ReasoningConfig& reasoning) {
  if (reasoning.budget_tokens > 0) return std::max(reasoning.budget_tokens, kMinThinkingBudget);
  if (reasoning.effort.empty()) return 0;
  if (reasoning.effort == "minimal" || reasoning.effort == "low") return 1024;
  if (reasoning.effort == "medium") return 8192;
  return 24576;
}

DecodeOptions decode_options_for(const ChatCompletionRequest& request) {
  DecodeOptions out;
  if (is_json_mode(request)) {
    out.json_tool_name = std::string(kJsonToolName);
    out.json_tool_forced = thinking_budget(request.reasoning) == 0;
  }
  return out;
}

Result<http::Request> encode_chat_request(const ChatCompletionRequest& request,
                                          const AnthropicOptions& options) {
  if (request.model.empty()) return invalid(options, "the request names no model");
  AISOPOD_ASSIGN_OR_RETURN(std::string url,
                           endpoint_url(options.provider_id, options.base_url, "/v1/messages"));

  json::object body;
  body["model"] = request.model;

  json::array system;
  AISOPOD_ASSIGN_OR_RETURN(json::array messages, encode_messages(request, options, system));
  if (messages.empty()) return invalid(options, "the request has no user or assistant message");

  const int budget = thinking_budget(request.reasoning);
  int max_tokens = request.max_tokens.value_or(default_max_tokens(request.model, request.stream));
  int budget_sent = budget;
  if (budget > 0) {
    if (request.max_tokens) {
      // The caller's limit covers thinking too: shrink the budget to fit under it.
      budget_sent = std::min(budget, max_tokens - 1);
      if (budget_sent < kMinThinkingBudget) {
        budget_sent = kMinThinkingBudget;
        max_tokens = budget_sent + 1024;
      }
    } else {
      max_tokens = std::max(max_tokens, budget + 4096);
    }
  }
  body["max_tokens"] = max_tokens;

  const DecodeOptions decode = decode_options_for(request);
  const bool json_mode = !decode.json_tool_name.empty();
  if (json_mode && !decode.json_tool_forced) {
    system.push_back(json::object{{"type", "text"}, {"text", kJsonSystemInstruction}});
  }
  if (!system.empty()) {
    if (options.prompt_caching || request.cache_prompt)
      system.back().as_object()["cache_control"] = ephemeral();
    body["system"] = std::move(system);
  }
  body["messages"] = std::move(messages);

  json::array tools;
  if (!request.tools.empty()) {
    AISOPOD_ASSIGN_OR_RETURN(tools,
                             tool_declarations(request.tools, "input_schema", options.provider_id));
  }
  std::optional<json::object> tool_choice;
  if (request.tool_choice) tool_choice = encode_tool_choice(*request.tool_choice);
  if (json_mode) {
    json::object tool;
    tool["name"] = kJsonToolName;
    tool["description"] = "Respond with a JSON object; the tool's input is the answer.";
    if (request.response_format.kind == ResponseFormat::Kind::kJsonSchema) {
      AISOPOD_ASSIGN_OR_RETURN(json::value schema,
                               parse_object(request.response_format.schema, options.provider_id,
                                            "response format schema"));
      tool["input_schema"] = std::move(schema);
    } else {
      tool["input_schema"] = json::object{{"type", "object"}, {"additionalProperties", true}};
    }
    tools.push_back(std::move(tool));
    if (decode.json_tool_forced) {
      tool_choice = json::object{{"type", "tool"}, {"name", kJsonToolName}};
    } else {
      tool_choice = json::object{{"type", "auto"}};
    }
  }
  if (request.parallel_tool_calls && !*request.parallel_tool_calls && !tools.empty()) {
    if (!tool_choice) tool_choice = json::object{{"type", "auto"}};
    if (tool_choice->at("type").as_string() != "none")
      (*tool_choice)["disable_parallel_tool_use"] = true;
  }
  if (!tools.empty()) {
    if (options.prompt_caching || request.cache_prompt)
      tools.back().as_object()["cache_control"] = ephemeral();
    body["tools"] = std::move(tools);
  }
  if (tool_choice) body["tool_choice"] = std::move(*tool_choice);

  if (!request.stop.empty()) body["stop_sequences"] = string_array(request.stop);
  if (budget > 0) {
    body["thinking"] = json::object{{"type", "enabled"}, {"budget_tokens", budget_sent}};
  } else {
    if (request.temperature) body["temperature"] = *request.temperature;
    if (request.top_p) body["top_p"] = *request.top_p;
  }
  if (!request.user.empty()) body["metadata"] = json::object{{"user_id", request.user}};
  if (request.stream) body["stream"] = true;

  AISOPOD_TRY_STATUS(merge_extra_body(body, request.extra_body_json, options.provider_id));

  http::Request out = json_post(std::move(url), json::serialize(body),
                                request.stream ? "text/event-stream" : "application/json");
  add_common_headers(options, out.headers);
  return out;
}

Result<http::Request> encode_models_request(const AnthropicOptions& options, int limit,
                                            std::string_view after_id) {
  std::string path = "/v1/models?limit=" + std::to_string(limit);
  if (!after_id.empty()) path += "&after_id=" + percent_encode(after_id);
  AISOPOD_ASSIGN_OR_RETURN(std::string url,
                           endpoint_url(options.provider_id, options.base_url, path));
  http::Request out = json_get(std::move(url));
  add_common_headers(options, out.headers);
  return out;
}

}  // namespace aisopod::anthropic
