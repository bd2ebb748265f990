// Ollama error mapping: HTTP errors (a real recording among them), stream error lines, and the
// "is it running?" message for an unreachable server.
#include "providers/ollama/error_mapper.hpp"

#include <gtest/gtest.h>

#include "providers/ollama/test_util.hpp"
#include "testing/testdata.hpp"

namespace aisopod::ollama {
namespace {

using aisopod::testing::read_testdata;

TEST(OllamaErrorMapper, RecordedNoToolSupportIsInvalidArgument) {
  const auto exchanges =
      test::parse_httprr(read_testdata("ollama/langchaingo/TestToolCall.httprr"));
  ASSERT_EQ(exchanges.size(), 1u);
  const Status status = status_from_response(exchanges[0].status, {}, exchanges[0].body, "ollama");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.http_status(), 400);
  EXPECT_EQ(status.provider(), "ollama");
  EXPECT_EQ(status.message(), "registry.ollama.ai/library/gemma3:1b does not support tools");
}

TEST(OllamaErrorMapper, MapsEachHttpStatus) {
  struct Case {
    int http_status;
    std::string body;
    StatusCode expected;
  };
  const Case cases[] = {
      {400, R"({"error":"invalid options"})", StatusCode::kInvalidArgument},
      {400, R"({"error":"input exceeds the context length of the model"})",
       StatusCode::kContextLengthExceeded},
      {401, R"({"error":"unauthorized"})", StatusCode::kUnauthenticated},
      {403, R"({"error":"forbidden"})", StatusCode::kPermissionDenied},
      {404, R"({"error":"model \"nope\" not found, try pulling it first"})", StatusCode::kNotFound},
      {408, R"({"error":"timed out"})", StatusCode::kTimeout},
      {413, R"({"error":"too big"})", StatusCode::kInvalidArgument},
      {429, R"({"error":"too many requests"})", StatusCode::kRateLimited},
      {500, read_testdata("ollama/docs-examples/error.response.json"), StatusCode::kUnavailable},
      {500, R"({"error":"pull model manifest: file does not exist"})", StatusCode::kNotFound},
      {502, R"({"error":"bad gateway"})", StatusCode::kUnavailable},
      {503, R"({"error":"server busy, please try again.  maximum pending requests exceeded"})",
       StatusCode::kOverloaded},
      {503, R"({"error":"down"})", StatusCode::kUnavailable},
  };
  for (const Case& c : cases) {
    const Status status = status_from_response(c.http_status, {}, c.body, "local");
    EXPECT_EQ(status.code(), c.expected) << c.http_status << " " << c.body;
    EXPECT_EQ(status.http_status(), c.http_status);
    EXPECT_EQ(status.provider(), "local");
  }
  EXPECT_EQ(status_from_response(500, {}, read_testdata("ollama/docs-examples/error.response.json"),
                                 "local")
                .message(),
            "the model failed to generate a response");
}

TEST(OllamaErrorMapper, RetryAfterAndOddBodies) {
  const Status limited =
      status_from_response(429, {{"Retry-After", "2.5"}}, R"({"error":"slow down"})", "ollama");
  ASSERT_TRUE(limited.retry_after().has_value());
  EXPECT_EQ(limited.retry_after()->count(), 2500);
  EXPECT_FALSE(
      status_from_response(429, {{"Retry-After", "soon"}}, "", "ollama").retry_after().has_value());

  const Status html = status_from_response(502, {}, "<html>\nBad Gateway\n</html>\n", "ollama");
  EXPECT_EQ(html.code(), StatusCode::kUnavailable);
  EXPECT_EQ(html.message(), "<html> Bad Gateway </html>");
  const Status empty = status_from_response(500, {}, "", "ollama");
  EXPECT_EQ(empty.message(), "HTTP 500 with an empty body");
  const Status nested = status_from_response(400, {}, R"({"error":{"message":"bad"}})", "ollama");
  EXPECT_EQ(nested.message(), "bad");
  const std::string long_text(2000, 'x');
  EXPECT_LT(
      status_from_response(400, {}, R"({"error":")" + long_text + "\"}", "ollama").message().size(),
      600u);
}

TEST(OllamaErrorMapper, ClassifiesStreamErrorLines) {
  EXPECT_EQ(status_from_stream_error("pull model manifest: file does not exist", "o").code(),
            StatusCode::kNotFound);
  EXPECT_EQ(
      status_from_stream_error("an error was encountered while running the model", "o").code(),
      StatusCode::kUnavailable);
  EXPECT_EQ(status_from_stream_error("llama3 does not support thinking", "o").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(status_from_stream_error("server busy", "o").code(), StatusCode::kOverloaded);
  const Status status = status_from_stream_error("", "o");
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_FALSE(status.message().empty());
  EXPECT_EQ(status.http_status(), 0);
  EXPECT_EQ(status.provider(), "o");
}

TEST(OllamaErrorMapper, UnreachableServerSaysSoPlainly) {
  const Status refused(StatusCode::kUnavailable,
                       "Failed to connect to 127.0.0.1 port 11434: Connection refused");
  const Status mapped = status_from_transport_error(refused, "http://127.0.0.1:11434/", "ollama");
  EXPECT_EQ(mapped.code(), StatusCode::kUnavailable);
  EXPECT_EQ(mapped.http_status(), 0);
  EXPECT_EQ(mapped.provider(), "ollama");
  EXPECT_EQ(mapped.message(),
            "cannot reach Ollama at http://127.0.0.1:11434: is it running? (start it with "
            "`ollama serve`)");
  // A credential in the URL never reaches the message.
  const Status with_user =
      status_from_transport_error(refused, "https://me:s3cret@ollama.example:8443", "ollama");
  EXPECT_EQ(with_user.message().find("s3cret"), std::string::npos);
  EXPECT_NE(with_user.message().find("https://ollama.example:8443"), std::string::npos);
  // Other transport errors are kept as they are.
  const Status timeout(StatusCode::kTimeout, "connect deadline (10s) passed");
  EXPECT_EQ(status_from_transport_error(timeout, "http://x", "ollama"), timeout);
  EXPECT_EQ(status_from_transport_error(timeout, "http://x", "ollama").provider(), "ollama");
}

}  // namespace
}  // namespace aisopod::ollama
