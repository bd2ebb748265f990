// The /api/chat, /api/tags, /api/version and /api/pull request encoders.
#include "providers/ollama/request_encoder.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace aisopod::ollama {
namespace {

namespace json = boost::json;

json::object body_of(const http::Request& request) { return json::parse(request.body).as_object(); }

OllamaOptions test_options() {
  OllamaOptions options;
  options.base_url = "http://gpu-box:11434/";
  options.provider_id = "local";
  return options;
}

TEST(OllamaRequestEncoder, MinimalStreamingRequest) {
  ChatCompletionRequest request;
  request.model = "llama3.2";
  request.messages.push_back(Message::user("Hello"));
  Result<http::Request> encoded = encode_chat_request(request, test_options());
  ASSERT_TRUE(encoded.ok()) << encoded.error().to_string();
  EXPECT_EQ(encoded->method, "POST");
  EXPECT_EQ(encoded->url, "http://gpu-box:11434/api/chat");
  EXPECT_EQ(http::find_header(encoded->headers, "content-type"), "application/json");
  EXPECT_EQ(http::find_header(encoded->headers, "accept"), "application/x-ndjson");
  EXPECT_EQ(http::find_header(encoded->headers, "authorization"), std::nullopt);
  EXPECT_EQ(body_of(*encoded),
            json::parse(R"({"model":"llama3.2","messages":[{"role":"user","content":"Hello"}],
                            "stream":true})"));
}

TEST(OllamaRequestEncoder, EveryCommonField) {
  ChatCompletionRequest request;
  request.model = "qwen3:8b";
  request.messages.push_back(Message::system("Be brief."));
  Message user = Message::user("What is in this picture?");
  user.content.push_back(ContentPart::make_media_data("image/png", "iVBORw0KGgo="));
  user.content.push_back(
      ContentPart::make_media_url("image/jpeg", "data:image/jpeg;base64,/9j/4A=="));
  request.messages.push_back(user);
  request.temperature = 0.25;
  request.top_p = 0.5;
  request.max_tokens = 256;
  request.stop = {"END", "STOP"};
  request.seed = 42;
  request.stream = false;
  request.reasoning.effort = "high";
  request.response_format.kind = ResponseFormat::Kind::kJsonSchema;
  request.response_format.schema = R"({"type":"object","properties":{"a":{"type":"number"}}})";
  OllamaOptions options = test_options();
  options.keep_alive = "10m";
  Result<http::Request> encoded = encode_chat_request(request, options);
  ASSERT_TRUE(encoded.ok()) << encoded.error().to_string();
  EXPECT_EQ(http::find_header(encoded->headers, "accept"), "application/json");
  EXPECT_EQ(body_of(*encoded), json::parse(R"({
    "model":"qwen3:8b",
    "messages":[{"role":"system","content":"Be brief."},
                {"role":"user","content":"What is in this picture?",
                 "images":["iVBORw0KGgo=","/9j/4A=="]}],
    "format":{"type":"object","properties":{"a":{"type":"number"}}},
    "think":"high",
    "options":{"temperature":0.25,"top_p":0.5,"num_predict":256,"stop":["END","STOP"],"seed":42},
    "stream":false,
    "keep_alive":"10m"})"));

  request.reasoning = ReasoningConfig{"", 2048};
  request.response_format = ResponseFormat{ResponseFormat::Kind::kJsonObject, "", "", true};
  encoded = encode_chat_request(request, options);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(body_of(*encoded).at("think"), json::value(true));
  EXPECT_EQ(body_of(*encoded).at("format"), json::value("json"));
}

TEST(OllamaRequestEncoder, ToolConversation) {
  ChatCompletionRequest request;
  request.model = "llama3.2";
  request.tools.push_back(Tool{"get_weather", "Weather for a city",
                               R"({"type":"object","properties":{"city":{"type":"string"}}})",
                               false});
  request.tools.push_back(Tool{"get_time", "", "", false});
  request.messages.push_back(Message::user("Weather and time in Tokyo?"));
  Message assistant = Message::assistant("");
  assistant.content.clear();
  assistant.content.push_back(ContentPart::make_reasoning("Need two tools.", ""));
  assistant.tool_calls.push_back(ToolCall{"call_a", "get_weather", R"({"city":"Tokyo"})"});
  assistant.tool_calls.push_back(ToolCall{"call_b", "get_time", ""});
  request.messages.push_back(assistant);
  request.messages.push_back(Message::tool_result("call_b", "09:00"));
  request.messages.push_back(Message::tool_result("call_a", "11 degrees celsius"));
  Result<http::Request> encoded = encode_chat_request(request, test_options());
  ASSERT_TRUE(encoded.ok()) << encoded.error().to_string();
  const json::object body = body_of(*encoded);
  EXPECT_EQ(body.at("tools"), json::parse(R"([
    {"type":"function","function":{"name":"get_weather","description":"Weather for a city",
     "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},
    {"type":"function","function":{"name":"get_time",
     "parameters":{"type":"object","properties":{}}}}])"));
  EXPECT_EQ(body.at("messages"), json::parse(R"([
    {"role":"user","content":"Weather and time in Tokyo?"},
    {"role":"assistant","content":"","thinking":"Need two tools.","tool_calls":[
      {"id":"call_a","function":{"index":0,"name":"get_weather","arguments":{"city":"Tokyo"}}},
      {"id":"call_b","function":{"index":1,"name":"get_time","arguments":{}}}]},
    {"role":"tool","content":"09:00","tool_name":"get_time","tool_call_id":"call_b"},
    {"role":"tool","content":"11 degrees celsius","tool_name":"get_weather",
     "tool_call_id":"call_a"}])"));

  // tool_choice none sends no tools at all.
  request.tool_choice = ToolChoice{ToolChoice::Mode::kNone, ""};
  encoded = encode_chat_request(request, test_options());
  ASSERT_TRUE(encoded.ok());
  EXPECT_FALSE(body_of(*encoded).contains("tools"));
}

TEST(OllamaRequestEncoder, ExtraBodyIsMergedLastAndOptionsDeeply) {
  ChatCompletionRequest request;
  request.model = "llama3.2";
  request.messages.push_back(Message::user("Hi"));
  request.temperature = 0.5;
  request.extra_body_json = R"({"options":{"num_ctx":8192,"temperature":0.1},"think":false,
                                "keep_alive":-1})";
  Result<http::Request> encoded = encode_chat_request(request, test_options());
  ASSERT_TRUE(encoded.ok()) << encoded.error().to_string();
  const json::object body = body_of(*encoded);
  EXPECT_EQ(body.at("options"), json::parse(R"({"temperature":0.1,"num_ctx":8192})"));
  EXPECT_EQ(body.at("think"), json::value(false));
  EXPECT_EQ(body.at("keep_alive"), json::value(-1));
}

// The keep_alive sent for `keep_alive` in the options.
json::value keep_alive_sent(std::string keep_alive) {
  ChatCompletionRequest request;
  request.model = "llama3.2";
  request.messages.push_back(Message::user("Hi"));
  OllamaOptions options = test_options();
  options.keep_alive = std::move(keep_alive);
  Result<http::Request> encoded = encode_chat_request(request, options);
  EXPECT_TRUE(encoded.ok()) << encoded.error().to_string();
  if (!encoded.ok()) return nullptr;
  return body_of(*encoded).at("keep_alive");
}

TEST(OllamaRequestEncoder, KeepAliveNumbersAreSentAsNumbers) {
  // "-1" is what the config layer stores for the TOML integer `keep_alive = -1`
  // (config_test.cpp); sent as the string "-1", Ollama's duration parser fails (missing unit).
  EXPECT_EQ(keep_alive_sent("-1"), json::value(-1));
  EXPECT_EQ(keep_alive_sent("0"), json::value(0));
  EXPECT_EQ(keep_alive_sent("300"), json::value(300));
  EXPECT_EQ(keep_alive_sent("1.5"), json::value(1.5));
  EXPECT_EQ(keep_alive_sent("-0.5"), json::value(-0.5));
  EXPECT_EQ(keep_alive_sent("1e3"), json::value(1000.0));

  ChatCompletionRequest request;
  request.model = "llama3.2";
  request.messages.push_back(Message::user("Hi"));
  OllamaOptions options = test_options();
  options.keep_alive = "-1";
  Result<http::Request> encoded = encode_chat_request(request, options);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->body,
            R"({"model":"llama3.2","messages":[{"role":"user","content":"Hi"}],"stream":true,)"
            R"("keep_alive":-1})");
}

TEST(OllamaRequestEncoder, KeepAliveDurationsAreSentAsStrings) {
  EXPECT_EQ(keep_alive_sent("5m"), json::value("5m"));
  EXPECT_EQ(keep_alive_sent("10m"), json::value("10m"));
  EXPECT_EQ(keep_alive_sent("1h"), json::value("1h"));
  EXPECT_EQ(keep_alive_sent("1h30m"), json::value("1h30m"));
  EXPECT_EQ(keep_alive_sent("-1m"), json::value("-1m"));
  // Not numbers: left for the server to judge.
  EXPECT_EQ(keep_alive_sent("300s"), json::value("300s"));
  EXPECT_EQ(keep_alive_sent("inf"), json::value("inf"));
  EXPECT_EQ(keep_alive_sent("nan"), json::value("nan"));
  EXPECT_EQ(keep_alive_sent("+5"), json::value("+5"));
  EXPECT_EQ(keep_alive_sent("1e999"), json::value("1e999"));
}

TEST(OllamaRequestEncoder, RejectsWhatOllamaCannotTake) {
  ChatCompletionRequest base;
  base.model = "llama3.2";
  base.messages.push_back(Message::user("Hi"));

  auto expect_invalid = [](const ChatCompletionRequest& request, const std::string& needle) {
    Result<http::Request> encoded = encode_chat_request(request, test_options());
    ASSERT_FALSE(encoded.ok()) << needle;
    EXPECT_EQ(encoded.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(encoded.error().provider(), "local");
    EXPECT_NE(encoded.error().message().find(needle), std::string::npos)
        << encoded.error().message();
  };
  ChatCompletionRequest r = base;
  r.model.clear();
  expect_invalid(r, "model");
  r = base;
  r.messages.clear();
  expect_invalid(r, "messages");
  r = base;
  r.messages[0].content.push_back(ContentPart::make_media_data("application/pdf", "JVBE"));
  expect_invalid(r, "application/pdf");
  r = base;
  r.messages[0].content.push_back(ContentPart::make_media_url("image/png", "https://x/y.png"));
  expect_invalid(r, "URL");
  r = base;
  r.tools.push_back(Tool{"t", "", "[1]", false});
  expect_invalid(r, "'t'");
  r = base;
  Message assistant = Message::assistant("");
  assistant.tool_calls.push_back(ToolCall{"c", "f", "not json"});
  r.messages.push_back(assistant);
  expect_invalid(r, "'f'");
  r = base;
  r.extra_body_json = "[]";
  expect_invalid(r, "extra_body_json");
  r = base;
  r.response_format.kind = ResponseFormat::Kind::kJsonSchema;
  r.response_format.schema = "nope";
  expect_invalid(r, "schema");
  OllamaOptions no_url = test_options();
  no_url.base_url = "/";
  EXPECT_EQ(encode_chat_request(base, no_url).error().code(), StatusCode::kInvalidArgument);
}

TEST(OllamaRequestEncoder, OtherEndpoints) {
  Result<http::Request> tags = encode_tags_request(test_options());
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(tags->method, "GET");
  EXPECT_EQ(tags->url, "http://gpu-box:11434/api/tags");
  Result<http::Request> version = encode_version_request(test_options());
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->url, "http://gpu-box:11434/api/version");
  Result<http::Request> pull = encode_pull_request("gemma3:1b", test_options());
  ASSERT_TRUE(pull.ok());
  EXPECT_EQ(pull->method, "POST");
  EXPECT_EQ(pull->url, "http://gpu-box:11434/api/pull");
  EXPECT_EQ(pull->body, R"({"model":"gemma3:1b","stream":true})");
  EXPECT_EQ(encode_pull_request("", test_options()).error().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace aisopod::ollama
