// The Gemini stream decoder replaying every streamed recording (at every byte split point),
// the non-streaming decoder on the recorded bodies, and the error and robustness cases.
#include "providers/gemini/stream_decoder.hpp"

#include <gtest/gtest.h>

#include "testing/split_points.hpp"

#include <simdjson.h>

#include <set>
#include <string>
#include <vector>

#include "providers/gemini/test_util.hpp"
#include "testing/testdata.hpp"

namespace aisopod::gemini {
namespace {

using aisopod::testing::read_testdata;
using test::accumulate;
using test::decode;
using test::decode_pieces;
using test::Decoded;
using test::raw_string_after;
using test::sse_from_chunks;

constexpr const char* kFirebase = "google/firebase-sdk-test-data/";

// A streamed recording, as the body the API sent.
struct Recording {
  std::string name;
  std::string wire;
};

std::string wire_of(const std::string& name) {
  const std::string bytes = read_testdata("google/" + name);
  if (name.size() > 11 && name.substr(name.size() - 11) == ".chunks.txt") {
    return sse_from_chunks(bytes);
  }
  return bytes;
}

// Every streamed recording that ends without an error.
std::vector<Recording> successful_recordings() {
  std::vector<Recording> out;
  for (const char* name : {
           "vercel-ai/google-text.chunks.txt",
           "vercel-ai/google-tool-call.chunks.txt",
           "vercel-ai/google-tool-call-gemini3.chunks.txt",
           "vercel-ai/google-reasoning.chunks.txt",
           "vercel-ai/google-stream-no-args-tool-call.chunks.txt",
           "vercel-ai/google-stream-tool-call-arguments.chunks.txt",
           "pydantic-ai/test_google_model_stream.response.sse",
           "pydantic-ai/test_google_model_iter_stream.1.response.sse",
           "pydantic-ai/test_google_model_iter_stream.2.response.sse",
           "pydantic-ai/test_google_model_iter_stream.3.response.sse",
           "pydantic-ai/test_google_model_thinking_part_iter.response.sse",
           "pydantic-ai/test_google_streaming_tool_call_thought_signature.1.response.sse",
           "pydantic-ai/test_google_streaming_tool_call_thought_signature.2.response.sse",
           "firebase-sdk-test-data/googleai/streaming-success-basic-reply-short.txt",
           "firebase-sdk-test-data/googleai/streaming-success-basic-reply-long.txt",
           "firebase-sdk-test-data/googleai/streaming-success-citations.txt",
           "firebase-sdk-test-data/googleai/streaming-success-code-execution.txt",
           "firebase-sdk-test-data/googleai/streaming-success-empty-parts.txt",
           "firebase-sdk-test-data/googleai/streaming-success-finish-message.txt",
           "firebase-sdk-test-data/googleai/streaming-success-no-content-parts.txt",
           "firebase-sdk-test-data/googleai/"
           "streaming-success-thinking-function-call-thought-summary-signature.txt",
           "firebase-sdk-test-data/googleai/streaming-success-thinking-reply-thought-summary.txt",
           "firebase-sdk-test-data/googleai/streaming-success-url-context.txt",
           "firebase-sdk-test-data/googleai/streaming-failure-recitation-no-content.txt",
           "firebase-sdk-test-data/vertexai/streaming-success-empty-text-part.txt",
           "firebase-sdk-test-data/vertexai/streaming-success-function-call-short.txt",
           "firebase-sdk-test-data/vertexai/streaming-success-thinking-reply-thought-summary.txt",
           "firebase-sdk-test-data/vertexai/streaming-failure-finish-reason-safety.txt",
           "firebase-sdk-test-data/vertexai/streaming-failure-recitation-no-content.txt",
           "firebase-sdk-test-data/vertexai/streaming-failure-unknown-finish-enum.txt",
       }) {
    out.push_back({name, wire_of(name)});
  }
  return out;
}

// The normalized-output rules every decoded stream must follow (DESIGN.md section 3).
void expect_well_formed(const std::vector<ChatCompletionChunk>& chunks, const std::string& name,
                        bool has_usage) {
  ASSERT_GE(chunks.size(), 2u) << name;
  EXPECT_EQ(chunks.front().delta.role, Role::kAssistant) << name;
  std::set<int> seen_calls;
  int next_index = 0;
  std::string id;
  std::string model;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const ChatCompletionChunk& c = chunks[i];
    const bool last = i + 1 == chunks.size();
    if (!c.id.empty() || !c.model.empty()) {
      EXPECT_TRUE(c.id != id || c.model != model) << name << " chunk " << i << ": repeated";
      if (!c.id.empty()) id = c.id;
      if (!c.model.empty()) model = c.model;
    }
    EXPECT_EQ(c.usage.has_value(), last && has_usage) << name << " chunk " << i;
    EXPECT_EQ(c.finish_reason != FinishReason::kNone, last) << name << " chunk " << i;
    if (i > 0) {
      EXPECT_FALSE(c.delta.role.has_value()) << name << " chunk " << i;
    }
    if (last) {
      // The final chunk holds the finish reason and usage only.
      EXPECT_EQ(c.delta, ChunkDelta()) << name;
    }
    for (const ToolCallDelta& d : c.delta.tool_calls) {
      ASSERT_TRUE(seen_calls.insert(d.index).second) << name << ": a call comes whole, once";
      EXPECT_EQ(d.index, next_index++) << name << ": indexes are dense, in order";
      EXPECT_FALSE(d.id.empty()) << name;
      EXPECT_FALSE(d.name.empty()) << name;
      EXPECT_FALSE(d.arguments.empty()) << name;
    }
  }
}

TEST(GeminiStreamDecoder, EveryRecordingGivesTheSameChunksAtEverySplitPoint) {
  for (const Recording& recording : successful_recordings()) {
    const Decoded whole = decode(recording.wire);
    ASSERT_TRUE(whole.status.ok()) << recording.name << ": " << whole.status.to_string();
    const bool has_usage = recording.wire.find("TokenCount") != std::string::npos;
    expect_well_formed(whole.chunks, recording.name, has_usage);
    const std::string_view wire = recording.wire;
    for (std::size_t cut = 0; cut <= wire.size(); cut += aisopod::testing::kSplitStep) {
      const Decoded split = decode_pieces({wire.substr(0, cut), wire.substr(cut)});
      ASSERT_TRUE(split.status.ok()) << recording.name << " cut " << cut;
      ASSERT_EQ(split.chunks, whole.chunks) << recording.name << " cut " << cut;
    }
  }
}

TEST(GeminiStreamDecoder, FailingRecordingsFailTheSameWayAtEverySplitPoint) {
  for (const char* name :
       {"firebase-sdk-test-data/vertexai/streaming-failure-error-mid-stream.txt",
        "firebase-sdk-test-data/vertexai/streaming-failure-invalid-json.txt",
        "firebase-sdk-test-data/googleai/streaming-failure-prompt-blocked-safety.txt",
        "firebase-sdk-test-data/vertexai/streaming-failure-prompt-blocked-safety.txt",
        "firebase-sdk-test-data/vertexai/streaming-failure-api-key.txt"}) {
    const std::string wire = wire_of(name);
    const Decoded whole = decode(wire);
    ASSERT_FALSE(whole.status.ok()) << name;
    for (std::size_t cut = 0; cut <= wire.size(); cut += aisopod::testing::kSplitStep) {
      const Decoded split = decode_pieces(
          {std::string_view(wire).substr(0, cut), std::string_view(wire).substr(cut)});
      ASSERT_EQ(split.status, whole.status) << name << " cut " << cut;
      ASSERT_EQ(split.chunks, whole.chunks) << name << " cut " << cut;
    }
  }
}

TEST(GeminiStreamDecoder, TextWithTrailingSignature) {
  const std::string chunks = read_testdata("google/vercel-ai/google-text.chunks.txt");
  const Decoded d = decode(sse_from_chunks(chunks));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 4u);
  EXPECT_EQ(d.chunks[0].id, "bH6LaZW8Fp_3nsEPqtaSwQ4");
  EXPECT_EQ(d.chunks[0].model, "gemini-3-pro-preview");
  EXPECT_EQ(d.chunks[0].delta.content, "There are **3**");
  EXPECT_EQ(d.chunks[1].id, "");
  EXPECT_EQ(d.chunks[1].delta.content, " \"r\"s in strawberry.\n\nst**r**awbe**rr**y");
  // The empty text part carries only the signature.
  const std::string signature = raw_string_after(chunks, "\"text\":\"\"", "thoughtSignature");
  ASSERT_EQ(signature.size(), 916u);
  EXPECT_EQ(d.chunks[2].delta.content, "");
  EXPECT_EQ(d.chunks[2].delta.reasoning_signature, signature);
  EXPECT_EQ(d.chunks[3].finish_reason, FinishReason::kStop);
  EXPECT_EQ(d.chunks[3].raw_finish_reason, "STOP");

  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(), "There are **3** \"r\"s in strawberry.\n\nst**r**awbe**rr**y");
  ASSERT_EQ(c.message.content.size(), 2u);
  EXPECT_EQ(c.message.content[0], ContentPart::make_reasoning("", signature));
  ASSERT_TRUE(c.usage.has_value());
  Usage expected;
  expected.input_tokens = 9;
  expected.output_tokens = 23 + 185;
  expected.reasoning_tokens = 185;
  EXPECT_EQ(*c.usage, expected);
  EXPECT_EQ(c.finish_reason, FinishReason::kStop);
}

TEST(GeminiStreamDecoder, FunctionCallWithSignatureGetsAnId) {
  const std::string chunks = read_testdata("google/vercel-ai/google-tool-call-gemini3.chunks.txt");
  const Decoded d = decode(sse_from_chunks(chunks));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 2u);
  const std::string signature = raw_string_after(chunks, "functionCall", "thoughtSignature");
  ASSERT_EQ(signature.size(), 5488u);
  const ChunkDelta& delta = d.chunks[0].delta;
  ASSERT_EQ(delta.tool_calls.size(), 1u);
  EXPECT_EQ(delta.tool_calls[0], (ToolCallDelta{0, "call_QHiLaa6LBrb8vdIPoNztsAg_0", "weather",
                                                R"({"location":"San Francisco"})"}));
  EXPECT_EQ(delta.reasoning_signature, signature);
  EXPECT_EQ(d.chunks[1].finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(d.chunks[1].raw_finish_reason, "STOP");
  ASSERT_TRUE(d.chunks[1].usage.has_value());
  EXPECT_EQ(d.chunks[1].usage->input_tokens, 29);
  EXPECT_EQ(d.chunks[1].usage->output_tokens, 15 + 804);
  EXPECT_EQ(d.chunks[1].usage->reasoning_tokens, 804);

  const ChatCompletion c = accumulate(d.chunks);
  ASSERT_EQ(c.message.tool_calls.size(), 1u);
  EXPECT_EQ(c.message.tool_calls[0].id, "call_QHiLaa6LBrb8vdIPoNztsAg_0");
  ASSERT_EQ(c.message.content.size(), 1u);
  EXPECT_EQ(c.message.content[0], ContentPart::make_reasoning("", signature));
}

TEST(GeminiStreamDecoder, ThoughtSummariesThenSignedAnswer) {
  const std::string wire =
      read_testdata("google/pydantic-ai/test_google_model_thinking_part_iter.response.sse");
  const Decoded d = decode(wire);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.id, "beHBaJfEMIi-qtsP3769-Q8");
  EXPECT_EQ(c.model, "gemini-2.5-pro");
  ASSERT_EQ(c.message.content.size(), 2u);
  const ContentPart& reasoning = c.message.content[0];
  EXPECT_EQ(reasoning.kind, ContentPart::Kind::kReasoning);
  EXPECT_EQ(reasoning.text.size(), 1575u);
  EXPECT_EQ(reasoning.text.rfind("**Clarifying User Goals**\n\nI'm currently focused o", 0), 0u);
  const std::string signature =
      raw_string_after(wire, "This is a great question", "thoughtSignature");
  ASSERT_EQ(signature.size(), 6152u);
  EXPECT_EQ(reasoning.signature, signature);
  EXPECT_EQ(c.message.text().size(), 1938u);
  EXPECT_EQ(c.message.text().rfind("This is a great question! Safely crossing the street", 0), 0u);
  EXPECT_EQ(c.finish_reason, FinishReason::kStop);
  ASSERT_TRUE(c.usage.has_value());
  EXPECT_EQ(c.usage->input_tokens, 34);
  EXPECT_EQ(c.usage->output_tokens, 469 + 787);
  EXPECT_EQ(c.usage->reasoning_tokens, 787);
  // No thought text ever reaches the answer.
  for (const ChatCompletionChunk& chunk : d.chunks) {
    EXPECT_EQ(chunk.delta.content.find("**Clarifying User Goals**"), std::string::npos);
  }
}

TEST(GeminiStreamDecoder, ThoughtsThenSignedFunctionCall) {
  const std::string wire = read_testdata(
      std::string(kFirebase) +
      "googleai/streaming-success-thinking-function-call-thought-summary-signature.txt");
  const Decoded d = decode(wire);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  ASSERT_EQ(c.message.content.size(), 1u);
  EXPECT_EQ(c.message.content[0].text.size(), 765u);
  EXPECT_EQ(c.message.content[0].signature, raw_string_after(wire, "\"now\"", "thoughtSignature"));
  EXPECT_EQ(c.message.content[0].signature.size(), 1140u);
  ASSERT_EQ(c.message.tool_calls.size(), 1u);
  EXPECT_EQ(c.message.tool_calls[0], (ToolCall{"call_48SHaPHpHKbG-8YPtZCawAk_0", "now", "{}"}));
  EXPECT_EQ(c.finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(c.message.text(), "");
}

TEST(GeminiStreamDecoder, StreamedFunctionCallArguments) {
  const Decoded d = decode(sse_from_chunks(
      read_testdata("google/vercel-ai/google-stream-tool-call-arguments.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  ASSERT_EQ(c.message.tool_calls.size(), 2u);
  EXPECT_EQ(c.message.tool_calls[0],
            (ToolCall{"call_dqHOab6xGLzWodAPkPuViA4_0", "getWeather", R"({"location":"Boston"})"}));
  EXPECT_EQ(c.message.tool_calls[1], (ToolCall{"call_dqHOab6xGLzWodAPkPuViA4_1", "getWeather",
                                               R"({"location":"San Francisco"})"}));
  EXPECT_EQ(c.finish_reason, FinishReason::kToolCalls);
  ASSERT_EQ(c.message.content.size(), 1u);
  EXPECT_EQ(c.message.content[0].signature.size(), 1032u);
  ASSERT_TRUE(c.usage.has_value());
  EXPECT_EQ(c.usage->input_tokens, 26);
  EXPECT_EQ(c.usage->output_tokens, 23 + 132);
}

TEST(GeminiStreamDecoder, StreamedAndWholeCallsMixed) {
  const Decoded d = decode(sse_from_chunks(
      read_testdata("google/vercel-ai/google-stream-no-args-tool-call.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  const std::string prefix = "call__vr4aYiWEJnYodAPkujX0QM_";
  ASSERT_EQ(c.message.tool_calls.size(), 4u);
  EXPECT_EQ(c.message.tool_calls[0], (ToolCall{prefix + "0", "read_theme", "{}"}));
  EXPECT_EQ(c.message.tool_calls[1], (ToolCall{prefix + "1", "read_screen", R"({"id":"A"})"}));
  EXPECT_EQ(c.message.tool_calls[2], (ToolCall{prefix + "2", "read_screen", R"({"id":"B"})"}));
  EXPECT_EQ(c.message.tool_calls[3], (ToolCall{prefix + "3", "read_screen", R"({"id":"C"})"}));
  ASSERT_EQ(c.message.content.size(), 1u);
  EXPECT_EQ(c.message.content[0].text.size(), 320u);
  EXPECT_EQ(c.message.content[0].signature.size(), 1060u);
  EXPECT_EQ(c.model, "gemini-3-flash-preview");
}

TEST(GeminiStreamDecoder, UsageIsTheLastReportNotTheLargest) {
  // promptTokenCount falls from 15 to 13 in the last event.
  const Decoded d =
      decode(read_testdata("google/pydantic-ai/test_google_model_stream.response.sse"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(), "The capital of France is Paris.\n");
  Usage expected;
  expected.input_tokens = 13;
  expected.output_tokens = 8;
  EXPECT_EQ(c.usage, expected);
  EXPECT_EQ(c.id, "w1peaMz6INOvnvgPgYfPiQY");
  EXPECT_EQ(c.model, "gemini-2.0-flash-exp");
}

TEST(GeminiStreamDecoder, ToolUsePromptTokensCountAsInput) {
  const Decoded d = decode(
      read_testdata(std::string(kFirebase) + "googleai/streaming-success-code-execution.txt"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  // executableCode and codeExecutionResult parts are skipped.
  EXPECT_EQ(c.message.text(),
            "To find the sum of the first 5 prime numbers, we first need to identify them. The "
            "first five prime numbers are 2, 3, 5, 7, and 11.\n\nNow, let's calculate their sum "
            "using a Python tool:\n\nThe sum of the first 5 prime numbers is 28.");
  Usage expected;
  expected.input_tokens = 21 + 243;
  expected.output_tokens = 126 + 95;
  expected.reasoning_tokens = 95;
  EXPECT_EQ(c.usage, expected);
}

TEST(GeminiStreamDecoder, CachedTokens) {
  const Decoded d = decode(
      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hi\"}]},\"finishReason\":"
      "\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":2000,\"cachedContentTokenCount\":1500,"
      "\"candidatesTokenCount\":3,\"totalTokenCount\":2003}}\r\n\r\n");
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  Usage expected;
  expected.input_tokens = 2000;
  expected.output_tokens = 3;
  expected.cache_read_tokens = 1500;
  EXPECT_EQ(accumulate(d.chunks).usage, expected);
}

TEST(GeminiStreamDecoder, RepeatedFinishReasonsKeepTheTextInOrderAndTheLastWins) {
  // Vertex AI marks every event STOP; the last event says FAKE_ENUM.
  const Decoded d = decode(
      read_testdata(std::string(kFirebase) + "vertexai/streaming-failure-unknown-finish-enum.txt"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 7u);
  EXPECT_EQ(d.chunks[0].delta.content,
            "**Cats:**\n\n- **Physical Characteristics:**\n  - Size: Cats come");
  for (std::size_t i = 0; i + 1 < d.chunks.size(); ++i) {
    EXPECT_EQ(d.chunks[i].finish_reason, FinishReason::kNone) << i;
  }
  EXPECT_EQ(d.chunks[6].finish_reason, FinishReason::kError);
  EXPECT_EQ(d.chunks[6].raw_finish_reason, "FAKE_ENUM");
  EXPECT_FALSE(d.chunks[6].usage.has_value());
  EXPECT_EQ(accumulate(d.chunks).message.text().size(), 3285u);

  const Decoded recitation = decode(read_testdata(
      std::string(kFirebase) + "vertexai/streaming-failure-recitation-no-content.txt"));
  ASSERT_TRUE(recitation.status.ok());
  const ChatCompletion c = accumulate(recitation.chunks);
  EXPECT_EQ(c.message.text(), "Copyrighted text goes hereMore copyrighted text");
  EXPECT_EQ(c.finish_reason, FinishReason::kContentFilter);
  EXPECT_EQ(c.raw_finish_reason, "RECITATION");
}

TEST(GeminiStreamDecoder, ContentFilterFinishes) {
  const Decoded recitation = decode(read_testdata(
      std::string(kFirebase) + "googleai/streaming-failure-recitation-no-content.txt"));
  ASSERT_TRUE(recitation.status.ok());
  const ChatCompletion c = accumulate(recitation.chunks);
  EXPECT_EQ(c.message.text(), "text1text2text3text4text5text6text7text8");
  EXPECT_EQ(c.finish_reason, FinishReason::kContentFilter);
  EXPECT_EQ(c.raw_finish_reason, "RECITATION");
  EXPECT_EQ(c.model, "gemini-2.0-flash");
  EXPECT_EQ(c.id, "");
  ASSERT_TRUE(c.usage.has_value());
  EXPECT_EQ(c.usage->output_tokens, 261);

  const Decoded safety = decode(read_testdata(
      std::string(kFirebase) + "vertexai/streaming-failure-finish-reason-safety.txt"));
  ASSERT_TRUE(safety.status.ok());
  const ChatCompletion s = accumulate(safety.chunks);
  EXPECT_EQ(s.message.text(), "<redacted>");
  EXPECT_EQ(s.finish_reason, FinishReason::kContentFilter);
  EXPECT_EQ(s.raw_finish_reason, "SAFETY");
}

TEST(GeminiStreamDecoder, FinishReasonTable) {
  struct Case {
    const char* raw;
    bool calls;
    FinishReason expected;
  };
  const Case cases[] = {
      {"STOP", false, FinishReason::kStop},
      {"STOP", true, FinishReason::kToolCalls},
      {"MAX_TOKENS", false, FinishReason::kLength},
      {"MAX_TOKENS", true, FinishReason::kLength},
      {"SAFETY", false, FinishReason::kContentFilter},
      {"RECITATION", false, FinishReason::kContentFilter},
      {"LANGUAGE", false, FinishReason::kContentFilter},
      {"BLOCKLIST", false, FinishReason::kContentFilter},
      {"PROHIBITED_CONTENT", false, FinishReason::kContentFilter},
      {"SPII", false, FinishReason::kContentFilter},
      {"IMAGE_SAFETY", false, FinishReason::kContentFilter},
      {"IMAGE_PROHIBITED_CONTENT", false, FinishReason::kContentFilter},
      {"IMAGE_RECITATION", false, FinishReason::kContentFilter},
      {"IMAGE_OTHER", false, FinishReason::kContentFilter},
      {"NO_IMAGE", false, FinishReason::kError},
      {"OTHER", false, FinishReason::kError},
      {"FINISH_REASON_UNSPECIFIED", false, FinishReason::kError},
      {"MALFORMED_FUNCTION_CALL", true, FinishReason::kError},
      {"SOMETHING_NEW", false, FinishReason::kError},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(finish_reason_from_gemini(c.raw, c.calls), c.expected) << c.raw;
  }
}

std::string event(const std::string& json) { return "data: " + json + "\r\n\r\n"; }

TEST(GeminiStreamDecoder, FunctionCallFinishReasonsAreErrors) {
  struct Case {
    const char* raw;
    const char* message;
  };
  const Case cases[] = {
      {"MALFORMED_FUNCTION_CALL",
       "the model stopped with MALFORMED_FUNCTION_CALL: it wrote a function call that is not "
       "valid (Malformed function call: print(default_api.get_weather(city=))"},
      {"UNEXPECTED_TOOL_CALL",
       "the model stopped with UNEXPECTED_TOOL_CALL: it called a tool although the request "
       "enables none (Malformed function call: print(default_api.get_weather(city=))"},
      {"TOO_MANY_TOOL_CALLS",
       "the model stopped with TOO_MANY_TOOL_CALLS: it called tools too many times in a row "
       "(Malformed function call: print(default_api.get_weather(city=))"},
  };
  for (const Case& c : cases) {
    const Decoded d = decode(
        event(
            R"({"candidates":[{"content":{"parts":[{"text":"Let me check."}],"role":"model"}}],"responseId":"r1"})") +
        event(
            std::string(R"({"candidates":[{"finishReason":")") + c.raw +
            R"j(","finishMessage":"Malformed function call: print(default_api.get_weather(city=)"}]})j"));
    EXPECT_EQ(d.status.code(), StatusCode::kProtocolError) << c.raw;
    EXPECT_EQ(d.status.message(), c.message);
    EXPECT_EQ(d.status.provider(), "gemini");
    // The text before it was delivered.
    ASSERT_EQ(d.chunks.size(), 1u);
    EXPECT_EQ(d.chunks[0].delta.content, "Let me check.");
  }
  const Decoded bare =
      decode(event(R"({"candidates":[{"finishReason":"MALFORMED_FUNCTION_CALL"}]})"));
  EXPECT_EQ(bare.status.message(),
            "the model stopped with MALFORMED_FUNCTION_CALL: it wrote a function call that is not "
            "valid");
}

TEST(GeminiStreamDecoder, ErrorInsideAnEvent) {
  const Decoded d = decode(
      event(R"({"candidates":[{"content":{"parts":[{"text":"Hel"}]}}]})") +
      event(
          R"({"error":{"code":429,"message":"Resource exhausted.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2s"}]}})") +
      event(R"({"candidates":[{"content":{"parts":[{"text":"never"}]},"finishReason":"STOP"}]})"));
  EXPECT_EQ(d.status.code(), StatusCode::kRateLimited);
  EXPECT_EQ(d.status.message(), "Resource exhausted. (status: RESOURCE_EXHAUSTED)");
  EXPECT_EQ(d.status.provider(), "gemini");
  ASSERT_TRUE(d.status.retry_after().has_value());
  EXPECT_EQ(d.status.retry_after()->count(), 2000);
  ASSERT_EQ(d.chunks.size(), 1u);
  EXPECT_EQ(d.chunks[0].delta.content, "Hel");
}

TEST(GeminiStreamDecoder, BareErrorAfterTheEvents) {
  const Decoded d = decode(
      read_testdata(std::string(kFirebase) + "vertexai/streaming-failure-error-mid-stream.txt"));
  EXPECT_EQ(d.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(d.status.message(), "The operation was cancelled. (status: CANCELLED)");
  EXPECT_EQ(d.status.provider(), "gemini");
  ASSERT_EQ(d.chunks.size(), 2u);
  EXPECT_EQ(d.chunks[0].delta.content, "First ");
  EXPECT_EQ(d.chunks[1].delta.content, "Second ");
  EXPECT_EQ(d.chunks[1].finish_reason, FinishReason::kNone);
}

TEST(GeminiStreamDecoder, ErrorBodyInsteadOfAStream) {
  const Decoded d =
      decode(read_testdata(std::string(kFirebase) + "vertexai/streaming-failure-api-key.txt"));
  EXPECT_EQ(d.status.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(d.status.message(),
            "API key not valid. Please pass a valid API key. (status: INVALID_ARGUMENT, reason: "
            "API_KEY_INVALID)");
  EXPECT_TRUE(d.chunks.empty());

  // streamGenerateContent without alt=sse: one JSON array.
  const Decoded array =
      decode("[{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hi\"}]}}]}\n]");
  EXPECT_EQ(array.status.code(), StatusCode::kProtocolError);
  EXPECT_EQ(array.status.message(),
            "the body holds JSON outside SSE data lines: [{\"candidates\": [{\"content\": "
            "{\"parts\": [{\"text\": \"Hi\"}]}}]} ]");
  EXPECT_TRUE(array.chunks.empty());
}

TEST(GeminiStreamDecoder, BlockedPrompt) {
  for (const char* name : {"googleai/streaming-failure-prompt-blocked-safety.txt",
                           "vertexai/streaming-failure-prompt-blocked-safety.txt"}) {
    const Decoded d = decode(read_testdata(std::string(kFirebase) + name));
    EXPECT_EQ(d.status.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(d.status.message(), "the prompt was blocked (blockReason: SAFETY)");
    EXPECT_EQ(d.status.provider(), "gemini");
    EXPECT_TRUE(d.chunks.empty()) << name;
  }
  const Decoded with_message = decode(event(
      R"({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT","blockReasonMessage":"The prompt names prohibited content."},"usageMetadata":{"promptTokenCount":5}})"));
  EXPECT_EQ(with_message.status.message(),
            "the prompt was blocked (blockReason: PROHIBITED_CONTENT): The prompt names "
            "prohibited content.");
}

TEST(GeminiStreamDecoder, EndsWithoutAFinishReason) {
  const Decoded invalid =
      decode(read_testdata(std::string(kFirebase) + "vertexai/streaming-failure-invalid-json.txt"));
  EXPECT_EQ(invalid.status.code(), StatusCode::kProtocolError);
  EXPECT_EQ(invalid.status.message(), "stream ended before a finish reason");
  EXPECT_EQ(invalid.status.provider(), "gemini");

  const Decoded cut = decode(event(R"({"candidates":[{"content":{"parts":[{"text":"Hel"}]}}]})"));
  EXPECT_EQ(cut.status.message(), "stream ended before a finish reason");
  ASSERT_EQ(cut.chunks.size(), 1u);
  EXPECT_EQ(cut.chunks[0].delta.content, "Hel");

  const Decoded empty = decode("");
  EXPECT_EQ(empty.status.message(), "stream ended before a finish reason");
  EXPECT_TRUE(empty.chunks.empty());
}

TEST(GeminiStreamDecoder, EndsInsideAnEvent) {
  const Decoded d = decode(
      event(R"({"candidates":[{"content":{"parts":[{"text":"Hel"}]},"finishReason":"STOP"}]})") +
      "data: {\"candidates\":[{\"content\":{\"par");
  EXPECT_EQ(d.status.code(), StatusCode::kProtocolError);
  EXPECT_EQ(d.status.message(),
            "stream ended inside an event (sse: truncated: stream ended inside a line)");
  ASSERT_EQ(d.chunks.size(), 1u);
}

TEST(GeminiStreamDecoder, LastEventWithoutItsBlankLine) {
  const std::string body =
      "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hello\"}]}}]}\r\n\r\n"
      "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" world!\"}]},"
      "\"finishReason\": \"STOP\"}]}";
  for (const char* ending : {"\n", "\r\n", "\r"}) {
    const Decoded d = decode(body + ending);
    ASSERT_TRUE(d.status.ok()) << d.status.to_string();
    EXPECT_EQ(accumulate(d.chunks).message.text(), "Hello world!");
  }
  const Decoded finish_message = decode(
      read_testdata(std::string(kFirebase) + "googleai/streaming-success-finish-message.txt"));
  ASSERT_TRUE(finish_message.status.ok());
  EXPECT_EQ(accumulate(finish_message.chunks).message.text(), "Hello world!");
}

TEST(GeminiStreamDecoder, LineEndingsDoNotMatter) {
  const std::string crlf =
      read_testdata("google/pydantic-ai/test_google_model_iter_stream.3.response.sse");
  std::string lf;
  std::string cr;
  for (std::size_t i = 0; i < crlf.size(); ++i) {
    if (crlf[i] == '\r' && i + 1 < crlf.size() && crlf[i + 1] == '\n') {
      lf += '\n';
      cr += '\r';
      ++i;
    } else {
      lf += crlf[i];
      cr += crlf[i];
    }
  }
  ASSERT_NE(lf, crlf);
  const Decoded a = decode(crlf);
  ASSERT_TRUE(a.status.ok());
  EXPECT_EQ(accumulate(a.chunks).message.text(),
            "The temperature in Paris is 30\xC2\xB0"
            "C.\n");
  EXPECT_EQ(decode(lf).chunks, a.chunks);
  EXPECT_EQ(decode(cr).chunks, a.chunks);
}

TEST(GeminiStreamDecoder, MalformedPayload) {
  const Decoded d = decode(event("{\"candidates\": [") + event("not json"));
  EXPECT_EQ(d.status.code(), StatusCode::kProtocolError);
  EXPECT_EQ(d.status.message(), std::string("malformed stream event (") +
                                    simdjson::error_message(simdjson::INCOMPLETE_ARRAY_OR_OBJECT) +
                                    "): {\"candidates\": [");
  EXPECT_TRUE(d.chunks.empty());
  const Decoded scalar = decode(event("42"));
  EXPECT_EQ(scalar.status.code(), StatusCode::kProtocolError);
  EXPECT_EQ(scalar.status.message(), std::string("malformed stream event (") +
                                         simdjson::error_message(simdjson::INCORRECT_TYPE) +
                                         "): 42");
}

TEST(GeminiStreamDecoder, ServerIdsAndCallsWithoutResponseId) {
  const Decoded d = decode(event(
      R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"a","args":{"x":[1, 2]}}},{"functionCall":{"id":"srv-7","name":"b","args":{"s":"\"q\""}}},{"functionCall":{"name":"c"}}]},"finishReason":"STOP"}]})"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  ASSERT_EQ(c.message.tool_calls.size(), 3u);
  EXPECT_EQ(c.message.tool_calls[0], (ToolCall{"call_0", "a", R"({"x":[1,2]})"}));
  EXPECT_EQ(c.message.tool_calls[1], (ToolCall{"srv-7", "b", R"({"s":"\"q\""})"}));
  EXPECT_EQ(c.message.tool_calls[2], (ToolCall{"call_2", "c", "{}"}));
  // All three came in one event, so in one chunk.
  EXPECT_EQ(d.chunks[0].delta.tool_calls.size(), 3u);
  EXPECT_EQ(c.finish_reason, FinishReason::kToolCalls);
}

TEST(GeminiStreamDecoder, OneSignaturePerReasoningBlock) {
  const Decoded d = decode(
      event(
          R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"a"},"thoughtSignature":"S1"},{"functionCall":{"name":"b"},"thoughtSignature":"S2"}]}}]})") +
      event(R"({"candidates":[{"content":{"parts":[{"text":"","thoughtSignature":"S3"}]}}]})") +
      event(R"({"candidates":[{"content":{"parts":[{"text":"more thinking","thought":true}]}}]})") +
      event(
          R"({"candidates":[{"content":{"parts":[{"text":"Done.","thoughtSignature":"S4"}]},"finishReason":"STOP"}]})"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 4u);
  // S2 and S3 are dropped (the event of S3 adds nothing, so it has no chunk).
  EXPECT_EQ(d.chunks[0].delta.reasoning_signature, "S1");
  EXPECT_EQ(d.chunks[1].delta.reasoning, "more thinking");
  EXPECT_EQ(d.chunks[1].delta.reasoning_signature, "");
  EXPECT_EQ(d.chunks[2].delta.reasoning_signature, "S4");
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.content,
            (std::vector<ContentPart>{ContentPart::make_reasoning("", "S1"),
                                      ContentPart::make_reasoning("more thinking", "S4"),
                                      ContentPart::make_text("Done.")}));
}

TEST(GeminiStreamDecoder, OnlyTheFirstCandidateIsRead) {
  const Decoded d = decode(event(
      R"({"candidates":[{"content":{"parts":[{"text":"one"}]},"finishReason":"STOP","index":0},{"content":{"parts":[{"text":"two"}]},"finishReason":"MAX_TOKENS","index":1}]})"));
  ASSERT_TRUE(d.status.ok());
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(), "one");
  EXPECT_EQ(c.raw_finish_reason, "STOP");
}

TEST(GeminiStreamDecoder, StreamedArgumentsOfEveryKind) {
  const Decoded d = decode(
      event(
          R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","willContinue":true,"id":"fc-1"}}]}}]})") +
      event(
          R"({"candidates":[{"content":{"parts":[{"functionCall":{"partialArgs":[{"jsonPath":"$.a.b[1]","numberValue":2.5},{"jsonPath":"$['c d']","boolValue":false},{"jsonPath":"$.n","nullValue":"NULL_VALUE"},{"jsonPath":"$.s","stringValue":"x\"y","willContinue":true}],"willContinue":true}}]}}]})") +
      event(
          R"({"candidates":[{"content":{"parts":[{"functionCall":{"partialArgs":[{"jsonPath":"$.s","stringValue":"z"}],"willContinue":true}}]}}]})") +
      event(
          R"({"candidates":[{"content":{"parts":[{"functionCall":{}}]},"finishReason":"STOP"}]})"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  ASSERT_EQ(c.message.tool_calls.size(), 1u);
  EXPECT_EQ(c.message.tool_calls[0],
            (ToolCall{"fc-1", "f", R"({"a":{"b":[null,2.5]},"c d":false,"n":null,"s":"x\"yz"})"}));
  // The call is reported once, whole, in the event that closed it: the events of its pieces
  // add no chunk.
  ASSERT_EQ(d.chunks.size(), 3u);
  EXPECT_EQ(d.chunks[0].delta.tool_calls.size(), 0u);
  EXPECT_EQ(d.chunks[1].delta.tool_calls.size(), 1u);
}

TEST(GeminiStreamDecoder, BadStreamedArguments) {
  const Decoded bad_path = decode(
      event(
          R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","willContinue":true}}]}}]})") +
      event(
          R"({"candidates":[{"content":{"parts":[{"functionCall":{"partialArgs":[{"jsonPath":"a.b","stringValue":"v"}],"willContinue":true}}]}}]})"));
  EXPECT_EQ(bad_path.status.code(), StatusCode::kProtocolError);
  EXPECT_EQ(bad_path.status.message(),
            "a streamed argument of function call 'f' has the jsonPath 'a.b', which cannot be "
            "placed");
  const Decoded unfinished = decode(event(
      R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","willContinue":true}}]},"finishReason":"STOP"}]})"));
  EXPECT_EQ(unfinished.status.message(), "the body ended inside the streamed function call 'f'");
  const Decoded nameless = decode(event(
      R"({"candidates":[{"content":{"parts":[{"functionCall":{"args":{"a":1}}}]},"finishReason":"STOP"}]})"));
  EXPECT_EQ(nameless.status.code(), StatusCode::kProtocolError);
  EXPECT_EQ(nameless.status.message(), "a functionCall part has no name");
}

TEST(GeminiStreamDecoder, FinishIsStickyAndFeedAfterItIsIgnored) {
  StreamDecoder decoder("gem");
  decoder.feed(event(
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}],"responseId":"id1","modelVersion":"m1"})"));
  Decoded out;
  ASSERT_TRUE(test::drain(decoder, out));
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_EQ(out.chunks[0].id, "id1");
  EXPECT_EQ(out.chunks[0].model, "m1");
  EXPECT_TRUE(decoder.finish().ok());
  decoder.feed(event(R"({"candidates":[{"content":{"parts":[{"text":"late"}]}}]})"));
  ASSERT_TRUE(test::drain(decoder, out));
  ASSERT_EQ(out.chunks.size(), 2u);
  EXPECT_EQ(out.chunks[1].finish_reason, FinishReason::kStop);
  EXPECT_EQ(out.chunks[1].id, "");
  EXPECT_TRUE(decoder.finish().ok());
  auto after = decoder.next();
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());

  StreamDecoder failing("gem");
  failing.feed("data: nope\r\n\r\n");
  const Status first = failing.finish();
  EXPECT_EQ(first.code(), StatusCode::kProtocolError);
  EXPECT_EQ(first.provider(), "gem");
  EXPECT_EQ(failing.finish(), first);
  EXPECT_EQ(failing.next().status(), first);
}

TEST(GeminiStreamDecoder, DecoderMovesMidStream) {
  StreamDecoder decoder;
  decoder.feed(event(R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}]})"));
  StreamDecoder moved(std::move(decoder));
  moved.feed(
      event(R"({"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}]})"));
  Decoded out;
  ASSERT_TRUE(test::drain(moved, out));
  EXPECT_TRUE(moved.finish().ok());
  ASSERT_TRUE(test::drain(moved, out));
  EXPECT_EQ(accumulate(out.chunks).message.text(), "ab");
}

// ---------------------------------------------------------------------------------------------
// decode_response (generateContent)

ChatCompletionChunk only_chunk(const std::string& name) {
  auto chunks = decode_response(read_testdata("google/" + name), "gemini");
  EXPECT_TRUE(chunks.ok()) << name << ": " << chunks.status().to_string();
  if (!chunks.ok()) return {};
  EXPECT_EQ(chunks->size(), 1u) << name;
  return chunks->empty() ? ChatCompletionChunk() : chunks->front();
}

TEST(GeminiDecodeResponse, TextWithSignature) {
  const std::string body = read_testdata("google/vercel-ai/google-text.json");
  const ChatCompletionChunk c = only_chunk("vercel-ai/google-text.json");
  EXPECT_EQ(c.id, "Un6LacrVMcjUxs0PmJfWoQc");
  EXPECT_EQ(c.model, "gemini-3-pro-preview");
  EXPECT_EQ(c.delta.role, Role::kAssistant);
  EXPECT_EQ(c.delta.content,
            "There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.");
  EXPECT_EQ(c.delta.reasoning, "");
  EXPECT_EQ(c.delta.reasoning_signature, raw_string_after(body, "\"text\"", "thoughtSignature"));
  EXPECT_EQ(c.delta.reasoning_signature.size(), 100u);
  EXPECT_EQ(c.finish_reason, FinishReason::kStop);
  EXPECT_EQ(c.raw_finish_reason, "STOP");
  Usage expected;
  expected.input_tokens = 9;
  expected.output_tokens = 28 + 244;
  expected.reasoning_tokens = 244;
  EXPECT_EQ(c.usage, expected);
}

TEST(GeminiDecodeResponse, FunctionCall) {
  const ChatCompletionChunk c = only_chunk("vercel-ai/google-tool-call.json");
  ASSERT_EQ(c.delta.tool_calls.size(), 1u);
  EXPECT_EQ(c.delta.tool_calls[0], (ToolCallDelta{0, "call_m36LaZGyCLz1xs0PtNSB-QU_0", "weather",
                                                  R"({"location":"San Francisco"})"}));
  EXPECT_EQ(c.delta.reasoning_signature.size(), 100u);
  EXPECT_EQ(c.finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(c.raw_finish_reason, "STOP");
  ASSERT_TRUE(c.usage.has_value());
  EXPECT_EQ(c.usage->output_tokens, 15 + 893);
}

TEST(GeminiDecodeResponse, VertexFunctionCalls) {
  const ChatCompletionChunk parallel =
      only_chunk("firebase-sdk-test-data/vertexai/unary-success-function-call-parallel-calls.json");
  EXPECT_EQ(parallel.delta.tool_calls,
            (std::vector<ToolCallDelta>{{0, "call_0", "sum", R"({"y":1,"x":2})"},
                                        {1, "call_1", "sum", R"({"y":3,"x":4})"},
                                        {2, "call_2", "sum", R"({"y":5,"x":6})"}}));
  EXPECT_EQ(parallel.finish_reason, FinishReason::kToolCalls);
  EXPECT_FALSE(parallel.usage.has_value());
  EXPECT_EQ(parallel.id, "");

  const ChatCompletionChunk mixed =
      only_chunk("firebase-sdk-test-data/vertexai/unary-success-function-call-mixed-content.json");
  EXPECT_EQ(mixed.delta.content, "The sum of [1, 2,3] is");
  EXPECT_EQ(mixed.delta.tool_calls,
            (std::vector<ToolCallDelta>{{0, "call_0", "sum", R"({"y":1,"x":2})"},
                                        {1, "call_1", "sum", R"({"y":3,"x":3})"}}));

  for (const char* name : {"unary-success-function-call-no-arguments.json",
                           "unary-success-function-call-empty-arguments.json"}) {
    const ChatCompletionChunk c =
        only_chunk(std::string("firebase-sdk-test-data/vertexai/") + name);
    EXPECT_EQ(c.delta.tool_calls, (std::vector<ToolCallDelta>{{0, "call_0", "current_time", "{}"}}))
        << name;
  }
}

TEST(GeminiDecodeResponse, ThoughtsAndSignedCall) {
  const std::string name =
      "firebase-sdk-test-data/googleai/"
      "unary-success-thinking-function-call-thought-summary-signature.json";
  const std::string body = read_testdata("google/" + name);
  const ChatCompletionChunk c = only_chunk(name);
  EXPECT_EQ(c.delta.reasoning.size(), 1319u);
  EXPECT_EQ(c.delta.reasoning.rfind("**Thinking Through the New Year's Eve Calculation**", 0), 0u);
  EXPECT_EQ(c.delta.reasoning_signature, raw_string_after(body, "\"now\"", "thoughtSignature"));
  EXPECT_EQ(c.delta.reasoning_signature.size(), 2508u);
  EXPECT_EQ(c.delta.content, "");
  EXPECT_EQ(c.delta.tool_calls,
            (std::vector<ToolCallDelta>{{0, "call_38CHaLjMG6TujrEPtvTiuQk_0", "now", "{}"}}));
  Usage expected;
  expected.input_tokens = 38;
  expected.output_tokens = 8 + 501;
  expected.reasoning_tokens = 501;
  EXPECT_EQ(c.usage, expected);
}

TEST(GeminiDecodeResponse, PlainAnswersAndFilters) {
  const ChatCompletionChunk basic =
      only_chunk("firebase-sdk-test-data/googleai/unary-success-basic-reply-short.json");
  EXPECT_EQ(basic.delta.content,
            "Google's headquarters, also known as the Googleplex, is located in **Mountain View, "
            "California**.\n");
  EXPECT_EQ(basic.model, "gemini-2.0-flash");

  const ChatCompletionChunk usage =
      only_chunk("firebase-sdk-test-data/vertexai/unary-success-usage-metadata.json");
  EXPECT_EQ(usage.delta.content, "Mountain View, California, United States");
  Usage expected;
  expected.input_tokens = 6;
  expected.output_tokens = 357;
  EXPECT_EQ(usage.usage, expected);

  const ChatCompletionChunk safety =
      only_chunk("firebase-sdk-test-data/googleai/unary-failure-finish-reason-safety.json");
  EXPECT_EQ(safety.delta.content, "Safety error incoming in 5, 4, 3, 2...");
  EXPECT_EQ(safety.finish_reason, FinishReason::kContentFilter);
  EXPECT_EQ(safety.raw_finish_reason, "SAFETY");

  const ChatCompletionChunk other =
      only_chunk("firebase-sdk-test-data/googleai/unary-failure-with-message-no-content.json");
  EXPECT_EQ(other.delta.content, "");
  EXPECT_EQ(other.delta.role, Role::kAssistant);
  EXPECT_EQ(other.finish_reason, FinishReason::kError);
  EXPECT_EQ(other.raw_finish_reason, "OTHER");

  const ChatCompletionChunk reasoning = only_chunk("vercel-ai/google-reasoning.json");
  EXPECT_EQ(reasoning.id, "YH6LaZT7ENmPxN8P-r2J8Aw");
  ASSERT_TRUE(reasoning.usage.has_value());
  EXPECT_EQ(reasoning.usage->reasoning_tokens, 282);
}

TEST(GeminiDecodeResponse, MaxTokensWithNothingButThoughts) {
  // The body recorded in pydantic-ai/test_google_model_max_tokens_thinking_model_empty_response
  // .yaml (stored there as parsed YAML), rebuilt as JSON.
  const std::string yaml = read_testdata(
      "google/pydantic-ai/test_google_model_max_tokens_thinking_model_empty_response.yaml");
  ASSERT_NE(yaml.find("finishReason: MAX_TOKENS"), std::string::npos);
  ASSERT_NE(yaml.find("responseId: fH8oaunbEbr9qtsPjYGX4A0"), std::string::npos);
  const std::string body =
      R"({"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS","index":0}],)"
      R"("modelVersion":"gemini-2.5-pro","responseId":"fH8oaunbEbr9qtsPjYGX4A0",)"
      R"("usageMetadata":{"promptTokenCount":15,"promptTokensDetails":[{"modality":"TEXT",)"
      R"("tokenCount":15}],"serviceTier":"standard","thoughtsTokenCount":2,"totalTokenCount":17}})";
  auto chunks = decode_response(body, "gemini");
  ASSERT_TRUE(chunks.ok()) << chunks.status().to_string();
  ASSERT_EQ(chunks->size(), 1u);
  const ChatCompletionChunk& c = chunks->front();
  EXPECT_EQ(c.delta.content, "");
  EXPECT_EQ(c.finish_reason, FinishReason::kLength);
  EXPECT_EQ(c.raw_finish_reason, "MAX_TOKENS");
  Usage expected;
  expected.input_tokens = 15;
  expected.output_tokens = 2;
  expected.reasoning_tokens = 2;
  EXPECT_EQ(c.usage, expected);
  EXPECT_FALSE(c.has_content());
}

TEST(GeminiDecodeResponse, Errors) {
  auto blocked = decode_response(
      read_testdata(std::string(kFirebase) + "googleai/unary-failure-only-prompt-feedback.json"),
      "gemini");
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(blocked.error().message(), "the prompt was blocked: Message");
  EXPECT_EQ(blocked.error().provider(), "gemini");

  auto error = decode_response(
      read_testdata(std::string(kFirebase) + "googleai/unary-failure-api-key.json"), "gemini");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().code(), StatusCode::kUnauthenticated);

  auto not_json = decode_response("<html>", "gemini");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().code(), StatusCode::kProtocolError);
  EXPECT_EQ(not_json.error().message(), std::string("malformed response (") +
                                            simdjson::error_message(simdjson::INCORRECT_TYPE) +
                                            "): <html>");
  EXPECT_EQ(not_json.error().provider(), "gemini");

  auto no_finish = decode_response(R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}]})", "g");
  ASSERT_FALSE(no_finish.ok());
  EXPECT_EQ(
      no_finish.error().message(),
      R"(response has no finish reason: {"candidates":[{"content":{"parts":[{"text":"x"}]}}]})");
  EXPECT_EQ(no_finish.error().provider(), "g");

  auto malformed_call = decode_response(
      R"({"candidates":[{"finishReason":"MALFORMED_FUNCTION_CALL","finishMessage":"bad"}]})", "g");
  ASSERT_FALSE(malformed_call.ok());
  EXPECT_EQ(malformed_call.error().message(),
            "the model stopped with MALFORMED_FUNCTION_CALL: it wrote a function call that is not "
            "valid (bad)");
}

}  // namespace
}  // namespace aisopod::gemini
