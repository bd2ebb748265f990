// The model family table: which ids get which system role, token field, sampling and effort.
#include "providers/openai/model_family.hpp"

#include <gtest/gtest.h>

#include <string>

namespace aisopod::openai {
namespace {

constexpr ModelTraits kChat{};
constexpr ModelTraits kReasoning{true, SystemRole::kDeveloper,
                                 TokenLimitField::kMaxCompletionTokens, Sampling::kOmitted, true};
constexpr ModelTraits kEarlyReasoning{
    true, SystemRole::kUser, TokenLimitField::kMaxCompletionTokens, Sampling::kOmitted, false};

TEST(ModelFamily, ChatModelTraitsAreTheDefaults) {
  EXPECT_FALSE(kChat.reasoning);
  EXPECT_EQ(kChat.system_role, SystemRole::kSystem);
  EXPECT_EQ(kChat.token_limit, TokenLimitField::kMaxTokens);
  EXPECT_EQ(kChat.sampling, Sampling::kSent);
  EXPECT_FALSE(kChat.reasoning_effort);
}

TEST(ModelFamily, ReasoningFamiliesUseDeveloperAndDropSampling) {
  for (const char* model :
       {"o1", "o1-2024-12-17", "o1-pro", "o3", "o3-mini", "o3-mini-2025-01-31", "o3-2025-04-16",
        "o3-pro", "o4-mini", "o4-mini-2025-04-16", "gpt-5", "gpt-5-mini", "gpt-5-nano",
        "gpt-5-2025-08-07", "gpt-5-nano-2025-08-07", "gpt-5.1", "gpt-5.1-codex"}) {
    EXPECT_EQ(model_traits(model), kReasoning) << model;
    EXPECT_TRUE(is_reasoning_model(model)) << model;
  }
}

TEST(ModelFamily, O1MiniAndPreviewTakeTheSystemPromptAsUser) {
  for (const char* model :
       {"o1-mini", "o1-mini-2024-09-12", "o1-preview", "o1-preview-2024-09-12"}) {
    EXPECT_EQ(model_traits(model), kEarlyReasoning) << model;
    EXPECT_TRUE(is_reasoning_model(model)) << model;
  }
}

TEST(ModelFamily, ChatAndUnknownModelsKeepChatTraits) {
  for (const char* model :
       {"gpt-4o", "gpt-4o-mini", "gpt-4.1-nano", "gpt-3.5-turbo", "chatgpt-4o-latest",
        "gpt-5-chat-latest", "llama-3.3-70b", "o10", "o1x", "gpt-50", "", "omni-moderation"}) {
    EXPECT_EQ(model_traits(model), kChat) << '"' << model << '"';
    EXPECT_FALSE(is_reasoning_model(model)) << '"' << model << '"';
  }
}

}  // namespace
}  // namespace aisopod::openai
