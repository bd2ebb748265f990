// The /api/pull progress decoder against a real recording and the documentation examples, fed
// at every byte split point.
#include "providers/ollama/pull.hpp"

#include <gtest/gtest.h>

#include "providers/ollama/test_util.hpp"
#include "testing/testdata.hpp"

namespace aisopod::ollama {
namespace {

using aisopod::testing::read_testdata;
using test::httprr_body;
using test::to_ndjson;

struct Decoded {
  std::vector<PullProgress> reports;
  Status error;
  Status finish;
};

void drain(PullDecoder& decoder, Decoded& out) {
  for (;;) {
    Result<std::optional<PullProgress>> next = decoder.next();
    if (!next.ok()) {
      out.error = next.error();
      return;
    }
    if (!next->has_value()) return;
    out.reports.push_back(std::move(**next));
  }
}

Decoded decode_split(std::string_view wire, std::size_t cut) {
  PullDecoder decoder("ollama");
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

Decoded decode_everywhere(const std::string& wire) {
  const Decoded whole = decode_split(wire, wire.size());
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    const Decoded split = decode_split(wire, cut);
    EXPECT_EQ(split.reports, whole.reports) << "cut at " << cut;
    EXPECT_EQ(split.error, whole.error) << "cut at " << cut;
    EXPECT_EQ(split.finish, whole.finish) << "cut at " << cut;
    if (::testing::Test::HasFailure()) break;
  }
  return whole;
}

TEST(OllamaPullDecoder, RecordedPullAtEverySplitPoint) {
  const std::string wire =
      httprr_body(read_testdata("ollama/langchaingo/TestWithPullModel.httprr"), 0);
  const Decoded out = decode_everywhere(wire);
  ASSERT_TRUE(out.error.ok()) << out.error.to_string();
  ASSERT_TRUE(out.finish.ok()) << out.finish.to_string();
  ASSERT_EQ(out.reports.size(), 9u);
  EXPECT_EQ(out.reports[0], (PullProgress{"pulling manifest", "", 0, 0}));
  EXPECT_EQ(out.reports[1],
            (PullProgress{"pulling 7cd4618c1faf",
                          "sha256:7cd4618c1faf8b7233c6c906dac1694b6a47684b37b8895d470ac688520b9c01",
                          815310432, 815310432}));
  EXPECT_EQ(out.reports[2].total, 358);
  EXPECT_EQ(out.reports[6].status, "verifying sha256 digest");
  EXPECT_EQ(out.reports[7].status, "writing manifest");
  EXPECT_EQ(out.reports[8], (PullProgress{"success", "", 0, 0}));
}

TEST(OllamaPullDecoder, DocumentedPullWithPartialProgress) {
  const std::string wire =
      to_ndjson(read_testdata("ollama/docs-examples/api-pull-stream.1-manifest.json") +
                read_testdata("ollama/docs-examples/api-pull-stream.2-downloading.json") +
                read_testdata("ollama/docs-examples/api-pull-stream.3-final-statuses.json"));
  const Decoded out = decode_everywhere(wire);
  ASSERT_TRUE(out.finish.ok()) << out.finish.to_string();
  ASSERT_EQ(out.reports.size(), 6u);
  EXPECT_EQ(out.reports[1], (PullProgress{"pulling digestname", "digestname", 2142590208, 241970}));
  EXPECT_EQ(out.reports[4].status, "removing any unused layers");
  EXPECT_EQ(out.reports[5].status, "success");
}

TEST(OllamaPullDecoder, ErrorLineIsNotFoundForAMissingModel) {
  const std::string wire =
      "{\"status\":\"pulling manifest\"}\n"
      "{\"error\":\"pull model manifest: file does not exist\"}\n";
  const Decoded out = decode_everywhere(wire);
  ASSERT_EQ(out.reports.size(), 1u);
  EXPECT_EQ(out.error.code(), StatusCode::kNotFound);
  EXPECT_EQ(out.error.message(), "pull model manifest: file does not exist");
  EXPECT_EQ(out.error.provider(), "ollama");
  EXPECT_EQ(out.finish, out.error);
}

TEST(OllamaPullDecoder, SuccessWithoutNewlineAndBytesAfterSuccess) {
  Decoded out = decode_everywhere("{\"status\":\"pulling manifest\"}\n{\"status\":\"success\"}");
  ASSERT_TRUE(out.finish.ok()) << out.finish.to_string();
  ASSERT_EQ(out.reports.size(), 2u);
  EXPECT_EQ(out.reports[1].status, "success");
  out = decode_everywhere("{\"status\":\"success\"}\n{\"status\":\"late\"}\n");
  ASSERT_TRUE(out.finish.ok());
  EXPECT_EQ(out.reports.size(), 1u);
}

TEST(OllamaPullDecoder, EndingBeforeSuccessOrMalformedIsAnError) {
  Decoded out = decode_everywhere(
      "{\"status\":\"pulling manifest\"}\n{\"status\":\"pulling "
      "a\",\"total\":10,\"completed\":5}\n");
  EXPECT_EQ(out.reports.size(), 2u);
  EXPECT_EQ(out.finish.code(), StatusCode::kProtocolError);
  EXPECT_NE(out.finish.message().find("before \"success\""), std::string::npos);
  out = decode_everywhere("{\"total\":10}\n");
  EXPECT_EQ(out.error.code(), StatusCode::kProtocolError);
  out = decode_everywhere("{\"status\":\n");
  EXPECT_EQ(out.error.code(), StatusCode::kProtocolError);
}

}  // namespace
}  // namespace aisopod::ollama
