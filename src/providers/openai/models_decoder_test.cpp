#include "providers/openai/models_decoder.hpp"

#include <gtest/gtest.h>

namespace aisopod::openai {
namespace {

TEST(ModelsDecoder, OpenAIList) {
  const auto models = decode_models(
      R"({"object":"list","data":[)"
      R"({"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},)"
      R"({"id":"ft:gpt-4o-mini:acme::abc","object":"model","created":1720000000,"owned_by":"acme"}]})",
      "openai");
  ASSERT_TRUE(models.ok()) << models.status().to_string();
  ASSERT_EQ(models->size(), 2u);
  const ModelInfo& first = (*models)[0];
  EXPECT_EQ(first.id, "gpt-4o");
  EXPECT_EQ(first.provider, "openai");
  EXPECT_EQ(first.display_name, "gpt-4o");
  EXPECT_EQ(first.owned_by, "system");
  EXPECT_EQ(first.created, 1715367049);
  EXPECT_FALSE(first.context_window.has_value());
  EXPECT_EQ((*models)[1].id, "ft:gpt-4o-mini:acme::abc");
  EXPECT_EQ((*models)[1].owned_by, "acme");
  EXPECT_EQ((*models)[1].created, 1720000000);
}

TEST(ModelsDecoder, MinimalEntriesFromCompatibleServers) {
  const auto models = decode_models(R"({"data":[{"id":"llama3.1-8b"}]})", "local");
  ASSERT_TRUE(models.ok());
  ASSERT_EQ(models->size(), 1u);
  EXPECT_EQ((*models)[0].provider, "local");
  EXPECT_EQ((*models)[0].owned_by, "");
  EXPECT_FALSE((*models)[0].created.has_value());

  const auto empty = decode_models(R"({"object":"list","data":[]})", "local");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ModelsDecoder, BadShapesAreProtocolErrors) {
  for (const char* body :
       {"", "not json", "[]", R"({"object":"list"})", R"({"data":{}})",
        R"({"data":[{"object":"model"}]})", R"({"data":[{"id":7}]})", R"({"data":["gpt-4o"]})"}) {
    const auto models = decode_models(body, "openai");
    ASSERT_FALSE(models.ok()) << body;
    EXPECT_EQ(models.error().code(), StatusCode::kProtocolError) << body;
    EXPECT_EQ(models.error().provider(), "openai");
  }
}

}  // namespace
}  // namespace aisopod::openai
