#include <gtest/gtest.h>

#include <string>

#include "providers/openai/stream_decoder.hpp"
#include "testing/testdata.hpp"

namespace aisopod::openai {
namespace {

using aisopod::testing::read_testdata;

// The response body of an httprr recording: "httprr trace v1\n<request bytes> <response
// bytes>\n" then the raw request and the raw response; the body follows the blank line (CRLF)
// that ends the response headers.
std::string httprr_response_body(const std::string& recording) {
  const std::size_t sizes = recording.find('\n') + 1;
  const std::size_t data = recording.find('\n', sizes) + 1;
  const std::size_t request_bytes = std::stoul(recording.substr(sizes));
  const std::size_t response_bytes = std::stoul(recording.substr(recording.find(' ', sizes) + 1));
  const std::string response = recording.substr(data + request_bytes, response_bytes);
  EXPECT_EQ(response.size(), response_bytes);
  EXPECT_EQ(response.substr(0, 15), "HTTP/2.0 200 OK");
  const std::size_t blank = response.find("\r\n\r\n");
  EXPECT_NE(blank, std::string::npos);
  return response.substr(blank + 4);
}

TEST(CompletionDecoder, TextResponse) {
  const auto chunk =
      decode_completion(read_testdata("openai/vercel-ai/openai-text.json"), "openai");
  ASSERT_TRUE(chunk.ok()) << chunk.status().to_string();
  EXPECT_EQ(chunk->id, "chatcmpl-D8Z5f52zQqikDBEKQMQoYcWMcWPeU");
  EXPECT_EQ(chunk->model, "gpt-4.1-nano-2025-04-14");
  EXPECT_EQ(chunk->delta.role, Role::kAssistant);
  EXPECT_EQ(chunk->delta.content.substr(0, 50),
            "**Holiday Name:** Galaxy Day  \n\n**Date:** October ");
  EXPECT_TRUE(chunk->delta.tool_calls.empty());
  EXPECT_EQ(chunk->finish_reason, FinishReason::kStop);
  EXPECT_EQ(chunk->raw_finish_reason, "stop");
  ASSERT_TRUE(chunk->usage.has_value());
  EXPECT_EQ(chunk->usage->input_tokens, 16);
  EXPECT_EQ(chunk->usage->output_tokens, 363);
  EXPECT_EQ(chunk->usage->cache_read_tokens, 0);
  EXPECT_EQ(chunk->usage->reasoning_tokens, 0);
}

TEST(CompletionDecoder, LegacyFunctionCall) {
  const std::string body =
      httprr_response_body(read_testdata("openai/langchaingo/TestClient_FunctionCall.httprr"));
  const auto chunk = decode_completion(body, "openai");
  ASSERT_TRUE(chunk.ok()) << chunk.status().to_string();
  EXPECT_EQ(chunk->id, "chatcmpl-C6bkF43YPpt2nQKdjU5XrPT0JYIzS");
  EXPECT_EQ(chunk->model, "gpt-3.5-turbo-0125");
  EXPECT_EQ(chunk->delta.content, "");
  ASSERT_EQ(chunk->delta.tool_calls.size(), 1u);
  EXPECT_EQ(chunk->delta.tool_calls[0].index, 0);
  EXPECT_EQ(chunk->delta.tool_calls[0].name, "get_weather");
  EXPECT_EQ(chunk->delta.tool_calls[0].arguments, R"({"location":"Boston"})");
  EXPECT_EQ(chunk->finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(chunk->raw_finish_reason, "function_call");
  ASSERT_TRUE(chunk->usage.has_value());
  EXPECT_EQ(chunk->usage->input_tokens, 62);
  EXPECT_EQ(chunk->usage->output_tokens, 14);
}

TEST(CompletionDecoder, ToolCallsRefusalReasoning) {
  const auto chunk = decode_completion(
      R"({"id":"x","model":"m","choices":[{"index":1,"message":{"content":"other"}},)"
      R"({"index":0,"message":{"role":"assistant","content":null,"refusal":"I can't.",)"
      R"("reasoning_content":"hmm","tool_calls":[)"
      R"({"id":"call_1","type":"function","function":{"name":"a","arguments":"{\"x\":1}"}},)"
      R"({"id":"call_2","type":"function","function":{"name":"b","arguments":"{}"}}]},)"
      R"("finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":5,)"
      R"("prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":)"
      R"({"reasoning_tokens":3}}})",
      "openai");
  ASSERT_TRUE(chunk.ok()) << chunk.status().to_string();
  EXPECT_EQ(chunk->delta.content, "I can't.");
  EXPECT_EQ(chunk->delta.reasoning, "hmm");
  ASSERT_EQ(chunk->delta.tool_calls.size(), 2u);
  EXPECT_EQ(chunk->delta.tool_calls[0], (ToolCallDelta{0, "call_1", "a", R"({"x":1})"}));
  EXPECT_EQ(chunk->delta.tool_calls[1], (ToolCallDelta{1, "call_2", "b", "{}"}));
  EXPECT_EQ(chunk->finish_reason, FinishReason::kToolCalls);
  Usage expected;
  expected.input_tokens = 10;
  expected.output_tokens = 5;
  expected.cache_read_tokens = 4;
  expected.reasoning_tokens = 3;
  EXPECT_EQ(chunk->usage, expected);
}

TEST(CompletionDecoder, Errors) {
  const auto error = decode_completion(
      R"({"error":{"message":"The server had an error","type":"server_error"}})", "openai");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(error.error().provider(), "openai");
  for (const char* body : {"", "{", "[]", R"({"choices":[]})", R"({"choices":[{"index":0}]})"}) {
    const auto bad = decode_completion(body, "local");
    ASSERT_FALSE(bad.ok()) << body;
    EXPECT_EQ(bad.error().code(), StatusCode::kProtocolError) << body;
    EXPECT_EQ(bad.error().provider(), "local");
  }
}

}  // namespace
}  // namespace aisopod::openai
