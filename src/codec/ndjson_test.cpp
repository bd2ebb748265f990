#include "codec/ndjson.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "testing/testdata.hpp"

namespace aisopod::codec {
namespace {

using ::aisopod::testing::read_testdata;

// Reads the kJsonPadding bytes after a view as simdjson would; with AISOPOD_SANITIZE=ON an
// out-of-bounds read fails the test.
volatile unsigned char g_padding_sink = 0;
void touch_padding(std::string_view view) {
  unsigned char sum = 0;
  for (std::size_t i = 0; i < kJsonPadding; ++i) {
    sum =
        static_cast<unsigned char>(sum + static_cast<unsigned char>(view.data()[view.size() + i]));
  }
  g_padding_sink = sum;
}

struct Decoded {
  std::vector<std::string> lines;
  // The error next() returned, ok if none.
  Status next_error;
  // What finish() returned (not called when next() failed first).
  Status finish_status;
};

void drain(NdjsonDecoder& decoder, Decoded& out) {
  while (out.next_error.ok()) {
    auto result = decoder.next();
    if (!result.ok()) {
      out.next_error = result.status();
      return;
    }
    if (!result->has_value()) return;
    touch_padding(**result);
    out.lines.emplace_back(**result);
  }
}

// Feeds the pieces in order, draining after each, then finishes and drains again.
Decoded decode(const std::vector<std::string_view>& pieces,
               std::size_t max_line_bytes = 4 * 1024 * 1024) {
  NdjsonDecoder decoder(max_line_bytes);
  Decoded out;
  for (const std::string_view piece : pieces) {
    decoder.feed(piece);
    drain(decoder, out);
  }
  if (out.next_error.ok()) {
    out.finish_status = decoder.finish();
    drain(decoder, out);
  }
  return out;
}

void expect_split_invariant(std::string_view wire, std::size_t max_line_bytes = 4 * 1024 * 1024) {
  const Decoded whole = decode({wire}, max_line_bytes);
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    const Decoded split = decode({wire.substr(0, cut), wire.substr(cut)}, max_line_bytes);
    ASSERT_EQ(split.lines, whole.lines) << "cut at " << cut;
    ASSERT_EQ(split.next_error, whole.next_error) << "cut at " << cut;
    ASSERT_EQ(split.finish_status, whole.finish_status) << "cut at " << cut;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < wire.size(); ++i) bytes.push_back(wire.substr(i, 1));
  const Decoded bytewise = decode(bytes, max_line_bytes);
  EXPECT_EQ(bytewise.lines, whole.lines);
  EXPECT_EQ(bytewise.next_error, whole.next_error);
  EXPECT_EQ(bytewise.finish_status, whole.finish_status);
}

struct Case {
  const char* name;
  std::string wire;
  std::vector<std::string> lines;
};

std::vector<Case> rule_cases() {
  return {
      {"lf", "{\"a\":1}\n{\"b\":2}\n", {"{\"a\":1}", "{\"b\":2}"}},
      {"crlf", "{\"a\":1}\r\n{\"b\":2}\r\n", {"{\"a\":1}", "{\"b\":2}"}},
      {"only one cr is removed", "{\"a\":1}\r\r\n", {"{\"a\":1}\r"}},
      {"a lone cr does not end a line", "{\"a\":1}\r{\"b\":2}\n", {"{\"a\":1}\r{\"b\":2}"}},
      {"blank lines are skipped",
       "\n\r\n{\"a\":1}\n\n \t\r\n\n{\"b\":2}\n\n",
       {"{\"a\":1}", "{\"b\":2}"}},
      {"trailing and leading whitespace stays", " {\"a\":1} \t\n", {" {\"a\":1} \t"}},
      {"final line without newline", "{\"a\":1}\n{\"b\":2}", {"{\"a\":1}", "{\"b\":2}"}},
      {"final line with cr only", "{\"a\":1}\r", {"{\"a\":1}\r"}},
      {"final blank partial line", "{\"a\":1}\n  ", {"{\"a\":1}"}},
      {"empty stream", "", {}},
  };
}

TEST(NdjsonDecoder, Rules) {
  for (const Case& c : rule_cases()) {
    SCOPED_TRACE(c.name);
    const Decoded d = decode({c.wire});
    EXPECT_EQ(d.lines, c.lines);
    EXPECT_TRUE(d.next_error.ok()) << d.next_error.to_string();
    EXPECT_TRUE(d.finish_status.ok()) << d.finish_status.to_string();
  }
}

TEST(NdjsonDecoder, RulesHoldAtEverySplitPoint) {
  for (const Case& c : rule_cases()) {
    SCOPED_TRACE(c.name);
    expect_split_invariant(c.wire);
  }
}

TEST(NdjsonDecoder, FinalLineWithoutNewlineComesOutAfterFinish) {
  NdjsonDecoder decoder;
  decoder.feed("{\"a\":1}\n{\"done\":true}");
  auto first = decoder.next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(**first, "{\"a\":1}");
  auto pending = decoder.next();
  ASSERT_TRUE(pending.ok());
  EXPECT_FALSE(pending->has_value());  // the last line may still grow
  EXPECT_TRUE(decoder.finish().ok());
  auto last = decoder.next();
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ(**last, "{\"done\":true}");
  touch_padding(**last);
  for (int i = 0; i < 2; ++i) {
    auto end = decoder.next();
    ASSERT_TRUE(end.ok());
    EXPECT_FALSE(end->has_value());
  }
}

TEST(NdjsonDecoder, ReplaysHandWrittenOllamaStreamAtEverySplitPoint) {
  const std::string wire = read_testdata("codec/ollama_chat.ndjson");
  const Decoded whole = decode({wire});
  ASSERT_EQ(whole.lines.size(), 4u);
  EXPECT_EQ(whole.lines[0], R"({"model":"llama3.2","created_at":"2024-07-22T20:03:16.000Z",)"
                            R"("message":{"role":"assistant","content":"The"},"done":false})");
  EXPECT_EQ(whole.lines[1], R"({"model":"llama3.2","created_at":"2024-07-22T20:03:16.050Z",)"
                            R"("message":{"role":"assistant","content":" sky"},"done":false})");
  // Trailing spaces stay; the escaped newline inside the JSON string is not a line end.
  EXPECT_TRUE(whole.lines[2].ends_with(R"(,"content":" is\nblue"},"done":false}  )"));
  EXPECT_EQ(whole.lines[3].rfind(R"({"model":"llama3.2",)", 0), 0u);
  EXPECT_TRUE(whole.lines[3].ends_with(R"("done":true,"done_reason":"stop",)"
                                       R"("total_duration":4883583458,"prompt_eval_count":26,)"
                                       R"("eval_count":3})"));
  EXPECT_TRUE(whole.next_error.ok());
  EXPECT_TRUE(whole.finish_status.ok());
  expect_split_invariant(wire);
}

TEST(NdjsonDecoder, LineAtTheLimitIsAccepted) {
  const Decoded d = decode({"0123456789\n"}, 10);
  EXPECT_EQ(d.lines, std::vector<std::string>{"0123456789"});
  EXPECT_TRUE(d.next_error.ok());
}

TEST(NdjsonDecoder, LineOverTheLimitFailsAfterTheLinesBeforeIt) {
  const std::string wire = "{}\n0123456789a\n{\"never\":1}\n";
  const Decoded d = decode({wire}, 10);
  EXPECT_EQ(d.lines, std::vector<std::string>{"{}"});
  EXPECT_EQ(d.next_error.code(), StatusCode::kProtocolError);
  EXPECT_EQ(d.next_error.message(), "ndjson: line longer than 10 bytes");
  expect_split_invariant(wire, 10);
}

TEST(NdjsonDecoder, CarriageReturnCountsTowardTheLimit) {
  // Counting the CR keeps the limit check the same whether or not the LF has arrived yet.
  const Decoded d = decode({"0123456789\r\n"}, 10);
  EXPECT_TRUE(d.lines.empty());
  EXPECT_EQ(d.next_error.code(), StatusCode::kProtocolError);
  expect_split_invariant("0123456789\r\n", 10);
}

TEST(NdjsonDecoder, OversizedLineFailsBeforeItsEndArrives) {
  constexpr std::size_t kLimit = 1024 * 1024;
  constexpr std::size_t kTotal = 10 * 1024 * 1024;
  const std::string chunk(64 * 1024, 'x');
  NdjsonDecoder decoder(kLimit);
  decoder.feed("{\"ok\":true}\n{\"content\":\"");
  std::size_t fed = 0;
  std::optional<Status> error;
  std::size_t lines = 0;
  while (fed < kTotal && !error) {
    decoder.feed(chunk);
    fed += chunk.size();
    for (;;) {
      auto result = decoder.next();
      if (!result.ok()) {
        error = result.status();
        break;
      }
      if (!result->has_value()) break;
      EXPECT_EQ(**result, "{\"ok\":true}");
      ++lines;
    }
  }
  EXPECT_EQ(lines, 1u);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), StatusCode::kProtocolError);
  EXPECT_LE(fed, kLimit + chunk.size());
  EXPECT_LT(fed, kTotal);
}

TEST(NdjsonDecoder, OverflowSeenByFeedIsReportedByFinish) {
  NdjsonDecoder decoder(8);
  decoder.feed("{}\n0123456789");
  const Status finished = decoder.finish();
  EXPECT_EQ(finished.code(), StatusCode::kProtocolError);
  Decoded d;
  drain(decoder, d);
  EXPECT_EQ(d.lines, std::vector<std::string>{"{}"});
  EXPECT_EQ(d.next_error, finished);
}

TEST(NdjsonDecoder, ErrorsAreSticky) {
  NdjsonDecoder decoder(4);
  decoder.feed("too long\n");
  auto first = decoder.next();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), StatusCode::kProtocolError);
  decoder.feed("{}\n");
  for (int i = 0; i < 3; ++i) {
    auto again = decoder.next();
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.status(), first.status());
  }
  EXPECT_EQ(decoder.finish(), first.status());
  EXPECT_EQ(decoder.next().status(), first.status());
}

TEST(NdjsonDecoder, FeedAfterFinishIsIgnored) {
  NdjsonDecoder decoder;
  decoder.feed("{\"a\":1}\n");
  EXPECT_TRUE(decoder.finish().ok());
  decoder.feed("{\"b\":2}\n");
  Decoded d;
  drain(decoder, d);
  EXPECT_EQ(d.lines, std::vector<std::string>{"{\"a\":1}"});
}

}  // namespace
}  // namespace aisopod::codec
