#include "aisopod/accumulator.hpp"

#include <gtest/gtest.h>

namespace aisopod {
namespace {

ChatCompletionChunk chunk_with(std::string content) {
  ChatCompletionChunk c;
  c.id = "id1";
  c.model = "m";
  c.delta.content = std::move(content);
  return c;
}

TEST(ChatCompletionAccumulator, JoinsTextReasoningAndToolCalls) {
  ChatCompletionAccumulator acc;
  ChatCompletionChunk first = chunk_with("");
  first.delta.role = Role::kAssistant;
  first.delta.reasoning = "think ";
  acc.add(first);
  ChatCompletionChunk second = chunk_with("Hel");
  second.delta.reasoning = "more";
  second.delta.reasoning_signature = "sig";
  acc.add(second);
  acc.add(chunk_with("lo"));
  ChatCompletionChunk call0 = chunk_with("");
  call0.delta.tool_calls.push_back({1, "call_b", "second", "{\"b\""});
  call0.delta.tool_calls.push_back({0, "call_a", "first", ""});
  acc.add(call0);
  ChatCompletionChunk frag = chunk_with("");
  frag.delta.tool_calls.push_back({0, "", "", "{\"a\":1}"});
  frag.delta.tool_calls.push_back({1, "", "", ":2}"});
  acc.add(frag);
  ChatCompletionChunk last = chunk_with("");
  last.finish_reason = FinishReason::kToolCalls;
  last.raw_finish_reason = "tool_calls";
  last.usage = Usage{5, 6, 0, 0, 2};
  acc.add(last);

  const ChatCompletion done = acc.result();
  EXPECT_EQ(done.id, "id1");
  EXPECT_EQ(done.model, "m");
  EXPECT_EQ(done.message.role, Role::kAssistant);
  ASSERT_EQ(done.message.content.size(), 2u);
  EXPECT_EQ(done.message.content[0], ContentPart::make_reasoning("think more", "sig"));
  EXPECT_EQ(done.message.content[1], ContentPart::make_text("Hello"));
  ASSERT_EQ(done.message.tool_calls.size(), 2u);
  EXPECT_EQ(done.message.tool_calls[0], (ToolCall{"call_a", "first", "{\"a\":1}"}));
  EXPECT_EQ(done.message.tool_calls[1], (ToolCall{"call_b", "second", "{\"b\":2}"}));
  EXPECT_EQ(done.finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(done.raw_finish_reason, "tool_calls");
  ASSERT_TRUE(done.usage.has_value());
  EXPECT_EQ(*done.usage, (Usage{5, 6, 0, 0, 2}));
}

TEST(ChatCompletionAccumulator, KeepsEachReasoningBlockWithItsSignature) {
  ChatCompletionAccumulator acc;
  auto reasoning = [](std::string text, std::string signature) {
    ChatCompletionChunk c;
    c.delta.reasoning = std::move(text);
    c.delta.reasoning_signature = std::move(signature);
    return c;
  };
  acc.add(reasoning("first ", ""));
  acc.add(reasoning("block", ""));
  acc.add(reasoning("", "sig-1"));
  ChatCompletionChunk redacted;
  redacted.delta.redacted_reasoning = "opaque";
  acc.add(redacted);
  acc.add(reasoning("second", ""));
  acc.add(reasoning("", "sig-2"));
  acc.add(chunk_with("answer"));
  const ChatCompletion done = acc.result();
  ASSERT_EQ(done.message.content.size(), 4u);
  EXPECT_EQ(done.message.content[0], ContentPart::make_reasoning("first block", "sig-1"));
  EXPECT_EQ(done.message.content[1], ContentPart::make_redacted_reasoning("opaque"));
  EXPECT_EQ(done.message.content[2], ContentPart::make_reasoning("second", "sig-2"));
  EXPECT_EQ(done.message.content[3], ContentPart::make_text("answer"));
}

TEST(ChatCompletionAccumulator, LaterIdDoesNotOverwriteFirst) {
  ChatCompletionAccumulator acc;
  ChatCompletionChunk a = chunk_with("");
  a.delta.tool_calls.push_back({0, "call_1", "f", ""});
  acc.add(a);
  ChatCompletionChunk b = chunk_with("");
  b.delta.tool_calls.push_back({0, "other", "g", "{}"});
  acc.add(b);
  const ChatCompletion done = acc.result();
  ASSERT_EQ(done.message.tool_calls.size(), 1u);
  EXPECT_EQ(done.message.tool_calls[0], (ToolCall{"call_1", "f", "{}"}));
}

}  // namespace
}  // namespace aisopod
