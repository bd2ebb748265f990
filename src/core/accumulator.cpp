#include "aisopod/accumulator.hpp"

namespace aisopod {

void ChatCompletionAccumulator::add(const ChatCompletionChunk& chunk) {
  if (completion_.id.empty()) completion_.id = chunk.id;
  if (completion_.model.empty()) completion_.model = chunk.model;
  text_ += chunk.delta.content;
  const ChunkDelta& delta = chunk.delta;
  auto open_block = [this]() -> ContentPart* {
    if (reasoning_.empty() || reasoning_.back().kind != ContentPart::Kind::kReasoning) {
      return nullptr;
    }
    return &reasoning_.back();
  };
  if (!delta.reasoning.empty()) {
    ContentPart* block = open_block();
    if (block == nullptr || !block->signature.empty()) {
      reasoning_.push_back(ContentPart::make_reasoning("", ""));
      block = &reasoning_.back();
    }
    block->text += delta.reasoning;
  }
  if (!delta.reasoning_signature.empty()) {
    ContentPart* block = open_block();
    if (block == nullptr) {
      reasoning_.push_back(ContentPart::make_reasoning("", ""));
      block = &reasoning_.back();
    }
    block->signature += delta.reasoning_signature;
  }
  if (!delta.redacted_reasoning.empty()) {
    reasoning_.push_back(ContentPart::make_redacted_reasoning(delta.redacted_reasoning));
  }
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
  out.message.content = reasoning_;
  if (!text_.empty()) out.message.content.push_back(ContentPart::make_text(text_));
  for (const auto& call : calls_) {
    if (call) out.message.tool_calls.push_back(*call);
  }
  return out;
}

}  // namespace aisopod
