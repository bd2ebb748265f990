#include "output.hpp"

#include <gtest/gtest.h>

#include "exit_codes.hpp"

namespace aisopod::cli {
namespace {

TEST(JsonString, EscapesQuotesControlAndKeepsUtf8) {
  EXPECT_EQ(json_string("a\"b\\c\n\t\x01"), "\"a\\\"b\\\\c\\n\\t\\u0001\"");
  EXPECT_EQ(json_string("héllo"), "\"héllo\"");
}

TEST(ChunkToJsonl, OnlyPresentKeys) {
  ChatCompletionChunk chunk;
  chunk.id = "c1";
  chunk.model = "gpt";
  chunk.delta.content = "Hi";
  EXPECT_EQ(chunk_to_jsonl(chunk), R"({"id":"c1","model":"gpt","delta":{"content":"Hi"}})");
}

TEST(ChunkToJsonl, EveryKey) {
  ChatCompletionChunk chunk;
  chunk.id = "c1";
  chunk.model = "gpt";
  chunk.delta.role = Role::kAssistant;
  chunk.delta.content = "x";
  chunk.delta.reasoning = "r";
  chunk.delta.reasoning_signature = "s";
  chunk.delta.tool_calls.push_back({0, "call", "f", "{\"a\":1}"});
  chunk.finish_reason = FinishReason::kToolCalls;
  chunk.raw_finish_reason = "tool_use";
  chunk.usage = Usage{1, 2, 3, 4, 5};
  EXPECT_EQ(chunk_to_jsonl(chunk),
            R"({"id":"c1","model":"gpt","delta":{"role":"assistant","content":"x","reasoning":"r",)"
            R"("reasoning_signature":"s","tool_calls":[{"index":0,"id":"call","name":"f",)"
            R"("arguments":"{\"a\":1}"}]},"finish_reason":"tool_calls","raw_finish_reason":)"
            R"("tool_use","usage":{"input_tokens":1,"output_tokens":2,"cache_read_tokens":3,)"
            R"("cache_write_tokens":4,"reasoning_tokens":5}})");
}

TEST(FormatTable, AlignsColumns) {
  EXPECT_EQ(format_table({"A", "BB"}, {{"long", "x"}, {"s", ""}}), "A     BB\nlong  x\ns\n");
}

TEST(Redact, ReplacesEverySecretOccurrence) {
  EXPECT_EQ(redact("key sk-123456 and sk-123456!", {"sk-123456"}), "key *** and ***!");
  EXPECT_EQ(redact("abc", {"ab"}), "abc");  // too short to redact safely
}

TEST(ExitCodes, ClassesAreDistinct) {
  auto code = [](StatusCode c, int http = 0) {
    Status s(c, "m");
    s.set_http_status(http);
    return exit_code_for(s);
  };
  EXPECT_EQ(code(StatusCode::kUnauthenticated, 401), kExitAuth);
  EXPECT_EQ(code(StatusCode::kPermissionDenied, 403), kExitAuth);
  EXPECT_EQ(code(StatusCode::kRateLimited, 429), kExitRateLimit);
  EXPECT_EQ(code(StatusCode::kBilling, 429), kExitRateLimit);
  EXPECT_EQ(code(StatusCode::kUnavailable, 503), kExitUpstream);
  EXPECT_EQ(code(StatusCode::kUnavailable), kExitNetwork);
  EXPECT_EQ(code(StatusCode::kTimeout), kExitNetwork);
  EXPECT_EQ(code(StatusCode::kInvalidArgument), kExitUsage);
  EXPECT_EQ(code(StatusCode::kInvalidArgument, 400), kExitUpstream);
  EXPECT_EQ(code(StatusCode::kCancelled), kExitInterrupted);
  EXPECT_EQ(exit_code_for(Status()), kExitOk);
}

}  // namespace
}  // namespace aisopod::cli
