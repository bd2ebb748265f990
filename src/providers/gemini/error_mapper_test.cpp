// The Gemini error mapper: every documented status, the recorded error bodies, the message
// rules, and retry delays from RetryInfo and headers.
#include "providers/gemini/error_mapper.hpp"

#include <gtest/gtest.h>

#include <string>

#include "http/retry_after.hpp"
#include "providers/gemini/test_util.hpp"
#include "testing/testdata.hpp"

namespace aisopod::gemini {
namespace {

using aisopod::testing::read_testdata;

std::string body(int code, const std::string& status, const std::string& message,
                 const std::string& details = "[]") {
  return R"({"error":{"code":)" + std::to_string(code) + R"(,"message":")" + message +
         R"(","status":")" + status + R"(","details":)" + details + "}}";
}

TEST(GeminiErrorMapper, EveryDocumentedStatus) {
  struct Case {
    int http;
    std::string status;
    std::string message;
    StatusCode expected;
  };
  const Case cases[] = {
      {400, "INVALID_ARGUMENT", "Request contains an invalid argument.",
       StatusCode::kInvalidArgument},
      {400, "FAILED_PRECONDITION", "User location is not supported for the API use.",
       StatusCode::kInvalidArgument},
      {400, "FAILED_PRECONDITION",
       "Gemini API free tier is not available in your country. Please enable billing on your "
       "project in Google AI Studio.",
       StatusCode::kBilling},
      {400, "INVALID_ARGUMENT",
       "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
       StatusCode::kContextLengthExceeded},
      {401, "UNAUTHENTICATED", "Request had invalid authentication credentials.",
       StatusCode::kUnauthenticated},
      {403, "PERMISSION_DENIED", "The caller does not have permission",
       StatusCode::kPermissionDenied},
      {404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta",
       StatusCode::kNotFound},
      {408, "DEADLINE_EXCEEDED", "Request timed out.", StatusCode::kTimeout},
      {409, "ABORTED", "Conflict.", StatusCode::kUnavailable},
      {429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).",
       StatusCode::kRateLimited},
      {499, "CANCELLED", "The operation was cancelled.", StatusCode::kUnavailable},
      {500, "INTERNAL", "An internal error has occurred.", StatusCode::kUnavailable},
      {502, "UNKNOWN", "Bad gateway.", StatusCode::kUnavailable},
      {503, "UNAVAILABLE", "The model is overloaded. Please try again later.",
       StatusCode::kOverloaded},
      {503, "UNAVAILABLE", "The service is currently unavailable.", StatusCode::kUnavailable},
      {504, "DEADLINE_EXCEEDED", "Deadline exceeded.", StatusCode::kTimeout},
      {418, "", "I'm a teapot", StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    const Status s = status_from_response(c.http, {}, body(c.http, c.status, c.message), "gemini");
    EXPECT_EQ(s.code(), c.expected) << c.http << " " << s.to_string();
    EXPECT_EQ(s.http_status(), c.http);
    EXPECT_EQ(s.provider(), "gemini");
    const std::string expected_message =
        c.status.empty() ? c.message : c.message + " (status: " + c.status + ")";
    EXPECT_EQ(s.message(), expected_message);
    EXPECT_FALSE(s.retry_after().has_value());
  }
}

TEST(GeminiErrorMapper, RecordedBodies) {
  struct Case {
    const char* file;
    int http;
    StatusCode expected;
    std::string message;
  };
  const Case cases[] = {
      {"firebase-sdk-test-data/googleai/unary-failure-api-key.json", 400,
       StatusCode::kUnauthenticated,
       "API key not valid. Please pass a valid API key. (status: INVALID_ARGUMENT, reason: "
       "API_KEY_INVALID)"},
      {"firebase-sdk-test-data/vertexai/unary-failure-api-key.json", 400,
       StatusCode::kUnauthenticated,
       "API key not valid. Please pass a valid API key. (status: INVALID_ARGUMENT, reason: "
       "API_KEY_INVALID)"},
      {"firebase-sdk-test-data/vertexai/streaming-failure-api-key.txt", 400,
       StatusCode::kUnauthenticated,
       "API key not valid. Please pass a valid API key. (status: INVALID_ARGUMENT, reason: "
       "API_KEY_INVALID)"},
      {"firebase-sdk-test-data/googleai/streaming-failure-image-rejected.txt", 400,
       StatusCode::kInvalidArgument,
       "Request contains an invalid argument. (status: INVALID_ARGUMENT)"},
      {"firebase-sdk-test-data/googleai/unary-failure-unknown-model.json", 404,
       StatusCode::kNotFound,
       "models/gemini-5.0-flash is not found for API version v1, or is not supported for "
       "generateContent. Call ListModels to see the list of available models and their "
       "supported methods. (status: NOT_FOUND)"},
      {"firebase-sdk-test-data/vertexai/unary-failure-model-not-found.json", 404,
       StatusCode::kNotFound,
       "models/test-model-name is not found for API version v1beta, or is not supported for "
       "countTokens. Call ListModels to see the list of available models and their supported "
       "methods. (status: NOT_FOUND)"},
      {"firebase-sdk-test-data/vertexai/streaming-failure-unknown-model.txt", 404,
       StatusCode::kNotFound,
       "models/unknown is not found for API version v1, or is not supported for GenerateContent. "
       "Call ListModels to see the list of available models and their supported methods. "
       "(status: NOT_FOUND)"},
      {"firebase-sdk-test-data/vertexai/unary-failure-iam-permission-denied.json", 403,
       StatusCode::kPermissionDenied,
       "Permission 'aiplatform.endpoints.predict' denied on resource "
       "'//aiplatform.googleapis.com/projects/test-project-id-1234/locations/us-central1/"
       "publishers/google/models/gemini-1.5-flash' (or it may not exist). (status: "
       "PERMISSION_DENIED, reason: IAM_PERMISSION_DENIED)"},
      {"firebase-sdk-test-data/vertexai/unary-failure-quota-exceeded.json", 429,
       StatusCode::kRateLimited,
       "Quota exceeded for quota metric 'Generate Content API requests per minute' and limit "
       "'GenerateContent request limit per minute for a region' of service "
       "'generativelanguage.googleapis.com' for consumer 'project_number:348715329010'. "
       "(status: RESOURCE_EXHAUSTED, reason: RATE_LIMIT_EXCEEDED)"},
  };
  for (const Case& c : cases) {
    const std::string recorded = read_testdata(std::string("google/") + c.file);
    const Status s = status_from_response(c.http, {}, recorded, "gemini");
    EXPECT_EQ(s.code(), c.expected) << c.file << ": " << s.to_string();
    EXPECT_EQ(s.http_status(), c.http);
    EXPECT_EQ(s.provider(), "gemini");
    EXPECT_EQ(s.message(), c.message) << c.file;
    EXPECT_FALSE(s.retry_after().has_value()) << c.file;
    // DebugInfo details quote part of the key: they never reach the message.
    EXPECT_EQ(s.to_string().find("AIzv00G7VmUCUeC"), std::string::npos);
    EXPECT_EQ(s.to_string().find("key1234"), std::string::npos);
  }
}

TEST(GeminiErrorMapper, LongMessagesAreCutAndTheReasonKept) {
  const std::string recorded = read_testdata(
      "google/firebase-sdk-test-data/googleai/"
      "unary-failure-generativelanguage-api-not-enabled.json");
  const Status s = status_from_response(403, {}, recorded, "gemini");
  EXPECT_EQ(s.message(),
            "Generative Language API has not been used in project 12345678 before or it is "
            "disabled. Enable it by visiting "
            "https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/"
            "overview?project=12345678 then retry. If you enabled this API recently, wait a few "
            "minutes for the action to propagate to our systems and retry. (status: "
            "PERMISSION_DENIED, reason: SERVICE_DISABLED)");
  const std::string long_message(700, 'x');
  const Status cut =
      status_from_response(400, {}, body(400, "INVALID_ARGUMENT", long_message), "gemini");
  EXPECT_EQ(cut.message(), std::string(500, 'x') + "... (status: INVALID_ARGUMENT)");
}

TEST(GeminiErrorMapper, RetryDelayFromRetryInfo) {
  const Status s = status_from_response(
      429, {}, read_testdata("google/vercel-ai/google-429-retry-info.json"), "gemini");
  EXPECT_EQ(s.code(), StatusCode::kRateLimited);
  EXPECT_EQ(s.message(),
            "You exceeded your current quota, please check your plan. (status: "
            "RESOURCE_EXHAUSTED)");
  ASSERT_TRUE(s.retry_after().has_value());
  EXPECT_EQ(s.retry_after()->count(), 34400);

  // RetryInfo wins over the headers; without it the headers count.
  const std::string with_info =
      body(429, "RESOURCE_EXHAUSTED", "slow down",
           R"([{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}])");
  const Status both = status_from_response(429, {{"Retry-After", "5"}}, with_info, "gemini");
  ASSERT_TRUE(both.retry_after().has_value());
  EXPECT_EQ(both.retry_after()->count(), 37000);
  const Status header_only = status_from_response(
      429, {{"Retry-After", "5"}}, body(429, "RESOURCE_EXHAUSTED", "slow down"), "gemini");
  ASSERT_TRUE(header_only.retry_after().has_value());
  EXPECT_EQ(header_only.retry_after()->count(), 5000);
  const Status ms = status_from_response(503, {{"retry-after-ms", "250"}},
                                         body(503, "UNAVAILABLE", "try later"), "gemini");
  ASSERT_TRUE(ms.retry_after().has_value());
  EXPECT_EQ(ms.retry_after()->count(), 250);
}

TEST(GeminiErrorMapper, Durations) {
  EXPECT_EQ(parse_duration("37s"), std::chrono::milliseconds(37000));
  EXPECT_EQ(parse_duration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_EQ(parse_duration("34.4s"), std::chrono::milliseconds(34400));
  EXPECT_EQ(parse_duration("0.250s"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("0.0019s"), std::chrono::milliseconds(1));
  EXPECT_EQ(parse_duration("0s"), std::chrono::milliseconds(0));
  EXPECT_EQ(parse_duration("99999999999999999999999s"), http::kMaxRetryAfter);
  EXPECT_EQ(parse_duration("86401s"), http::kMaxRetryAfter);
  for (const char* bad : {"", "s", "37", "-1s", "1.s", ".5s", "1e3s", "1,5s", "1.5ms", " 1s"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(GeminiErrorMapper, RecordedForbiddenExchangeWithHeaders) {
  const test::RecordedResponse response = test::response_from_httprr(
      read_testdata("google/langchaingo/TestGoogleAIErrorHandling.httprr"));
  ASSERT_EQ(response.status, 403);
  const Status s = status_from_response(response.status, response.headers, response.body, "gem");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.http_status(), 403);
  EXPECT_EQ(s.provider(), "gem");
  EXPECT_EQ(s.message(),
            "Method doesn't allow unregistered callers (callers without established identity). "
            "Please use API Key or other form of API consumer identity to call this API. "
            "(status: PERMISSION_DENIED)");
  EXPECT_FALSE(s.retry_after().has_value());
  // No header value leaks into the message.
  EXPECT_EQ(s.to_string().find("scaffolding"), std::string::npos);
}

TEST(GeminiErrorMapper, BodiesThatAreNotGoogleErrors) {
  const Status html =
      status_from_response(502, {}, "<html>\n<body>Bad Gateway</body>\n</html>", "gemini");
  EXPECT_EQ(html.code(), StatusCode::kUnavailable);
  EXPECT_EQ(html.message(), "<html> <body>Bad Gateway</body> </html>");
  const Status empty = status_from_response(500, {}, "", "gemini");
  EXPECT_EQ(empty.code(), StatusCode::kUnavailable);
  EXPECT_EQ(empty.message(), "HTTP 500 with an empty body");
  const Status long_html = status_from_response(413, {}, std::string(300, 'y'), "gemini");
  EXPECT_EQ(long_html.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(long_html.message(), std::string(200, 'y') + "...");
  const Status plain = status_from_response(400, {}, R"({"error":"bad thing"})", "gemini");
  EXPECT_EQ(plain.message(), "bad thing");
  const Status no_message = status_from_response(404, {}, R"({"unexpected":1})", "gemini");
  EXPECT_EQ(no_message.message(), "HTTP 404");
  EXPECT_EQ(no_message.code(), StatusCode::kNotFound);
  // streamGenerateContent without alt=sse wraps the error in an array.
  const Status wrapped = status_from_response(
      429, {}, "[" + body(429, "RESOURCE_EXHAUSTED", "Quota exceeded.") + "]", "gemini");
  EXPECT_EQ(wrapped.code(), StatusCode::kRateLimited);
  EXPECT_EQ(wrapped.message(), "Quota exceeded. (status: RESOURCE_EXHAUSTED)");
}

TEST(GeminiErrorMapper, ApiKeyInvalidOnForbiddenIsUnauthenticated) {
  const std::string expired =
      body(403, "PERMISSION_DENIED", "API key expired. Please renew the API key.",
           R"([{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}])");
  const Status s = status_from_response(403, {}, expired, "gemini");
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(),
            "API key expired. Please renew the API key. (status: PERMISSION_DENIED, reason: "
            "API_KEY_INVALID)");
}

TEST(GeminiErrorMapper, StreamErrorsByRpcStatus) {
  struct Case {
    std::string status;
    int code;
    std::string message;
    StatusCode expected;
  };
  const Case cases[] = {
      {"INVALID_ARGUMENT", 400, "bad", StatusCode::kInvalidArgument},
      {"FAILED_PRECONDITION", 400, "precondition", StatusCode::kInvalidArgument},
      {"OUT_OF_RANGE", 400, "range", StatusCode::kInvalidArgument},
      {"UNIMPLEMENTED", 501, "not here", StatusCode::kInvalidArgument},
      {"UNAUTHENTICATED", 401, "who", StatusCode::kUnauthenticated},
      {"PERMISSION_DENIED", 403, "no", StatusCode::kPermissionDenied},
      {"NOT_FOUND", 404, "gone", StatusCode::kNotFound},
      {"RESOURCE_EXHAUSTED", 429, "slow", StatusCode::kRateLimited},
      {"DEADLINE_EXCEEDED", 504, "late", StatusCode::kTimeout},
      {"UNAVAILABLE", 503, "The model is overloaded.", StatusCode::kOverloaded},
      {"UNAVAILABLE", 503, "down", StatusCode::kUnavailable},
      {"INTERNAL", 500, "oops", StatusCode::kUnavailable},
      {"UNKNOWN", 500, "?", StatusCode::kUnavailable},
      {"CANCELLED", 499, "The operation was cancelled.", StatusCode::kUnavailable},
      {"ABORTED", 409, "aborted", StatusCode::kUnavailable},
      {"DATA_LOSS", 500, "lost", StatusCode::kUnavailable},
      {"SOMETHING_NEW", 404, "by code", StatusCode::kNotFound},
      {"SOMETHING_NEW", 0, "no code", StatusCode::kUnavailable},
  };
  for (const Case& c : cases) {
    const Status s = status_from_stream_error(body(c.code, c.status, c.message), "gemini");
    EXPECT_EQ(s.code(), c.expected) << c.status << " " << c.message;
    EXPECT_EQ(s.http_status(), 0);
    EXPECT_EQ(s.provider(), "gemini");
    EXPECT_EQ(s.message(), c.message + " (status: " + c.status + ")");
  }
  const Status retry = status_from_stream_error(
      body(429, "RESOURCE_EXHAUSTED", "slow",
           R"([{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}])"),
      "gemini");
  ASSERT_TRUE(retry.retry_after().has_value());
  EXPECT_EQ(retry.retry_after()->count(), 1500);
  const Status garbage = status_from_stream_error("not json", "gemini");
  EXPECT_EQ(garbage.code(), StatusCode::kUnavailable);
  EXPECT_EQ(garbage.message(), "not json");
  // A 2xx status is classified like a stream error.
  const Status in_200 = status_from_response(200, {}, body(429, "RESOURCE_EXHAUSTED", "q"), "g");
  EXPECT_EQ(in_200.code(), StatusCode::kRateLimited);
  EXPECT_EQ(in_200.http_status(), 200);
}

}  // namespace
}  // namespace aisopod::gemini
