#include "providers/openai/stream_decoder.hpp"

#include <gtest/gtest.h>

#include "testing/split_points.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "testing/testdata.hpp"

namespace aisopod::openai {
namespace {

using aisopod::testing::read_testdata;

// Everything one decode produced: the chunks in order and the final status.
struct Decoded {
  std::vector<ChatCompletionChunk> chunks;
  Status status;  // the first error from next() or finish(); ok otherwise
};

// Drains next() into `out`; returns false (with the error in out.status) on an error.
bool drain(StreamDecoder& decoder, Decoded& out) {
  for (;;) {
    auto next = decoder.next();
    if (!next.ok()) {
      out.status = next.error();
      return false;
    }
    if (!next->has_value()) return true;
    out.chunks.push_back(std::move(**next));
  }
}

Decoded decode_pieces(const std::vector<std::string_view>& pieces) {
  StreamDecoder decoder("openai");
  Decoded out;
  for (std::string_view piece : pieces) {
    decoder.feed(piece);
    if (!drain(decoder, out)) return out;
  }
  Status finished = decoder.finish();
  if (!drain(decoder, out)) return out;
  out.status = finished;
  return out;
}

Decoded decode(std::string_view wire) { return decode_pieces({wire}); }

// The answer assembled from chunks, the way a consumer would.
struct Assembled {
  std::optional<Role> role;
  std::string text;
  std::string reasoning;
  std::map<int, ToolCall> calls;
  FinishReason finish = FinishReason::kNone;
  std::string raw_finish;
  int finish_count = 0;
  std::optional<Usage> usage;
  int usage_count = 0;
  bool usage_in_last_chunk = false;
};

Assembled assemble(const std::vector<ChatCompletionChunk>& chunks) {
  Assembled a;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const ChatCompletionChunk& c = chunks[i];
    if (c.delta.role && !a.role) a.role = c.delta.role;
    a.text += c.delta.content;
    a.reasoning += c.delta.reasoning;
    for (const ToolCallDelta& d : c.delta.tool_calls) {
      ToolCall& call = a.calls[d.index];
      if (!d.id.empty()) call.id = d.id;
      if (!d.name.empty()) call.name = d.name;
      call.arguments += d.arguments;
    }
    if (c.finish_reason != FinishReason::kNone) {
      a.finish = c.finish_reason;
      a.raw_finish = c.raw_finish_reason;
      ++a.finish_count;
    }
    if (c.usage) {
      a.usage = c.usage;
      ++a.usage_count;
      a.usage_in_last_chunk = i + 1 == chunks.size();
    }
  }
  return a;
}

// A *.chunks.txt fixture (one data payload per line) framed as the server sends it.
std::string sse_from_chunk_lines(const std::string& lines) {
  std::string wire;
  std::size_t start = 0;
  while (start < lines.size()) {
    std::size_t end = lines.find('\n', start);
    if (end == std::string::npos) end = lines.size();
    const std::string_view line = std::string_view(lines).substr(start, end - start);
    if (!line.empty()) {
      wire += "data: ";
      wire += line;
      wire += "\n\n";
    }
    start = end + 1;
  }
  wire += "data: [DONE]\n\n";
  return wire;
}

Usage make_usage(std::int64_t input, std::int64_t output, std::int64_t cache_read = 0,
                 std::int64_t reasoning = 0) {
  Usage u;
  u.input_tokens = input;
  u.output_tokens = output;
  u.cache_read_tokens = cache_read;
  u.reasoning_tokens = reasoning;
  return u;
}

// Every recording replayed at every split point into two feeds gives the one-feed chunks.
class EverySplitPoint : public ::testing::TestWithParam<std::string> {};

TEST_P(EverySplitPoint, SameChunksAsOneFeed) {
  std::string wire = read_testdata(GetParam());
  if (GetParam().ends_with(".chunks.txt")) wire = sse_from_chunk_lines(wire);
  const Decoded whole = decode(wire);
  ASSERT_TRUE(whole.status.ok()) << whole.status.to_string();
  ASSERT_FALSE(whole.chunks.empty());
  const Assembled a = assemble(whole.chunks);
  EXPECT_EQ(a.finish_count, 1);
  EXPECT_EQ(whole.chunks.back().finish_reason == FinishReason::kNone, false);
  EXPECT_LE(a.usage_count, 1);
  for (std::size_t cut = 0; cut <= wire.size(); cut += aisopod::testing::kSplitStep) {
    const std::string_view w(wire);
    const Decoded split = decode_pieces({w.substr(0, cut), w.substr(cut)});
    ASSERT_TRUE(split.status.ok()) << "cut at " << cut << ": " << split.status.to_string();
    ASSERT_EQ(split.chunks, whole.chunks) << "cut at " << cut;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Recordings, EverySplitPoint,
    ::testing::Values("openai/openai-python/test_allows_non_strict_tools_but_no_parsing.sse",
                      "openai/openai-python/test_content_logprobs_events.sse",
                      "openai/openai-python/test_non_pydantic_response_format.sse",
                      "openai/openai-python/test_parse_max_tokens_reached.sse",
                      "openai/openai-python/test_parse_multiple_pydantic_tools.sse",
                      "openai/openai-python/test_parse_nothing.sse",
                      "openai/openai-python/test_parse_pydantic_model.sse",
                      "openai/openai-python/test_parse_pydantic_model_multiple_choices.sse",
                      "openai/openai-python/test_parse_pydantic_model_refusal.sse",
                      "openai/openai-python/test_parse_pydantic_tool.sse",
                      "openai/openai-python/test_parse_strict_tools.sse",
                      "openai/openai-python/test_refusal_logprobs_events.sse",
                      "openai/pydantic-ai/test_openai_moderation_stream.response.sse",
                      "openai/pydantic-ai/test_run_stream_sync_streams_real_model.1.response.sse",
                      "openai/pydantic-ai/test_run_stream_sync_streams_real_model.2.response.sse",
                      "openai/compatible-vercel-ai/anthropic-fallback-tool-call.sse",
                      "openai/compatible-vercel-ai/alibaba-tool-call.chunks.txt",
                      "openai/compatible-vercel-ai/deepseek-tool-call.chunks.txt",
                      "openai/compatible-vercel-ai/groq-tool-call.chunks.txt",
                      "openai/compatible-vercel-ai/mistral-incremental-tool-call.chunks.txt",
                      "openai/vercel-ai/azure-model-router.1.chunks.txt"));

TEST(StreamDecoder, PlainTextWithUsage) {
  const Decoded d = decode(read_testdata("openai/openai-python/test_parse_nothing.sse"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const Assembled a = assemble(d.chunks);
  EXPECT_EQ(a.text,
            "I'm unable to provide real-time weather updates. To get the current weather in San "
            "Francisco, I recommend checking a reliable weather website or a weather app.");
  EXPECT_EQ(a.role, Role::kAssistant);
  EXPECT_EQ(a.finish, FinishReason::kStop);
  EXPECT_EQ(a.raw_finish, "stop");
  EXPECT_EQ(a.usage, make_usage(14, 30));
  EXPECT_EQ(a.usage_count, 1);
  EXPECT_TRUE(a.usage_in_last_chunk);
  // The first chunk carries the role only (content ""), the last the finish reason and usage;
  // 30 content deltas in between.
  ASSERT_EQ(d.chunks.size(), 32u);
  EXPECT_EQ(d.chunks.front().delta.role, Role::kAssistant);
  EXPECT_EQ(d.chunks.front().delta.content, "");
  EXPECT_EQ(d.chunks[1].delta.content, "I'm");
  EXPECT_FALSE(d.chunks[1].delta.role.has_value());
  EXPECT_EQ(d.chunks.back().finish_reason, FinishReason::kStop);
  EXPECT_EQ(d.chunks.back().delta.content, "");
  // id and model come with the first chunk and are not repeated while unchanged.
  EXPECT_EQ(d.chunks.front().id, "chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL");
  EXPECT_EQ(d.chunks.front().model, "gpt-4o-2024-08-06");
  for (std::size_t i = 1; i < d.chunks.size(); ++i) {
    EXPECT_EQ(d.chunks[i].id, "") << i;
    EXPECT_EQ(d.chunks[i].model, "") << i;
  }
}

TEST(StreamDecoder, IdAndModelAnnouncedAgainWhenTheyChange) {
  const Decoded d = decode(
      "data: {\"id\":\"a\",\"model\":\"m1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
      "\"x\"}}]}\n\ndata: {\"id\":\"a\",\"model\":\"m1\",\"choices\":[{\"index\":0,\"delta\":"
      "{\"content\":\"y\"}}]}\n\ndata: {\"id\":\"b\",\"model\":\"m2\",\"choices\":[{\"index\":0,"
      "\"delta\":{\"content\":\"z\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 3u);
  EXPECT_EQ(d.chunks[0].id, "a");
  EXPECT_EQ(d.chunks[0].model, "m1");
  EXPECT_EQ(d.chunks[1].id, "");
  EXPECT_EQ(d.chunks[2].id, "b");
  EXPECT_EQ(d.chunks[2].model, "m2");
}

TEST(StreamDecoder, NonAsciiTextSurvives) {
  const Decoded d =
      decode(read_testdata("openai/openai-python/test_non_pydantic_response_format.sse"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const Assembled a = assemble(d.chunks);
  EXPECT_EQ(a.text.size(), 615u);
  EXPECT_EQ(a.text.substr(0, 42), "\n  {\n    \"location\": \"San Francisco, CA\",\n");
  EXPECT_NE(a.text.find("\"temperature\": \"18\xC2\xB0"
                        "C\""),
            std::string::npos);
  EXPECT_EQ(a.usage, make_usage(19, 177));
}

TEST(StreamDecoder, TwoParallelToolCalls) {
  const Decoded d =
      decode(read_testdata("openai/openai-python/test_parse_multiple_pydantic_tools.sse"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const Assembled a = assemble(d.chunks);
  ASSERT_EQ(a.calls.size(), 2u);
  EXPECT_EQ(a.calls.at(0).id, "call_JMW1whyEaYG438VE1OIflxA2");
  EXPECT_EQ(a.calls.at(0).name, "GetWeatherArgs");
  EXPECT_EQ(a.calls.at(0).arguments, R"({"city": "Edinburgh", "country": "GB", "units": "c"})");
  EXPECT_EQ(a.calls.at(1).id, "call_DNYTawLBoN8fj3KN6qU9N1Ou");
  EXPECT_EQ(a.calls.at(1).name, "get_stock_price");
  EXPECT_EQ(a.calls.at(1).arguments, R"({"ticker": "AAPL", "exchange": "NASDAQ"})");
  EXPECT_EQ(a.text, "");
  EXPECT_EQ(a.finish, FinishReason::kToolCalls);
  EXPECT_EQ(a.raw_finish, "tool_calls");
  EXPECT_EQ(a.usage, make_usage(149, 60));
  EXPECT_TRUE(a.usage_in_last_chunk);
  // Ids and names appear once per call, in the call's first delta.
  int ids = 0;
  int names = 0;
  for (const ChatCompletionChunk& c : d.chunks) {
    for (const ToolCallDelta& t : c.delta.tool_calls) {
      ids += t.id.empty() ? 0 : 1;
      names += t.name.empty() ? 0 : 1;
    }
  }
  EXPECT_EQ(ids, 2);
  EXPECT_EQ(names, 2);
}

TEST(StreamDecoder, MaxTokensReached) {
  const Decoded d = decode(read_testdata("openai/openai-python/test_parse_max_tokens_reached.sse"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const Assembled a = assemble(d.chunks);
  EXPECT_EQ(a.text, "{\"");
  EXPECT_EQ(a.finish, FinishReason::kLength);
  EXPECT_EQ(a.raw_finish, "length");
  EXPECT_EQ(a.usage, make_usage(79, 1));
  EXPECT_TRUE(a.usage_in_last_chunk);
}

TEST(StreamDecoder, RefusalBecomesContent) {
  const Decoded d =
      decode(read_testdata("openai/openai-python/test_parse_pydantic_model_refusal.sse"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const Assembled a = assemble(d.chunks);
  EXPECT_EQ(a.text, "I'm sorry, I can't assist with that request.");
  EXPECT_EQ(a.finish, FinishReason::kStop);  // the server said stop, not content_filter
  EXPECT_EQ(a.usage, make_usage(79, 11));

  const Decoded l = decode(read_testdata("openai/openai-python/test_refusal_logprobs_events.sse"));
  ASSERT_TRUE(l.status.ok()) << l.status.to_string();
  EXPECT_EQ(assemble(l.chunks).text, "I'm very sorry, but I can't assist with that.");
}

TEST(StreamDecoder, OnlyChoiceZeroOfSeveral) {
  const Decoded d =
      decode(read_testdata("openai/openai-python/test_parse_pydantic_model_multiple_choices.sse"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const Assembled a = assemble(d.chunks);
  EXPECT_EQ(a.text, R"({"city":"San Francisco","temperature":65,"units":"f"})");
  EXPECT_EQ(a.finish_count, 1);
  EXPECT_EQ(a.usage, make_usage(79, 42));
}

TEST(StreamDecoder, ChunksAfterUsageAreReadAndIgnored) {
  const Decoded d =
      decode(read_testdata("openai/pydantic-ai/test_openai_moderation_stream.response.sse"));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const Assembled a = assemble(d.chunks);
  EXPECT_EQ(a.text, "Paris.");
  EXPECT_EQ(a.usage, make_usage(13, 11));
  EXPECT_TRUE(a.usage_in_last_chunk);
  ASSERT_EQ(d.chunks.size(), 4u);  // role, "Paris", ".", finish + usage
  EXPECT_EQ(d.chunks.front().model, "gpt-5-2025-08-07");
}

TEST(StreamDecoder, ToolCallIndexStartingAtOneIsRenumbered) {
  const Decoded d =
      decode(read_testdata("openai/compatible-vercel-ai/anthropic-fallback-tool-call.sse"));
  // The recording ends "data: [DONE]\n" without the blank line: the finish reason makes the
  // answer complete anyway.
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const Assembled a = assemble(d.chunks);
  EXPECT_EQ(a.text, "Reading it.");
  ASSERT_EQ(a.calls.size(), 1u);
  ASSERT_EQ(a.calls.count(0), 1u);
  EXPECT_EQ(a.calls.at(0).id, "toolu_sanitized");
  EXPECT_EQ(a.calls.at(0).name, "read_file");
  EXPECT_EQ(a.calls.at(0).arguments, R"({"path": "a.txt"})");
  EXPECT_EQ(a.finish, FinishReason::kToolCalls);
  EXPECT_EQ(a.usage_count, 0);
  // The empty continuation delta {"index":1,"function":{"arguments":""}} adds nothing.
  for (const ChatCompletionChunk& c : d.chunks) {
    for (const ToolCallDelta& t : c.delta.tool_calls) {
      EXPECT_FALSE(t.id.empty() && t.name.empty() && t.arguments.empty());
    }
  }
}

TEST(StreamDecoder, GroqWholeCallAndUsageInXGroq) {
  const Decoded d = decode(
      sse_from_chunk_lines(read_testdata("openai/compatible-vercel-ai/groq-tool-call.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 3u);
  ASSERT_EQ(d.chunks[1].delta.tool_calls.size(), 1u);
  const ToolCallDelta& call = d.chunks[1].delta.tool_calls[0];
  EXPECT_EQ(call.index, 0);
  EXPECT_EQ(call.id, "tk85n1k4m");
  EXPECT_EQ(call.name, "weather");
  EXPECT_EQ(call.arguments, "{}");
  EXPECT_EQ(d.chunks[2].finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(d.chunks[2].usage, make_usage(210, 15));
  EXPECT_EQ(assemble(d.chunks).usage_count, 1);
  EXPECT_EQ(d.chunks[0].model, "llama-3.3-70b-versatile");
}

TEST(StreamDecoder, GroqUsageOnlyInXGroq) {
  const std::string wire =
      "data: "
      "{\"id\":\"a\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},"
      "\"finish_reason\":\"stop\"}],\"x_groq\":{\"id\":\"req\",\"usage\":{\"prompt_tokens\":7,"
      "\"completion_tokens\":2,\"total_tokens\":9}}}\n\ndata: [DONE]\n\n";
  const Decoded d = decode(wire);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 1u);
  EXPECT_EQ(d.chunks[0].delta.content, "hi");
  EXPECT_EQ(d.chunks[0].usage, make_usage(7, 2));
}

TEST(StreamDecoder, QwenEmptyIdOnContinuationDoesNotOverwrite) {
  const Decoded d = decode(sse_from_chunk_lines(
      read_testdata("openai/compatible-vercel-ai/alibaba-tool-call.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const Assembled a = assemble(d.chunks);
  EXPECT_EQ(a.role, Role::kAssistant);
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls.at(0).id, "call_eee11723464a4b9eb8cee71d");
  EXPECT_EQ(a.calls.at(0).name, "weather");
  EXPECT_EQ(a.calls.at(0).arguments, R"({"location": "San Francisco"})");
  EXPECT_EQ(a.finish, FinishReason::kToolCalls);
  EXPECT_EQ(a.usage, make_usage(295, 22, 0));
  EXPECT_TRUE(a.usage_in_last_chunk);
  // The fourth payload (id "", arguments "") is an empty delta and is skipped:
  // first delta, two fragments, finish + usage.
  ASSERT_EQ(d.chunks.size(), 4u);
  EXPECT_EQ(d.chunks[0].delta.tool_calls.at(0).id, "call_eee11723464a4b9eb8cee71d");
  EXPECT_EQ(d.chunks[1].delta.tool_calls.at(0).id, "");
  EXPECT_EQ(d.chunks[0].id, "chatcmpl-8e243c57-23b3-9db2-a02e-e3c53929c368");
  EXPECT_EQ(d.chunks[0].model, "qwen3-max");
}

TEST(StreamDecoder, MistralEmptyNameOnContinuationDoesNotOverwrite) {
  const Decoded d = decode(sse_from_chunk_lines(
      read_testdata("openai/compatible-vercel-ai/mistral-incremental-tool-call.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const Assembled a = assemble(d.chunks);
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls.at(0).id, "chatcmpl-tool-9f149c74c42f265b");
  EXPECT_EQ(a.calls.at(0).name, "webSearchTool");
  EXPECT_EQ(a.calls.at(0).arguments, R"({"query": "current Berlin weather"})");
  EXPECT_EQ(a.finish, FinishReason::kToolCalls);
  // Usage arrives in the finish chunk itself.
  EXPECT_EQ(a.usage, make_usage(171, 14, 128));
  EXPECT_TRUE(a.usage_in_last_chunk);
}

TEST(StreamDecoder, DeepSeekReasoningContent) {
  const Decoded d = decode(sse_from_chunk_lines(
      read_testdata("openai/compatible-vercel-ai/deepseek-tool-call.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const Assembled a = assemble(d.chunks);
  EXPECT_EQ(a.reasoning,
            "The user is asking for the weather in San Francisco. I need to use the weather tool "
            "to get this information. Let me invoke the weather tool with the location parameter "
            "set to \"San Francisco\".");
  EXPECT_EQ(a.text, "");
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls.at(0).id, "call_00_ioIn7yN9p1ZOMNpDLwd4MgAF");
  EXPECT_EQ(a.calls.at(0).name, "weather");
  EXPECT_EQ(a.calls.at(0).arguments, R"({"location": "San Francisco"})");
  EXPECT_EQ(a.usage, make_usage(339, 83, 320, 39));
  EXPECT_EQ(d.chunks.front().model, "deepseek-reasoner");
}

TEST(StreamDecoder, AzureEmptyChoicesPreambleSkipped) {
  const Decoded d = decode(
      sse_from_chunk_lines(read_testdata("openai/vercel-ai/azure-model-router.1.chunks.txt")));
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  // Role chunk, four text deltas, finish + usage; the choices:[] preamble produces nothing.
  ASSERT_EQ(d.chunks.size(), 6u);
  EXPECT_EQ(d.chunks[0].id, "chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt");
  EXPECT_EQ(d.chunks[0].model, "gpt-5-nano-2025-08-07");
  EXPECT_EQ(d.chunks[0].delta.role, Role::kAssistant);
  const Assembled a = assemble(d.chunks);
  EXPECT_EQ(a.text, "Capital of Denmark.");
  EXPECT_EQ(a.usage, make_usage(15, 78, 0, 64));
  EXPECT_TRUE(a.usage_in_last_chunk);
}

TEST(StreamDecoder, FinishHeldUntilUsageArrives) {
  StreamDecoder decoder;
  decoder.feed(
      "data: "
      "{\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},"
      "\"finish_reason\":null}]}\n\n"
      "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},"
      "\"finish_reason\":\"stop\"}]}\n\n");
  auto first = decoder.next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->delta.content, "x");
  EXPECT_EQ((*first)->id, "c1");
  auto held = decoder.next();
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(held->has_value());  // the finish chunk waits for usage
  decoder.feed(
      "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
      "\"completion_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":2},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n");
  auto last = decoder.next();
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->finish_reason, FinishReason::kStop);
  EXPECT_EQ((*last)->usage, make_usage(3, 1, 2));
  EXPECT_EQ((*last)->id, "");  // unchanged since the first chunk
  decoder.feed("data: [DONE]\n\n");
  auto end = decoder.next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
  EXPECT_TRUE(decoder.finish().ok());
}

TEST(StreamDecoder, FinishWithoutUsageReleasedAtDone) {
  const Decoded d = decode(
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},"
      "\"finish_reason\":\"content_filter\"}]}\n\ndata: [DONE]\n\n");
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 1u);
  EXPECT_EQ(d.chunks[0].finish_reason, FinishReason::kContentFilter);
  EXPECT_EQ(d.chunks[0].raw_finish_reason, "content_filter");
  EXPECT_FALSE(d.chunks[0].usage.has_value());
}

TEST(StreamDecoder, FinishReasonMapping) {
  EXPECT_EQ(finish_reason_from_openai("stop"), FinishReason::kStop);
  EXPECT_EQ(finish_reason_from_openai("length"), FinishReason::kLength);
  EXPECT_EQ(finish_reason_from_openai("tool_calls"), FinishReason::kToolCalls);
  EXPECT_EQ(finish_reason_from_openai("function_call"), FinishReason::kToolCalls);
  EXPECT_EQ(finish_reason_from_openai("content_filter"), FinishReason::kContentFilter);
  EXPECT_EQ(finish_reason_from_openai("eos"), FinishReason::kStop);

  const Decoded d = decode(
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},"
      "\"finish_reason\":\"eos\"}]}\n\ndata: [DONE]\n\n");
  ASSERT_TRUE(d.status.ok());
  ASSERT_EQ(d.chunks.size(), 1u);
  EXPECT_EQ(d.chunks[0].finish_reason, FinishReason::kStop);
  EXPECT_EQ(d.chunks[0].raw_finish_reason, "eos");
  EXPECT_EQ(d.chunks[0].delta.content, "a");
}

TEST(StreamDecoder, DoneWithoutFinishReasonEndsWithStop) {
  const Decoded d = decode(
      "data: "
      "{\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}],"
      "\"usage\":null}\n\ndata: {\"id\":\"c\",\"model\":\"m\",\"choices\":[],\"usage\":"
      "{\"prompt_tokens\":4,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n");
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 2u);
  EXPECT_EQ(d.chunks[1].finish_reason, FinishReason::kStop);
  EXPECT_EQ(d.chunks[1].raw_finish_reason, "");
  EXPECT_EQ(d.chunks[1].usage, make_usage(4, 1));
  EXPECT_EQ(d.chunks[0].id, "c");
}

TEST(StreamDecoder, BytesAfterDoneAreIgnored) {
  const Decoded d = decode(
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},"
      "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\ndata: {not json\n\ngarbage");
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 1u);
}

TEST(StreamDecoder, EndAfterFinishReasonWithoutDoneIsOk) {
  const Decoded d = decode(
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},"
      "\"finish_reason\":\"length\"}]}\n\n");
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 1u);
  EXPECT_EQ(d.chunks[0].finish_reason, FinishReason::kLength);
}

TEST(StreamDecoder, EndWithoutFinishOrDoneIsProtocolError) {
  StreamDecoder decoder("local");
  decoder.feed(
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},"
      "\"finish_reason\":null}]}\n\ndata: {\"id\":\"c\",\"cho");
  auto chunk = decoder.next();
  ASSERT_TRUE(chunk.ok());
  ASSERT_TRUE(chunk->has_value());
  const Status status = decoder.finish();
  EXPECT_EQ(status.code(), StatusCode::kProtocolError);
  EXPECT_NE(status.message().find("stream ended early"), std::string::npos);
  EXPECT_EQ(status.provider(), "local");
  // Sticky.
  auto after = decoder.next();
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code(), StatusCode::kProtocolError);
  EXPECT_EQ(decoder.finish().code(), StatusCode::kProtocolError);
}

TEST(StreamDecoder, MalformedJsonIsProtocolErrorWithExcerpt) {
  StreamDecoder decoder;
  decoder.feed("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}\n\n");
  auto result = decoder.next();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), StatusCode::kProtocolError);
  EXPECT_NE(result.error().message().find("{\"id\":\"c\",\"choices\""), std::string::npos);
  EXPECT_EQ(result.error().provider(), "openai");
  // Sticky, and later bytes change nothing.
  decoder.feed("data: [DONE]\n\n");
  auto again = decoder.next();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), result.error());
  EXPECT_EQ(decoder.finish(), result.error());
}

TEST(StreamDecoder, PayloadThatIsNotAnObjectIsProtocolError) {
  StreamDecoder decoder;
  decoder.feed("data: [1,2]\n\n");
  auto result = decoder.next();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), StatusCode::kProtocolError);
}

TEST(StreamDecoder, MidStreamErrorIsMapped) {
  StreamDecoder decoder("openai");
  decoder.feed(
      "data: "
      "{\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}"
      "\n\ndata: {\"error\":{\"message\":\"The server had an error while processing your "
      "request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n");
  auto first = decoder.next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->delta.content, "a");
  auto error = decoder.next();
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(error.error().message().find("The server had an error"), std::string::npos);
  EXPECT_EQ(error.error().provider(), "openai");
  EXPECT_EQ(decoder.finish().code(), StatusCode::kUnavailable);
}

TEST(StreamDecoder, MidStreamRateLimitError) {
  const Decoded d = decode(
      "data: {\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\","
      "\"code\":\"rate_limit_exceeded\"}}\n\n");
  EXPECT_EQ(d.status.code(), StatusCode::kRateLimited);
  EXPECT_TRUE(d.chunks.empty());
}

TEST(StreamDecoder, EscapedStringsAreUnescaped) {
  const Decoded d = decode(
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
      "\"a\\\"b\\n\\u00e9\\ud83d\\ude00\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 1u);
  EXPECT_EQ(d.chunks[0].delta.content, "a\"b\n\xC3\xA9\xF0\x9F\x98\x80");
}

TEST(StreamDecoder, CrLfFramingAndCommentsAndReasoningField) {
  const Decoded d = decode(
      ": keep-alive\r\n\r\ndata: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,"
      "\"delta\":{\"role\":\"assistant\",\"reasoning\":\"think\"}}]}\r\n\r\n"
      "data: "
      "{\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},"
      "\"finish_reason\":\"stop\"}]}\r\n\r\ndata: [DONE]\r\n\r\n");
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  ASSERT_EQ(d.chunks.size(), 2u);
  EXPECT_EQ(d.chunks[0].delta.reasoning, "think");
  EXPECT_EQ(d.chunks[0].delta.role, Role::kAssistant);
  EXPECT_EQ(d.chunks[1].delta.content, "ok");
}

TEST(StreamDecoder, RepeatedRoleOnlyChunksAreSkipped) {
  const Decoded d = decode(
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
      "\"assistant\",\"content\":\"\"}}]}\n\n"
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
      "\"assistant\",\"content\":\"\"}}]}\n\n"
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
      "\"assistant\",\"content\":\"z\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
  ASSERT_TRUE(d.status.ok());
  ASSERT_EQ(d.chunks.size(), 2u);
  EXPECT_EQ(d.chunks[0].delta.role, Role::kAssistant);
  EXPECT_FALSE(d.chunks[1].delta.role.has_value());
  EXPECT_EQ(d.chunks[1].delta.content, "z");
}

TEST(StreamDecoder, ToolCallsWithoutIndexFollowIds) {
  const Decoded d = decode(
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":["
      "{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]}}]}\n\n"
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":["
      "{\"function\":{\"arguments\":\"}\"}}]}}]}\n\n"
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":["
      "{\"id\":\"b\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]},"
      "\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n");
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  const Assembled a = assemble(d.chunks);
  ASSERT_EQ(a.calls.size(), 2u);
  EXPECT_EQ(a.calls.at(0).id, "a");
  EXPECT_EQ(a.calls.at(0).arguments, "{}");
  EXPECT_EQ(a.calls.at(1).id, "b");
  EXPECT_EQ(a.calls.at(1).name, "g");
}

}  // namespace
}  // namespace aisopod::openai
