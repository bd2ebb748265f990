// decode_completion (declared in stream_decoder.hpp): the non-streaming response. Not a hot
// path, so it uses Boost.JSON's DOM, which does not care about member order.
#include <boost/json.hpp>
#include <string>

#include "core/error_mapping.hpp"
#include "providers/common/json_dom.hpp"
#include "providers/openai/error_mapper.hpp"
#include "providers/openai/stream_decoder.hpp"

namespace aisopod::openai {
namespace {

namespace json = boost::json;
using json_dom::object_at;
using json_dom::string_at;

Status bad_shape(std::string_view provider_id, std::string what) {
  return protocol_error(provider_id, "chat completion: " + std::move(what));
}

std::int64_t count_at(const json::object* object, std::string_view key) {
  if (object == nullptr) return 0;
  const json::value* value = object->if_contains(key);
  if (value == nullptr) return 0;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->get_uint64());
  if (value->is_double()) return static_cast<std::int64_t>(value->get_double());
  return 0;
}

// message.content is a string, or (some compatible servers) an array of {type:text,text} parts.
std::string content_text(const json::object& message) {
  const json::value* content = message.if_contains("content");
  if (content == nullptr) return {};
  if (content->is_string()) return std::string(content->get_string());
  std::string text;
  if (const json::array* parts = content->if_array()) {
    for (const json::value& part : *parts) {
      if (const json::object* p = part.if_object();
          p != nullptr && string_at(*p, "type") == "text") {
        text += string_at(*p, "text");
      }
    }
  }
  return text;
}

ToolCallDelta tool_call_from(const json::object& call, int index) {
  ToolCallDelta delta;
  delta.index = index;
  delta.id = string_at(call, "id");
  if (const json::object* function = object_at(call, "function")) {
    delta.name = string_at(*function, "name");
    delta.arguments = string_at(*function, "arguments");
  } else {
    // The legacy function_call object has name and arguments at its top level.
    delta.name = string_at(call, "name");
    delta.arguments = string_at(call, "arguments");
  }
  return delta;
}

}  // namespace

Result<ChatCompletionChunk> decode_completion(std::string_view body, std::string_view provider_id) {
  boost::system::error_code ec;
  const json::value root = json::parse(body, ec);
  if (ec) return bad_shape(provider_id, "not valid JSON (" + ec.message() + ")");
  const json::object* object = root.if_object();
  if (object == nullptr) return bad_shape(provider_id, "not a JSON object");
  if (const json::value* error = object->if_contains("error");
      error != nullptr && (error->is_object() || error->is_string())) {
    return status_from_stream_error(body, provider_id);
  }
  const json::value* choices = object->if_contains("choices");
  if (choices == nullptr || !choices->is_array() || choices->get_array().empty()) {
    return bad_shape(provider_id, "no choices");
  }
  const json::object* choice = nullptr;
  for (const json::value& candidate : choices->get_array()) {
    const json::object* c = candidate.if_object();
    if (c == nullptr) return bad_shape(provider_id, "a choice is not an object");
    if (count_at(c, "index") == 0) {
      choice = c;
      break;
    }
  }
  if (choice == nullptr) return bad_shape(provider_id, "no choice with index 0");
  const json::object* message = object_at(*choice, "message");
  if (message == nullptr) return bad_shape(provider_id, "the choice has no message");

  ChatCompletionChunk chunk;
  chunk.id = string_at(*object, "id");
  chunk.model = string_at(*object, "model");
  chunk.delta.role = Role::kAssistant;
  chunk.delta.content = content_text(*message);
  chunk.delta.content += string_at(*message, "refusal");
  chunk.delta.reasoning = string_at(*message, "reasoning_content");
  chunk.delta.reasoning += string_at(*message, "reasoning");

  if (const json::value* calls = message->if_contains("tool_calls");
      calls != nullptr && calls->is_array()) {
    for (const json::value& call : calls->get_array()) {
      const json::object* c = call.if_object();
      if (c == nullptr) return bad_shape(provider_id, "a tool call is not an object");
      chunk.delta.tool_calls.push_back(
          tool_call_from(*c, static_cast<int>(chunk.delta.tool_calls.size())));
    }
  }
  if (const json::object* legacy = object_at(*message, "function_call")) {
    chunk.delta.tool_calls.push_back(
        tool_call_from(*legacy, static_cast<int>(chunk.delta.tool_calls.size())));
  }

  chunk.raw_finish_reason = string_at(*choice, "finish_reason");
  chunk.finish_reason = finish_reason_from_openai(chunk.raw_finish_reason);

  if (const json::object* usage = object_at(*object, "usage")) {
    Usage u;
    u.input_tokens = count_at(usage, "prompt_tokens");
    u.output_tokens = count_at(usage, "completion_tokens");
    u.cache_read_tokens = count_at(object_at(*usage, "prompt_tokens_details"), "cached_tokens");
    u.reasoning_tokens =
        count_at(object_at(*usage, "completion_tokens_details"), "reasoning_tokens");
    chunk.usage = u;
  }
  return chunk;
}

}  // namespace aisopod::openai
