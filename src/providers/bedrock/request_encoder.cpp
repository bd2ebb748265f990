#include "providers/bedrock/request_encoder.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ascii_text.hpp"
#include "core/request_encoding.hpp"
#include "providers/bedrock/sigv4.hpp"
#include "providers/common/json_writing.hpp"

namespace aisopod::bedrock {
namespace {

namespace json = boost::json;
using json_writing::empty_object_schema;
using json_writing::parse_object;
using json_writing::tool_declaration;

constexpr int kMinThinkingBudget = 1024;
constexpr std::string_view kJsonSystemInstruction =
    "Answer by calling the json_response tool; its input is your answer.";
constexpr std::string_view kDeclaredToolDescription = "A tool used earlier in this conversation.";

Status invalid(const BedrockOptions& options, std::string message) {
  return invalid_request(options.provider_id, std::move(message));
}

json::value permissive_schema() { return json::parse(kPermissiveToolSchema); }

// The Converse block and format a media type is sent as.
struct MediaFormat {
  std::string_view block;  // "image" or "document"
  std::string_view format;
};

std::optional<MediaFormat> media_format(std::string_view media_type) {
  struct Entry {
    std::string_view media_type;
    MediaFormat format;
  };
  static constexpr Entry kFormats[] = {
      {"image/png", {"image", "png"}},
      {"image/jpeg", {"image", "jpeg"}},
      {"image/jpg", {"image", "jpeg"}},  // a common misspelling
      {"image/gif", {"image", "gif"}},
      {"image/webp", {"image", "webp"}},
      {"application/pdf", {"document", "pdf"}},
      {"text/csv", {"document", "csv"}},
      {"application/msword", {"document", "doc"}},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
       {"document", "docx"}},
      {"application/vnd.ms-excel", {"document", "xls"}},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {"document", "xlsx"}},
      {"text/html", {"document", "html"}},
      {"text/plain", {"document", "txt"}},
      {"text/markdown", {"document", "md"}},
  };
  for (const Entry& entry : kFormats) {
    if (entry.media_type == media_type) return entry.format;
  }
  return std::nullopt;
}

// Builds one request body; holds what spans messages (the document counter).
class BodyBuilder {
 public:
  BodyBuilder(const ChatCompletionRequest& request, const BedrockOptions& options)
      : request_(request), options_(options) {}

  // An image or document block for a media part.
  Result<json::object> media_block(const ContentPart& part) {
    std::string media_type = ascii_lower(part.media_type);
    std::string_view data = part.data;
    std::string_view url = part.url;
    if (starts_with_ignoring_case(url, "data:")) {
      AISOPOD_ASSIGN_OR_RETURN(DataUrl parsed, parse_data_url(url, options_.provider_id));
      if (!parsed.media_type.empty()) media_type = std::move(parsed.media_type);
      data = parsed.data;
      url = {};
    } else if (!url.empty() && !starts_with_ignoring_case(url, "s3://")) {
      return invalid(options_,
                     "Bedrock takes media as base64 data, data: URLs or s3:// URLs, not '" +
                         std::string(url.substr(0, url.find(':'))) + ":' URLs");
    }
    // Parameters ("text/plain; charset=utf-8") do not change the format.
    media_type = media_type.substr(0, media_type.find(';'));
    while (!media_type.empty() && media_type.back() == ' ') media_type.pop_back();
    if (media_type.empty()) return invalid(options_, "a media part names no media type");
    const std::optional<MediaFormat> format = media_format(media_type);
    if (!format) {
      return invalid(options_, "Bedrock does not take media type '" + media_type +
                                   "' (it takes image/png, image/jpeg, image/gif, image/webp and "
                                   "the documents application/pdf, text/csv, text/html, "
                                   "text/plain, text/markdown, Word and Excel files)");
    }
    json::object source;
    if (!url.empty()) {
      source["s3Location"] = json::object{{"uri", url}};
    } else if (data.empty()) {
      return invalid(options_, "a media part of type '" + media_type + "' has no data");
    } else {
      source["bytes"] = data;
    }
    json::object inner{{"format", format->format}};
    if (format->block == "document") {
      inner["name"] = "document-" + std::to_string(++documents_);
    }
    inner["source"] = std::move(source);
    return json::object{{format->block, std::move(inner)}};
  }

  // Text and media blocks of a message, in order (reasoning parts are not among them).
  Status append_content(const Message& message, json::array& blocks) {
    for (const ContentPart& part : message.content) {
      if (part.kind == ContentPart::Kind::kText) {
        if (!part.text.empty()) blocks.push_back(json::object{{"text", part.text}});
      } else if (part.kind == ContentPart::Kind::kMedia) {
        AISOPOD_ASSIGN_OR_RETURN(json::object block, media_block(part));
        blocks.push_back(std::move(block));
      }
    }
    return Status();
  }

  Result<json::object> tool_result(const Message& message) {
    if (message.tool_call_id.empty()) {
      return invalid(options_, "a tool result message has no tool_call_id");
    }
    json::array content;
    const bool has_media =
        std::any_of(message.content.begin(), message.content.end(),
                    [](const ContentPart& part) { return part.kind == ContentPart::Kind::kMedia; });
    if (has_media) {
      AISOPOD_TRY_STATUS(append_content(message, content));
    } else if (std::string text = message.text(); !text.empty()) {
      boost::system::error_code ec;
      json::value parsed = json::parse(text, ec);
      if (!ec && parsed.is_object()) {
        content.push_back(json::object{{"json", std::move(parsed)}});
      } else {
        content.push_back(json::object{{"text", std::move(text)}});
      }
    }
    json::object block{{"toolUseId", message.tool_call_id}, {"content", std::move(content)}};
    if (message.is_error) block["status"] = "error";
    return json::object{{"toolResult", std::move(block)}};
  }

  Status append_assistant(const Message& message, json::array& blocks) {
    // Reasoning first, in the order received, exactly as Bedrock sent it.
    for (const ContentPart& part : message.content) {
      if (part.kind == ContentPart::Kind::kReasoning && !part.signature.empty()) {
        blocks.push_back(json::object{
            {"reasoningContent",
             json::object{{"reasoningText",
                           json::object{{"text", part.text}, {"signature", part.signature}}}}}});
      } else if (part.kind == ContentPart::Kind::kRedactedReasoning && !part.data.empty()) {
        blocks.push_back(
            json::object{{"reasoningContent", json::object{{"redactedContent", part.data}}}});
      }
    }
    AISOPOD_TRY_STATUS(append_content(message, blocks));
    for (const ToolCall& call : message.tool_calls) {
      if (call.id.empty()) {
        return invalid(options_, "a tool call to '" + call.name + "' has no id");
      }
      if (call.name.empty()) return invalid(options_, "tool call '" + call.id + "' has no name");
      json::value input = json::object();
      if (!call.arguments.empty()) {
        AISOPOD_ASSIGN_OR_RETURN(input, parse_object(call.arguments, options_.provider_id,
                                                     "arguments of tool call '" + call.id + "'"));
      }
      blocks.push_back(json::object{{"toolUse", json::object{{"toolUseId", call.id},
                                                             {"name", call.name},
                                                             {"input", std::move(input)}}}});
    }
    return Status();
  }

  // The messages array; system blocks go to `system`.
  Result<json::array> messages(json::array& system) {
    struct Turn {
      std::string_view role;
      json::array tool_results;  // user turns: toolResult blocks, which come first
      json::array blocks;
    };
    std::vector<Turn> turns;
    auto turn_for = [&turns](std::string_view role) -> Turn& {
      if (turns.empty() || turns.back().role != role) turns.push_back(Turn{role, {}, {}});
      return turns.back();
    };
    for (const Message& message : request_.messages) {
      switch (message.role) {
        case Role::kSystem:
          if (std::string text = message.text(); !text.empty()) {
            system.push_back(json::object{{"text", std::move(text)}});
          }
          break;
        case Role::kUser:
          AISOPOD_TRY_STATUS(append_content(message, turn_for("user").blocks));
          break;
        case Role::kTool: {
          AISOPOD_ASSIGN_OR_RETURN(json::object block, tool_result(message));
          turn_for("user").tool_results.push_back(std::move(block));
          break;
        }
        case Role::kAssistant:
          AISOPOD_TRY_STATUS(append_assistant(message, turn_for("assistant").blocks));
          break;
      }
    }
    // Turns left empty are dropped, which can put two turns of one role side by side: those are
    // merged.
    json::array out;
    for (Turn& turn : turns) {
      json::array content = std::move(turn.tool_results);
      for (json::value& block : turn.blocks) content.push_back(std::move(block));
      if (content.empty()) continue;
      if (!out.empty() && out.back().as_object().at("role").as_string() == turn.role) {
        json::array& into = out.back().as_object()["content"].as_array();
        for (json::value& block : content) into.push_back(std::move(block));
      } else {
        out.push_back(json::object{{"role", turn.role}, {"content", std::move(content)}});
      }
    }
    return out;
  }

  Result<json::object> tool_spec(const Tool& tool) {
    AISOPOD_ASSIGN_OR_RETURN(json::object spec,
                             tool_declaration(tool, "inputSchema", options_.provider_id));
    spec["inputSchema"] = json::object{{"json", std::move(spec["inputSchema"])}};
    return json::object{{"toolSpec", std::move(spec)}};
  }

  Result<json::array> request_tools() {
    json::array out;
    for (const Tool& tool : request_.tools) {
      AISOPOD_ASSIGN_OR_RETURN(json::object spec, tool_spec(tool));
      out.push_back(std::move(spec));
    }
    return out;
  }

  // The toolConfig, or nullopt when the request needs none. `json_forced` as in DecodeOptions.
  Result<std::optional<json::object>> tool_config(bool json_mode, bool json_forced) {
    const bool tools_off =
        request_.tool_choice && request_.tool_choice->mode == ToolChoice::Mode::kNone;
    if (request_.tool_choice && request_.tool_choice->mode == ToolChoice::Mode::kNamed) {
      const std::string& name = request_.tool_choice->name;
      if (std::none_of(request_.tools.begin(), request_.tools.end(),
                       [&name](const Tool& tool) { return tool.name == name; })) {
        return invalid(options_, "tool_choice names tool '" + name +
                                     "', which is not among the request's tools");
      }
    }
    json::array tools;
    std::optional<json::object> choice;
    if (!tools_off && !request_.tools.empty()) {
      AISOPOD_ASSIGN_OR_RETURN(tools, request_tools());
      if (request_.tool_choice) {
        const ToolChoice& c = *request_.tool_choice;
        if (c.mode == ToolChoice::Mode::kAuto) {
          choice = json::object{{"auto", json::object()}};
        } else if (c.mode == ToolChoice::Mode::kRequired) {
          choice = json::object{{"any", json::object()}};
        } else if (c.mode == ToolChoice::Mode::kNamed) {
          choice = json::object{{"tool", json::object{{"name", c.name}}}};
        }
      }
    }
    if (json_mode) {
      json::object spec{
          {"name", kJsonToolName},
          {"description", "Respond with a JSON object; the tool's input is the answer."}};
      json::value schema = permissive_schema();
      if (request_.response_format.kind == ResponseFormat::Kind::kJsonSchema) {
        AISOPOD_ASSIGN_OR_RETURN(schema,
                                 parse_object(request_.response_format.schema, options_.provider_id,
                                              "response format schema"));
      }
      spec["inputSchema"] = json::object{{"json", std::move(schema)}};
      tools.push_back(json::object{{"toolSpec", std::move(spec)}});
      if (json_forced) {
        choice = json::object{{"tool", json::object{{"name", kJsonToolName}}}};
      } else {
        choice = json::object{{"auto", json::object()}};
      }
    }
    if (tools.empty() && history_uses_tools()) {
      // Bedrock refuses toolUse / toolResult blocks without a toolConfig: declare the tools.
      if (!request_.tools.empty()) {
        AISOPOD_ASSIGN_OR_RETURN(tools, request_tools());
      } else {
        for (const std::string& name : history_tool_names()) {
          json::object spec{{"name", name},
                            {"description", kDeclaredToolDescription},
                            {"inputSchema", json::object{{"json", permissive_schema()}}}};
          tools.push_back(json::object{{"toolSpec", std::move(spec)}});
        }
        if (tools.empty()) {
          return invalid(options_,
                         "the conversation holds tool results but no tool call, and the request "
                         "has no tools: Bedrock needs the tools declared");
        }
      }
    }
    if (tools.empty()) return std::optional<json::object>();
    json::object config{{"tools", std::move(tools)}};
    if (choice) config["toolChoice"] = std::move(*choice);
    return std::optional<json::object>(std::move(config));
  }

 private:
  bool history_uses_tools() const {
    return std::any_of(request_.messages.begin(), request_.messages.end(), [](const Message& m) {
      return m.role == Role::kTool || !m.tool_calls.empty();
    });
  }

  std::vector<std::string> history_tool_names() const {
    std::vector<std::string> names;
    for (const Message& message : request_.messages) {
      if (message.role != Role::kAssistant) continue;
      for (const ToolCall& call : message.tool_calls) {
        if (std::find(names.begin(), names.end(), call.name) == names.end()) {
          names.push_back(call.name);
        }
      }
    }
    return names;
  }

  const ChatCompletionRequest& request_;
  const BedrockOptions& options_;
  int documents_ = 0;
};

// Merges `from` into `into`: objects that both have are merged recursively, anything else in
// `from` replaces what `into` has.
void merge_into(json::object& into, json::object& from) {
  for (auto& member : from) {
    json::value* existing = into.if_contains(member.key());
    if (existing != nullptr && existing->is_object() && member.value().is_object()) {
      merge_into(existing->as_object(), member.value().as_object());
    } else {
      into[member.key()] = std::move(member.value());
    }
  }
}

bool is_region_name(std::string_view region) {
  return !region.empty() && std::all_of(region.begin(), region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

int thinking_budget(const ReasoningConfig& reasoning) {
  return thinking_budget_tokens(reasoning, kMinThinkingBudget);
}

DecodeOptions decode_options_for(const ChatCompletionRequest& request) {
  DecodeOptions out;
  out.model = request.model;
  if (request.response_format.kind != ResponseFormat::Kind::kText) {
    out.json_tool_name = std::string(kJsonToolName);
    out.json_tool_forced = thinking_budget(request.reasoning) == 0;
  }
  return out;
}

Result<std::string> runtime_base_url(const BedrockOptions& options) {
  std::string_view base = options.base_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  if (!base.empty()) return std::string(base);
  if (!is_region_name(options.region)) {
    return invalid(options, "base_url is empty and region '" + options.region +
                                "' is not a region name (such as us-east-1)");
  }
  return "https://bedrock-runtime." + options.region + ".amazonaws.com";
}

Result<http::Request> encode_chat_request(const ChatCompletionRequest& request,
                                          const BedrockOptions& options) {
  if (request.model.empty()) return invalid(options, "the request names no model");
  AISOPOD_ASSIGN_OR_RETURN(std::string base, runtime_base_url(options));

  BodyBuilder builder(request, options);
  json::object body;
  json::array system;
  AISOPOD_ASSIGN_OR_RETURN(json::array messages, builder.messages(system));
  if (messages.empty()) return invalid(options, "the request has no user or assistant message");
  body["messages"] = std::move(messages);

  const DecodeOptions decode = decode_options_for(request);
  const bool json_mode = !decode.json_tool_name.empty();
  if (json_mode && !decode.json_tool_forced) {
    system.push_back(json::object{{"text", kJsonSystemInstruction}});
  }
  AISOPOD_ASSIGN_OR_RETURN(std::optional<json::object> tool_config,
                           builder.tool_config(json_mode, decode.json_tool_forced));
  const json::object cache_point{{"cachePoint", json::object{{"type", "default"}}}};
  if (request.cache_prompt) {
    if (!system.empty()) {
      system.push_back(cache_point);
    } else if (tool_config) {
      (*tool_config)["tools"].as_array().push_back(cache_point);
    }
  }
  if (!system.empty()) body["system"] = std::move(system);

  const int budget = thinking_budget(request.reasoning);
  std::optional<int> max_tokens = request.max_tokens;
  int budget_sent = budget;
  if (budget > 0) {
    if (max_tokens) {
      // The caller's limit covers thinking too: shrink the budget to fit under it.
      budget_sent = std::min(budget, *max_tokens - 1);
      if (budget_sent < kMinThinkingBudget) {
        budget_sent = kMinThinkingBudget;
        max_tokens = budget_sent + 1024;
      }
    } else {
      // Bedrock's default maxTokens is the model's, which may be under the budget.
      max_tokens = budget + 4096;
    }
  }
  json::object inference;
  if (max_tokens) inference["maxTokens"] = *max_tokens;
  if (budget == 0) {
    if (request.temperature) inference["temperature"] = *request.temperature;
    if (request.top_p) inference["topP"] = *request.top_p;
  }
  if (!request.stop.empty()) {
    json::array stop;
    for (const std::string& s : request.stop) stop.push_back(json::string(s));
    inference["stopSequences"] = std::move(stop);
  }
  if (!inference.empty()) body["inferenceConfig"] = std::move(inference);
  if (tool_config) body["toolConfig"] = std::move(*tool_config);
  if (budget > 0) {
    body["additionalModelRequestFields"] = json::object{
        {"thinking", json::object{{"type", "enabled"}, {"budget_tokens", budget_sent}}}};
  }

  if (!request.extra_body_json.empty()) {
    AISOPOD_ASSIGN_OR_RETURN(
        json::value extra,
        parse_object(request.extra_body_json, options.provider_id, "extra_body_json"));
    merge_into(body, extra.as_object());
  }

  http::Request out;
  out.method = "POST";
  out.url = base + model_path(request.model, request.stream ? "converse-stream" : "converse");
  out.headers.push_back({"Content-Type", "application/json"});
  out.headers.push_back(
      {"Accept", request.stream ? "application/vnd.amazon.eventstream" : "application/json"});
  out.body = json::serialize(body);
  return out;
}

}  // namespace aisopod::bedrock
