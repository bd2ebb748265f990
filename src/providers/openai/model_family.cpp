#include "providers/openai/model_family.hpp"

namespace aisopod::openai {
namespace {

// gpt-4o, gpt-4.1, gpt-5-chat-latest, and anything unknown.
constexpr ModelTraits kChatModel{};

// o1, o3, o4 and gpt-5 (with their -mini / -nano / -pro and dated variants).
constexpr ModelTraits kReasoningModel{
    .reasoning = true,
    .system_role = SystemRole::kDeveloper,
    .token_limit = TokenLimitField::kMaxCompletionTokens,
    .sampling = Sampling::kOmitted,
    .reasoning_effort = true,
};

// The first reasoning previews: no system or developer messages, no reasoning_effort.
constexpr ModelTraits kEarlyReasoningModel{
    .reasoning = true,
    .system_role = SystemRole::kUser,
    .token_limit = TokenLimitField::kMaxCompletionTokens,
    .sampling = Sampling::kOmitted,
    .reasoning_effort = false,
};

struct Family {
  std::string_view name;
  ModelTraits traits;
};

// First match wins, so a narrower family comes before the family it narrows.
constexpr Family kFamilies[] = {
    {"o1-mini", kEarlyReasoningModel},
    {"o1-preview", kEarlyReasoningModel},
    {"o1", kReasoningModel},
    {"o3", kReasoningModel},
    {"o4", kReasoningModel},
    // ChatGPT's chat model: named like gpt-5 but addressed like gpt-4o.
    {"gpt-5-chat", kChatModel},
    {"gpt-5", kReasoningModel},
};

bool in_family(std::string_view model, std::string_view family) {
  if (model.substr(0, family.size()) != family) return false;
  if (model.size() == family.size()) return true;
  const char next = model[family.size()];
  return next == '-' || next == '.';
}

}  // namespace

ModelTraits model_traits(std::string_view model) {
  for (const Family& family : kFamilies) {
    if (in_family(model, family.name)) return family.traits;
  }
  return kChatModel;
}

bool is_reasoning_model(std::string_view model) { return model_traits(model).reasoning; }

}  // namespace aisopod::openai
