// The Anthropic stream decoder replaying every streamed recording (at every byte split point),
// plus the non-streaming decoder and the error and robustness cases.
#include "providers/anthropic/stream_decoder.hpp"

#include <gtest/gtest.h>

#include "testing/split_points.hpp"

#include <set>
#include <string>
#include <vector>

#include "providers/anthropic/test_util.hpp"
#include "testing/testdata.hpp"

namespace aisopod::anthropic {
namespace {

using aisopod::testing::read_testdata;
using test::accumulate;
using test::body_from_httprr;
using test::decode;
using test::decode_pieces;
using test::Decoded;
using test::raw_string_after;
using test::sse_from_chunks;

// Every streamed recording, as the SSE body the API sent.
struct Recording {
  std::string name;
  std::string wire;
};

std::vector<Recording> all_recordings() {
  std::vector<Recording> out;
  for (const char* name :
       {"anthropic-text", "anthropic-clear-thinking.1", "anthropic-json-tool.1",
        "anthropic-json-tool.2", "anthropic-message-delta-input-tokens", "anthropic-refusal",
        "anthropic-tool-no-args", "anthropic-web-search-tool.1", "duplicate-message-start",
        "spliced-message-start"}) {
    out.push_back({name, sse_from_chunks(read_testdata(std::string("anthropic/vercel-ai/") + name +
                                                       ".chunks.txt"))});
  }
  for (const char* name : {"test_anthropic_model_thinking_part_stream",
                           "test_anthropic_model_thinking_part_redacted_stream",
                           "test_request_stream_fallback_for_high_max_tokens"}) {
    out.push_back(
        {name, read_testdata(std::string("anthropic/pydantic-ai/") + name + ".response.sse")});
  }
  out.push_back({"langchaingo-stream",
                 body_from_httprr(read_testdata("anthropic/langchaingo/"
                                                "TestClient_CreateMessageStream.httprr"))});
  return out;
}

// The normalized-output rules every decoded stream must follow (DESIGN.md section 3).
void expect_well_formed(const std::vector<ChatCompletionChunk>& chunks, const std::string& name) {
  ASSERT_FALSE(chunks.empty()) << name;
  EXPECT_EQ(chunks.front().delta.role, Role::kAssistant) << name;
  std::set<int> seen_calls;
  int next_index = 0;
  // id and model: on the first chunk, and later only where one of them changes.
  EXPECT_FALSE(chunks.front().id.empty()) << name;
  EXPECT_FALSE(chunks.front().model.empty()) << name;
  std::string id;
  std::string model;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const ChatCompletionChunk& c = chunks[i];
    const bool last = i + 1 == chunks.size();
    EXPECT_EQ(c.id.empty(), c.model.empty()) << name << " chunk " << i;
    if (!c.id.empty()) {
      EXPECT_TRUE(c.id != id || c.model != model) << name << " chunk " << i << ": repeated";
      id = c.id;
      model = c.model;
    }
    EXPECT_EQ(c.usage.has_value(), last) << name << " chunk " << i;
    EXPECT_EQ(c.finish_reason != FinishReason::kNone, last) << name << " chunk " << i;
    if (i > 0) {
      EXPECT_FALSE(c.delta.role.has_value()) << name << " chunk " << i;
    }
    for (const ToolCallDelta& d : c.delta.tool_calls) {
      if (seen_calls.insert(d.index).second) {
        EXPECT_EQ(d.index, next_index++) << name << ": indexes are dense, in order";
        EXPECT_FALSE(d.id.empty()) << name;
        EXPECT_FALSE(d.name.empty()) << name;
      } else {
        EXPECT_TRUE(d.id.empty() && d.name.empty()) << name << ": id and name come once";
      }
    }
  }
}

TEST(AnthropicStreamDecoder, EveryRecordingGivesTheSameChunksAtEverySplitPoint) {
  for (const Recording& recording : all_recordings()) {
    const Decoded whole = decode(recording.wire);
    ASSERT_TRUE(whole.status.ok()) << recording.name << ": " << whole.status.to_string();
    expect_well_formed(whole.chunks, recording.name);
    const std::string_view wire = recording.wire;
    for (std::size_t cut = 0; cut <= wire.size(); cut += aisopod::testing::kSplitStep) {
      const Decoded split = decode_pieces({wire.substr(0, cut), wire.substr(cut)});
      ASSERT_TRUE(split.status.ok()) << recording.name << " cut " << cut;
      ASSERT_EQ(split.chunks, whole.chunks) << recording.name << " cut " << cut;
    }
  }
}

TEST(AnthropicStreamDecoder, Text) {
  const Decoded d =
      decode(sse_from_chunks(read_testdata("anthropic/vercel-ai/anthropic-text.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(),
            "Hello! I'm doing well, thank you for asking. How are you doing today? Is there "
            "anything I can help you with?");
  EXPECT_EQ(c.id, "msg_01QC4g3HwBThD4BaNtBckFDJ");
  EXPECT_EQ(c.model, "claude-sonnet-4-5-20250929");
  EXPECT_EQ(c.finish_reason, FinishReason::kStop);
  EXPECT_EQ(c.raw_finish_reason, "end_turn");
  ASSERT_TRUE(c.usage.has_value());
  EXPECT_EQ(c.usage->input_tokens, 12);
  EXPECT_EQ(c.usage->output_tokens, 30);
  EXPECT_TRUE(c.message.tool_calls.empty());
}

TEST(AnthropicStreamDecoder, ThinkingWithSignature) {
  const std::string chunks =
      read_testdata("anthropic/vercel-ai/anthropic-clear-thinking.1.chunks.txt");
  const Decoded d = decode(sse_from_chunks(chunks));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  ASSERT_EQ(c.message.content.size(), 2u);
  EXPECT_EQ(c.message.content[0].kind, ContentPart::Kind::kReasoning);
  EXPECT_EQ(c.message.content[0].text,
            "The previous result was 925. Now I need to divide that by 5.\n\n925 \xC3\xB7 5 = 185");
  const std::string signature = raw_string_after(chunks, "signature_delta", "signature");
  ASSERT_GT(signature.size(), 100u);
  EXPECT_EQ(c.message.content[0].signature, signature);
  EXPECT_EQ(c.message.text(), "925 \xC3\xB7 5 = 185");
  EXPECT_EQ(c.raw_finish_reason, "end_turn");
  ASSERT_TRUE(c.usage.has_value());
  EXPECT_EQ(c.usage->input_tokens, 69);
  EXPECT_EQ(c.usage->output_tokens, 53);
}

TEST(AnthropicStreamDecoder, PaddedThinkingStreamFromPydantic) {
  const std::string wire =
      read_testdata("anthropic/pydantic-ai/test_anthropic_model_thinking_part_stream.response.sse");
  const Decoded d = decode(wire);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  ASSERT_EQ(c.message.content.size(), 2u);
  const ContentPart& reasoning = c.message.content[0];
  EXPECT_EQ(reasoning.text.size(), 202u);
  EXPECT_EQ(reasoning.text.rfind("This is a straightforward question about pedestrian safety.", 0),
            0u);
  EXPECT_EQ(reasoning.signature, raw_string_after(wire, "signature_delta", "signature"));
  EXPECT_EQ(c.message.text().size(), 1021u);
  EXPECT_EQ(c.message.text().rfind("Here are the basic steps for safely crossing the street:", 0),
            0u);
  EXPECT_EQ(c.id, "msg_01ALwQ87pTS7hH1PjSdC9wJD");
  ASSERT_TRUE(c.usage.has_value());
  EXPECT_EQ(c.usage->input_tokens, 43);
  EXPECT_EQ(c.usage->output_tokens, 282);
}

TEST(AnthropicStreamDecoder, RedactedThinkingBlocksStayApart) {
  const std::string wire = read_testdata(
      "anthropic/pydantic-ai/test_anthropic_model_thinking_part_redacted_stream.response.sse");
  const Decoded d = decode(wire);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  const std::string first = raw_string_after(wire, "\"index\":0", "data");
  const std::string second = raw_string_after(wire, "\"index\":1", "data");
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  ASSERT_EQ(c.message.content.size(), 3u);
  EXPECT_EQ(c.message.content[0].kind, ContentPart::Kind::kRedactedReasoning);
  EXPECT_EQ(c.message.content[0].data, first);
  EXPECT_EQ(c.message.content[1].data, second);
  EXPECT_EQ(c.message.text().size(), 359u);
  EXPECT_EQ(c.message.text().rfind("I notice that you've sent what appears", 0), 0u);
  ASSERT_TRUE(c.usage.has_value());
  EXPECT_EQ(c.usage->input_tokens, 92);
  EXPECT_EQ(c.usage->output_tokens, 189);
}

TEST(AnthropicStreamDecoder, ToolCallAfterTextGetsIndexZero) {
  const Decoded d = decode(
      sse_from_chunks(read_testdata("anthropic/vercel-ai/anthropic-json-tool.2.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(), "I'll invoke the JSON response tool.");
  ASSERT_EQ(c.message.tool_calls.size(), 1u);
  EXPECT_EQ(c.message.tool_calls[0].id, "toolu_01KFbKqPYSuAKujiL6mTfzYA");
  EXPECT_EQ(c.message.tool_calls[0].name, "json");
  EXPECT_EQ(
      c.message.tool_calls[0].arguments,
      R"({"elements": [{"location": "San Francisco", "temperature": 58, "condition": "sunny"}]})");
  EXPECT_EQ(c.finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(c.raw_finish_reason, "tool_use");
  ASSERT_TRUE(c.usage.has_value());
  EXPECT_EQ(c.usage->input_tokens, 849);
  EXPECT_EQ(c.usage->output_tokens, 47);
}

TEST(AnthropicStreamDecoder, JsonModeToolInputBecomesContent) {
  DecodeOptions options;
  options.json_tool_name = "json";
  options.json_tool_forced = true;
  for (const char* name : {"anthropic-json-tool.1", "anthropic-json-tool.2"}) {
    const std::string wire =
        sse_from_chunks(read_testdata(std::string("anthropic/vercel-ai/") + name + ".chunks.txt"));
    const Decoded d = decode(wire, options);
    ASSERT_TRUE(d.status.ok()) << d.status.to_string();
    const ChatCompletion c = accumulate(d.chunks);
    // The forced tool's preamble text (json-tool.2) is dropped: the content is the JSON.
    EXPECT_EQ(
        c.message.text(),
        R"({"elements": [{"location": "San Francisco", "temperature": 58, "condition": "sunny"}]})")
        << name;
    EXPECT_TRUE(c.message.tool_calls.empty()) << name;
    EXPECT_EQ(c.finish_reason, FinishReason::kStop) << name;
    EXPECT_EQ(c.raw_finish_reason, "tool_use") << name;
  }
}

TEST(AnthropicStreamDecoder, ToolWithoutArgumentsGetsAnEmptyObject) {
  const Decoded d = decode(
      sse_from_chunks(read_testdata("anthropic/vercel-ai/anthropic-tool-no-args.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(), "I'll update the issue list for you.");
  ASSERT_EQ(c.message.tool_calls.size(), 1u);
  EXPECT_EQ(c.message.tool_calls[0].id, "toolu_01QE1WLsSVp5hy5Q3GmGTmjP");
  EXPECT_EQ(c.message.tool_calls[0].name, "updateIssueList");
  EXPECT_EQ(c.message.tool_calls[0].arguments, "{}");
  EXPECT_EQ(c.finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(c.usage->output_tokens, 48);
}

TEST(AnthropicStreamDecoder, InputTokensGrowingInMessageDeltaWin) {
  const Decoded d = decode(sse_from_chunks(
      read_testdata("anthropic/vercel-ai/anthropic-message-delta-input-tokens.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(), "pong");
  ASSERT_TRUE(c.usage.has_value());
  EXPECT_EQ(c.usage->input_tokens, 61);
  EXPECT_EQ(c.usage->output_tokens, 2);
  EXPECT_EQ(c.model, "claude-opus-4-5-20251101");
}

TEST(AnthropicStreamDecoder, RefusalIsContentFilter) {
  const Decoded d =
      decode(sse_from_chunks(read_testdata("anthropic/vercel-ai/anthropic-refusal.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(), "");
  EXPECT_EQ(c.finish_reason, FinishReason::kContentFilter);
  EXPECT_EQ(c.raw_finish_reason, "refusal");
  EXPECT_EQ(c.usage->output_tokens, 5);
}

TEST(AnthropicStreamDecoder, ServerToolBlocksAndCitationsAreSkipped) {
  const Decoded d = decode(
      sse_from_chunks(read_testdata("anthropic/vercel-ai/anthropic-web-search-tool.1.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_TRUE(c.message.tool_calls.empty());  // server_tool_use is not the caller's to run
  EXPECT_EQ(c.message.text().size(), 2402u);
  EXPECT_EQ(c.message.text().rfind("Based on my search results, here are the key tech news", 0),
            0u);
  EXPECT_EQ(c.finish_reason, FinishReason::kStop);
  ASSERT_TRUE(c.usage.has_value());
  EXPECT_EQ(c.usage->input_tokens, 15665);  // message_start said 2037
  EXPECT_EQ(c.usage->output_tokens, 795);
}

TEST(AnthropicStreamDecoder, RepeatedMessageStartSendsOneRole) {
  const Decoded d = decode(
      sse_from_chunks(read_testdata("anthropic/vercel-ai/duplicate-message-start.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  int roles = 0;
  for (const ChatCompletionChunk& chunk : d.chunks) roles += chunk.delta.role.has_value();
  EXPECT_EQ(roles, 1);
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(), "Hello, World!");
  EXPECT_EQ(c.usage->input_tokens, 17);
  EXPECT_EQ(c.usage->output_tokens, 227);
}

TEST(AnthropicStreamDecoder, SplicedMessageStartKeepsToolIndexesUnique) {
  const Decoded d = decode(
      sse_from_chunks(read_testdata("anthropic/vercel-ai/spliced-message-start.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  // What was already emitted cannot be taken back; the restarted call gets the next index.
  ASSERT_EQ(c.message.tool_calls.size(), 2u);
  EXPECT_EQ(c.message.tool_calls[0].id, "toolu_first");
  EXPECT_EQ(c.message.tool_calls[1].id, "toolu_second");
  EXPECT_EQ(c.message.tool_calls[1].arguments, R"({"value":"Sparkle Day"})");
  EXPECT_EQ(c.finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(c.usage->output_tokens, 65);
  // The restarted message's id is announced once, on its first chunk.
  std::vector<std::string> ids;
  for (const ChatCompletionChunk& chunk : d.chunks) {
    if (!chunk.id.empty()) ids.push_back(chunk.id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"msg_first", "msg_second"}));
}

TEST(AnthropicStreamDecoder, LangchaingoStreamWithPaddedLines) {
  const Decoded d = decode(body_from_httprr(
      read_testdata("anthropic/langchaingo/TestClient_CreateMessageStream.httprr")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(), "1\n2\n3\n4\n5");
  EXPECT_EQ(c.model, "claude-3-opus-20240229");
  EXPECT_EQ(c.usage->input_tokens, 15);
  EXPECT_EQ(c.usage->output_tokens, 13);
}

TEST(AnthropicStreamDecoder, CacheTokensAreMapped) {
  const std::string wire =
      "event: message_start\n"
      R"(data: {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-5","usage":{"input_tokens":5,"cache_creation_input_tokens":1200,"cache_read_input_tokens":3400,"output_tokens":1}}})"
      "\n\n"
      "event: message_delta\n"
      R"(data: {"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":9}})"
      "\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  const Decoded d = decode(wire);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_TRUE(d.chunks.back().usage.has_value());
  EXPECT_EQ(*d.chunks.back().usage, (Usage{5, 9, 3400, 1200, 0}));
  EXPECT_EQ(d.chunks.back().finish_reason, FinishReason::kLength);
}

TEST(AnthropicStreamDecoder, ErrorEventAfterTextDeliversTextThenTheError) {
  const std::string wire =
      "event: message_start\n"
      R"(data: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":3,"output_tokens":1}}})"
      "\n\nevent: content_block_start\n"
      R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"
      "\n\nevent: content_block_delta\n"
      R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})"
      "\n\nevent: error\n"
      R"(data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"
      "\n\n";
  const Decoded d = decode(wire);
  EXPECT_EQ(d.status.code(), StatusCode::kOverloaded) << d.status.to_string();
  EXPECT_EQ(d.status.provider(), "anthropic");
  ASSERT_EQ(d.chunks.size(), 2u);
  EXPECT_EQ(d.chunks[1].delta.content, "Hi");

  StreamDecoder decoder;
  decoder.feed(wire);
  Decoded first;
  EXPECT_FALSE(test::drain(decoder, first));
  // Sticky: the same error again, and from finish().
  EXPECT_EQ(decoder.next().status().code(), StatusCode::kOverloaded);
  EXPECT_EQ(decoder.finish().code(), StatusCode::kOverloaded);
}

TEST(AnthropicStreamDecoder, ApiErrorEventIsUnavailable) {
  const Decoded d = decode(
      "event: error\n"
      R"(data: {"type":"error","error":{"type":"api_error","message":"Internal server error"}})"
      "\n\n");
  EXPECT_EQ(d.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(d.status.message().find("Internal server error"), std::string::npos);
}

TEST(AnthropicStreamDecoder, EndWithoutMessageStopIsProtocolError) {
  std::string wire =
      sse_from_chunks(read_testdata("anthropic/vercel-ai/anthropic-text.chunks.txt"));
  wire = wire.substr(0, wire.find("event: message_stop"));
  const Decoded d = decode(wire);
  EXPECT_EQ(d.status.code(), StatusCode::kProtocolError);
  EXPECT_NE(d.status.message().find("message_stop"), std::string::npos);
  // The chunks before the end are still delivered; no finish chunk was invented.
  EXPECT_EQ(accumulate(d.chunks).message.text().rfind("Hello! I'm doing well", 0), 0u);
  EXPECT_EQ(accumulate(d.chunks).finish_reason, FinishReason::kNone);
}

TEST(AnthropicStreamDecoder, MalformedJsonIsProtocolError) {
  const Decoded d = decode("event: message_start\ndata: {\"type\":\"message_start\",\n\n");
  EXPECT_EQ(d.status.code(), StatusCode::kProtocolError);
  EXPECT_EQ(d.status.provider(), "anthropic");
}

TEST(AnthropicStreamDecoder, FinishReasons) {
  EXPECT_EQ(finish_reason_from_anthropic("end_turn"), FinishReason::kStop);
  EXPECT_EQ(finish_reason_from_anthropic("stop_sequence"), FinishReason::kStop);
  EXPECT_EQ(finish_reason_from_anthropic("pause_turn"), FinishReason::kStop);
  EXPECT_EQ(finish_reason_from_anthropic("max_tokens"), FinishReason::kLength);
  EXPECT_EQ(finish_reason_from_anthropic("model_context_window_exceeded"), FinishReason::kLength);
  EXPECT_EQ(finish_reason_from_anthropic("tool_use"), FinishReason::kToolCalls);
  EXPECT_EQ(finish_reason_from_anthropic("refusal"), FinishReason::kContentFilter);
  EXPECT_EQ(finish_reason_from_anthropic("something_new"), FinishReason::kStop);
}

// Non-streaming bodies.

TEST(AnthropicDecodeMessage, Text) {
  auto chunks =
      decode_message(read_testdata("anthropic/vercel-ai/anthropic-text.json"), "anthropic");
  ASSERT_TRUE(chunks.ok()) << chunks.error().to_string();
  ASSERT_EQ(chunks->size(), 1u);
  const ChatCompletionChunk& c = chunks->front();
  EXPECT_EQ(c.delta.role, Role::kAssistant);
  EXPECT_EQ(c.delta.content,
            "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything "
            "I can help you with?");
  EXPECT_EQ(c.id, "msg_01VdEjxAP5ahtHKrrRdNBteQ");
  EXPECT_EQ(c.finish_reason, FinishReason::kStop);
  EXPECT_EQ(c.raw_finish_reason, "end_turn");
  EXPECT_EQ(c.usage, (Usage{12, 29, 0, 0, 0}));
}

TEST(AnthropicDecodeMessage, ThinkingAndTools) {
  const std::string body = read_testdata("anthropic/vercel-ai/anthropic-clear-thinking.1.json");
  auto thinking = decode_message(body, "anthropic");
  ASSERT_TRUE(thinking.ok());
  const ChatCompletion c = accumulate(*thinking);
  ASSERT_EQ(c.message.content.size(), 2u);
  EXPECT_EQ(c.message.content[0].text, "925 divided by 5 = 185");
  EXPECT_EQ(c.message.content[0].signature, raw_string_after(body, "\"thinking\"", "signature"));
  EXPECT_EQ(c.message.text(), "925 \xC3\xB7 5 = 185");

  auto no_args =
      decode_message(read_testdata("anthropic/vercel-ai/anthropic-tool-no-args.json"), "anthropic");
  ASSERT_TRUE(no_args.ok());
  const ChatCompletion t = accumulate(*no_args);
  ASSERT_EQ(t.message.tool_calls.size(), 1u);
  EXPECT_EQ(t.message.tool_calls[0].id, "toolu_01LRmxn9vGM1d2DZSDBowdZ1");
  EXPECT_EQ(t.message.tool_calls[0].arguments, "{}");
  EXPECT_EQ(t.finish_reason, FinishReason::kToolCalls);

  auto json_tool =
      decode_message(read_testdata("anthropic/vercel-ai/anthropic-json-tool.1.json"), "anthropic");
  ASSERT_TRUE(json_tool.ok());
  const ChatCompletion j = accumulate(*json_tool);
  ASSERT_EQ(j.message.tool_calls.size(), 1u);
  EXPECT_EQ(j.message.tool_calls[0].arguments,
            R"({"elements":[{"location":"San Francisco","temperature":-5,"condition":"snowy"},)"
            R"({"location":"London","temperature":0,"condition":"snowy"},)"
            R"({"location":"Paris","temperature":23,"condition":"cloudy"},)"
            R"({"location":"Berlin","temperature":-9,"condition":"snowy"}]})");
  EXPECT_EQ(j.usage, (Usage{1151, 87, 0, 0, 0}));
}

TEST(AnthropicDecodeMessage, RefusalsAndLangchaingo) {
  for (const char* name : {"anthropic-refusal.json", "anthropic-refusal-no-details.json"}) {
    auto refusal =
        decode_message(read_testdata(std::string("anthropic/vercel-ai/") + name), "anthropic");
    ASSERT_TRUE(refusal.ok()) << name;
    EXPECT_EQ(refusal->back().finish_reason, FinishReason::kContentFilter) << name;
    EXPECT_EQ(refusal->back().delta.content, "") << name;
  }
  auto message = decode_message(
      body_from_httprr(read_testdata("anthropic/langchaingo/TestClient_CreateMessage.httprr")),
      "anthropic");
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->back().delta.content.rfind("Hello! As an AI language model", 0), 0u);
  EXPECT_EQ(message->back().usage, (Usage{13, 35, 0, 0, 0}));
}

TEST(AnthropicDecodeMessage, SeveralRedactedBlocksStayApart) {
  auto chunks = decode_message(
      R"({"id":"m","model":"x","content":[{"type":"redacted_thinking","data":"AAA"},)"
      R"({"type":"redacted_thinking","data":"BBB"},{"type":"text","text":"ok"}],)"
      R"("stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":2}})",
      "anthropic");
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ(chunks->size(), 2u);
  EXPECT_FALSE(chunks->front().usage.has_value());
  const ChatCompletion c = accumulate(*chunks);
  ASSERT_EQ(c.message.content.size(), 3u);
  EXPECT_EQ(c.message.content[0].data, "AAA");
  EXPECT_EQ(c.message.content[1].data, "BBB");
  EXPECT_EQ(c.message.text(), "ok");
}

TEST(AnthropicDecodeMessage, ErrorsAndGarbage) {
  auto error = decode_message(
      R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", "prov");
  EXPECT_EQ(error.status().code(), StatusCode::kOverloaded);
  EXPECT_EQ(error.status().provider(), "prov");
  EXPECT_EQ(decode_message("<html>", "prov").status().code(), StatusCode::kProtocolError);
  EXPECT_EQ(decode_message("{\"id\":\"x\"}", "prov").status().code(), StatusCode::kProtocolError);
}

}  // namespace
}  // namespace aisopod::anthropic
