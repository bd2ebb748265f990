#include "output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

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

TEST(EscapeControl, EscapesWhatCouldDriveATerminal) {
  EXPECT_EQ(escape_control("ok\x1b[2J\x1b]0;pwned\x07\r\nnext\x7f\ttab"),
            "ok\\x1b[2J\\x1b]0;pwned\\x07\\r\\nnext\\x7f\\ttab");
  EXPECT_EQ(escape_control("héllo"), "héllo");
  EXPECT_EQ(escape_control_lines("a\x1b[K\nb\n"), "a\\x1b[K\nb\n");
}

TEST(FormatSeconds, Units) {
  EXPECT_EQ(format_seconds(std::chrono::milliseconds(10'000)), "10 s");
  EXPECT_EQ(format_seconds(std::chrono::milliseconds(1'500)), "1.5 s");
  EXPECT_EQ(format_seconds(std::chrono::milliseconds(250)), "250 ms");
}

constexpr const char* kSecret = "sk-live-0123456789abcdefghij";

std::shared_ptr<const SecretMatcher> secrets() {
  return std::make_shared<SecretMatcher>(std::vector<std::string>{kSecret});
}

ChatCompletionChunk text_chunk(std::string content, std::string reasoning = "") {
  ChatCompletionChunk chunk;
  chunk.delta.content = std::move(content);
  chunk.delta.reasoning = std::move(reasoning);
  return chunk;
}

TEST(ChatPrinter, TextSplitSecretIsRedactedAndNothingIsLost) {
  const std::string secret = kSecret;
  const std::string answer = "Your key is " + secret + " and that is all.";
  for (std::size_t cut = 0; cut <= answer.size(); ++cut) {
    ChatPrinter printer(ChatPrinter::Format::kText, secrets());
    std::string out, err;
    printer.add(text_chunk(answer.substr(0, cut)), out, err);
    printer.add(text_chunk(answer.substr(cut)), out, err);
    printer.finish(out, err);
    EXPECT_EQ(out, "Your key is [redacted] and that is all.\n") << cut;
    EXPECT_EQ(err, "");
  }
}

TEST(ChatPrinter, ReasoningToErrThenTextToOut) {
  ChatPrinter printer(ChatPrinter::Format::kText, secrets());
  std::string out, err;
  printer.add(text_chunk("", "I think sk-live-0123"), out, err);
  printer.add(text_chunk("", "456789abcdefghij."), out, err);
  printer.add(text_chunk("Answer."), out, err);
  ChatCompletionChunk last;
  last.finish_reason = FinishReason::kLength;
  printer.add(last, out, err);
  printer.finish(out, err);
  EXPECT_EQ(err, "I think [redacted].\naisopod: note: the answer was cut off at the token limit\n");
  EXPECT_EQ(out, "Answer.\n");
}

TEST(ChatPrinter, ToolCallsAreRedactedAndPrintedAtTheEnd) {
  ChatPrinter printer(ChatPrinter::Format::kText, secrets());
  std::string out, err;
  ChatCompletionChunk first;
  first.delta.tool_calls.push_back(
      {0, "call_sk-live-0123456789abcdefghij", "lookup", "{\"k\":\"sk-li"});
  printer.add(first, out, err);
  ChatCompletionChunk second;
  second.delta.tool_calls.push_back({0, "", "", "ve-0123456789abcdefghij\"}"});
  printer.add(second, out, err);
  printer.finish(out, err);
  EXPECT_EQ(out, "\n[tool call call_[redacted]] lookup({\"k\":\"[redacted]\"})\n");
}

TEST(ChatPrinter, JsonlRedactsSplitSecretsAndFlushesWithTheFinishChunk) {
  ChatPrinter printer(ChatPrinter::Format::kJsonl, secrets());
  std::string out, err;
  ChatCompletionChunk first = text_chunk("key: sk-live-01234");
  first.id = "c1";
  printer.add(first, out, err);
  printer.add(text_chunk("56789abcdefghij ok"), out, err);
  ChatCompletionChunk last;
  last.finish_reason = FinishReason::kStop;
  last.usage = Usage{1, 2, 0, 0, 0};
  printer.add(last, out, err);
  printer.finish(out, err);
  EXPECT_EQ(out,
            "{\"id\":\"c1\",\"delta\":{\"content\":\"key: \"}}\n"
            "{\"delta\":{\"content\":\"[redacted] ok\"}}\n"
            "{\"delta\":{},\"finish_reason\":\"stop\",\"usage\":{\"input_tokens\":1,"
            "\"output_tokens\":2,\"cache_read_tokens\":0,\"cache_write_tokens\":0,"
            "\"reasoning_tokens\":0}}\n");
  EXPECT_EQ(printer.usage(), (Usage{1, 2, 0, 0, 0}));
  EXPECT_EQ(printer.finish_reason(), FinishReason::kStop);
}

TEST(ChatPrinter, JsonlHeldTextWithoutAFinishChunkGetsALineOfItsOwn) {
  ChatPrinter printer(ChatPrinter::Format::kJsonl, secrets());
  std::string out, err;
  printer.add(text_chunk("Hello sk-li"), out, err);
  printer.finish(out, err);
  EXPECT_EQ(out, "{\"delta\":{\"content\":\"Hello \"}}\n{\"delta\":{\"content\":\"sk-li\"}}\n");
}

TEST(ChatPrinter, AbortFlushesHeldTextAndEndsTheLine) {
  ChatPrinter printer(ChatPrinter::Format::kText, secrets());
  std::string out, err;
  printer.add(text_chunk("partial answer"), out, err);
  printer.abort(out, err);
  EXPECT_EQ(out, "partial answer\n");
}

TEST(FdWriter, ReportsAFullDisk) {
  const int fd = open("/dev/full", O_WRONLY);
  ASSERT_GE(fd, 0);
  FdWriter writer(fd, "standard output");
  writer.append("hello");
  const Status status = writer.flush();
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_EQ(status.message(), "cannot write to standard output: No space left on device");
  writer.append("more");
  EXPECT_EQ(writer.flush().message(), status.message());  // sticky
  close(fd);
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
