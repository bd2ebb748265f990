// The Bedrock stream decoder replaying every recorded converse-stream body (whole, and at every
// byte split point), hand-built exception frames, the usage-after-messageStop rule, truncated
// and corrupted bodies; and the non-streaming decode_response().
#include "providers/bedrock/stream_decoder.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "providers/bedrock/test_util.hpp"
#include "testing/split_points.hpp"
#include "testing/testdata.hpp"

namespace aisopod::bedrock {
namespace {

using aisopod::testing::read_testdata;
using test::accumulate;
using test::decode;
using test::decode_pieces;
using test::Decoded;
using test::encode_message;
using test::event_frame;
using test::exception_frame;
using test::frames_from_chunks;
using test::string_header;

constexpr const char* kPydantic = "bedrock/pydantic-ai/";

std::string pydantic(const std::string& name) {
  return read_testdata(kPydantic + name + ".response.eventstream");
}

DecodeOptions with_model(std::string model) {
  DecodeOptions options;
  options.model = std::move(model);
  return options;
}

// Where each message of an event-stream body starts and how long it is, read from the preludes
// (independently of the codec).
struct Frame {
  std::size_t offset;
  std::size_t length;
};
std::vector<Frame> frames_of(std::string_view wire) {
  std::vector<Frame> out;
  std::size_t at = 0;
  while (at + 4 <= wire.size()) {
    std::size_t length = 0;
    for (int i = 0; i < 4; ++i) length = (length << 8) | static_cast<unsigned char>(wire[at + i]);
    out.push_back({at, length});
    at += length;
  }
  return out;
}

// The text of the first `"<key>":"..."` in `text` (base64 and signatures have no escapes), read
// straight from a recording so that tests compare against the bytes Bedrock sent.
std::string raw_string_after(std::string_view text, std::string_view after, std::string_view key) {
  std::size_t at = text.find(after);
  if (at == std::string_view::npos) return {};
  const std::string marker = "\"" + std::string(key) + "\":\"";
  at = text.find(marker, at);
  if (at == std::string_view::npos) return {};
  const std::size_t start = at + marker.size();
  return std::string(text.substr(start, text.find('"', start) - start));
}

struct Recording {
  std::string name;
  std::string wire;
  bool has_usage = true;  // the body has a metadata event
};

std::vector<Recording> all_recordings() {
  std::vector<Recording> out;
  for (const char* name :
       {"test_bedrock_model_stream", "test_bedrock_model_iter_stream.1",
        "test_bedrock_model_iter_stream.2", "test_bedrock_model_thinking_part_stream",
        "test_bedrock_model_thinking_part_redacted_stream",
        "test_bedrock_model_stream_empty_text_delta"}) {
    out.push_back({name, pydantic(name), true});
  }
  for (const char* name :
       {"amazon-bedrock-text", "amazon-bedrock-reasoning", "amazon-bedrock-tool-call.1",
        "amazon-bedrock-tool-no-args", "amazon-bedrock-json-with-tools.1"}) {
    const std::string chunks =
        read_testdata(std::string("bedrock/vercel-ai/") + name + ".chunks.txt");
    out.push_back(
        {name, frames_from_chunks(chunks), chunks.find("\"metadata\"") != std::string::npos});
  }
  return out;
}

// The chunk contract of aisopod/types.hpp, for every decoded stream.
void expect_well_formed(const std::vector<ChatCompletionChunk>& chunks, const std::string& name,
                        bool has_usage) {
  ASSERT_FALSE(chunks.empty()) << name;
  EXPECT_EQ(chunks.front().delta.role, Role::kAssistant) << name;
  EXPECT_EQ(chunks.front().model, "us.amazon.nova-micro-v1:0") << name;
  EXPECT_EQ(chunks.front().id, "req-1") << name;
  std::set<int> seen_calls;
  int next_index = 0;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const ChatCompletionChunk& c = chunks[i];
    const bool last = i + 1 == chunks.size();
    if (i > 0) {
      EXPECT_FALSE(c.delta.role.has_value()) << name << " chunk " << i;
      EXPECT_TRUE(c.id.empty() && c.model.empty()) << name << " chunk " << i;
    }
    EXPECT_EQ(c.finish_reason != FinishReason::kNone, last) << name << " chunk " << i;
    EXPECT_EQ(c.usage.has_value(), last && has_usage) << name << " chunk " << i;
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

TEST(BedrockStreamDecoder, EveryRecordingGivesTheSameChunksAtEverySplitPoint) {
  DecodeOptions options = with_model("us.amazon.nova-micro-v1:0");
  options.response_id = "req-1";
  for (const Recording& recording : all_recordings()) {
    const Decoded whole = decode(recording.wire, options);
    ASSERT_TRUE(whole.status.ok()) << recording.name << ": " << whole.status.to_string();
    expect_well_formed(whole.chunks, recording.name, recording.has_usage);
    const std::string_view wire = recording.wire;
    for (std::size_t cut = 0; cut <= wire.size(); cut += aisopod::testing::kSplitStep) {
      const Decoded split = decode_pieces({wire.substr(0, cut), wire.substr(cut)}, options);
      ASSERT_TRUE(split.status.ok())
          << recording.name << " cut " << cut << ": " << split.status.to_string();
      ASSERT_EQ(split.chunks, whole.chunks) << recording.name << " cut " << cut;
    }
  }
}

TEST(BedrockStreamDecoder, ByteByByteGivesTheSameChunks) {
  const std::string wire = pydantic("test_bedrock_model_iter_stream.1");
  const Decoded whole = decode(wire);
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < wire.size(); ++i)
    bytes.push_back(std::string_view(wire).substr(i, 1));
  const Decoded split = decode_pieces(bytes);
  ASSERT_TRUE(split.status.ok()) << split.status.to_string();
  EXPECT_EQ(split.chunks, whole.chunks);
}

TEST(BedrockStreamDecoder, NovaTextStream) {
  const Decoded d = decode(pydantic("test_bedrock_model_stream"), with_model("m"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  // messageStart (role), 29 text deltas, and the finish chunk released by metadata.
  ASSERT_EQ(d.chunks.size(), 31u);
  EXPECT_EQ(d.chunks[0].delta.role, Role::kAssistant);
  EXPECT_EQ(d.chunks[0].delta.content, "");
  EXPECT_EQ(d.chunks[0].model, "m");
  EXPECT_EQ(d.chunks[0].id, "");
  EXPECT_EQ(d.chunks[1].delta.content, "The");
  EXPECT_EQ(d.chunks[2].delta.content, " capital of France is Paris.");
  const ChatCompletionChunk& last = d.chunks.back();
  EXPECT_EQ(last.delta, ChunkDelta());
  EXPECT_EQ(last.finish_reason, FinishReason::kStop);
  EXPECT_EQ(last.raw_finish_reason, "end_turn");
  ASSERT_TRUE(last.usage.has_value());
  EXPECT_EQ(*last.usage, (Usage{13, 82, 0, 0, 0}));
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(),
            "The capital of France is Paris. Paris is not only the capital city but also the most "
            "populous city in France, and it is a major center for culture, commerce, fashion, "
            "and international diplomacy. Known for its historical landmarks, such as the Eiffel "
            "Tower, the Louvre Museum, and Notre-Dame Cathedral, Paris is often referred to as "
            "\"The City of Light\" or \"The City of Love.\"");
  EXPECT_TRUE(c.message.tool_calls.empty());
  EXPECT_EQ(c.model, "m");
}

TEST(BedrockStreamDecoder, TextThenToolUse) {
  const Decoded d = decode(pydantic("test_bedrock_model_iter_stream.1"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(),
            "<thinking> To find the temperature of the capital of France, I need to first "
            "determine the capital of France and then get the current temperature in that city. "
            "The capital of France is Paris. I will use the \"get_temperature\" tool to find the "
            "current temperature in Paris.</thinking>\n");
  ASSERT_EQ(c.message.tool_calls.size(), 1u);
  EXPECT_EQ(c.message.tool_calls[0],
            (ToolCall{"tooluse_lAG_zP8QRHmSYOwZzzaCqA", "get_temperature", R"({"city":"Paris"})"}));
  EXPECT_EQ(c.finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(c.raw_finish_reason, "tool_use");
  ASSERT_TRUE(c.usage.has_value());
  EXPECT_EQ(*c.usage, (Usage{471, 91, 0, 0, 0}));
  // The start of the call is one chunk (index, id, name), its input the next.
  std::vector<ToolCallDelta> deltas;
  for (const ChatCompletionChunk& chunk : d.chunks) {
    for (const ToolCallDelta& delta : chunk.delta.tool_calls) deltas.push_back(delta);
  }
  ASSERT_EQ(deltas.size(), 2u);
  EXPECT_EQ(deltas[0], (ToolCallDelta{0, "tooluse_lAG_zP8QRHmSYOwZzzaCqA", "get_temperature", ""}));
  EXPECT_EQ(deltas[1], (ToolCallDelta{0, "", "", R"({"city":"Paris"})"}));
}

TEST(BedrockStreamDecoder, TextAfterToolResultWithNonAscii) {
  const Decoded d = decode(pydantic("test_bedrock_model_iter_stream.2"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(),
            "The current temperature in Paris, the capital of France, is 30\xC2\xB0"
            "C.");
  EXPECT_EQ(c.finish_reason, FinishReason::kStop);
  EXPECT_EQ(*c.usage, (Usage{577, 18, 0, 0, 0}));
}

TEST(BedrockStreamDecoder, ReasoningTextAndSignature) {
  const std::string wire = pydantic("test_bedrock_model_thinking_part_stream");
  const Decoded d = decode(wire);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  ASSERT_EQ(c.message.content.size(), 2u);
  EXPECT_EQ(c.message.content[0].kind, ContentPart::Kind::kReasoning);
  EXPECT_EQ(c.message.content[0].text,
            "The user has greeted me with a simple \"Hello\". I should respond in a friendly and "
            "welcoming manner. This is a straightforward greeting, so I'll respond warmly and ask "
            "how I can help them today.");
  const std::string signature = raw_string_after(wire, "reasoningContent", "signature");
  ASSERT_EQ(signature.size(), 496u);
  EXPECT_EQ(signature.substr(0, 20), "Eu0CCkgIBxABGAIqQJDc");
  EXPECT_EQ(c.message.content[0].signature, signature);
  EXPECT_EQ(c.message.text(), "Hello! It's nice to meet you. How can I help you today?");
  EXPECT_EQ(c.raw_finish_reason, "end_turn");
  EXPECT_EQ(*c.usage, (Usage{36, 73, 0, 0, 0}));
}

TEST(BedrockStreamDecoder, RedactedReasoningBlocksStayApart) {
  const std::string wire = pydantic("test_bedrock_model_thinking_part_redacted_stream");
  const Decoded d = decode(wire);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  const std::string first = raw_string_after(wire, "\"contentBlockIndex\":0", "redactedContent");
  const std::string second = raw_string_after(wire, "\"contentBlockIndex\":1", "redactedContent");
  ASSERT_EQ(first.size(), 1080u);
  ASSERT_EQ(second.size(), 752u);
  ASSERT_EQ(c.message.content.size(), 3u);
  EXPECT_EQ(c.message.content[0], ContentPart::make_redacted_reasoning(first));
  EXPECT_EQ(c.message.content[1], ContentPart::make_redacted_reasoning(second));
  EXPECT_EQ(c.message.text().size(), 359u);
  EXPECT_EQ(c.message.text().rfind("I notice you've sent what appears to be some kind of", 0), 0u);
  EXPECT_EQ(*c.usage, (Usage{92, 253, 0, 0, 0}));
}

TEST(BedrockStreamDecoder, EmptyTextDeltaThenUnsignedReasoning) {
  const Decoded d = decode(pydantic("test_bedrock_model_stream_empty_text_delta"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  // messageStart, the reasoning delta, two text deltas, the finish chunk: the empty text delta
  // adds no chunk.
  ASSERT_EQ(d.chunks.size(), 5u);
  const ChatCompletion c = accumulate(d.chunks);
  ASSERT_EQ(c.message.content.size(), 2u);
  EXPECT_EQ(c.message.content[0],
            ContentPart::make_reasoning("The user just says \"Hi\". We need to respond "
                                        "appropriately, friendly greeting. No special "
                                        "instructions. Should be short.",
                                        ""));
  EXPECT_EQ(c.message.text(), "Hello! How can I help you today?");
  EXPECT_EQ(*c.usage, (Usage{70, 43, 0, 0, 0}));
}

TEST(BedrockStreamDecoder, ReasoningFromVercelCapture) {
  const std::string chunks = read_testdata("bedrock/vercel-ai/amazon-bedrock-reasoning.chunks.txt");
  const Decoded d = decode(frames_from_chunks(chunks));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  ASSERT_EQ(c.message.content.size(), 2u);
  EXPECT_EQ(
      c.message.content[0].text,
      "Let me count the r's in \"strawberry\":\n\ns-t-r-a-w-b-e-r-r-y\n\nr appears at positions 3, "
      "8, and 9.\n\nSo there are 3 r's.");
  EXPECT_EQ(c.message.content[0].signature,
            raw_string_after(chunks, "reasoningContent\":{\"signature", "signature"));
  EXPECT_FALSE(c.message.content[0].signature.empty());
  EXPECT_EQ(c.message.text(),
            "There are **3** r's in \"strawberry\":\n\n1. st**r**awbe**r****r**y");
  EXPECT_EQ(*c.usage, (Usage{51, 94, 0, 0, 0}));
}

TEST(BedrockStreamDecoder, ToolWithoutArgumentsGetsAnEmptyObject) {
  const Decoded d = decode(frames_from_chunks(
      read_testdata("bedrock/vercel-ai/amazon-bedrock-tool-no-args.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(), "I'll update the issue list for you.");
  ASSERT_EQ(c.message.tool_calls.size(), 1u);
  EXPECT_EQ(c.message.tool_calls[0], (ToolCall{"tool-use-id", "updateIssueList", "{}"}));
  EXPECT_EQ(c.finish_reason, FinishReason::kToolCalls);
  // The stream has metadata before messageStop: the usage goes out with the finish chunk.
  EXPECT_EQ(*c.usage, (Usage{100, 25, 0, 0, 0}));
}

TEST(BedrockStreamDecoder, UsageBeforeMessageStopGoesOutWithTheFinishChunk) {
  const std::string wire =
      frames_from_chunks(read_testdata("bedrock/vercel-ai/amazon-bedrock-tool-call.1.chunks.txt"));
  StreamDecoder decoder;
  decoder.feed(wire);
  Decoded out;
  ASSERT_TRUE(test::drain(decoder, out));
  // Everything, the finish chunk included, is out before the body ends.
  ASSERT_FALSE(out.chunks.empty());
  const ChatCompletionChunk& last = out.chunks.back();
  EXPECT_EQ(last.finish_reason, FinishReason::kToolCalls);
  ASSERT_TRUE(last.usage.has_value());
  EXPECT_EQ(*last.usage, (Usage{125, 45, 0, 0, 0}));
  EXPECT_TRUE(decoder.finish().ok());
  ASSERT_TRUE(test::drain(decoder, out));
  EXPECT_EQ(out.chunks.back().finish_reason, FinishReason::kToolCalls);
  const ChatCompletion c = accumulate(out.chunks);
  ASSERT_EQ(c.message.tool_calls.size(), 1u);
  EXPECT_EQ(c.message.tool_calls[0],
            (ToolCall{"tool-use-id", "test-tool", R"({"value":"Sparkle Day"})"}));
  // This capture has no messageStart: the first chunk still has the role.
  EXPECT_EQ(out.chunks.front().delta.role, Role::kAssistant);
}

TEST(BedrockStreamDecoder, FinishChunkIsHeldUntilTheUsageArrivesAfterMessageStop) {
  const std::string wire = pydantic("test_bedrock_model_iter_stream.2");
  const std::vector<Frame> frames = frames_of(wire);
  ASSERT_EQ(frames.size(), 9u);
  const Frame metadata = frames[8];
  StreamDecoder decoder;
  Decoded out;
  decoder.feed(std::string_view(wire).substr(0, metadata.offset));
  ASSERT_TRUE(test::drain(decoder, out));
  // messageStop has been read, but its chunk waits for the usage.
  ASSERT_EQ(out.chunks.size(), 6u);
  for (const ChatCompletionChunk& chunk : out.chunks) {
    EXPECT_EQ(chunk.finish_reason, FinishReason::kNone);
    EXPECT_FALSE(chunk.usage.has_value());
  }
  decoder.feed(std::string_view(wire).substr(metadata.offset));
  ASSERT_TRUE(test::drain(decoder, out));
  ASSERT_EQ(out.chunks.size(), 7u);
  EXPECT_EQ(out.chunks.back().finish_reason, FinishReason::kStop);
  EXPECT_EQ(out.chunks.back().raw_finish_reason, "end_turn");
  EXPECT_EQ(out.chunks.back().usage, (Usage{577, 18, 0, 0, 0}));
  EXPECT_TRUE(decoder.finish().ok());
}

TEST(BedrockStreamDecoder, CacheTokensAreRead) {
  const std::string wire =
      event_frame("messageStart", R"({"role":"assistant","p":"abcdef"})") +
      event_frame("contentBlockDelta",
                  R"({"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"ab"})") +
      event_frame("contentBlockStop", R"({"contentBlockIndex":0})") +
      event_frame("messageStop", R"({"stopReason":"max_tokens"})") +
      event_frame(
          "metadata",
          R"({"usage":{"inputTokens":5,"outputTokens":7,"totalTokens":1212,)"
          R"("cacheReadInputTokens":1000,"cacheWriteInputTokens":200},"metrics":{"latencyMs":3}})");
  const Decoded d = decode(wire);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 3u);
  EXPECT_EQ(d.chunks[2].finish_reason, FinishReason::kLength);
  EXPECT_EQ(d.chunks[2].raw_finish_reason, "max_tokens");
  EXPECT_EQ(d.chunks[2].usage, (Usage{5, 7, 1000, 200, 0}));
}

TEST(BedrockStreamDecoder, StopReasonsAreNormalized) {
  EXPECT_EQ(finish_reason_from_bedrock("end_turn"), FinishReason::kStop);
  EXPECT_EQ(finish_reason_from_bedrock("stop_sequence"), FinishReason::kStop);
  EXPECT_EQ(finish_reason_from_bedrock("max_tokens"), FinishReason::kLength);
  EXPECT_EQ(finish_reason_from_bedrock("model_context_window_exceeded"), FinishReason::kLength);
  EXPECT_EQ(finish_reason_from_bedrock("tool_use"), FinishReason::kToolCalls);
  EXPECT_EQ(finish_reason_from_bedrock("guardrail_intervened"), FinishReason::kContentFilter);
  EXPECT_EQ(finish_reason_from_bedrock("content_filtered"), FinishReason::kContentFilter);
  EXPECT_EQ(finish_reason_from_bedrock("malformed_model_output"), FinishReason::kError);
  EXPECT_EQ(finish_reason_from_bedrock("malformed_tool_use"), FinishReason::kError);
  EXPECT_EQ(finish_reason_from_bedrock("something_new"), FinishReason::kStop);

  for (const char* raw : {"guardrail_intervened", "content_filtered", "stop_sequence"}) {
    const Decoded d =
        decode(event_frame("messageStart", R"({"role":"assistant"})") +
               event_frame("messageStop", std::string(R"({"stopReason":")") + raw + "\"}") +
               event_frame("metadata", R"({"usage":{"inputTokens":1,"outputTokens":2}})"));
    ASSERT_TRUE(d.status.ok()) << raw;
    ASSERT_EQ(d.chunks.size(), 2u) << raw;
    EXPECT_EQ(d.chunks[1].finish_reason, finish_reason_from_bedrock(raw)) << raw;
    EXPECT_EQ(d.chunks[1].raw_finish_reason, raw);
  }
}

// A stream that starts like the recording and then carries an exception frame.
std::string text_then(const std::string& frame) {
  return event_frame("messageStart", R"({"role":"assistant"})") +
         event_frame("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Par"}})") +
         frame +
         event_frame("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"is"}})");
}

struct ExceptionCase {
  const char* type;
  const char* payload;
  StatusCode code;
  const char* message;
};

TEST(BedrockStreamDecoder, ExceptionFramesAreMappedAndSticky) {
  const ExceptionCase cases[] = {
      {"throttlingException",
       R"({"message":"Too many requests, please wait before trying again."})",
       StatusCode::kRateLimited,
       "Too many requests, please wait before trying again. (type: throttlingException)"},
      {"serviceUnavailableException", R"({"message":"Bedrock is unable to process your request."})",
       StatusCode::kUnavailable,
       "Bedrock is unable to process your request. (type: serviceUnavailableException)"},
      {"modelStreamErrorException",
       R"({"message":"Model error","originalStatusCode":500,"originalMessage":"boom"})",
       StatusCode::kUnavailable,
       "Model error (type: modelStreamErrorException, original_status: 500)"},
      {"modelStreamErrorException", R"({"originalStatusCode":529,"originalMessage":"Overloaded"})",
       StatusCode::kOverloaded,
       "Overloaded (type: modelStreamErrorException, original_status: 529)"},
      {"validationException", R"({"message":"The tool name is invalid."})",
       StatusCode::kInvalidArgument, "The tool name is invalid. (type: validationException)"},
      {"validationException", R"({"message":"Input is too long for requested model."})",
       StatusCode::kContextLengthExceeded,
       "Input is too long for requested model. (type: validationException)"},
      {"internalServerException", R"({"message":"An internal error occurred."})",
       StatusCode::kUnavailable, "An internal error occurred. (type: internalServerException)"},
      {"internalServerException", "", StatusCode::kUnavailable,
       "error without a message (type: internalServerException)"},
  };
  for (const ExceptionCase& c : cases) {
    const std::string wire = text_then(exception_frame(c.type, c.payload));
    for (std::size_t cut = 0; cut <= wire.size(); cut += 13) {
      const Decoded d = decode_pieces(
          {std::string_view(wire).substr(0, cut), std::string_view(wire).substr(cut)});
      ASSERT_FALSE(d.status.ok()) << c.type;
      EXPECT_EQ(d.status.code(), c.code) << c.type;
      EXPECT_EQ(d.status.message(), c.message) << c.type;
      EXPECT_EQ(d.status.provider(), "bedrock");
      EXPECT_EQ(d.status.http_status(), 0);
      // The chunks before the exception come first; nothing after it.
      ASSERT_EQ(d.chunks.size(), 2u) << c.type << " cut " << cut;
      EXPECT_EQ(d.chunks[1].delta.content, "Par");
    }
    StreamDecoder decoder;
    decoder.feed(wire);
    Decoded out;
    EXPECT_FALSE(test::drain(decoder, out));
    auto again = decoder.next();
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error(), out.status);
    EXPECT_EQ(decoder.finish(), out.status);
    decoder.feed(event_frame("messageStop", R"({"stopReason":"end_turn"})"));
    EXPECT_EQ(decoder.next().error(), out.status);
  }
}

TEST(BedrockStreamDecoder, ExceptionAfterMessageStopDropsTheHeldFinishChunk) {
  const std::string wire =
      event_frame("messageStart", R"({"role":"assistant"})") +
      event_frame("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})") +
      event_frame("messageStop", R"({"stopReason":"end_turn"})") +
      exception_frame("internalServerException", R"({"message":"late"})");
  const Decoded d = decode(wire);
  EXPECT_EQ(d.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(d.status.message(), "late (type: internalServerException)");
  ASSERT_EQ(d.chunks.size(), 2u);
  EXPECT_EQ(d.chunks[1].finish_reason, FinishReason::kNone);
}

TEST(BedrockStreamDecoder, ErrorFramesAreMapped) {
  const std::string frame = encode_message(string_header(":message-type", "error") +
                                               string_header(":error-code", "ThrottlingException") +
                                               string_header(":error-message", "Rate exceeded"),
                                           "");
  const Decoded d = decode(text_then(frame));
  EXPECT_EQ(d.status.code(), StatusCode::kRateLimited);
  EXPECT_EQ(d.status.message(), "Rate exceeded (type: ThrottlingException)");
  EXPECT_EQ(d.status.provider(), "bedrock");
  EXPECT_EQ(d.chunks.size(), 2u);

  const std::string unknown = encode_message(
      string_header(":message-type", "error") + string_header(":error-code", "InternalFailure"),
      "");
  const Decoded u = decode(text_then(unknown));
  EXPECT_EQ(u.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(u.status.message(), "error without a message (type: InternalFailure)");
}

TEST(BedrockStreamDecoder, BadChecksumIsTheCodecsStickyProtocolError) {
  std::string wire = pydantic("test_bedrock_model_stream");
  const std::vector<Frame> frames = frames_of(wire);
  // Flip one payload byte of the fourth message (the third text delta).
  const Frame bad = frames[3];
  wire[bad.offset + bad.length - 10] ^= 0x01;
  for (std::size_t cut : {std::size_t{0}, bad.offset, bad.offset + 20, wire.size()}) {
    const Decoded d =
        decode_pieces({std::string_view(wire).substr(0, cut), std::string_view(wire).substr(cut)});
    EXPECT_EQ(d.status.code(), StatusCode::kProtocolError);
    EXPECT_EQ(d.status.message().rfind("event-stream: message checksum mismatch in the message at "
                                       "byte offset " +
                                           std::to_string(bad.offset) + ":",
                                       0),
              0u)
        << d.status.message();
    EXPECT_EQ(d.status.provider(), "bedrock");
    // messageStart and the two text deltas before the bad message.
    ASSERT_EQ(d.chunks.size(), 3u) << "cut " << cut;
    EXPECT_EQ(d.chunks[2].delta.content, " capital of France is Paris.");
  }
  StreamDecoder decoder;
  decoder.feed(wire);
  Decoded out;
  EXPECT_FALSE(test::drain(decoder, out));
  EXPECT_EQ(decoder.next().error(), out.status);
  EXPECT_EQ(decoder.finish(), out.status);
}

TEST(BedrockStreamDecoder, BodyEndingBeforeMessageStopIsAProtocolError) {
  const std::string wire = pydantic("test_bedrock_model_iter_stream.1");
  const std::vector<Frame> frames = frames_of(wire);
  const Frame message_stop = frames[frames.size() - 2];
  // At a message boundary.
  const Decoded at_boundary = decode(std::string_view(wire).substr(0, message_stop.offset));
  EXPECT_EQ(at_boundary.status.code(), StatusCode::kProtocolError);
  EXPECT_EQ(at_boundary.status.message(), "stream ended before messageStop");
  EXPECT_EQ(at_boundary.status.provider(), "bedrock");
  const ChatCompletion partial = accumulate(at_boundary.chunks);
  EXPECT_EQ(partial.message.tool_calls.size(), 1u);
  EXPECT_EQ(partial.finish_reason, FinishReason::kNone);
  // Inside a message.
  const Decoded inside = decode(std::string_view(wire).substr(0, message_stop.offset + 30));
  EXPECT_EQ(inside.status.code(), StatusCode::kProtocolError);
  EXPECT_EQ(
      inside.status.message().rfind("stream ended before messageStop (event-stream: truncated", 0),
      0u)
      << inside.status.message();
  // An empty body.
  const Decoded empty = decode("");
  EXPECT_EQ(empty.status.message(), "stream ended before messageStop");
  EXPECT_TRUE(empty.chunks.empty());
}

TEST(BedrockStreamDecoder, BodyEndingAfterMessageStopWithoutMetadata) {
  const std::string wire = pydantic("test_bedrock_model_iter_stream.2");
  const Frame metadata = frames_of(wire).back();
  const Decoded d = decode(std::string_view(wire).substr(0, metadata.offset));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  EXPECT_EQ(d.chunks.back().finish_reason, FinishReason::kStop);
  EXPECT_FALSE(d.chunks.back().usage.has_value());
  // A metadata message cut short is a broken body.
  const Decoded cut = decode(std::string_view(wire).substr(0, metadata.offset + 40));
  EXPECT_EQ(cut.status.code(), StatusCode::kProtocolError);
  EXPECT_EQ(cut.status.message().rfind("event-stream: truncated", 0), 0u) << cut.status.message();
}

TEST(BedrockStreamDecoder, BytesAfterMetadataAreIgnored) {
  const std::string wire = pydantic("test_bedrock_model_iter_stream.2") + "garbage";
  const Decoded d = decode(wire);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  EXPECT_EQ(d.chunks.back().usage, (Usage{577, 18, 0, 0, 0}));
}

TEST(BedrockStreamDecoder, MalformedPayloadIsAProtocolError) {
  const Decoded d = decode(event_frame("messageStart", R"({"role":"assistant"})") +
                           event_frame("contentBlockDelta", R"({"contentBlockIndex":0,"delta":)"));
  EXPECT_EQ(d.status.code(), StatusCode::kProtocolError);
  EXPECT_EQ(d.status.message().rfind("malformed contentBlockDelta event (", 0), 0u)
      << d.status.message();
  EXPECT_NE(d.status.message().find(R"(): {"contentBlockIndex":0,"delta":)"), std::string::npos)
      << d.status.message();
  EXPECT_EQ(d.chunks.size(), 1u);
}

TEST(BedrockStreamDecoder, UnknownEventsAndBlocksAreSkipped) {
  const std::string wire =
      event_frame("messageStart", R"({"role":"assistant"})") +
      event_frame("somethingNew", R"({"x":1})") +
      event_frame("contentBlockStart",
                  R"({"contentBlockIndex":0,"start":{"image":{"format":"png"}}})") +
      event_frame("contentBlockDelta",
                  R"({"contentBlockIndex":0,"delta":{"image":{"source":{"bytes":"AAAA"}}}})") +
      event_frame("contentBlockStop", R"({"contentBlockIndex":0})") +
      event_frame("contentBlockDelta",
                  R"({"contentBlockIndex":1,"delta":{"citation":{"title":"t"}}})") +
      event_frame("contentBlockDelta", R"({"contentBlockIndex":1,"delta":{"text":"ok"}})") +
      // An event without :message-type is an event too.
      encode_message(string_header(":event-type", "messageStop"), R"({"stopReason":"end_turn"})");
  const Decoded d = decode(wire);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 3u);
  EXPECT_EQ(d.chunks[1].delta.content, "ok");
  EXPECT_EQ(d.chunks[2].finish_reason, FinishReason::kStop);
}

TEST(BedrockStreamDecoder, RedactedContentInPiecesIsOneBlock) {
  const std::string wire =
      event_frame("messageStart", R"({"role":"assistant"})") +
      event_frame(
          "contentBlockDelta",
          R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"redactedContent":"QUJD"}}})") +
      event_frame(
          "contentBlockDelta",
          R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"redactedContent":"REVG"}}})") +
      event_frame("contentBlockStop", R"({"contentBlockIndex":0})") +
      event_frame(
          "contentBlockDelta",
          R"({"contentBlockIndex":1,"delta":{"reasoningContent":{"redactedContent":"R0hJ"}}})") +
      event_frame("messageStop", R"({"stopReason":"end_turn"})");
  const Decoded d = decode(wire);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  ASSERT_EQ(c.message.content.size(), 2u);
  EXPECT_EQ(c.message.content[0], ContentPart::make_redacted_reasoning("QUJDREVG"));
  // A block never stopped is reported at messageStop.
  EXPECT_EQ(c.message.content[1], ContentPart::make_redacted_reasoning("R0hJ"));
}

std::string json_mode_stream() {
  return event_frame("messageStart", R"({"role":"assistant"})") +
         event_frame("contentBlockDelta",
                     R"({"contentBlockIndex":0,"delta":{"text":"I'll call the tool."}})") +
         event_frame("contentBlockStop", R"({"contentBlockIndex":0})") +
         event_frame(
             "contentBlockStart",
             R"({"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_1","name":"json_response"}}})") +
         event_frame("contentBlockDelta",
                     R"({"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}}}})") +
         event_frame("contentBlockDelta",
                     R"({"contentBlockIndex":1,"delta":{"toolUse":{"input":"\"Paris\"}"}}}})") +
         event_frame("contentBlockStop", R"({"contentBlockIndex":1})") +
         event_frame("messageStop", R"({"stopReason":"tool_use"})") +
         event_frame("metadata", R"({"usage":{"inputTokens":3,"outputTokens":4}})");
}

TEST(BedrockStreamDecoder, JsonModeToolInputIsTheContent) {
  DecodeOptions forced;
  forced.json_tool_name = std::string(kJsonToolName);
  forced.json_tool_forced = true;
  const Decoded d = decode(json_mode_stream(), forced);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(), R"({"city":"Paris"})");
  EXPECT_TRUE(c.message.tool_calls.empty());
  EXPECT_EQ(c.finish_reason, FinishReason::kStop);
  EXPECT_EQ(c.raw_finish_reason, "tool_use");

  DecodeOptions offered = forced;
  offered.json_tool_forced = false;
  const ChatCompletion o = accumulate(decode(json_mode_stream(), offered).chunks);
  EXPECT_EQ(o.message.text(), R"(I'll call the tool.{"city":"Paris"})");

  // Without JSON mode the tool is an ordinary call.
  const ChatCompletion plain = accumulate(decode(json_mode_stream()).chunks);
  ASSERT_EQ(plain.message.tool_calls.size(), 1u);
  EXPECT_EQ(plain.message.tool_calls[0].name, "json_response");
  EXPECT_EQ(plain.finish_reason, FinishReason::kToolCalls);
}

TEST(BedrockStreamDecoder, JsonModeWithOtherToolsKeepsToolCalls) {
  DecodeOptions options;
  options.json_tool_name = "json";
  const Decoded d = decode(frames_from_chunks(read_testdata(
                               "bedrock/vercel-ai/amazon-bedrock-json-with-tools.1.chunks.txt")),
                           options);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const ChatCompletion c = accumulate(d.chunks);
  EXPECT_EQ(c.message.text(), R"(Multiple tools.Final JSON.{"final":"result"})");
  ASSERT_EQ(c.message.tool_calls.size(), 2u);
  EXPECT_EQ(c.message.tool_calls[0], (ToolCall{"tool-1", "tool-a", R"({"a":"1"})"}));
  EXPECT_EQ(c.message.tool_calls[1], (ToolCall{"tool-2", "tool-b", R"({"b":"2"})"}));
  EXPECT_EQ(c.finish_reason, FinishReason::kToolCalls);
  EXPECT_FALSE(c.usage.has_value());
}

// ---------------------------------------------------------------------------------------------
// decode_response

TEST(BedrockDecodeResponse, Text) {
  DecodeOptions options = with_model("anthropic.claude-3-haiku-20240307-v1:0");
  options.response_id = "rid";
  auto chunks = decode_response(read_testdata("bedrock/vercel-ai/amazon-bedrock-text.json"),
                                "bedrock", options);
  ASSERT_TRUE(chunks.ok()) << chunks.status().to_string();
  ASSERT_EQ(chunks->size(), 1u);
  const ChatCompletionChunk& c = chunks->front();
  EXPECT_EQ(c.delta.role, Role::kAssistant);
  EXPECT_EQ(c.id, "rid");
  EXPECT_EQ(c.model, "anthropic.claude-3-haiku-20240307-v1:0");
  EXPECT_EQ(c.delta.content,
            "Let me count the \"r\"s in \"strawberry\":\n\ns-t-**r**-a-w-b-e-**r**-**r**-y\n\n"
            "There are **3** \"r\"s in \"strawberry.\"");
  EXPECT_EQ(c.finish_reason, FinishReason::kStop);
  EXPECT_EQ(c.raw_finish_reason, "end_turn");
  EXPECT_EQ(c.usage, (Usage{22, 57, 0, 0, 0}));
}

TEST(BedrockDecodeResponse, ReasoningComesFirstInAChunkOfItsOwn) {
  auto chunks =
      decode_response(read_testdata("bedrock/vercel-ai/amazon-bedrock-reasoning.json"), "bedrock");
  ASSERT_TRUE(chunks.ok()) << chunks.status().to_string();
  ASSERT_EQ(chunks->size(), 2u);
  EXPECT_EQ((*chunks)[0].delta.role, Role::kAssistant);
  EXPECT_EQ((*chunks)[0].delta.reasoning,
            "Let me count the r's in \"strawberry\":\n\ns-t-r-a-w-b-e-r-r-y\n\nThere are 3 r's.");
  EXPECT_EQ((*chunks)[0].delta.reasoning_signature.substr(0, 24), "EvYBCkgICxABGAIqQA9E9VC3");
  EXPECT_EQ((*chunks)[0].delta.reasoning_signature.size(), 336u);
  EXPECT_FALSE((*chunks)[1].delta.role.has_value());
  EXPECT_EQ((*chunks)[1].delta.content,
            "There are **3** r's in \"strawberry\":\n\n1. st**r**awbe**r****r**y");
  EXPECT_EQ((*chunks)[1].usage, (Usage{51, 78, 0, 0, 0}));
  const ChatCompletion c = accumulate(*chunks);
  ASSERT_EQ(c.message.content.size(), 2u);
  EXPECT_EQ(c.message.content[0].kind, ContentPart::Kind::kReasoning);
}

TEST(BedrockDecodeResponse, ToolUseAndRedactedReasoning) {
  const std::string body =
      R"({"output":{"message":{"role":"assistant","content":[)"
      R"({"reasoningContent":{"redactedContent":"QUJD"}},)"
      R"({"reasoningContent":{"redactedContent":"REVG"}},)"
      R"({"text":"Checking."},)"
      R"({"toolUse":{"toolUseId":"t1","name":"get_temperature","input":{"city":"Paris"}}},)"
      R"({"toolUse":{"toolUseId":"t2","name":"now"}}]}},)"
      R"("stopReason":"tool_use","usage":{"inputTokens":10,"outputTokens":20,"totalTokens":30,)"
      R"("cacheReadInputTokens":4,"cacheWriteInputTokens":5}})";
  auto chunks = decode_response(body, "bedrock");
  ASSERT_TRUE(chunks.ok()) << chunks.status().to_string();
  ASSERT_EQ(chunks->size(), 3u);
  EXPECT_EQ((*chunks)[0].delta.redacted_reasoning, "QUJD");
  EXPECT_EQ((*chunks)[1].delta.redacted_reasoning, "REVG");
  const ChatCompletion c = accumulate(*chunks);
  EXPECT_EQ(c.message.text(), "Checking.");
  ASSERT_EQ(c.message.tool_calls.size(), 2u);
  EXPECT_EQ(c.message.tool_calls[0], (ToolCall{"t1", "get_temperature", R"({"city":"Paris"})"}));
  EXPECT_EQ(c.message.tool_calls[1], (ToolCall{"t2", "now", "{}"}));
  EXPECT_EQ(c.finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(c.usage, (Usage{10, 20, 4, 5, 0}));
  EXPECT_EQ(c.message.content.size(), 3u);
}

TEST(BedrockDecodeResponse, HandWrittenToolCallCapture) {
  auto chunks = decode_response(read_testdata("bedrock/vercel-ai/amazon-bedrock-tool-call.1.json"),
                                "bedrock");
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ(chunks->size(), 1u);
  ASSERT_EQ(chunks->front().delta.tool_calls.size(), 1u);
  EXPECT_EQ(chunks->front().delta.tool_calls[0],
            (ToolCallDelta{0, "tool-use-id", "bash", R"({"command":"ls -l"})"}));
  EXPECT_EQ(chunks->front().finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(chunks->front().usage, (Usage{10, 20, 0, 0, 0}));
}

TEST(BedrockDecodeResponse, JsonMode) {
  const std::string body =
      R"({"output":{"message":{"role":"assistant","content":[{"text":"Here it is."},)"
      R"({"toolUse":{"toolUseId":"t1","name":"json_response","input":{"a":[1,2]}}}]}},)"
      R"("stopReason":"tool_use","usage":{"inputTokens":1,"outputTokens":2}})";
  DecodeOptions options;
  options.json_tool_name = std::string(kJsonToolName);
  options.json_tool_forced = true;
  auto chunks = decode_response(body, "bedrock", options);
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ(chunks->size(), 1u);
  EXPECT_EQ(chunks->front().delta.content, R"({"a":[1,2]})");
  EXPECT_TRUE(chunks->front().delta.tool_calls.empty());
  EXPECT_EQ(chunks->front().finish_reason, FinishReason::kStop);
  options.json_tool_forced = false;
  EXPECT_EQ(decode_response(body, "bedrock", options)->front().delta.content,
            R"(Here it is.{"a":[1,2]})");
}

TEST(BedrockDecodeResponse, Errors) {
  auto not_json = decode_response("<html>oops</html>", "bedrock-eu");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().code(), StatusCode::kProtocolError);
  EXPECT_EQ(not_json.error().message(), "response is not a JSON object: <html>oops</html>");
  EXPECT_EQ(not_json.error().provider(), "bedrock-eu");

  auto no_content = decode_response(R"({"output":{"message":{"role":"assistant"}}})", "bedrock");
  ASSERT_FALSE(no_content.ok());
  EXPECT_EQ(no_content.error().code(), StatusCode::kProtocolError);
  EXPECT_EQ(
      no_content.error().message(),
      R"(response has no output.message.content array: {"output":{"message":{"role":"assistant"}}})");

  auto error =
      decode_response(R"({"__type":"ThrottlingException","message":"Rate exceeded"})", "bedrock");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().code(), StatusCode::kRateLimited);
  EXPECT_EQ(error.error().message(), "Rate exceeded (type: ThrottlingException)");
}

}  // namespace
}  // namespace aisopod::bedrock
