#include "aisopod/accumulator.hpp"

namespace aisopod {

void ChatCompletionAccumulator::add(const ChatCompletionChunk& chunk) {
  if (completion_.id.empty()) completion_.id = chunk.id;
  if (completion_.model.empty()) completion_.model = chunk.model;
  text_ += chunk.delta.content;
  reasoning_ += chunk.delta.reasoning;
  signature_ += chunk.delta.reasoning_signature;
  if (!chunk.delta.redacted_reasoning.empty()) redacted_.push_back(chunk.delta.redacted_reasoning);
  for (const ToolCallDelta& delta : chunk.delta.tool_calls) {
    if (delta.index < 0) continue;
    const auto index = static_cast<std::size_t>(delta.index);
    if (calls_.size() <= index) calls_.resize(index + 1);
    std::optional<ToolCall>& call = calls_[index];
    if (!call) call.emplace();
    if (!delta.id.empty() && call->id.empty()) call->id = delta.id;
    if (!delta.name.empty() && call->name.empty()) call->name = delta.name;
    call->arguments += delta.arguments;
  }
  if (chunk.finish_reason != FinishReason::kNone) {
    completion_.finish_reason = chunk.finish_reason;
    completion_.raw_finish_reason = chunk.raw_finish_reason;
  }
  if (chunk.usage) {
    if (completion_.usage) {
      completion_.usage->merge_max(*chunk.usage);
    } else {
      completion_.usage = chunk.usage;
    }
  }
}

ChatCompletion ChatCompletionAccumulator::result() const {
  ChatCompletion out = completion_;
  out.message.role = Role::kAssistant;
  if (!reasoning_.empty() || !signature_.empty()) {
    out.message.content.push_back(ContentPart::make_reasoning(reasoning_, signature_));
  }
  for (const std::string& data : redacted_) {
    out.message.content.push_back(ContentPart::make_redacted_reasoning(data));
  }
  if (!text_.empty()) out.message.content.push_back(ContentPart::make_text(text_));
  for (const auto& call : calls_) {
    if (call) out.message.tool_calls.push_back(*call);
  }
  return out;
}

}  // namespace aisopod
