#include "providers/openai/request_encoder.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace aisopod::openai {
namespace {

namespace json = boost::json;

ChatCompletionRequest basic_request(std::string model = "gpt-4o") {
  ChatCompletionRequest request;
  request.model = std::move(model);
  request.messages.push_back(Message::user("Hello"));
  return request;
}

// The encoded body, parsed back.
json::object body_of(const ChatCompletionRequest& request, const OpenAIOptions& options = {}) {
  auto encoded = encode_chat_request(request, options);
  EXPECT_TRUE(encoded.ok()) << encoded.status().to_string();
  if (!encoded.ok()) return {};
  return json::parse(encoded->body).as_object();
}

std::string header(const http::Request& request, std::string_view name) {
  for (const http::Header& h : request.headers) {
    if (h.name == name) return h.value;
  }
  return "<absent>";
}

TEST(RequestEncoder, UrlAndHeaders) {
  OpenAIOptions options;
  options.base_url = "http://127.0.0.1:8080/v1/";
  options.organization = "org-123";
  options.project = "proj_9";
  auto request = encode_chat_request(basic_request(), options);
  ASSERT_TRUE(request.ok()) << request.status().to_string();
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->url, "http://127.0.0.1:8080/v1/chat/completions");
  EXPECT_EQ(header(*request, "Content-Type"), "application/json");
  EXPECT_EQ(header(*request, "Accept"), "text/event-stream");
  EXPECT_EQ(header(*request, "OpenAI-Organization"), "org-123");
  EXPECT_EQ(header(*request, "OpenAI-Project"), "proj_9");
  EXPECT_EQ(header(*request, "Authorization"), "<absent>");

  ChatCompletionRequest unary = basic_request();
  unary.stream = false;
  auto plain = encode_chat_request(unary, OpenAIOptions{});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->url, "https://api.openai.com/v1/chat/completions");
  EXPECT_EQ(header(*plain, "Accept"), "application/json");
  EXPECT_EQ(header(*plain, "OpenAI-Organization"), "<absent>");
  const json::object body = json::parse(plain->body).as_object();
  EXPECT_FALSE(body.contains("stream"));
  EXPECT_FALSE(body.contains("stream_options"));
}

TEST(RequestEncoder, ModelsRequest) {
  OpenAIOptions options;
  options.base_url = "https://example.test/v1//";
  options.project = "p";
  auto request = encode_models_request(options);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->url, "https://example.test/v1/models");
  EXPECT_EQ(header(*request, "OpenAI-Project"), "p");
  options.base_url = "/";
  EXPECT_EQ(encode_models_request(options).status().code(), StatusCode::kInvalidArgument);
}

TEST(RequestEncoder, StreamingBody) {
  const json::object body = body_of(basic_request());
  EXPECT_EQ(body.at("model"), "gpt-4o");
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_EQ(body.at("stream_options").at("include_usage"), true);
  const json::array& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].at("role"), "user");
  EXPECT_EQ(messages[0].at("content"), "Hello");
  // Nothing unset is sent.
  for (const char* absent : {"temperature", "top_p", "max_tokens", "max_completion_tokens", "stop",
                             "tools", "tool_choice", "reasoning_effort", "seed", "user",
                             "response_format", "parallel_tool_calls"}) {
    EXPECT_FALSE(body.contains(absent)) << absent;
  }
}

// A system prompt, sampling parameters and a token limit, not streamed: every field that
// depends on the model family.
ChatCompletionRequest family_request(std::string model) {
  ChatCompletionRequest request = basic_request(std::move(model));
  request.messages.insert(request.messages.begin(), Message::system("Be brief."));
  request.max_tokens = 256;
  request.temperature = 0.5;
  request.top_p = 0.9;
  request.stream = false;
  return request;
}

TEST(RequestEncoder, ChatModelsKeepSystemSamplingAndMaxTokens) {
  for (const char* model : {"gpt-4o", "gpt-4.1-nano", "gpt-5-chat-latest", "llama-3.3-70b"}) {
    json::object expected = json::parse(R"({
      "messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}],
      "temperature":0.5,"top_p":0.9,"max_tokens":256})")
                                .as_object();
    expected["model"] = model;
    EXPECT_EQ(body_of(family_request(model)), expected) << model;
  }
}

TEST(RequestEncoder, ReasoningModelsGetDeveloperAndNoSampling) {
  for (const char* model : {"o1", "o1-2024-12-17", "o3-mini", "o3-2025-04-16", "o4-mini", "gpt-5",
                            "gpt-5-mini", "gpt-5-nano-2025-08-07"}) {
    json::object expected = json::parse(R"({
      "messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"Hello"}],
      "max_completion_tokens":256})")
                                .as_object();
    expected["model"] = model;
    EXPECT_EQ(body_of(family_request(model)), expected) << model;
  }
}

TEST(RequestEncoder, O1MiniAndPreviewGetTheSystemPromptAsLeadingUserMessage) {
  for (const char* model :
       {"o1-mini", "o1-preview", "o1-mini-2024-09-12", "o1-preview-2024-09-12"}) {
    json::object expected = json::parse(R"({
      "messages":[{"role":"user","content":"Be brief."},{"role":"user","content":"Hello"}],
      "max_completion_tokens":256})")
                                .as_object();
    expected["model"] = model;
    EXPECT_EQ(body_of(family_request(model)), expected) << model;
  }
}

TEST(RequestEncoder, SamplingIsDroppedEvenWhenOnlyOneIsSet) {
  ChatCompletionRequest request = basic_request("o4-mini-2025-04-16");
  request.temperature = 1.0;
  request.stream = false;
  EXPECT_EQ(body_of(request), json::parse(R"({"model":"o4-mini-2025-04-16",
                                              "messages":[{"role":"user","content":"Hello"}]})"));
  request.temperature.reset();
  request.top_p = 1.0;
  EXPECT_EQ(body_of(request), json::parse(R"({"model":"o4-mini-2025-04-16",
                                              "messages":[{"role":"user","content":"Hello"}]})"));
  // extra_body_json is the escape hatch: what it names is sent.
  request.extra_body_json = R"({"temperature":1})";
  EXPECT_EQ(body_of(request).at("temperature"), json::value(1));
}

TEST(RequestEncoder, ReasoningEffort) {
  ChatCompletionRequest request = basic_request("o4-mini");
  request.reasoning.effort = "minimal";
  EXPECT_EQ(body_of(request).at("reasoning_effort"), "minimal");

  request.reasoning.effort.clear();
  request.reasoning.budget_tokens = 1024;
  EXPECT_EQ(body_of(request).at("reasoning_effort"), "low");
  request.reasoning.budget_tokens = 1025;
  EXPECT_EQ(body_of(request).at("reasoning_effort"), "medium");
  request.reasoning.budget_tokens = 8192;
  EXPECT_EQ(body_of(request).at("reasoning_effort"), "medium");
  request.reasoning.budget_tokens = 8193;
  EXPECT_EQ(body_of(request).at("reasoning_effort"), "high");

  // A budget alone is not sent to a chat model, nor to o1-mini / o1-preview (both reject
  // reasoning_effort).
  request.model = "gpt-4o";
  EXPECT_FALSE(body_of(request).contains("reasoning_effort"));
  request.model = "o1-mini";
  EXPECT_FALSE(body_of(request).contains("reasoning_effort"));
  request.model = "o1-preview-2024-09-12";
  EXPECT_FALSE(body_of(request).contains("reasoning_effort"));
  request.model = "gpt-5-nano-2025-08-07";
  EXPECT_EQ(body_of(request).at("reasoning_effort"), "high");
  request.model = "gpt-4o";
  // An explicit effort is sent as asked (compatible reasoning servers take it).
  request.reasoning.effort = "high";
  EXPECT_EQ(body_of(request).at("reasoning_effort"), "high");
}

TEST(RequestEncoder, MultipartContentAndImages) {
  ChatCompletionRequest request = basic_request();
  Message m;
  m.role = Role::kUser;
  m.content.push_back(ContentPart::make_text("What is in these?"));
  m.content.push_back(ContentPart::make_media_data("image/png", "iVBORw0KGgo="));
  m.content.push_back(ContentPart::make_media_url("image/jpeg", "https://example.test/a.jpg"));
  request.messages = {m};
  const json::object body = body_of(request);
  const json::array& content = body.at("messages").at(0).at("content").as_array();
  ASSERT_EQ(content.size(), 3u);
  EXPECT_EQ(content[0].at("type"), "text");
  EXPECT_EQ(content[0].at("text"), "What is in these?");
  EXPECT_EQ(content[1].at("type"), "image_url");
  EXPECT_EQ(content[1].at("image_url").at("url"), "data:image/png;base64,iVBORw0KGgo=");
  EXPECT_EQ(content[2].at("image_url").at("url"), "https://example.test/a.jpg");

  Message two_texts;
  two_texts.content = {ContentPart::make_text("a"), ContentPart::make_text("b")};
  request.messages = {two_texts};
  const json::object second = body_of(request);
  const json::array& texts = second.at("messages").at(0).at("content").as_array();
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[1].at("text"), "b");
}

TEST(RequestEncoder, NonImageMediaIsRejected) {
  ChatCompletionRequest request = basic_request();
  Message m;
  m.content = {ContentPart::make_text("listen"), ContentPart::make_media_data("audio/wav", "UklG")};
  request.messages = {m};
  OpenAIOptions options;
  options.provider_id = "local";
  auto result = encode_chat_request(request, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.error().message().find("audio/wav"), std::string::npos);
  EXPECT_NE(result.error().message().find("local"), std::string::npos);
  EXPECT_EQ(result.error().provider(), "local");
}

TEST(RequestEncoder, ReasoningPartsAreDropped) {
  ChatCompletionRequest request = basic_request();
  Message m;
  m.role = Role::kAssistant;
  m.content = {ContentPart::make_reasoning("thinking...", "sig"),
               ContentPart::make_redacted_reasoning("opaque"), ContentPart::make_text("Answer")};
  request.messages.push_back(m);
  const json::object body = body_of(request);
  const json::value& message = body.at("messages").at(1);
  EXPECT_EQ(message.at("role"), "assistant");
  EXPECT_EQ(message.at("content"), "Answer");
}

TEST(RequestEncoder, ToolCallsAndToolResults) {
  ChatCompletionRequest request = basic_request();
  Message call;
  call.role = Role::kAssistant;
  call.tool_calls.push_back({"call_abc", "get_weather", R"({"city":"Paris"})"});
  request.messages.push_back(call);
  request.messages.push_back(Message::tool_result("call_abc", "18C"));
  Message with_text = call;
  with_text.content = {ContentPart::make_text("Checking.")};
  request.messages.push_back(with_text);
  const json::array messages = body_of(request).at("messages").as_array();
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_TRUE(messages[1].at("content").is_null());
  const json::value& tool_call = messages[1].at("tool_calls").at(0);
  EXPECT_EQ(tool_call.at("id"), "call_abc");
  EXPECT_EQ(tool_call.at("type"), "function");
  EXPECT_EQ(tool_call.at("function").at("name"), "get_weather");
  EXPECT_EQ(tool_call.at("function").at("arguments"), R"({"city":"Paris"})");
  EXPECT_EQ(messages[2].at("role"), "tool");
  EXPECT_EQ(messages[2].at("tool_call_id"), "call_abc");
  EXPECT_EQ(messages[2].at("content"), "18C");
  EXPECT_EQ(messages[3].at("content"), "Checking.");
  EXPECT_FALSE(messages[0].as_object().contains("tool_calls"));
}

TEST(RequestEncoder, Tools) {
  ChatCompletionRequest request = basic_request();
  request.tools.push_back(
      {"get_weather", "Weather for a city",
       R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})", true});
  request.tools.push_back({"now", "", "", false});
  request.tool_choice = ToolChoice{ToolChoice::Mode::kRequired, ""};
  request.parallel_tool_calls = false;
  const json::object body = body_of(request);
  const json::array& tools = body.at("tools").as_array();
  ASSERT_EQ(tools.size(), 2u);
  EXPECT_EQ(tools[0].at("type"), "function");
  const json::value& f = tools[0].at("function");
  EXPECT_EQ(f.at("name"), "get_weather");
  EXPECT_EQ(f.at("description"), "Weather for a city");
  EXPECT_EQ(f.at("parameters").at("properties").at("city").at("type"), "string");
  EXPECT_EQ(f.at("parameters").at("required").at(0), "city");
  EXPECT_EQ(f.at("strict"), true);
  const json::object& g = tools[1].at("function").as_object();
  EXPECT_FALSE(g.contains("description"));
  EXPECT_FALSE(g.contains("strict"));
  EXPECT_EQ(g.at("parameters"), json::parse(R"({"type":"object","properties":{}})"));
  EXPECT_EQ(body.at("tool_choice"), "required");
  EXPECT_EQ(body.at("parallel_tool_calls"), false);
}

TEST(RequestEncoder, ToolChoiceModes) {
  ChatCompletionRequest request = basic_request();
  request.tool_choice = ToolChoice{ToolChoice::Mode::kAuto, ""};
  EXPECT_EQ(body_of(request).at("tool_choice"), "auto");
  request.tool_choice = ToolChoice{ToolChoice::Mode::kNone, ""};
  EXPECT_EQ(body_of(request).at("tool_choice"), "none");
  request.tool_choice = ToolChoice{ToolChoice::Mode::kNamed, "get_weather"};
  EXPECT_EQ(body_of(request).at("tool_choice"),
            json::parse(R"({"type":"function","function":{"name":"get_weather"}})"));
}

TEST(RequestEncoder, InvalidToolSchemaNamesTheTool) {
  ChatCompletionRequest request = basic_request();
  request.tools.push_back({"broken_tool", "", "{\"type\":", false});
  auto result = encode_chat_request(request, OpenAIOptions{});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.error().message().find("broken_tool"), std::string::npos);
  request.tools[0].parameters_schema = "[1]";
  EXPECT_EQ(encode_chat_request(request, OpenAIOptions{}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(RequestEncoder, StopSeedUser) {
  ChatCompletionRequest request = basic_request();
  request.stop = {"END", "\"quoted\"\n"};
  request.seed = 42;
  request.user = "user-1";
  const json::object body = body_of(request);
  EXPECT_EQ(body.at("stop"), json::parse(R"(["END","\"quoted\"\n"])"));
  EXPECT_EQ(body.at("seed"), 42);
  EXPECT_EQ(body.at("user"), "user-1");
}

TEST(RequestEncoder, ResponseFormats) {
  ChatCompletionRequest request = basic_request();
  request.response_format.kind = ResponseFormat::Kind::kJsonObject;
  EXPECT_EQ(body_of(request).at("response_format"), json::parse(R"({"type":"json_object"})"));

  request.response_format.kind = ResponseFormat::Kind::kJsonSchema;
  request.response_format.name = "weather";
  request.response_format.schema = R"({"type":"object","properties":{"t":{"type":"number"}}})";
  request.response_format.strict = true;
  EXPECT_EQ(
      body_of(request).at("response_format"),
      json::parse(R"({"type":"json_schema","json_schema":{"name":"weather","schema":)"
                  R"({"type":"object","properties":{"t":{"type":"number"}}},"strict":true}})"));
  request.response_format.strict = false;
  EXPECT_EQ(body_of(request).at("response_format").at("json_schema").at("strict"), false);

  request.response_format.schema = "not json";
  EXPECT_EQ(encode_chat_request(request, OpenAIOptions{}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(RequestEncoder, ExtraBodyMergedLast) {
  ChatCompletionRequest request = basic_request();
  request.temperature = 1.0;
  request.extra_body_json = R"({"temperature":0.1,"logprobs":true,"metadata":{"k":"v"}})";
  const json::object body = body_of(request);
  EXPECT_EQ(body.at("temperature"), 0.1);
  EXPECT_EQ(body.at("logprobs"), true);
  EXPECT_EQ(body.at("metadata").at("k"), "v");
  EXPECT_EQ(body.at("model"), "gpt-4o");

  request.extra_body_json = "[1,2]";
  EXPECT_EQ(encode_chat_request(request, OpenAIOptions{}).status().code(),
            StatusCode::kInvalidArgument);
  request.extra_body_json = "{oops";
  EXPECT_EQ(encode_chat_request(request, OpenAIOptions{}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(RequestEncoder, EscapingIsExact) {
  ChatCompletionRequest request = basic_request();
  const std::string tricky = "quote \" backslash \\ newline \n tab \t nul " + std::string(1, '\0') +
                             " unicode \xC3\xA9 </script>";
  request.messages = {Message::user(tricky)};
  const json::object body = body_of(request);
  EXPECT_EQ(body.at("messages").at(0).at("content"), json::value(tricky));
}

TEST(RequestEncoder, RejectsEmptyModelOrMessages) {
  ChatCompletionRequest request = basic_request("");
  EXPECT_EQ(encode_chat_request(request, OpenAIOptions{}).status().code(),
            StatusCode::kInvalidArgument);
  request = basic_request();
  request.messages.clear();
  EXPECT_EQ(encode_chat_request(request, OpenAIOptions{}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace aisopod::openai
