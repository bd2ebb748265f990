// The /api/chat stream decoder against real recordings (langchaingo httprr traces, de-chunked)
// and documentation examples, fed at every byte split point; and the non-streaming decoder.
#include "providers/ollama/stream_decoder.hpp"

#include <gtest/gtest.h>

#include "aisopod/accumulator.hpp"
#include "providers/ollama/test_util.hpp"
#include "testing/testdata.hpp"

namespace aisopod::ollama {
namespace {

using aisopod::testing::read_testdata;
using test::httprr_body;
using test::to_ndjson;

// What a decoder produced from one body.
struct Decoded {
  std::vector<ChatCompletionChunk> chunks;
  Status error;   // the error that ended next(), if any
  Status finish;  // finish()'s status
};

void drain(StreamDecoder& decoder, Decoded& out) {
  for (;;) {
    Result<std::optional<ChatCompletionChunk>> next = decoder.next();
    if (!next.ok()) {
      out.error = next.error();
      return;
    }
    if (!next->has_value()) return;
    out.chunks.push_back(std::move(**next));
  }
}

Decoded decode_split(std::string_view wire, std::size_t cut) {
  StreamDecoder decoder("ollama");
  Decoded out;
  decoder.feed(wire.substr(0, cut));
  drain(decoder, out);
  if (out.error.ok()) {
    decoder.feed(wire.substr(cut));
    drain(decoder, out);
  }
  out.finish = decoder.finish();
  if (out.error.ok()) drain(decoder, out);
  return out;
}

// Decodes `wire` whole, then checks that every split point gives the same chunks and statuses.
Decoded decode_everywhere(const std::string& wire) {
  const Decoded whole = decode_split(wire, wire.size());
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    const Decoded split = decode_split(wire, cut);
    EXPECT_EQ(split.chunks, whole.chunks) << "cut at " << cut;
    EXPECT_EQ(split.error, whole.error) << "cut at " << cut;
    EXPECT_EQ(split.finish, whole.finish) << "cut at " << cut;
    if (::testing::Test::HasFailure()) break;
  }
  return whole;
}

ChatCompletion accumulate(const std::vector<ChatCompletionChunk>& chunks) {
  ChatCompletionAccumulator acc;
  for (const ChatCompletionChunk& chunk : chunks) acc.add(chunk);
  return acc.result();
}

// Usage only in the last chunk, finish reason only in the last chunk, role only in the first,
// and id and model in the first (the model does not change in these streams, so only there).
void expect_normalized_shape(const std::vector<ChatCompletionChunk>& chunks, const std::string& id,
                             const std::string& model) {
  ASSERT_FALSE(chunks.empty());
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const bool last = i + 1 == chunks.size();
    EXPECT_EQ(chunks[i].id, i == 0 ? id : "") << i;
    EXPECT_EQ(chunks[i].model, i == 0 ? model : "") << i;
    EXPECT_EQ(chunks[i].usage.has_value(), last) << i;
    EXPECT_EQ(chunks[i].finish_reason != FinishReason::kNone, last) << i;
    EXPECT_EQ(chunks[i].delta.role.has_value(), i == 0) << i;
  }
  EXPECT_EQ(chunks.front().delta.role, Role::kAssistant);
}

TEST(OllamaStreamDecoder, RecordedChatStreamAtEverySplitPoint) {
  const std::string wire =
      httprr_body(read_testdata("ollama/langchaingo/TestClient_GenerateChatStream.httprr"));
  const Decoded out = decode_everywhere(wire);
  ASSERT_TRUE(out.error.ok()) << out.error.to_string();
  ASSERT_TRUE(out.finish.ok()) << out.finish.to_string();
  // 21 text lines plus the done line.
  EXPECT_EQ(out.chunks.size(), 22u);
  expect_normalized_shape(out.chunks, "ollama-gemma3:1b-2025-08-20T13:48:24.316155Z", "gemma3:1b");
  const ChatCompletion completion = accumulate(out.chunks);
  EXPECT_EQ(completion.message.text(), "Okay, here we go!\n\n1, 2, 3, 4, 5\n");
  EXPECT_EQ(completion.finish_reason, FinishReason::kStop);
  EXPECT_EQ(completion.raw_finish_reason, "stop");
  ASSERT_TRUE(completion.usage.has_value());
  EXPECT_EQ(completion.usage->input_tokens, 16);
  EXPECT_EQ(completion.usage->output_tokens, 22);
}

TEST(OllamaStreamDecoder, RecordedLengthStopAndUtf8) {
  const std::string wire =
      httprr_body(read_testdata("ollama/langchaingo/TestClient_GenerateChat.httprr"));
  const Decoded out = decode_everywhere(wire);
  ASSERT_TRUE(out.finish.ok()) << out.finish.to_string();
  const ChatCompletion completion = accumulate(out.chunks);
  EXPECT_EQ(completion.finish_reason, FinishReason::kLength);
  EXPECT_EQ(completion.raw_finish_reason, "length");
  ASSERT_TRUE(completion.usage.has_value());
  EXPECT_EQ(completion.usage->input_tokens, 15);
  EXPECT_EQ(completion.usage->output_tokens, 50);
  const std::string text = completion.message.text();
  EXPECT_EQ(text.rfind("Hello there! I\u2019m doing well", 0), 0u) << text;
  EXPECT_NE(text.find("whatever you need. \U0001F60A"), std::string::npos) << text;
}

TEST(OllamaStreamDecoder, OtherRecordingsDecodeCompletely) {
  struct Case {
    const char* file;
    std::size_t exchange;
    const char* text;
    std::int64_t input;
    std::int64_t output;
  };
  const Case cases[] = {
      {"ollama/langchaingo/TestWithFormat.httprr", 0, "{\"answer\": \"600\"}", 25, 9},
      {"ollama/langchaingo/TestWithPullModel.httprr", 1,
       "Hello there! How can I help you today? \U0001F60A", 11, 12},
  };
  for (const Case& c : cases) {
    const std::string wire = httprr_body(read_testdata(c.file), c.exchange);
    const Decoded out = decode_everywhere(wire);
    ASSERT_TRUE(out.finish.ok()) << c.file << ": " << out.finish.to_string();
    const ChatCompletion completion = accumulate(out.chunks);
    EXPECT_EQ(completion.message.text(), c.text) << c.file;
    ASSERT_TRUE(completion.usage.has_value()) << c.file;
    EXPECT_EQ(completion.usage->input_tokens, c.input) << c.file;
    EXPECT_EQ(completion.usage->output_tokens, c.output) << c.file;
  }
  // The think recording has no thinking (the flag sat in options): all of it is text.
  const Decoded think = decode_everywhere(
      httprr_body(read_testdata("ollama/langchaingo/TestClient_GenerateChatWithThink.httprr")));
  const ChatCompletion completion = accumulate(think.chunks);
  EXPECT_TRUE(completion.message.content.size() == 1 &&
              completion.message.content[0].kind == ContentPart::Kind::kText);
  EXPECT_EQ(completion.message.text().rfind("2 + 2 = 4\n\n**Reasoning:**", 0), 0u);
}

TEST(OllamaStreamDecoder, DocumentedToolCallStream) {
  const std::string wire =
      to_ndjson(read_testdata("ollama/docs-examples/api-chat-stream-tools.tool-call-chunk.json") +
                read_testdata("ollama/docs-examples/api-chat-stream-tools.final-chunk.json"));
  const Decoded out = decode_everywhere(wire);
  ASSERT_TRUE(out.finish.ok()) << out.finish.to_string();
  ASSERT_EQ(out.chunks.size(), 2u);
  expect_normalized_shape(out.chunks, "ollama-llama3.2-2025-07-07T20:22:19.184789Z", "llama3.2");
  ASSERT_EQ(out.chunks[0].delta.tool_calls.size(), 1u);
  const ToolCallDelta& call = out.chunks[0].delta.tool_calls[0];
  EXPECT_EQ(call.index, 0);
  EXPECT_EQ(call.id, "call_0");
  EXPECT_EQ(call.name, "get_weather");
  EXPECT_EQ(call.arguments, R"({"city":"Tokyo"})");
  // Ollama says "stop" for an answer that holds tool calls.
  EXPECT_EQ(out.chunks[1].finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(out.chunks[1].raw_finish_reason, "stop");
  EXPECT_EQ(out.chunks[1].usage, (Usage{169, 15, 0, 0, 0}));
}

TEST(OllamaStreamDecoder, DocumentedChatStreamWithoutDoneReason) {
  const std::string wire =
      to_ndjson(read_testdata("ollama/docs-examples/api-chat-stream.first-chunk.json") +
                read_testdata("ollama/docs-examples/api-chat-stream.final-chunk.json"));
  const Decoded out = decode_everywhere(wire);
  ASSERT_TRUE(out.finish.ok()) << out.finish.to_string();
  ASSERT_EQ(out.chunks.size(), 2u);
  EXPECT_EQ(out.chunks[0].delta.content, "The");
  EXPECT_EQ(out.chunks[1].finish_reason, FinishReason::kStop);
  EXPECT_EQ(out.chunks[1].raw_finish_reason, "");
  EXPECT_EQ(out.chunks[1].usage, (Usage{26, 282, 0, 0, 0}));
}

TEST(OllamaStreamDecoder, MidStreamErrorLineAfterTheChunksBeforeIt) {
  // /api/generate's shape ("response" at the top level) is read like message.content.
  const std::string wire = read_testdata("ollama/docs-examples/error-midstream.ndjson");
  const Decoded out = decode_everywhere(wire);
  EXPECT_EQ(accumulate(out.chunks).message.text(), " Yes.Ican");
  EXPECT_EQ(out.error.code(), StatusCode::kUnavailable);
  EXPECT_EQ(out.error.message(), "an error was encountered while running the model");
  EXPECT_EQ(out.error.provider(), "ollama");
  EXPECT_EQ(out.error.http_status(), 0);
  EXPECT_EQ(out.finish, out.error);
}

TEST(OllamaStreamDecoder, GenerateStreamWithTextInTheDoneLine) {
  const Decoded out =
      decode_everywhere(read_testdata("ollama/docs-examples/api-generate-stream.ndjson"));
  ASSERT_TRUE(out.finish.ok()) << out.finish.to_string();
  ASSERT_EQ(out.chunks.size(), 7u);
  EXPECT_EQ(out.chunks.back().delta.content, "!");
  EXPECT_EQ(accumulate(out.chunks).message.text(), "That's a fantastic question!");
  EXPECT_EQ(out.chunks.back().raw_finish_reason, "stop");
}

TEST(OllamaStreamDecoder, ThinkingThenSeveralToolCallsWithAndWithoutIds) {
  const std::string wire =
      R"({"model":"qwen3:8b","created_at":"2025-09-01T10:00:00Z","message":{"role":"assistant","content":"","thinking":"Need the "},"done":false})"
      "\n"
      R"({"model":"qwen3:8b","created_at":"2025-09-01T10:00:01Z","message":{"role":"assistant","content":"","thinking":"weather."},"done":false})"
      "\r\n"
      R"({"model":"qwen3:8b","created_at":"2025-09-01T10:00:02Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"index":0,"name":"get_weather","arguments":{"city":"Paris","days":[1,2]}}},{"id":"call_xyz","function":{"index":1,"name":"get_time","arguments":{}}}]},"done":false})"
      "\n"
      R"({"model":"qwen3:8b","created_at":"2025-09-01T10:00:03Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_news","arguments":"{\"topic\":\"x\"}"}}]},"done":false})"
      "\n"
      R"({"model":"qwen3:8b","created_at":"2025-09-01T10:00:04Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"eval_count":40})";
  const Decoded out = decode_everywhere(wire);  // the last line has no newline
  ASSERT_TRUE(out.finish.ok()) << out.finish.to_string();
  expect_normalized_shape(out.chunks, "ollama-qwen3:8b-2025-09-01T10:00:00Z", "qwen3:8b");
  const ChatCompletion completion = accumulate(out.chunks);
  ASSERT_EQ(completion.message.content.size(), 1u);
  EXPECT_EQ(completion.message.content[0].kind, ContentPart::Kind::kReasoning);
  EXPECT_EQ(completion.message.content[0].text, "Need the weather.");
  ASSERT_EQ(completion.message.tool_calls.size(), 3u);
  EXPECT_EQ(completion.message.tool_calls[0],
            (ToolCall{"call_0", "get_weather", R"({"city":"Paris","days":[1,2]})"}));
  EXPECT_EQ(completion.message.tool_calls[1], (ToolCall{"call_xyz", "get_time", "{}"}));
  EXPECT_EQ(completion.message.tool_calls[2], (ToolCall{"call_2", "get_news", R"({"topic":"x"})"}));
  EXPECT_EQ(out.chunks[2].delta.tool_calls[1].index, 1);
  EXPECT_EQ(out.chunks[3].delta.tool_calls[0].index, 2);
  EXPECT_EQ(completion.finish_reason, FinishReason::kToolCalls);
  // prompt_eval_count is omitted when the prompt was cached: 0.
  EXPECT_EQ(completion.usage, (Usage{0, 40, 0, 0, 0}));
}

TEST(OllamaStreamDecoder, LoadAndUnloadAreStopWithTheRawReasonKept) {
  for (const std::string reason : {"load", "unload"}) {
    const std::string wire =
        R"({"model":"llama3.2","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":""},"done_reason":")" +
        reason + R"(","done":true})" + "\n";
    const Decoded out = decode_everywhere(wire);
    ASSERT_TRUE(out.finish.ok());
    ASSERT_EQ(out.chunks.size(), 1u);
    EXPECT_EQ(out.chunks[0].finish_reason, FinishReason::kStop);
    EXPECT_EQ(out.chunks[0].raw_finish_reason, reason);
  }
}

TEST(OllamaStreamDecoder, BytesAfterTheDoneLineAreIgnored) {
  const std::string wire =
      to_ndjson(read_testdata("ollama/docs-examples/api-chat-stream.final-chunk.json")) +
      "not json at all\n";
  const Decoded out = decode_everywhere(wire);
  EXPECT_TRUE(out.error.ok());
  EXPECT_TRUE(out.finish.ok());
  EXPECT_EQ(out.chunks.size(), 1u);
}

TEST(OllamaStreamDecoder, MalformedLineIsAStickyProtocolError) {
  const std::string wire =
      to_ndjson(read_testdata("ollama/docs-examples/api-chat-stream.first-chunk.json")) +
      "{\"model\":\"llama3.2\",\"message\":{\"content\":\"x\"\n";
  const Decoded out = decode_everywhere(wire);
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_EQ(out.error.code(), StatusCode::kProtocolError);
  EXPECT_EQ(out.error.provider(), "ollama");
  EXPECT_NE(out.error.message().find("malformed"), std::string::npos);
  EXPECT_EQ(out.finish, out.error);

  const Decoded not_object = decode_everywhere("[1,2]\n");
  EXPECT_EQ(not_object.error.code(), StatusCode::kProtocolError);
}

TEST(OllamaStreamDecoder, BodyEndingBeforeDoneIsAnError) {
  const std::string wire =
      to_ndjson(read_testdata("ollama/docs-examples/api-chat-stream.first-chunk.json"));
  const Decoded out = decode_everywhere(wire);
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_EQ(out.finish.code(), StatusCode::kProtocolError);
  EXPECT_NE(out.finish.message().find("ended early"), std::string::npos);
  EXPECT_EQ(out.error, out.finish);  // next() after finish() returns it too
  EXPECT_EQ(decode_split("", 0).finish.code(), StatusCode::kProtocolError);
}

TEST(OllamaChatResponse, DecodesPrettyPrintedDocumentedAnswers) {
  Result<ChatCompletionChunk> plain = decode_chat_response(
      read_testdata("ollama/docs-examples/api-chat-nostream.response.json"), "local");
  ASSERT_TRUE(plain.ok()) << plain.error().to_string();
  EXPECT_EQ(plain->delta.role, Role::kAssistant);
  EXPECT_EQ(plain->delta.content, "Hello! How are you today?");
  EXPECT_EQ(plain->model, "llama3.2");
  EXPECT_EQ(plain->id, "ollama-llama3.2-2023-12-12T14:13:43.416799Z");
  EXPECT_EQ(plain->finish_reason, FinishReason::kStop);
  EXPECT_EQ(plain->usage, (Usage{26, 298, 0, 0, 0}));

  Result<ChatCompletionChunk> tools = decode_chat_response(
      read_testdata("ollama/docs-examples/api-chat-tools-2024.response.json"), "local");
  ASSERT_TRUE(tools.ok()) << tools.error().to_string();
  ASSERT_EQ(tools->delta.tool_calls.size(), 1u);
  EXPECT_EQ(tools->delta.tool_calls[0],
            (ToolCallDelta{0, "call_0", "get_current_weather",
                           R"({"format":"celsius","location":"Paris, FR"})"}));
  EXPECT_EQ(tools->finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(tools->raw_finish_reason, "stop");
  EXPECT_EQ(tools->usage, (Usage{122, 33, 0, 0, 0}));

  Result<ChatCompletionChunk> after_tool = decode_chat_response(
      read_testdata("ollama/docs-examples/api-chat-history-tools.response.json"), "local");
  ASSERT_TRUE(after_tool.ok());
  EXPECT_EQ(after_tool->delta.content, "The current temperature in Toronto is 11\u00b0C.");
  EXPECT_EQ(after_tool->finish_reason, FinishReason::kStop);
}

TEST(OllamaChatResponse, ErrorsAndMalformedBodies) {
  Result<ChatCompletionChunk> error =
      decode_chat_response(read_testdata("ollama/docs-examples/error.response.json"), "local");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().message(), "the model failed to generate a response");
  EXPECT_EQ(error.error().provider(), "local");
  Result<ChatCompletionChunk> junk = decode_chat_response("<html>oops</html>", "local");
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().code(), StatusCode::kProtocolError);
  EXPECT_NE(junk.error().message().find("<html>oops"), std::string::npos);
}

}  // namespace
}  // namespace aisopod::ollama
