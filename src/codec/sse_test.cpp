#include "codec/sse.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "testing/testdata.hpp"

namespace aisopod::codec {
namespace {

using ::aisopod::testing::read_testdata;

// An SseEvent with owned strings, comparable and printable.
struct Event {
  std::string event;
  std::string data;
  std::string id;
  std::optional<long long> retry_ms;

  friend bool operator==(const Event&, const Event&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Event& e) {
    os << "{event=\"" << e.event << "\" data=\"" << e.data << "\" id=\"" << e.id << "\" retry=";
    if (e.retry_ms) {
      os << *e.retry_ms;
    } else {
      os << "none";
    }
    return os << "}";
  }
};

Event ev(std::string data, std::string event = "", std::string id = "",
         std::optional<long long> retry_ms = std::nullopt) {
  return Event{std::move(event), std::move(data), std::move(id), retry_ms};
}

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

Event own(const SseEvent& e) {
  touch_padding(e.event);
  touch_padding(e.data);
  touch_padding(e.id);
  return Event{std::string(e.event), std::string(e.data), std::string(e.id), e.retry_ms};
}

// What a whole stream decodes to.
struct Decoded {
  std::vector<Event> events;
  // The error next() returned, ok if none.
  Status next_error;
  // What finish() returned (not called when next() failed first).
  Status finish_status;
};

// Pulls events until next() needs more bytes or fails.
void drain(SseDecoder& decoder, Decoded& out) {
  while (out.next_error.ok()) {
    auto result = decoder.next();
    if (!result.ok()) {
      out.next_error = result.status();
      return;
    }
    if (!result->has_value()) return;
    out.events.push_back(own(**result));
  }
}

// Feeds the pieces in order, draining after each, then finishes and drains again.
Decoded decode(const std::vector<std::string_view>& pieces,
               std::size_t max_line_bytes = 4 * 1024 * 1024) {
  SseDecoder decoder(max_line_bytes);
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

Decoded decode_whole(std::string_view wire, std::size_t max_line_bytes = 4 * 1024 * 1024) {
  return decode({wire}, max_line_bytes);
}

Decoded decode_bytewise(std::string_view wire, std::size_t max_line_bytes = 4 * 1024 * 1024) {
  std::vector<std::string_view> pieces;
  for (std::size_t i = 0; i < wire.size(); ++i) pieces.push_back(wire.substr(i, 1));
  return decode(pieces, max_line_bytes);
}

// Checks that every two-piece split and the byte-at-a-time feed decode like the whole.
void expect_split_invariant(std::string_view wire, std::size_t max_line_bytes = 4 * 1024 * 1024) {
  const Decoded whole = decode_whole(wire, max_line_bytes);
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    const Decoded split = decode({wire.substr(0, cut), wire.substr(cut)}, max_line_bytes);
    ASSERT_EQ(split.events, whole.events) << "cut at " << cut;
    ASSERT_EQ(split.next_error, whole.next_error) << "cut at " << cut;
    ASSERT_EQ(split.finish_status, whole.finish_status) << "cut at " << cut;
  }
  const Decoded bytewise = decode_bytewise(wire, max_line_bytes);
  EXPECT_EQ(bytewise.events, whole.events);
  EXPECT_EQ(bytewise.next_error, whole.next_error);
  EXPECT_EQ(bytewise.finish_status, whole.finish_status);
}

struct Case {
  const char* name;
  std::string wire;
  std::vector<Event> events;
  // Whether finish() reports a truncated stream.
  bool truncated = false;
};

std::vector<Case> rule_cases() {
  using namespace std::string_literals;
  return {
      {"lf", "data: a\n\ndata: b\n\n", {ev("a"), ev("b")}},
      {"crlf", "data: a\r\n\r\ndata: b\r\n\r\n", {ev("a"), ev("b")}},
      {"cr", "data: a\r\rdata: b\r\r", {ev("a"), ev("b")}},
      {"mixed endings", "data: a\r\n\rdata: b\n\r\n", {ev("a"), ev("b")}},
      // CR then CRLF: two line ends, the second one a blank line.
      {"cr then crlf", "data: a\r\r\n", {ev("a")}},
      {"lf then cr", "data: a\n\r", {ev("a")}},
      {"multi-line data", "data: a\ndata: b\ndata: c\n\n", {ev("a\nb\nc")}},
      {"multi-line data with empty lines", "data: a\ndata\ndata:\n\n", {ev("a\n\n")}},
      {"empty data is dispatched", "data:\n\ndata\n\n", {ev(""), ev("")}},
      {"comments", ": hello\ndata: x\n: mid\n\n:\n\n", {ev("x")}},
      {"event resets after dispatch",
       "event: ping\ndata: 1\n\ndata: 2\n\n",
       {ev("1", "ping"), ev("2")}},
      {"id is sticky",
       "id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n",
       {ev("a", "", "7"), ev("b", "", "7"), ev("c", "", "")}},
      {"id with NUL is ignored",
       "id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"s,
       {ev("a", "", "1"), ev("b", "", "1")}},
      {"retry",
       "retry: 3000\ndata: a\n\nretry: 12x\ndata: b\n\nretry:\ndata: c\n\n"
       "retry: 99999999999999999999\ndata: d\n\nretry: 0\ndata: e\n\n",
       {ev("a", "", "", 3000), ev("b"), ev("c"), ev("d"), ev("e", "", "", 0)}},
      {"exactly one space is stripped",
       "data:x\n\ndata:  x\n\ndata:\tx\n\nevent:  sp\ndata: 1\n\n",
       {ev("x"), ev(" x"), ev("\tx"), ev("1", " sp")}},
      {"no colon means empty value", "event\ndata: z\n\n", {ev("z")}},
      {"colons in the value", "data: a:b: c\n\n", {ev("a:b: c")}},
      {"unknown and miscased fields are ignored", "foo: bar\ndata: x\n\nData: y\n\n", {ev("x")}},
      {"events without data are not dispatched",
       "event: e\nid: 3\nretry: 5\n\ndata: x\n\n",
       {ev("x", "", "3")}},
      {"bom",
       "\xEF\xBB\xBF"
       "data: x\n\n",
       {ev("x")}},
      {"bom only at the very start",
       "\xEF\xBB\xBF"
       "data: a\n\n\xEF\xBB\xBF"
       "data: b\n\n",
       {ev("a")}},
      {"second bom is content",
       "\xEF\xBB\xBF\xEF\xBB\xBF"
       "data: a\n\n",
       {}},
      {"partial bom is content",
       "\xEF\xBB"
       "data: a\n\n",
       {}},
      {"blank lines before the first event", "\n\n\r\ndata: x\n\n", {ev("x")}},
      {"trailing whitespace is fine", "data: x\n\n  \t", {ev("x")}},
      {"trailing blank lines are fine", "data: x\n\n\n\r\n\r", {ev("x")}},
      {"trailing whitespace line is fine", "data: x\n\n \n", {ev("x")}},
      {"trailing comment is fine", "data: x\n\n: bye\n", {ev("x")}},
      {"empty stream", "", {}},
      {"partial comment is truncated", "data: x\n\n: bye", {ev("x")}, true},
      {"partial data line is truncated", "data: x\n\ndata: y", {ev("x")}, true},
      {"partial field name is truncated", "data: x\n\ndata", {ev("x")}, true},
      {"event without blank line is truncated", "data: x\n\ndata: y\n", {ev("x")}, true},
      {"event without blank line (cr) is truncated", "data: x\r", {}, true},
      {"event field without blank line is truncated", "data: x\n\nevent: e\n", {ev("x")}, true},
      {"partial bom is truncated", "\xEF\xBB", {}, true},
      {"cr-only stream ends cleanly", "data: x\r\r", {ev("x")}},
  };
}

TEST(SseDecoder, Rules) {
  for (const Case& c : rule_cases()) {
    SCOPED_TRACE(c.name);
    const Decoded whole = decode_whole(c.wire);
    EXPECT_EQ(whole.events, c.events);
    if (c.truncated) {
      EXPECT_EQ(whole.finish_status.code(), StatusCode::kProtocolError);
      EXPECT_NE(whole.finish_status.message().find("truncated"), std::string::npos)
          << whole.finish_status.message();
      // next() reports it too, once the complete events are out.
      EXPECT_EQ(whole.next_error, whole.finish_status);
    } else {
      EXPECT_TRUE(whole.finish_status.ok()) << whole.finish_status.to_string();
      EXPECT_TRUE(whole.next_error.ok()) << whole.next_error.to_string();
    }
  }
}

TEST(SseDecoder, RulesHoldAtEverySplitPoint) {
  for (const Case& c : rule_cases()) {
    SCOPED_TRACE(c.name);
    expect_split_invariant(c.wire);
  }
}

TEST(SseDecoder, CrlfSplitAcrossFeedsIsOneLineEnd) {
  SseDecoder decoder;
  decoder.feed("data: a\r");
  auto first = decoder.next();
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->has_value());
  // Were the LF a second line end, "a" would be dispatched alone here.
  decoder.feed("\ndata: b\r\n\r\n");
  auto second = decoder.next();
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->data, "a\nb");
  auto third = decoder.next();
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->has_value());
  EXPECT_TRUE(decoder.finish().ok());
}

TEST(SseDecoder, BomSplitAcrossFeeds) {
  const Decoded d = decode({"\xEF", "\xBB",
                            "\xBF"
                            "da",
                            "ta: x\n\n"});
  EXPECT_EQ(d.events, std::vector<Event>{ev("x")});
  EXPECT_TRUE(d.finish_status.ok());
}

TEST(SseDecoder, CrOnlyStream) {
  const Decoded d = decode_whole("event: a\rdata: 1\rdata: 2\r\rid: 9\rdata: 3\r\r");
  EXPECT_EQ(d.events, (std::vector<Event>{ev("1\n2", "a"), ev("3", "", "9")}));
  EXPECT_TRUE(d.finish_status.ok());
}

TEST(SseDecoder, ReplaysOpenAiRecording) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  const Decoded d = decode_whole(wire);
  ASSERT_TRUE(d.next_error.ok()) << d.next_error.to_string();
  EXPECT_TRUE(d.finish_status.ok()) << d.finish_status.to_string();
  ASSERT_EQ(d.events.size(), 34u);
  EXPECT_EQ(d.events.front().data.rfind(R"({"id":"chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL",)", 0),
            0u);
  EXPECT_NE(
      d.events.front().data.find(R"("delta":{"role":"assistant","content":"","refusal":null})"),
      std::string::npos);
  EXPECT_EQ(d.events.front().data.back(), '}');
  EXPECT_NE(d.events[d.events.size() - 2].data.find(R"("usage":{"prompt_tokens":14,)"),
            std::string::npos);
  EXPECT_EQ(d.events.back(), ev("[DONE]"));
  for (const Event& e : d.events) {
    EXPECT_EQ(e.event, "");
    EXPECT_EQ(e.id, "");
    EXPECT_EQ(e.data.find('\n'), std::string::npos);
  }
}

TEST(SseDecoder, OpenAiRecordingAtEverySplitPoint) {
  const std::string wire = read_testdata("openai/openai-python/test_parse_nothing.sse");
  ASSERT_EQ(decode_whole(wire).events.size(), 34u);
  expect_split_invariant(wire);
}

TEST(SseDecoder, HandWrittenStreamAtEverySplitPoint) {
  const std::string wire = read_testdata("codec/mixed_endings.sse");
  const std::vector<Event> expected = {
      ev(R"({"type":"message_start"})", "message_start", "evt-1", 2500),
      ev("first line\nsecond line without space\n two spaces\n", "", "evt-2"),
      ev(R"({"type":"content_block_delta","delta":{"text":"a:b: c"}})", "content_block_delta",
         "evt-2"),
      ev("[DONE]", "", ""),
  };
  const Decoded whole = decode_whole(wire);
  EXPECT_EQ(whole.events, expected);
  EXPECT_TRUE(whole.finish_status.ok()) << whole.finish_status.to_string();
  expect_split_invariant(wire);
}

TEST(SseDecoder, LineAtTheLimitIsAccepted) {
  // "data: 0123456789" is 16 bytes.
  const Decoded d = decode_whole("data: 0123456789\n\n", 16);
  EXPECT_EQ(d.events, std::vector<Event>{ev("0123456789")});
  EXPECT_TRUE(d.next_error.ok());
  EXPECT_TRUE(d.finish_status.ok());
}

TEST(SseDecoder, LineOverTheLimitFailsAfterTheEventsBeforeIt) {
  const std::string wire = "data: ok\n\ndata: 0123456789a\n\ndata: never\n\n";
  const Decoded d = decode_whole(wire, 16);
  EXPECT_EQ(d.events, std::vector<Event>{ev("ok")});
  EXPECT_EQ(d.next_error.code(), StatusCode::kProtocolError);
  EXPECT_EQ(d.next_error.message(), "sse: line longer than 16 bytes");
  // Whether the error is seen in feed() (line still open) or in next() (line complete), the
  // outcome is the same.
  expect_split_invariant(wire, 16);
}

TEST(SseDecoder, EventDataOverTheLimitFails) {
  const Decoded d = decode_whole("data: 0123456789\ndata: 0123456789\n\n", 16);
  EXPECT_TRUE(d.events.empty());
  EXPECT_EQ(d.next_error.code(), StatusCode::kProtocolError);
  EXPECT_EQ(d.next_error.message(), "sse: event data longer than 16 bytes");
}

TEST(SseDecoder, OversizedLineFailsBeforeItsEndArrives) {
  constexpr std::size_t kLimit = 1024 * 1024;
  constexpr std::size_t kTotal = 10 * 1024 * 1024;
  const std::string chunk(64 * 1024, 'x');
  SseDecoder decoder(kLimit);
  decoder.feed("data: ok\n\ndata: ");
  std::size_t fed = 0;
  std::optional<Status> error;
  std::size_t events = 0;
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
      EXPECT_EQ((*result)->data, "ok");
      ++events;
    }
  }
  EXPECT_EQ(events, 1u);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), StatusCode::kProtocolError);
  // The error came as soon as the open line passed the limit, not at the end of the input.
  EXPECT_LE(fed, kLimit + chunk.size());
  EXPECT_LT(fed, kTotal);
}

TEST(SseDecoder, OversizedSingleFeedFailsWithoutBufferingIt) {
  SseDecoder decoder(1024);
  decoder.feed(std::string(10 * 1024 * 1024, 'x'));
  auto result = decoder.next();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kProtocolError);
}

TEST(SseDecoder, ErrorsAreSticky) {
  // The failing event's lines are consumed, so a decoder that forgot its error would go on
  // to dispatch "a" (or the rest of the bad event).
  SseDecoder decoder(12);
  decoder.feed("data: 123456\ndata: 654321\n\n");
  auto first = decoder.next();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), StatusCode::kProtocolError);
  decoder.feed("data: a\n\n");
  for (int i = 0; i < 3; ++i) {
    auto again = decoder.next();
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.status(), first.status());
  }
  EXPECT_EQ(decoder.finish(), first.status());
  EXPECT_EQ(decoder.next().status(), first.status());
}

TEST(SseDecoder, FinishReturnsBufferedEventsThenTheTruncationError) {
  SseDecoder decoder;
  decoder.feed("data: a\n\ndata: b\n\ndata: c\n");
  const Status finished = decoder.finish();
  EXPECT_EQ(finished.code(), StatusCode::kProtocolError);
  EXPECT_EQ(decoder.finish(), finished);
  Decoded d;
  drain(decoder, d);
  EXPECT_EQ(d.events, (std::vector<Event>{ev("a"), ev("b")}));
  EXPECT_EQ(d.next_error, finished);
  EXPECT_EQ(decoder.next().status(), finished);
}

TEST(SseDecoder, AfterACleanFinishNextReturnsTheRestThenEnd) {
  SseDecoder decoder;
  decoder.feed("data: a\n\ndata: b\n\n");
  EXPECT_TRUE(decoder.finish().ok());
  decoder.feed("data: ignored after finish\n\n");
  Decoded d;
  drain(decoder, d);
  EXPECT_EQ(d.events, (std::vector<Event>{ev("a"), ev("b")}));
  EXPECT_TRUE(d.next_error.ok());
  auto end = decoder.next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

TEST(SseDecoder, OverflowSeenByFeedIsReportedByFinish) {
  SseDecoder decoder(8);
  decoder.feed("data: a\n\ndata: 0123456789");
  const Status finished = decoder.finish();
  EXPECT_EQ(finished.code(), StatusCode::kProtocolError);
  EXPECT_EQ(finished.message(), "sse: line longer than 8 bytes");
  Decoded d;
  drain(decoder, d);
  EXPECT_EQ(d.events, std::vector<Event>{ev("a")});
  EXPECT_EQ(d.next_error, finished);
}

TEST(SseDecoder, EventDataStaysValidWhenItsEventSpansFeeds) {
  // The data line is complete in the first feed but its blank line only comes with a feed
  // big enough to reallocate the buffer.
  SseDecoder decoder;
  decoder.feed("data: held across feeds\n");
  auto first = decoder.next();
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->has_value());
  decoder.feed("\n: " + std::string(256 * 1024, 'p') + "\n");
  auto second = decoder.next();
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->data, "held across feeds");
  touch_padding((*second)->data);
}

TEST(PaddedBuffer, KeepsPaddingAfterEveryOperation) {
  internal::PaddedBuffer buffer;
  EXPECT_GE(buffer.spare(), kJsonPadding);
  EXPECT_NE(buffer.data(), nullptr);
  std::string expected;
  for (int round = 0; round < 200; ++round) {
    const std::string piece(static_cast<std::size_t>(round * 37 % 1000 + 1),
                            static_cast<char>('a' + round % 26));
    buffer.append(piece);
    expected += piece;
    ASSERT_GE(buffer.spare(), kJsonPadding);
    const std::size_t drop = expected.size() * 2 / 3;
    buffer.consume(drop);
    expected.erase(0, drop);
    ASSERT_GE(buffer.spare(), kJsonPadding);
    ASSERT_EQ(buffer.view(), expected);
  }
  buffer.clear();
  EXPECT_TRUE(buffer.empty());
  EXPECT_GE(buffer.spare(), kJsonPadding);
}

TEST(PaddedBuffer, ReclaimsTheConsumedPrefix) {
  // A long stream of small events through one buffer: memory follows what is unconsumed, not
  // what has passed through.
  internal::PaddedBuffer buffer;
  const std::string piece(1000, 'e');
  for (int i = 0; i < 10000; ++i) {
    buffer.append(piece);
    buffer.consume(buffer.size() - 10);
  }
  EXPECT_EQ(buffer.size(), 10u);
  EXPECT_LE(buffer.capacity(), 64u * 1024u);
}

TEST(PaddedBuffer, ConsumeDoesNotMoveBytes) {
  internal::PaddedBuffer buffer;
  buffer.append("hello world");
  const char* before = buffer.data();
  buffer.consume(6);
  EXPECT_EQ(buffer.data(), before + 6);
  EXPECT_EQ(buffer.view(), "world");
  const std::string_view consumed_view(before, 5);
  buffer.consume(5);
  EXPECT_EQ(consumed_view, "hello");  // still readable until the next append
}

}  // namespace
}  // namespace aisopod::codec
