// The /api/tags and /api/version decoders.
#include "providers/ollama/models_decoder.hpp"

#include <gtest/gtest.h>

#include "testing/testdata.hpp"

namespace aisopod::ollama {
namespace {

using aisopod::testing::read_testdata;

TEST(OllamaModelsDecoder, DocumentedTags) {
  Result<std::vector<ModelInfo>> models =
      decode_models(read_testdata("ollama/docs-examples/api-tags.response.json"), "local");
  ASSERT_TRUE(models.ok()) << models.error().to_string();
  ASSERT_EQ(models->size(), 2u);
  const ModelInfo& llama = (*models)[1];
  EXPECT_EQ(llama.id, "llama3.2:latest");
  EXPECT_EQ(llama.provider, "local");
  EXPECT_EQ(llama.display_name, "llama3.2:latest (3.2B, Q4_K_M)");
  EXPECT_EQ(llama.capabilities, (std::vector<std::string>{"family:llama", "parameter_size:3.2B",
                                                          "quantization:Q4_K_M"}));
  EXPECT_FALSE(llama.context_window.has_value());
}

TEST(OllamaModelsDecoder, NewerServerCapabilitiesAndSparseEntries) {
  Result<std::vector<ModelInfo>> models = decode_models(
      R"({"models":[{"model":"qwen3:8b","details":{"family":"qwen3"},
                     "capabilities":["completion","tools","thinking"]},
                    {"name":"bare"}]})",
      "ollama");
  ASSERT_TRUE(models.ok()) << models.error().to_string();
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[0].id, "qwen3:8b");
  EXPECT_EQ((*models)[0].display_name, "qwen3:8b");
  EXPECT_EQ((*models)[0].capabilities,
            (std::vector<std::string>{"family:qwen3", "completion", "tools", "thinking"}));
  EXPECT_EQ((*models)[1].display_name, "bare");
  EXPECT_TRUE((*models)[1].capabilities.empty());
  EXPECT_TRUE(decode_models(R"({"models":[]})", "ollama")->empty());
}

TEST(OllamaModelsDecoder, MalformedListsAreProtocolErrors) {
  for (const char* body :
       {"", "[]", R"({"data":[]})", R"({"models":[1]})", R"({"models":[{"size":1}]})"}) {
    Result<std::vector<ModelInfo>> models = decode_models(body, "ollama");
    ASSERT_FALSE(models.ok()) << body;
    EXPECT_EQ(models.error().code(), StatusCode::kProtocolError) << body;
    EXPECT_EQ(models.error().provider(), "ollama");
  }
}

TEST(OllamaModelsDecoder, Version) {
  Result<std::string> version =
      decode_version(read_testdata("ollama/docs-examples/api-version.response.json"), "ollama");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, "0.5.1");
  EXPECT_EQ(decode_version(R"({"version":5})", "ollama").error().code(),
            StatusCode::kProtocolError);
  EXPECT_EQ(decode_version("oops", "ollama").error().code(), StatusCode::kProtocolError);
}

}  // namespace
}  // namespace aisopod::ollama
