// The Anthropic error mapper: every documented status and error type, the message rules, and
// retry-after.
#include "providers/anthropic/error_mapper.hpp"

#include <gtest/gtest.h>

#include <string>

namespace aisopod::anthropic {
namespace {

std::string body(const std::string& type, const std::string& message) {
  return R"({"type":"error","error":{"type":")" + type + R"(","message":")" + message +
         R"("},"request_id":"req_011CVEA3SF7rnb3DuBZytqQa"})";
}

TEST(AnthropicErrorMapper, EveryDocumentedStatus) {
  struct Case {
    int status;
    std::string type;
    std::string message;
    StatusCode expected;
  };
  const Case cases[] = {
      // The 400 and 404 bodies are from the pydantic-ai cassettes.
      {400, "invalid_request_error",
       "This model does not support effort level 'xhigh'. Supported levels: high, low, max, "
       "medium.",
       StatusCode::kInvalidArgument},
      {400, "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum",
       StatusCode::kContextLengthExceeded},
      {400, "invalid_request_error",
       "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing "
       "to upgrade or purchase credits.",
       StatusCode::kBilling},
      {401, "authentication_error", "invalid x-api-key", StatusCode::kUnauthenticated},
      {402, "billing_error", "payment required", StatusCode::kBilling},
      {403, "permission_error", "not allowed", StatusCode::kPermissionDenied},
      {404, "not_found_error", "model: claude-does-not-exist", StatusCode::kNotFound},
      {413, "request_too_large", "Request exceeds the maximum allowed number of bytes.",
       StatusCode::kInvalidArgument},
      {429, "rate_limit_error", "Number of request tokens has exceeded your rate limit",
       StatusCode::kRateLimited},
      {500, "api_error", "Internal server error", StatusCode::kUnavailable},
      {503, "overloaded_error", "Overloaded", StatusCode::kOverloaded},
      {529, "overloaded_error", "Overloaded", StatusCode::kOverloaded},
  };
  for (const Case& c : cases) {
    const Status s = status_from_response(c.status, {}, body(c.type, c.message), "anthropic");
    EXPECT_EQ(s.code(), c.expected) << c.status << " " << s.to_string();
    EXPECT_EQ(s.http_status(), c.status);
    EXPECT_EQ(s.provider(), "anthropic");
    EXPECT_NE(s.message().find(c.message), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(c.type), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("req_011CVEA3SF7rnb3DuBZytqQa"), std::string::npos);
    EXPECT_FALSE(s.retry_after().has_value());
  }
}

TEST(AnthropicErrorMapper, RetryAfterAndNoHeaderValuesInTheMessage) {
  const http::Headers headers = {{"retry-after", "17"},
                                 {"x-api-key", "sk-ant-secret-123"},
                                 {"anthropic-ratelimit-requests-reset", "2025-01-01T00:00:00Z"}};
  const Status s =
      status_from_response(429, headers, body("rate_limit_error", "slow down"), "anthropic");
  EXPECT_EQ(s.code(), StatusCode::kRateLimited);
  ASSERT_TRUE(s.retry_after().has_value());
  EXPECT_EQ(s.retry_after()->count(), 17000);
  EXPECT_EQ(s.to_string().find("sk-ant-secret-123"), std::string::npos);
  EXPECT_EQ(s.to_string().find("2025-01-01"), std::string::npos);

  const Status ms = status_from_response(529, {{"Retry-After-Ms", "250"}, {"retry-after", "9"}},
                                         body("overloaded_error", "Overloaded"), "a");
  ASSERT_TRUE(ms.retry_after().has_value());
  EXPECT_EQ(ms.retry_after()->count(), 250);
  const Status junk =
      status_from_response(429, {{"retry-after", "soon"}}, body("rate_limit_error", "x"), "a");
  EXPECT_FALSE(junk.retry_after().has_value());
}

TEST(AnthropicErrorMapper, SpendLimitIsBilling) {
  const Status s = status_from_response(
      429, {},
      R"({"type":"error","error":{"type":"rate_limit_error","message":"limit",)"
      R"("details":{"error_code":"enforced_spend_limit_reached"}}})",
      "anthropic");
  EXPECT_EQ(s.code(), StatusCode::kBilling);
}

TEST(AnthropicErrorMapper, NonJsonBodies) {
  const Status html = status_from_response(
      413, {}, "<html><body>413 Request Entity Too Large</body></html>", "anthropic");
  EXPECT_EQ(html.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(html.message().find("413 Request Entity Too Large"), std::string::npos);
  const Status empty = status_from_response(502, {}, "", "anthropic");
  EXPECT_EQ(empty.code(), StatusCode::kUnavailable);
  EXPECT_NE(empty.message().find("HTTP 502"), std::string::npos);
  const std::string huge(5000, 'x');
  EXPECT_LT(status_from_response(500, {}, huge, "a").message().size(), 300u);
}

TEST(AnthropicErrorMapper, StreamErrors) {
  const struct {
    const char* type;
    StatusCode expected;
  } cases[] = {{"overloaded_error", StatusCode::kOverloaded},
               {"api_error", StatusCode::kUnavailable},
               {"rate_limit_error", StatusCode::kRateLimited},
               {"invalid_request_error", StatusCode::kInvalidArgument},
               {"authentication_error", StatusCode::kUnauthenticated},
               {"permission_error", StatusCode::kPermissionDenied},
               {"billing_error", StatusCode::kBilling},
               {"not_found_error", StatusCode::kNotFound},
               {"request_too_large", StatusCode::kInvalidArgument},
               {"timeout_error", StatusCode::kTimeout},
               {"brand_new_error", StatusCode::kUnavailable}};
  for (const auto& c : cases) {
    const Status s = status_from_stream_error(body(c.type, "msg"), "anthropic");
    EXPECT_EQ(s.code(), c.expected) << c.type;
    EXPECT_EQ(s.http_status(), 0);
    EXPECT_EQ(s.provider(), "anthropic");
  }
  EXPECT_EQ(
      status_from_stream_error(body("invalid_request_error", "prompt is too long"), "a").code(),
      StatusCode::kContextLengthExceeded);
}

}  // namespace
}  // namespace aisopod::anthropic
