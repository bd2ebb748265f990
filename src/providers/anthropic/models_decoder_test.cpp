// The Anthropic model list decoder.
#include "providers/anthropic/models_decoder.hpp"

#include <gtest/gtest.h>

namespace aisopod::anthropic {
namespace {

TEST(AnthropicModelsDecoder, DecodesAPage) {
  auto page = decode_models_page(
      R"({"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},)"
      R"({"type":"model","id":"claude-3-haiku-20240307"}],"has_more":true,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-3-haiku-20240307"})",
      "anthropic");
  ASSERT_TRUE(page.ok()) << page.error().to_string();
  ASSERT_EQ(page->models.size(), 2u);
  EXPECT_EQ(page->models[0].id, "claude-sonnet-4-5-20250929");
  EXPECT_EQ(page->models[0].display_name, "Claude Sonnet 4.5");
  EXPECT_EQ(page->models[0].provider, "anthropic");
  EXPECT_EQ(page->models[0].created, 1759104000);
  EXPECT_EQ(page->models[1].display_name, "claude-3-haiku-20240307");
  EXPECT_FALSE(page->models[1].created.has_value());
  EXPECT_TRUE(page->has_more);
  EXPECT_EQ(page->last_id, "claude-3-haiku-20240307");
}

TEST(AnthropicModelsDecoder, Errors) {
  EXPECT_EQ(decode_models_page("nope", "a").status().code(), StatusCode::kProtocolError);
  EXPECT_EQ(decode_models_page("{}", "a").status().code(), StatusCode::kProtocolError);
  EXPECT_EQ(decode_models_page(R"({"data":[{"id":1}]})", "a").status().code(),
            StatusCode::kProtocolError);
}

TEST(AnthropicModelsDecoder, Rfc3339) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2024-03-07T12:30:15.123Z"), 1709814615);
  EXPECT_EQ(parse_rfc3339("2024-03-07T14:30:15+02:00"), 1709814615);
  EXPECT_FALSE(parse_rfc3339("2024-13-07T00:00:00Z").has_value());
  EXPECT_FALSE(parse_rfc3339("yesterday").has_value());
}

}  // namespace
}  // namespace aisopod::anthropic
