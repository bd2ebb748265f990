#include "providers/openai/error_mapper.hpp"

#include <gtest/gtest.h>

#include <string>

namespace aisopod::openai {
namespace {

using std::chrono::milliseconds;

std::string error_body(std::string_view message, std::string_view type, std::string_view code) {
  return std::string(R"({"error":{"message":")") + std::string(message) + R"(","type":")" +
         std::string(type) + R"(","param":null,"code":")" + std::string(code) + R"("}})";
}

StatusCode code_for(int http_status, const std::string& body = "{}") {
  return status_from_response(http_status, {}, body, "openai").code();
}

TEST(ErrorMapper, StatusClasses) {
  EXPECT_EQ(code_for(400), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_for(401), StatusCode::kUnauthenticated);
  EXPECT_EQ(code_for(403), StatusCode::kPermissionDenied);
  EXPECT_EQ(code_for(404), StatusCode::kNotFound);
  EXPECT_EQ(code_for(408), StatusCode::kTimeout);
  EXPECT_EQ(code_for(409), StatusCode::kUnavailable);
  EXPECT_EQ(code_for(413), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_for(422), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_for(429), StatusCode::kRateLimited);
  EXPECT_EQ(code_for(500), StatusCode::kUnavailable);
  EXPECT_EQ(code_for(502), StatusCode::kUnavailable);
  EXPECT_EQ(code_for(503), StatusCode::kUnavailable);
  EXPECT_EQ(code_for(504), StatusCode::kUnavailable);
  EXPECT_EQ(code_for(520), StatusCode::kUnavailable);
  EXPECT_EQ(code_for(529), StatusCode::kOverloaded);
}

TEST(ErrorMapper, OverloadedServerErrors) {
  const std::string body =
      error_body("The engine is currently overloaded, please try again later", "server_error", "");
  EXPECT_EQ(code_for(503, body), StatusCode::kOverloaded);
  EXPECT_EQ(code_for(500, body), StatusCode::kOverloaded);
  EXPECT_EQ(code_for(503, error_body("Service Unavailable", "server_error", "")),
            StatusCode::kUnavailable);
}

TEST(ErrorMapper, InsufficientQuotaIsBilling) {
  const std::string body =
      error_body("You exceeded your current quota, please check your plan and billing details.",
                 "insufficient_quota", "insufficient_quota");
  const Status status = status_from_response(429, {}, body, "openai");
  EXPECT_EQ(status.code(), StatusCode::kBilling);
  EXPECT_FALSE(is_retryable(status.code()));
  EXPECT_EQ(
      code_for(429, error_body("Rate limit reached for gpt-4o", "requests", "rate_limit_exceeded")),
      StatusCode::kRateLimited);
}

TEST(ErrorMapper, ContextLengthExceeded) {
  EXPECT_EQ(code_for(400, error_body("This model's maximum context length is 128000 tokens. "
                                     "However, your messages resulted in 130000 tokens.",
                                     "invalid_request_error", "context_length_exceeded")),
            StatusCode::kContextLengthExceeded);
  // Compatible servers without the code, only the message.
  EXPECT_EQ(code_for(400, R"({"error":{"message":"This model's maximum context length is 8192 )"
                          R"(tokens","type":"invalid_request_error","code":null}})"),
            StatusCode::kContextLengthExceeded);
}

TEST(ErrorMapper, RealUnsupportedParameterBody) {
  // tests/testdata/openai/vercel-ai/reasoning-model-legacy-parameter-error.json
  const std::string body = R"({
  "error": {
    "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    "type": "invalid_request_error",
    "param": "max_tokens",
    "code": "unsupported_parameter"
  }
})";
  const Status status = status_from_response(400, {}, body, "openai");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
            "'max_completion_tokens' instead. (type: invalid_request_error, code: "
            "unsupported_parameter)");
  EXPECT_EQ(status.http_status(), 400);
  EXPECT_EQ(status.provider(), "openai");
  EXPECT_FALSE(status.retry_after().has_value());
}

TEST(ErrorMapper, RealPydanticAiBodies) {
  // pydantic-ai test_openai_o1_mini_system_role[system].yaml, response body as JSON.
  const std::string system_role = R"({"error":{"code":"unsupported_value","message":"Unsupported )"
                                  R"(value: 'messages[0].role' does not support 'system' with )"
                                  R"(this model.","param":"messages[0].role","type":)"
                                  R"("invalid_request_error"}})";
  const Status a = status_from_response(400, {}, system_role, "openai");
  EXPECT_EQ(a.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.message(),
            "Unsupported value: 'messages[0].role' does not support 'system' with this model. "
            "(type: invalid_request_error, code: unsupported_value)");
  // test_openai_web_search_tool_model_not_supported.yaml: code null.
  const std::string web_search = R"({"error":{"code":null,"message":"Web search options not )"
                                 R"(supported with this model.","param":"web_search_options",)"
                                 R"("type":"invalid_request_error"}})";
  const Status b = status_from_response(400, {}, web_search, "local");
  EXPECT_EQ(b.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.message(),
            "Web search options not supported with this model. (type: invalid_request_error)");
  EXPECT_EQ(b.provider(), "local");
}

TEST(ErrorMapper, RetryAfterMsPreferredOverRetryAfter) {
  const http::Headers both = {{"Retry-After", "20"}, {"retry-after-ms", "1500"}};
  EXPECT_EQ(status_from_response(429, both, "{}", "openai").retry_after(), milliseconds(1500));
  const http::Headers seconds = {{"retry-after", "2.5"}};
  EXPECT_EQ(status_from_response(429, seconds, "{}", "openai").retry_after(), milliseconds(2500));
  const http::Headers bad_ms = {{"retry-after-ms", "soon"}, {"Retry-After", "3"}};
  EXPECT_EQ(status_from_response(503, bad_ms, "{}", "openai").retry_after(), milliseconds(3000));
  EXPECT_FALSE(status_from_response(429, {}, "{}", "openai").retry_after().has_value());
}

TEST(ErrorMapper, NonJsonBodyExcerpt) {
  const std::string html = "<html><head><title>502 Bad Gateway</title></head>\n<body>" +
                           std::string(400, 'x') + "</body></html>";
  const Status status = status_from_response(502, {}, html, "openai");
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message().substr(0, 50), "<html><head><title>502 Bad Gateway</title></head> ");
  EXPECT_LE(status.message().size(), 210u);
  EXPECT_EQ(status.http_status(), 502);
}

TEST(ErrorMapper, EmptyBody) {
  const Status status = status_from_response(401, {}, "", "openai");
  EXPECT_EQ(status.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(status.message(), "HTTP 401 with an empty body");
}

TEST(ErrorMapper, LongMessageIsTruncated) {
  const std::string body = error_body(std::string(2000, 'a'), "invalid_request_error", "");
  const Status status = status_from_response(400, {}, body, "openai");
  EXPECT_LT(status.message().size(), 600u);
  EXPECT_EQ(status.message().substr(0, 500), std::string(500, 'a'));
}

TEST(ErrorMapper, HeadersNeverInMessage) {
  const http::Headers headers = {{"Authorization", "Bearer sk-secret"},
                                 {"x-request-id", "req_123"}};
  const Status status = status_from_response(
      401, headers,
      error_body("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
      "openai");
  EXPECT_EQ(status.message().find("sk-secret"), std::string::npos);
  EXPECT_EQ(status.message().find("req_123"), std::string::npos);
  EXPECT_EQ(status.code(), StatusCode::kUnauthenticated);
}

TEST(ErrorMapper, CompatibleServerShapes) {
  const Status a =
      status_from_response(404, {}, R"({"error":"model 'llama9' not found"})", "local");
  EXPECT_EQ(a.code(), StatusCode::kNotFound);
  EXPECT_EQ(a.message(), "model 'llama9' not found");
  const Status b = status_from_response(422, {}, R"({"detail":"field required"})", "local");
  EXPECT_EQ(b.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.message(), "field required");
}

TEST(ErrorMapper, StreamErrors) {
  const Status server = status_from_stream_error(
      R"({"error":{"message":"boom","type":"server_error","code":null}})", "openai");
  EXPECT_EQ(server.code(), StatusCode::kUnavailable);
  EXPECT_EQ(server.message(), "boom (type: server_error)");
  EXPECT_EQ(server.http_status(), 0);
  EXPECT_EQ(server.provider(), "openai");
  EXPECT_EQ(status_from_stream_error(R"({"error":{"message":"x","type":"invalid_request_error"}})",
                                     "openai")
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      status_from_stream_error(
          R"({"error":{"message":"x","type":"insufficient_quota","code":"insufficient_quota"}})",
          "openai")
          .code(),
      StatusCode::kBilling);
  EXPECT_EQ(
      status_from_stream_error(R"({"error":{"message":"Overloaded","type":"x"}})", "openai").code(),
      StatusCode::kOverloaded);
  EXPECT_EQ(status_from_stream_error("not json", "openai").code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace aisopod::openai
