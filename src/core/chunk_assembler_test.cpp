#include "core/chunk_assembler.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace aisopod {
namespace {

// Drains next() (no pump); the error, if one ended it, goes to *error.
std::vector<ChatCompletionChunk> drain(ChunkAssembler& assembler, Status* error = nullptr) {
  std::vector<ChatCompletionChunk> out;
  for (;;) {
    auto next = assembler.next();
    if (!next.ok()) {
      if (error != nullptr) *error = next.error();
      return out;
    }
    if (!next->has_value()) return out;
    out.push_back(std::move(**next));
  }
}

ChatCompletionChunk text_chunk(std::string text) {
  ChatCompletionChunk chunk;
  chunk.delta.content = std::move(text);
  return chunk;
}

TEST(ChunkAssembler, OneChunkPerWireEventThatAddsSomething) {
  ChunkAssembler a("p");
  a.set_id_model("id1", "m1");
  a.role(Role::kAssistant);
  a.text("");
  a.end_event();
  a.text("Hel");
  a.text("lo");  // two pieces of one wire event (OpenAI content + refusal) stay together
  a.reasoning("r");
  a.end_event();
  a.text("");
  a.reasoning("");
  a.tool_call(0, "", "", "");
  a.end_event();  // adds nothing: no chunk, but the call took index 0
  a.reasoning_signature("sig");
  a.end_event();
  a.redacted_reasoning("opaque");
  a.end_event();

  ChatCompletionChunk first;
  first.id = "id1";
  first.model = "m1";
  first.delta.role = Role::kAssistant;
  ChatCompletionChunk second = text_chunk("Hello");
  second.delta.reasoning = "r";
  ChatCompletionChunk third;
  third.delta.reasoning_signature = "sig";
  ChatCompletionChunk fourth;
  fourth.delta.redacted_reasoning = "opaque";
  EXPECT_EQ(drain(a), (std::vector<ChatCompletionChunk>{first, second, third, fourth}));
  EXPECT_EQ(a.tool_call_count(), 1);
  EXPECT_FALSE(a.done());
}

TEST(ChunkAssembler, IdAndModelOnTheFirstChunkAndAfterAChange) {
  ChunkAssembler a("p");
  a.set_id_model("a", "m");
  a.end_event();  // nothing to carry them: they wait for the next chunk
  a.set_id_model("a", "m");
  a.text("1");
  a.end_event();
  a.set_id_model("a", "");  // empty: unchanged
  a.text("2");
  a.end_event();
  a.set_id_model("", "m2");
  a.text("3");
  a.end_event();
  a.text("4");
  a.set_id_model("b", "m2");  // later in the wire event than the text: still this chunk's
  a.end_event();
  const std::vector<ChatCompletionChunk> chunks = drain(a);
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0].id, "a");
  EXPECT_EQ(chunks[0].model, "m");
  EXPECT_EQ(chunks[1].id, "");
  EXPECT_EQ(chunks[1].model, "");
  EXPECT_EQ(chunks[2].id, "a");  // both go out again when either changes
  EXPECT_EQ(chunks[2].model, "m2");
  EXPECT_EQ(chunks[3].id, "b");
  EXPECT_EQ(chunks[3].model, "m2");
}

TEST(ChunkAssembler, RoleIsReportedOnce) {
  ChunkAssembler a("p");
  a.role(Role::kAssistant);
  a.end_event();
  a.role(Role::kAssistant);
  a.end_event();  // a repeated role alone adds nothing
  a.role(Role::kUser);
  a.text("x");
  a.end_event();
  const std::vector<ChatCompletionChunk> chunks = drain(a);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].delta.role, Role::kAssistant);
  EXPECT_FALSE(chunks[1].delta.role.has_value());
  EXPECT_EQ(chunks[1].delta.content, "x");
}

TEST(ChunkAssembler, ToolCallsGetDenseIndexesInOrderOfFirstAppearance) {
  ChunkAssembler a("p");
  a.tool_call_start(7, "call_a", "f");
  a.tool_call_arguments(7, "{\"x\"");
  a.end_event();
  a.tool_call(3, "call_b", "g", "{}");
  a.tool_call_arguments(7, ":1}");  // back to the first call, same wire event
  a.end_event();
  a.tool_call(7, "call_a", "f", "");  // a known id and name are not repeated: nothing new
  a.tool_call(3, "other", "h", "");   // nor replaced
  a.end_event();
  a.tool_call_start(-1, "", "late_name");
  a.end_event();
  a.tool_call_start(-1, "late_id", "late_name");  // the name is known, the id is new
  a.end_event();

  const std::vector<ChatCompletionChunk> chunks = drain(a);
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0].delta.tool_calls,
            (std::vector<ToolCallDelta>{{0, "call_a", "f", ""}, {0, "", "", "{\"x\""}}));
  EXPECT_EQ(chunks[1].delta.tool_calls,
            (std::vector<ToolCallDelta>{{1, "call_b", "g", "{}"}, {0, "", "", ":1}"}}));
  EXPECT_EQ(chunks[2].delta.tool_calls, (std::vector<ToolCallDelta>{{2, "", "late_name", ""}}));
  EXPECT_EQ(chunks[3].delta.tool_calls, (std::vector<ToolCallDelta>{{2, "late_id", "", ""}}));
  EXPECT_EQ(a.tool_call_count(), 3);
}

TEST(ChunkAssembler, FinishWithUsageInTheSameWireEventGoesOutAtOnce) {
  ChunkAssembler a("p");
  a.text("x");
  a.finish(FinishReason::kLength, "max_tokens");
  a.usage(Usage{3, 4, 0, 0, 0});
  a.end_event();
  auto chunk = a.next();
  ASSERT_TRUE(chunk.ok());
  ASSERT_TRUE(chunk->has_value());
  EXPECT_EQ((*chunk)->delta.content, "x");
  EXPECT_EQ((*chunk)->finish_reason, FinishReason::kLength);
  EXPECT_EQ((*chunk)->raw_finish_reason, "max_tokens");
  EXPECT_EQ((*chunk)->usage, (Usage{3, 4, 0, 0, 0}));
  // Usage is reported once: a later piece is ignored, and so is a second finish.
  a.usage(Usage{9, 9, 9, 9, 9});
  a.finish(FinishReason::kStop, "stop");
  a.end_event();
  a.end_of_stream();
  EXPECT_TRUE(drain(a).empty());
  EXPECT_TRUE(a.done());
  EXPECT_TRUE(a.status().ok());
}

TEST(ChunkAssembler, FinishIsHeldUntilUsageArrivesThenReleasedAfterThatEventsChunk) {
  ChunkAssembler a("p");
  a.set_id_model("id", "m");
  a.usage(Usage{10, 0, 2, 0, 0});  // an early piece (Anthropic message_start)
  a.text("a");
  a.end_event();
  a.text("b");
  a.finish(FinishReason::kStop, "stop");
  a.end_event();
  EXPECT_TRUE(a.finish_seen());
  ASSERT_EQ(drain(a).size(), 1u);  // "a"; the finish chunk is held
  a.text("c");                     // a chunk after the finish reason goes out before it
  a.end_event();
  a.usage(Usage{0, 5, 1, 0, 7});
  a.text("d");
  a.end_event();
  const std::vector<ChatCompletionChunk> chunks = drain(a);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].delta.content, "c");
  EXPECT_EQ(chunks[1].delta.content, "d");
  EXPECT_FALSE(chunks[1].usage.has_value());
  EXPECT_EQ(chunks[2].delta.content, "b");
  EXPECT_EQ(chunks[2].finish_reason, FinishReason::kStop);
  EXPECT_EQ(chunks[2].usage, (Usage{10, 5, 2, 0, 7}));  // merged, larger value wins
  EXPECT_EQ(chunks[2].id, "");                          // announced with "a"
}

TEST(ChunkAssembler, EndOfStreamReleasesTheHeldChunkWithTheUsage) {
  ChunkAssembler a("p");
  a.set_id_model("id", "m");
  a.usage(Usage{1, 2, 0, 0, 0});
  a.end_event();
  a.usage(Usage{1, 3, 0, 0, 0});
  a.end_event();
  a.finish(FinishReason::kToolCalls, "tool_use");  // the first chunk: it carries id and model
  a.end_of_stream();
  const std::vector<ChatCompletionChunk> chunks = drain(a);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].id, "id");
  EXPECT_EQ(chunks[0].model, "m");
  EXPECT_EQ(chunks[0].finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(chunks[0].usage, (Usage{1, 3, 0, 0, 0}));

  ChunkAssembler no_usage("p");
  no_usage.finish(FinishReason::kContentFilter, "content_filter");
  no_usage.end_event();
  EXPECT_TRUE(drain(no_usage).empty());
  no_usage.end_of_stream();
  const std::vector<ChatCompletionChunk> last = drain(no_usage);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_FALSE(last[0].usage.has_value());
  EXPECT_EQ(last[0].raw_finish_reason, "content_filter");

  ChunkAssembler no_finish("p");
  no_finish.text("x");
  no_finish.usage(Usage{1, 1, 0, 0, 0});
  no_finish.end_of_stream();  // ends the open wire event; invents no finish chunk
  const std::vector<ChatCompletionChunk> only = drain(no_finish);
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0].finish_reason, FinishReason::kNone);
  EXPECT_FALSE(only[0].usage.has_value());
}

TEST(ChunkAssembler, FailIsStickyAndDropsTheFailingEventAndTheHeldChunk) {
  ChunkAssembler a("prov");
  a.text("before");
  a.end_event();
  a.finish(FinishReason::kStop, "stop");
  a.end_event();  // held
  a.text("partial");
  a.fail(Status(StatusCode::kOverloaded, "Overloaded"));
  a.text("after");  // ignored
  a.end_event();
  a.fail(Status(StatusCode::kInternal, "second"));  // the first error stays
  a.end_of_stream();
  Status error;
  const std::vector<ChatCompletionChunk> chunks = drain(a, &error);
  EXPECT_EQ(chunks, (std::vector<ChatCompletionChunk>{text_chunk("before")}));
  EXPECT_EQ(error.code(), StatusCode::kOverloaded);
  EXPECT_EQ(error.provider(), "prov");
  EXPECT_EQ(a.status(), error);
  EXPECT_TRUE(a.done());
  EXPECT_EQ(a.next().status(), error);

  ChunkAssembler named("prov");
  named.fail(Status(StatusCode::kUnavailable, "x").set_provider("other"));
  EXPECT_EQ(named.status().provider(), "other");
}

TEST(ChunkAssembler, EventsAfterTheEndChangeNothing) {
  ChunkAssembler a("p");
  a.text("x");
  a.end_of_stream();
  a.text("late");
  a.role(Role::kAssistant);
  a.tool_call(0, "id", "name", "{}");
  a.finish(FinishReason::kStop, "stop");
  a.usage(Usage{1, 1, 0, 0, 0});
  a.end_event();
  a.fail(Status(StatusCode::kInternal, "late"));
  a.end_of_stream();
  EXPECT_EQ(drain(a), (std::vector<ChatCompletionChunk>{text_chunk("x")}));
  EXPECT_TRUE(a.status().ok());
  EXPECT_EQ(a.tool_call_count(), 0);
}

// A fake decoder: each pumped wire event runs the next scripted step.
struct Script {
  std::deque<std::function<void(ChunkAssembler&)>> steps;
  int pumps = 0;
  bool pump(ChunkAssembler& a) {
    ++pumps;
    if (steps.empty()) return false;
    steps.front()(a);
    steps.pop_front();
    a.end_event();
    return true;
  }
};

TEST(ChunkAssembler, PumpedNextDecodesUntilAChunkIsReady) {
  ChunkAssembler a("p");
  Script script;
  script.steps.push_back([](ChunkAssembler& x) { x.set_id_model("id", "m"); });
  script.steps.push_back([](ChunkAssembler& x) { x.text("one"); });
  script.steps.push_back([](ChunkAssembler& x) { x.finish(FinishReason::kStop, "stop"); });
  script.steps.push_back([](ChunkAssembler& x) {
    x.text("two");
    x.usage(Usage{1, 2, 0, 0, 0});  // releases the held finish chunk after "two"
  });
  auto pump = [&] { return script.pump(a); };

  auto first = a.next(pump);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->delta.content, "one");
  EXPECT_EQ((*first)->id, "id");
  EXPECT_EQ(script.pumps, 2);

  auto second = a.next(pump);
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->delta.content, "two");
  EXPECT_EQ(script.pumps, 4);
  auto third = a.next(pump);  // from the queue: no pump
  ASSERT_TRUE(third->has_value());
  EXPECT_EQ((*third)->finish_reason, FinishReason::kStop);
  EXPECT_EQ((*third)->usage, (Usage{1, 2, 0, 0, 0}));
  EXPECT_EQ(script.pumps, 4);

  auto need_more = a.next(pump);  // the pump has nothing: std::nullopt, not the end
  ASSERT_TRUE(need_more.ok());
  EXPECT_FALSE(need_more->has_value());
  EXPECT_FALSE(a.done());

  script.steps.push_back([](ChunkAssembler& x) { x.end_of_stream(); });
  EXPECT_FALSE(a.next(pump)->has_value());
  EXPECT_TRUE(a.done());
  const int pumps = script.pumps;
  EXPECT_FALSE(a.next(pump)->has_value());
  EXPECT_EQ(script.pumps, pumps);  // done: not pumped again
}

TEST(ChunkAssembler, PumpedEventThatFailsReturnsTheChunksBeforeItThenTheError) {
  ChunkAssembler a("p");
  Script script;
  script.steps.push_back([](ChunkAssembler& x) {
    x.text("kept");
    x.usage(Usage{1, 1, 0, 0, 0});
  });
  script.steps.push_back([](ChunkAssembler& x) {
    x.text("dropped");  // built in place in next()'s result, then taken back
    x.fail(Status(StatusCode::kProtocolError, "bad"));
  });
  auto pump = [&] { return script.pump(a); };
  auto first = a.next(pump);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->delta.content, "kept");
  auto error = a.next(pump);
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().code(), StatusCode::kProtocolError);
  EXPECT_EQ(error.error().provider(), "p");
  EXPECT_FALSE(a.next(pump).ok());
}

}  // namespace
}  // namespace aisopod
