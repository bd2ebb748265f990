#include "aisopod/registry.hpp"

#include <gtest/gtest.h>

namespace aisopod {
namespace {

class NamedProvider : public ModelProvider {
 public:
  explicit NamedProvider(std::string id) : id_(std::move(id)) {}
  std::string_view id() const override { return id_; }
  Task<Result<std::vector<ModelInfo>>> list_models() override {
    co_return std::vector<ModelInfo>{};
  }
  Task<Result<ChunkStream>> start_chat_completion(ChatCompletionRequest, CallOptions) override {
    co_return ChunkStream();
  }
  Task<HealthStatus> health_check() override { co_return HealthStatus{}; }

 private:
  std::string id_;
};

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.add(std::make_shared<NamedProvider>("openai")).ok());
    ASSERT_TRUE(registry_.add(std::make_shared<NamedProvider>("local")).ok());
  }
  ProviderRegistry registry_;
};

TEST_F(RegistryTest, FindAndList) {
  ASSERT_NE(registry_.find("openai"), nullptr);
  EXPECT_EQ(registry_.find("openai")->id(), "openai");
  EXPECT_EQ(registry_.find("nope"), nullptr);
  EXPECT_EQ(registry_.ids(), (std::vector<std::string>{"local", "openai"}));
}

TEST_F(RegistryTest, DuplicateAndEmptyIdsRefused) {
  EXPECT_EQ(registry_.add(std::make_shared<NamedProvider>("openai")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_.add(std::make_shared<NamedProvider>("")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_.add(nullptr).code(), StatusCode::kInvalidArgument);
}

TEST_F(RegistryTest, ResolvesProviderSlashModel) {
  auto r = registry_.resolve("openai/gpt-4o");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->provider->id(), "openai");
  EXPECT_EQ(r->model, "gpt-4o");
  // Only the first slash splits.
  auto nested = registry_.resolve("local/meta-llama/llama-3");
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(nested->provider->id(), "local");
  EXPECT_EQ(nested->model, "meta-llama/llama-3");
}

TEST_F(RegistryTest, ResolvesAliasesChainsAndDefault) {
  registry_.set_alias("fast", "openai/gpt-4o-mini");
  registry_.set_alias("quick", "fast");
  registry_.set_default_model("quick");
  for (const char* spec : {"fast", "quick", ""}) {
    auto r = registry_.resolve(spec);
    ASSERT_TRUE(r.ok()) << spec;
    EXPECT_EQ(r->provider->id(), "openai");
    EXPECT_EQ(r->model, "gpt-4o-mini");
  }
}

TEST_F(RegistryTest, ResolveErrors) {
  auto no_default = registry_.resolve("");
  EXPECT_EQ(no_default.error().code(), StatusCode::kInvalidArgument);
  auto unknown = registry_.resolve("anthropic/claude");
  EXPECT_EQ(unknown.error().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.error().message().find("local, openai"), std::string::npos);
  registry_.set_alias("loop_a", "loop_b");
  registry_.set_alias("loop_b", "loop_a");
  auto cycle = registry_.resolve("loop_a");
  EXPECT_EQ(cycle.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(cycle.error().message().find("cycle"), std::string::npos);
  for (const char* bad : {"gpt-4o", "/gpt", "openai/"}) {
    EXPECT_EQ(registry_.resolve(bad).error().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace aisopod
