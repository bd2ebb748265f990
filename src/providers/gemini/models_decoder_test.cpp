// The Gemini models-list decoder: the documented response shape (there is no recording of it),
// the generateContent filter, paging and malformed bodies.
#include "providers/gemini/models_decoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace aisopod::gemini {
namespace {

// The shape documented for GET /v1beta/models (reference/wire-formats.md section 3.5).
constexpr const char* kPage = R"({
  "models": [
    {"name": "models/gemini-2.5-flash", "baseModelId": "gemini-2.5-flash", "version": "001",
     "displayName": "Gemini 2.5 Flash", "description": "Stable version of Gemini 2.5 Flash",
     "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
     "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent",
                                    "batchGenerateContent"],
     "temperature": 1, "maxTemperature": 2, "topP": 0.95, "topK": 64, "thinking": true},
    {"name": "models/text-embedding-004", "displayName": "Text Embedding 004",
     "inputTokenLimit": 2048, "outputTokenLimit": 1,
     "supportedGenerationMethods": ["embedContent"]},
    {"name": "models/aqa", "displayName": "Model that performs Attributed Question Answering.",
     "supportedGenerationMethods": ["generateAnswer"]},
    {"name": "models/gemini-2.0-flash", "displayName": "Gemini 2.0 Flash",
     "inputTokenLimit": 1048576, "outputTokenLimit": 8192,
     "supportedGenerationMethods": ["generateContent", "countTokens"], "thinking": false},
    {"name": "tunedModels/my-model-abc"}
  ],
  "nextPageToken": "Chxtb2RlbHMvZ2VtaW5pLTIuMC1mbGFzaC0wMDE="
})";

TEST(GeminiModelsDecoder, DocumentedPage) {
  auto page = decode_models_page(kPage, "gemini");
  ASSERT_TRUE(page.ok()) << page.status().to_string();
  EXPECT_EQ(page->next_page_token, "Chxtb2RlbHMvZ2VtaW5pLTIuMC1mbGFzaC0wMDE=");
  ASSERT_EQ(page->models.size(), 3u);

  const ModelInfo& flash = page->models[0];
  EXPECT_EQ(flash.id, "gemini-2.5-flash");
  EXPECT_EQ(flash.provider, "gemini");
  EXPECT_EQ(flash.display_name, "Gemini 2.5 Flash");
  EXPECT_EQ(flash.context_window, 1048576);
  EXPECT_EQ(flash.max_output_tokens, 65536);
  EXPECT_EQ(flash.capabilities,
            (std::vector<std::string>{"generateContent", "countTokens", "createCachedContent",
                                      "batchGenerateContent", "thinking"}));
  EXPECT_EQ(flash.owned_by, "google");
  EXPECT_FALSE(flash.created.has_value());

  const ModelInfo& older = page->models[1];
  EXPECT_EQ(older.id, "gemini-2.0-flash");
  EXPECT_EQ(older.context_window, 1048576);
  EXPECT_EQ(older.max_output_tokens, 8192);
  EXPECT_EQ(older.capabilities, (std::vector<std::string>{"generateContent", "countTokens"}));

  // No method list: kept, and the name has no "models/" prefix to remove.
  const ModelInfo& tuned = page->models[2];
  EXPECT_EQ(tuned.id, "tunedModels/my-model-abc");
  EXPECT_EQ(tuned.display_name, "tunedModels/my-model-abc");
  EXPECT_FALSE(tuned.context_window.has_value());
  EXPECT_FALSE(tuned.max_output_tokens.has_value());
  EXPECT_TRUE(tuned.capabilities.empty());
}

TEST(GeminiModelsDecoder, LastAndEmptyPages) {
  auto last = decode_models_page(
      R"({"models":[{"name":"models/gemini-2.5-pro","supportedGenerationMethods":["generateContent"]}]})",
      "google");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->next_page_token, "");
  ASSERT_EQ(last->models.size(), 1u);
  EXPECT_EQ(last->models[0].id, "gemini-2.5-pro");
  EXPECT_EQ(last->models[0].provider, "google");
  EXPECT_EQ(last->models[0].display_name, "gemini-2.5-pro");

  auto empty = decode_models_page("{}", "gemini");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->models.empty());
  EXPECT_EQ(empty->next_page_token, "");
}

TEST(GeminiModelsDecoder, MalformedBodies) {
  struct Case {
    const char* body;
    const char* message;
  };
  const Case cases[] = {
      {"<html>", "gemini: models list: body is not a JSON object"},
      {"[]", "gemini: models list: body is not a JSON object"},
      {R"({"models":{}})", "gemini: models list: \"models\" is not an array"},
      {R"({"models":[{"displayName":"x"}]})", "gemini: models list: an entry has no string name"},
      {R"({"models":[7]})", "gemini: models list: an entry has no string name"},
  };
  for (const Case& c : cases) {
    auto page = decode_models_page(c.body, "gemini");
    ASSERT_FALSE(page.ok()) << c.body;
    EXPECT_EQ(page.error().code(), StatusCode::kProtocolError);
    EXPECT_EQ(page.error().message(), c.message);
    EXPECT_EQ(page.error().provider(), "gemini");
  }
}

}  // namespace
}  // namespace aisopod::gemini
