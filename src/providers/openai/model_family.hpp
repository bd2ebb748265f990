// What the OpenAI Chat Completions API accepts from each model family (system role, token-limit
// field, sampling parameters, reasoning_effort), kept in one table in model_family.cpp so that
// the request encoder asks instead of testing model names itself. Pure; safe from any thread.
#pragma once

#include <string_view>

namespace aisopod::openai {

// The role a request's system messages are sent with.
enum class SystemRole {
  // "system": chat models (gpt-4o, gpt-4.1, gpt-5-chat, ...) and every model the table does not
  // know, which includes the models of OpenAI-compatible servers.
  kSystem,
  // "developer": reasoning models from o1 (2024-12-17) on; "system" can be rejected there
  // (400 unsupported_value).
  kDeveloper,
  // "user", in place: o1-mini and o1-preview take neither "system" nor "developer", so a
  // leading system prompt becomes a leading user message.
  kUser,
};

// The name of the field that carries ChatCompletionRequest::max_tokens.
enum class TokenLimitField {
  // "max_tokens": chat models; many OpenAI-compatible servers know only this one.
  kMaxTokens,
  // "max_completion_tokens": reasoning models reject the legacy max_tokens
  // (400 unsupported_parameter).
  kMaxCompletionTokens,
};

// Whether temperature and top_p are sent.
enum class Sampling {
  // Sent as the caller set them.
  kSent,
  // Left out: reasoning models reject them (400 unsupported_parameter / unsupported_value).
  kOmitted,
};

// How one model family is addressed. Plain value.
struct ModelTraits {
  // True for OpenAI's reasoning families (o1, o3, o4, gpt-5 except gpt-5-chat).
  bool reasoning = false;
  SystemRole system_role = SystemRole::kSystem;
  TokenLimitField token_limit = TokenLimitField::kMaxTokens;
  Sampling sampling = Sampling::kSent;
  // True when the model takes reasoning_effort, so that a budget-only reasoning setting (meant
  // for another provider) may be translated into one. An effort the caller names is sent
  // whatever this says.
  bool reasoning_effort = false;

  friend bool operator==(const ModelTraits&, const ModelTraits&) = default;
};

// The traits of `model`, an id as sent to the API ("o3-mini", "o3-2025-04-16",
// "gpt-5-nano-2025-08-07"). A family matches an id that equals its name or continues it with
// '-' or '.' ("o1" matches "o1-2024-12-17" but not "o10"); the first matching row of the table
// wins, and an id no row matches gets chat-model traits (the default ModelTraits).
ModelTraits model_traits(std::string_view model);

// model_traits(model).reasoning.
bool is_reasoning_model(std::string_view model);

}  // namespace aisopod::openai
