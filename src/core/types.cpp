#include "aisopod/types.hpp"

#include <algorithm>

namespace aisopod {

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kSystem:
      return "system";
    case Role::kUser:
      return "user";
    case Role::kAssistant:
      return "assistant";
    case Role::kTool:
      return "tool";
  }
  return "user";
}

std::optional<Role> role_from_name(std::string_view name) {
  if (name == "system") return Role::kSystem;
  if (name == "user") return Role::kUser;
  if (name == "assistant") return Role::kAssistant;
  if (name == "tool") return Role::kTool;
  return std::nullopt;
}

ContentPart ContentPart::make_text(std::string text) {
  ContentPart p;
  p.kind = Kind::kText;
  p.text = std::move(text);
  return p;
}

ContentPart ContentPart::make_media_data(std::string media_type, std::string base64_data) {
  ContentPart p;
  p.kind = Kind::kMedia;
  p.media_type = std::move(media_type);
  p.data = std::move(base64_data);
  return p;
}

ContentPart ContentPart::make_media_url(std::string media_type, std::string url) {
  ContentPart p;
  p.kind = Kind::kMedia;
  p.media_type = std::move(media_type);
  p.url = std::move(url);
  return p;
}

ContentPart ContentPart::make_reasoning(std::string text, std::string signature) {
  ContentPart p;
  p.kind = Kind::kReasoning;
  p.text = std::move(text);
  p.signature = std::move(signature);
  return p;
}

ContentPart ContentPart::make_redacted_reasoning(std::string data) {
  ContentPart p;
  p.kind = Kind::kRedactedReasoning;
  p.data = std::move(data);
  return p;
}

namespace {
Message text_message(Role role, std::string text) {
  Message m;
  m.role = role;
  m.content.push_back(ContentPart::make_text(std::move(text)));
  return m;
}
}  // namespace

Message Message::system(std::string text) { return text_message(Role::kSystem, std::move(text)); }
Message Message::user(std::string text) { return text_message(Role::kUser, std::move(text)); }
Message Message::assistant(std::string text) {
  return text_message(Role::kAssistant, std::move(text));
}
Message Message::tool_result(std::string tool_call_id, std::string content) {
  Message m = text_message(Role::kTool, std::move(content));
  m.tool_call_id = std::move(tool_call_id);
  return m;
}

std::string Message::text() const {
  std::string out;
  for (const auto& part : content) {
    if (part.kind == ContentPart::Kind::kText) out += part.text;
  }
  return out;
}

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kNone:
      return "";
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kToolCalls:
      return "tool_calls";
    case FinishReason::kContentFilter:
      return "content_filter";
    case FinishReason::kError:
      return "error";
  }
  return "";
}

void Usage::merge_max(const Usage& other) {
  input_tokens = std::max(input_tokens, other.input_tokens);
  output_tokens = std::max(output_tokens, other.output_tokens);
  cache_read_tokens = std::max(cache_read_tokens, other.cache_read_tokens);
  cache_write_tokens = std::max(cache_write_tokens, other.cache_write_tokens);
  reasoning_tokens = std::max(reasoning_tokens, other.reasoning_tokens);
}

Usage& Usage::operator+=(const Usage& other) {
  input_tokens += other.input_tokens;
  output_tokens += other.output_tokens;
  cache_read_tokens += other.cache_read_tokens;
  cache_write_tokens += other.cache_write_tokens;
  reasoning_tokens += other.reasoning_tokens;
  return *this;
}

bool ChatCompletionChunk::has_content() const {
  return !delta.content.empty() || !delta.reasoning.empty() || !delta.reasoning_signature.empty() ||
         !delta.redacted_reasoning.empty() || !delta.tool_calls.empty();
}

std::string_view health_state_name(HealthStatus::State state) {
  switch (state) {
    case HealthStatus::State::kHealthy:
      return "healthy";
    case HealthStatus::State::kDegraded:
      return "degraded";
    case HealthStatus::State::kUnhealthy:
      return "unhealthy";
  }
  return "unhealthy";
}

}  // namespace aisopod
