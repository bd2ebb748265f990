// The Bedrock error mapper: real 403 traces, the documented error bodies, every error type, and
// the exception frames' payloads.
#include "providers/bedrock/error_mapper.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/testdata.hpp"

namespace aisopod::bedrock {
namespace {

using aisopod::testing::read_testdata;

// The first response of a langchaingo *.httprr trace: status, headers and body.
struct TracedResponse {
  int status = 0;
  http::Headers headers;
  std::string body;
};

TracedResponse first_response(std::string_view trace) {
  const std::size_t line1 = trace.find('\n');
  const std::size_t line2 = trace.find('\n', line1 + 1);
  const std::string sizes(trace.substr(line1 + 1, line2 - line1 - 1));
  const std::size_t request_bytes = std::stoul(sizes.substr(0, sizes.find(' ')));
  const std::size_t response_bytes = std::stoul(sizes.substr(sizes.find(' ') + 1));
  const std::string_view response = trace.substr(line2 + 1 + request_bytes, response_bytes);
  TracedResponse out;
  const std::size_t head_end = response.find("\r\n\r\n");
  std::string_view head = response.substr(0, head_end);
  out.body = std::string(response.substr(head_end + 4));
  std::size_t eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  out.status = std::stoi(std::string(status_line.substr(status_line.find(' ') + 1, 3)));
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 2);
    eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    const std::size_t colon = line.find(':');
    out.headers.push_back(
        {std::string(line.substr(0, colon)), std::string(line.substr(colon + 2))});
  }
  return out;
}

TEST(BedrockErrorMapper, RecordedAccessDenied) {
  for (const char* name : {"TestAmazonNova", "TestBedrockAnthropicToolCalling"}) {
    const TracedResponse r =
        first_response(read_testdata(std::string("bedrock/langchaingo/") + name + ".httprr"));
    ASSERT_EQ(r.status, 403) << name;
    const Status s = status_from_response(r.status, r.headers, r.body, "bedrock");
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << name;
    EXPECT_EQ(s.http_status(), 403);
    EXPECT_EQ(s.provider(), "bedrock");
    EXPECT_FALSE(s.retry_after().has_value());
  }
  const TracedResponse nova =
      first_response(read_testdata("bedrock/langchaingo/TestAmazonNova.httprr"));
  EXPECT_EQ(status_from_response(nova.status, nova.headers, nova.body, "bedrock").message(),
            "You don't have access to the model with the specified model ID. (type: "
            "AccessDeniedException, request_id: 63e33e55-4ca9-49ef-9744-86ae82e7fb7e)");
  EXPECT_EQ(status_from_response(nova.status, nova.headers, nova.body, "bedrock").to_string(),
            "permission_denied (HTTP 403, bedrock): You don't have access to the model with the "
            "specified model ID. (type: AccessDeniedException, request_id: "
            "63e33e55-4ca9-49ef-9744-86ae82e7fb7e)");
}

TEST(BedrockErrorMapper, DocumentedBodies) {
  // pydantic-ai test_bedrock_error.yaml: 400 without a type header.
  const Status invalid = status_from_response(
      400, {}, R"({"message":"The provided model identifier is invalid."})", "bedrock");
  EXPECT_EQ(invalid.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(invalid.message(), "The provided model identifier is invalid.");
  EXPECT_EQ(invalid.http_status(), 400);
  // pydantic-ai test_bedrock_throttling_error.yaml: the type in the body's __type.
  const Status throttled = status_from_response(
      429, {}, R"({"__type":"ThrottlingException","message":"Rate exceeded"})", "bedrock");
  EXPECT_EQ(throttled.code(), StatusCode::kRateLimited);
  EXPECT_EQ(throttled.message(), "Rate exceeded (type: ThrottlingException)");
  EXPECT_TRUE(is_retryable(throttled.code()));
}

TEST(BedrockErrorMapper, TypeFromHeaderBodyOrCode) {
  const http::Headers headers = {
      {"X-Amzn-ErrorType",
       "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"},
      {"x-amzn-RequestId", "rid-1"}};
  // The header wins over the body.
  const Status s = status_from_response(
      429, headers, R"({"__type":"ThrottlingException","message":"bad field"})", "bedrock");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "bad field (type: ValidationException, request_id: rid-1)");
  // The shape-id form of __type, and "Message" spelled with a capital.
  const Status shape = status_from_response(
      400, {}, R"({"__type":"com.amazonaws.bedrock#ResourceNotFoundException","Message":"gone"})",
      "bedrock");
  EXPECT_EQ(shape.code(), StatusCode::kNotFound);
  EXPECT_EQ(shape.message(), "gone (type: com.amazonaws.bedrock#ResourceNotFoundException)");
  // "code" when there is neither.
  const Status code = status_from_response(
      400, {}, R"({"code":"ModelTimeoutException","message":"slow"})", "bedrock");
  EXPECT_EQ(code.code(), StatusCode::kTimeout);
}

struct TypeCase {
  const char* type;
  int http_status;
  const char* message;
  StatusCode code;
};

TEST(BedrockErrorMapper, EveryErrorType) {
  const TypeCase cases[] = {
      {"ThrottlingException", 429, "Too many requests, please wait before trying again.",
       StatusCode::kRateLimited},
      {"AccessDeniedException", 403, "You don't have access to the model.",
       StatusCode::kPermissionDenied},
      {"UnrecognizedClientException", 403, "The security token included in the request is invalid.",
       StatusCode::kUnauthenticated},
      {"InvalidSignatureException", 403, "The request signature we calculated does not match.",
       StatusCode::kUnauthenticated},
      {"ExpiredTokenException", 403, "The security token included in the request is expired",
       StatusCode::kUnauthenticated},
      {"IncompleteSignatureException", 403, "Authorization header requires 'Credential'.",
       StatusCode::kUnauthenticated},
      {"MissingAuthenticationTokenException", 403, "Missing Authentication Token",
       StatusCode::kUnauthenticated},
      {"ValidationException", 400, "Malformed input request", StatusCode::kInvalidArgument},
      {"ValidationException", 400, "Input is too long for requested model.",
       StatusCode::kContextLengthExceeded},
      {"ValidationException", 400, "prompt is too long: 210000 tokens > 200000 maximum",
       StatusCode::kContextLengthExceeded},
      {"ValidationException", 400, "Too many input tokens. Max input tokens: 8192",
       StatusCode::kContextLengthExceeded},
      {"ResourceNotFoundException", 404, "Model not found", StatusCode::kNotFound},
      {"ServiceUnavailableException", 503, "Bedrock is unable to process your request.",
       StatusCode::kUnavailable},
      {"ModelNotReadyException", 429, "Model is not ready", StatusCode::kUnavailable},
      {"ModelTimeoutException", 408, "Model timed out", StatusCode::kTimeout},
      {"InternalServerException", 500, "Internal error", StatusCode::kUnavailable},
      {"ServiceQuotaExceededException", 400, "Your request exceeds the service quota",
       StatusCode::kBilling},
      {"ModelErrorException", 424, "The model returned an error", StatusCode::kUnavailable},
      {"ModelErrorException", 424, "Overloaded", StatusCode::kOverloaded},
      {"ConflictException", 400, "Conflict", StatusCode::kInvalidArgument},
  };
  for (const TypeCase& c : cases) {
    const http::Headers headers = {
        {"x-amzn-errortype",
         std::string(c.type) + ":http://internal.amazon.com/coral/com.amazon.bedrock/"}};
    const std::string body = std::string(R"({"message":")") + c.message + "\"}";
    const Status s = status_from_response(c.http_status, headers, body, "bedrock-us");
    EXPECT_EQ(s.code(), c.code) << c.type << ": " << c.message;
    EXPECT_EQ(s.message(), std::string(c.message) + " (type: " + c.type + ")");
    EXPECT_EQ(s.http_status(), c.http_status);
    EXPECT_EQ(s.provider(), "bedrock-us");
    // The same type in the stream's lower-camel spelling maps the same way.
    std::string camel = c.type;
    camel[0] = static_cast<char>(camel[0] - 'A' + 'a');
    EXPECT_EQ(code_for_error_type(camel, c.message, 0), c.code) << camel;
  }
}

TEST(BedrockErrorMapper, UnknownTypesFallBackToTheHttpStatus) {
  const std::pair<int, StatusCode> cases[] = {
      {400, StatusCode::kInvalidArgument},  {401, StatusCode::kUnauthenticated},
      {403, StatusCode::kPermissionDenied}, {404, StatusCode::kNotFound},
      {408, StatusCode::kTimeout},          {413, StatusCode::kInvalidArgument},
      {424, StatusCode::kUnavailable},      {429, StatusCode::kRateLimited},
      {500, StatusCode::kUnavailable},      {502, StatusCode::kUnavailable},
      {503, StatusCode::kUnavailable},      {504, StatusCode::kUnavailable},
  };
  for (const auto& [status, code] : cases) {
    EXPECT_EQ(status_from_response(status, {}, "", "bedrock").code(), code) << status;
    EXPECT_EQ(status_from_response(status, {{"X-Amzn-ErrorType", "SomethingNewException"}},
                                   R"({"message":"x"})", "bedrock")
                  .code(),
              code)
        << status;
  }
  EXPECT_EQ(status_from_response(400, {}, R"({"message":"Input is too long for requested model."})",
                                 "bedrock")
                .code(),
            StatusCode::kContextLengthExceeded);
}

TEST(BedrockErrorMapper, BodiesThatAreNotJson) {
  const Status empty = status_from_response(503, {}, "", "bedrock");
  EXPECT_EQ(empty.message(), "HTTP 503 with an empty body");
  const Status html = status_from_response(502, {{"x-amzn-RequestId", "r-9"}},
                                           "<html><body>\nBad Gateway\n</body></html>", "bedrock");
  EXPECT_EQ(html.code(), StatusCode::kUnavailable);
  EXPECT_EQ(html.message(), "<html><body> Bad Gateway </body></html> (request_id: r-9)");
  const Status no_message =
      status_from_response(400, {{"X-Amzn-ErrorType", "ValidationException"}}, "{}", "bedrock");
  EXPECT_EQ(no_message.message(), "HTTP 400 (type: ValidationException)");
}

TEST(BedrockErrorMapper, RetryAfterHeaderIsKept) {
  const Status s =
      status_from_response(429, {{"X-Amzn-ErrorType", "ThrottlingException"}, {"Retry-After", "7"}},
                           R"({"message":"Rate exceeded"})", "bedrock");
  EXPECT_EQ(s.code(), StatusCode::kRateLimited);
  ASSERT_TRUE(s.retry_after().has_value());
  EXPECT_EQ(*s.retry_after(), std::chrono::milliseconds(7000));
}

TEST(BedrockErrorMapper, LongMessagesAreCutToOneLine) {
  const std::string long_message(900, 'x');
  const Status s = status_from_response(400, {{"X-Amzn-ErrorType", "ValidationException"}},
                                        R"({"message":"a\nb)" + long_message + "\"}", "bedrock");
  EXPECT_EQ(s.message().substr(0, 5), "a bxx");
  EXPECT_EQ(s.message().size(), 500u + 3 + std::string(" (type: ValidationException)").size());
}

TEST(BedrockErrorMapper, ExceptionFramePayloads) {
  const Status throttled = status_from_exception(
      "throttlingException", R"({"message":"Too many tokens, please wait before trying again."})",
      "bedrock");
  // A throttling message that mentions tokens is still rate_limited: only validation errors are
  // read for context length.
  EXPECT_EQ(throttled.code(), StatusCode::kRateLimited);
  EXPECT_EQ(throttled.message(),
            "Too many tokens, please wait before trying again. (type: throttlingException)");
  EXPECT_EQ(throttled.http_status(), 0);
  EXPECT_EQ(throttled.provider(), "bedrock");

  const Status model = status_from_exception(
      "modelStreamErrorException",
      R"({"message":"Model stream error","originalStatusCode":529,"originalMessage":"Overloaded"})",
      "bedrock");
  EXPECT_EQ(model.code(), StatusCode::kOverloaded);
  EXPECT_EQ(model.message(),
            "Model stream error (type: modelStreamErrorException, original_status: 529)");
  EXPECT_EQ(status_from_exception("modelStreamErrorException",
                                  R"({"message":"failed","originalStatusCode":500})", "bedrock")
                .code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(
      status_from_exception("serviceUnavailableException", R"({"message":"x"})", "bedrock").code(),
      StatusCode::kUnavailable);
  EXPECT_EQ(
      status_from_exception("internalServerException", R"({"message":"x"})", "bedrock").code(),
      StatusCode::kUnavailable);
  EXPECT_EQ(status_from_exception("validationException", R"({"message":"x"})", "bedrock").code(),
            StatusCode::kInvalidArgument);
  const Status garbled = status_from_exception("internalServerException", "not json", "bedrock");
  EXPECT_EQ(garbled.message(), "not json (type: internalServerException)");
  EXPECT_EQ(status_from_exception("", "{}", "bedrock").code(), StatusCode::kUnavailable);
}

TEST(BedrockErrorMapper, ErrorFrames) {
  const Status s = status_from_error_frame("ValidationException", "bad", "bedrock");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "bad (type: ValidationException)");
  EXPECT_EQ(s.provider(), "bedrock");
}

}  // namespace
}  // namespace aisopod::bedrock
