// The Anthropic request encoder: body shape, turn rules, thinking round trip, JSON mode,
// caching, headers and errors.
#include "providers/anthropic/request_encoder.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "providers/anthropic/stream_decoder.hpp"
#include "providers/anthropic/test_util.hpp"
#include "testing/testdata.hpp"

namespace aisopod::anthropic {
namespace {

namespace json = boost::json;
using aisopod::testing::read_testdata;

json::object encode_body(const ChatCompletionRequest& request, AnthropicOptions options = {}) {
  auto encoded = encode_chat_request(request, options);
  EXPECT_TRUE(encoded.ok()) << encoded.status().to_string();
  if (!encoded.ok()) return {};
  return json::parse(encoded->body).as_object();
}

ChatCompletionRequest basic(std::string model = "claude-sonnet-4-5") {
  ChatCompletionRequest request;
  request.model = std::move(model);
  request.messages.push_back(Message::user("Hello"));
  return request;
}

TEST(AnthropicRequestEncoder, UrlHeadersAndDefaults) {
  AnthropicOptions options;
  options.base_url = "https://example.test/proxy/";
  options.anthropic_beta = "oauth-2025-04-20";
  auto encoded = encode_chat_request(basic(), options);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->method, "POST");
  EXPECT_EQ(encoded->url, "https://example.test/proxy/v1/messages");
  EXPECT_EQ(http::find_header(encoded->headers, "anthropic-version"), "2023-06-01");
  EXPECT_EQ(http::find_header(encoded->headers, "anthropic-beta"), "oauth-2025-04-20");
  EXPECT_EQ(http::find_header(encoded->headers, "accept"), "text/event-stream");
  EXPECT_FALSE(http::find_header(encoded->headers, "x-api-key").has_value());
  const json::object body = json::parse(encoded->body).as_object();
  EXPECT_EQ(body.at("model"), "claude-sonnet-4-5");
  EXPECT_EQ(body.at("max_tokens"), 32000);
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_EQ(body.at("messages"),
            json::parse(R"([{"role":"user","content":[{"type":"text","text":"Hello"}]}])"));
  EXPECT_FALSE(body.contains("system"));
  EXPECT_FALSE(body.contains("thinking"));
}

TEST(AnthropicRequestEncoder, MaxTokensDefaultsPerModel) {
  EXPECT_EQ(default_max_tokens("claude-3-haiku-20240307", true), 4096);
  EXPECT_EQ(default_max_tokens("claude-3-opus-20240229", true), 4096);
  EXPECT_EQ(default_max_tokens("claude-3-5-sonnet-20241022", true), 8192);
  EXPECT_EQ(default_max_tokens("claude-3-7-sonnet-20250219", true), 32000);
  EXPECT_EQ(default_max_tokens("claude-opus-4-1", false), 16384);
  EXPECT_EQ(default_max_tokens("some-proxy-model", true), 4096);
  ChatCompletionRequest request = basic("claude-3-haiku-20240307");
  request.max_tokens = 77;
  EXPECT_EQ(encode_body(request).at("max_tokens"), 77);
}

TEST(AnthropicRequestEncoder, SystemMessagesFromAnywhereAreHoisted) {
  ChatCompletionRequest request;
  request.model = "claude-sonnet-4-5";
  request.messages = {Message::system("Be brief."), Message::user("Hi"),
                      Message::assistant("Hello."), Message::system("Answer in French."),
                      Message::user("How are you?")};
  const json::object body = encode_body(request);
  EXPECT_EQ(body.at("system"), json::parse(R"([{"type":"text","text":"Be brief."},)"
                                           R"({"type":"text","text":"Answer in French."}])"));
  const json::array& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[2].at("role"), "user");
  EXPECT_EQ(messages[2].at("content").at(0).at("text"), "How are you?");
}

TEST(AnthropicRequestEncoder, TurnsAlternateAndToolResultsComeFirst) {
  ChatCompletionRequest request;
  request.model = "claude-sonnet-4-5";
  Message call = Message::assistant("Checking both.");
  call.tool_calls = {{"toolu_a", "weather", R"({"city":"Paris"})"},
                     {"toolu_b", "weather", R"({"city":"Rome"})"}};
  Message failed = Message::tool_result("toolu_b", "timeout");
  failed.is_error = true;
  request.messages = {Message::user("Weather?"),
                      Message::user("In Paris and Rome."),
                      call,
                      Message::tool_result("toolu_a", "18C"),
                      failed,
                      Message::user("And tomorrow?")};
  const json::object body = encode_body(request);
  EXPECT_EQ(body.at("messages"), json::parse(R"([
    {"role":"user","content":[{"type":"text","text":"Weather?"},
                              {"type":"text","text":"In Paris and Rome."}]},
    {"role":"assistant","content":[
      {"type":"text","text":"Checking both."},
      {"type":"tool_use","id":"toolu_a","name":"weather","input":{"city":"Paris"}},
      {"type":"tool_use","id":"toolu_b","name":"weather","input":{"city":"Rome"}}]},
    {"role":"user","content":[
      {"type":"tool_result","tool_use_id":"toolu_a","content":"18C"},
      {"type":"tool_result","tool_use_id":"toolu_b","content":"timeout","is_error":true},
      {"type":"text","text":"And tomorrow?"}]}])"));
}

TEST(AnthropicRequestEncoder, SamplingStopToolsAndChoice) {
  ChatCompletionRequest request = basic();
  request.temperature = 0.25;
  request.top_p = 0.5;
  request.stop = {"\n\nHuman:", "END"};
  request.user = "user-42";
  request.tools = {
      {"get_weather", "Weather by city",
       R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})", false},
      {"now", "", "", false}};
  request.parallel_tool_calls = false;
  const json::object body = encode_body(request);
  EXPECT_EQ(body.at("temperature"), 0.25);
  EXPECT_EQ(body.at("top_p"), 0.5);
  EXPECT_EQ(body.at("stop_sequences"), json::parse(R"(["\n\nHuman:","END"])"));
  EXPECT_EQ(body.at("metadata"), json::parse(R"({"user_id":"user-42"})"));
  EXPECT_EQ(body.at("tools"), json::parse(R"([
    {"name":"get_weather","description":"Weather by city","input_schema":
      {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
    {"name":"now","input_schema":{"type":"object","properties":{}}}])"));
  EXPECT_EQ(body.at("tool_choice"),
            json::parse(R"({"type":"auto","disable_parallel_tool_use":true})"));

  const std::vector<std::pair<ToolChoice, std::string>> choices = {
      {{ToolChoice::Mode::kAuto, ""}, R"({"type":"auto"})"},
      {{ToolChoice::Mode::kNone, ""}, R"({"type":"none"})"},
      {{ToolChoice::Mode::kRequired, ""}, R"({"type":"any"})"},
      {{ToolChoice::Mode::kNamed, "get_weather"}, R"({"type":"tool","name":"get_weather"})"}};
  for (const auto& [choice, expected] : choices) {
    ChatCompletionRequest r = basic();
    r.tools = request.tools;
    r.tool_choice = choice;
    EXPECT_EQ(encode_body(r).at("tool_choice"), json::parse(expected)) << expected;
  }
}

TEST(AnthropicRequestEncoder, Images) {
  ChatCompletionRequest request = basic();
  request.messages[0].content.push_back(ContentPart::make_media_data("image/png", "iVBORw0KGgo="));
  request.messages[0].content.push_back(
      ContentPart::make_media_url("image/jpeg", "https://example.test/cat.jpg"));
  request.messages[0].content.push_back(ContentPart::make_media_data("application/pdf", "JVBE"));
  const json::object body = encode_body(request);
  EXPECT_EQ(body.at("messages").at(0).at("content"), json::parse(R"([
    {"type":"text","text":"Hello"},
    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
    {"type":"image","source":{"type":"url","url":"https://example.test/cat.jpg"}},
    {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBE"}}])"));

  ChatCompletionRequest audio = basic();
  audio.messages[0].content.push_back(ContentPart::make_media_data("audio/wav", "UklG"));
  auto rejected = encode_chat_request(audio, AnthropicOptions{});
  EXPECT_EQ(rejected.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(rejected.status().message().find("audio/wav"), std::string::npos);
  EXPECT_NE(rejected.status().message().find("anthropic"), std::string::npos);
}

// The content blocks of the first message when it holds only `part`.
json::value blocks_for(const ContentPart& part) {
  ChatCompletionRequest request = basic();
  request.messages[0].content = {part};
  return encode_body(request).at("messages").at(0).at("content");
}

TEST(AnthropicRequestEncoder, DataUrlImagesBecomeBase64Sources) {
  EXPECT_EQ(
      blocks_for(ContentPart::make_media_url("image/png", "data:image/png;base64,iVBORw0KGgo=")),
      json::parse(R"([{"type":"image","source":{"type":"base64","media_type":"image/png",
                                                        "data":"iVBORw0KGgo="}}])"));
  // The URL's own type wins; parameters before ;base64 are ignored; case does not matter.
  EXPECT_EQ(blocks_for(ContentPart::make_media_url("", "data:image/webp;base64,UklGRg==")),
            json::parse(R"([{"type":"image","source":{"type":"base64","media_type":"image/webp",
                                                        "data":"UklGRg=="}}])"));
  EXPECT_EQ(blocks_for(ContentPart::make_media_url("image/png",
                                                   "data:image/gif;name=a.gif;base64,R0lGOD==")),
            json::parse(R"([{"type":"image","source":{"type":"base64","media_type":"image/gif",
                                                        "data":"R0lGOD=="}}])"));
  EXPECT_EQ(blocks_for(ContentPart::make_media_url("", "DATA:Image/JPG;BASE64,/9j/4A==")),
            json::parse(R"([{"type":"image","source":{"type":"base64","media_type":"image/jpeg",
                                                        "data":"/9j/4A=="}}])"));
  // A data: URL without a type takes the part's.
  EXPECT_EQ(blocks_for(ContentPart::make_media_url("image/png", "data:;base64,iVBO")),
            json::parse(R"([{"type":"image","source":{"type":"base64","media_type":"image/png",
                                                        "data":"iVBO"}}])"));
}

TEST(AnthropicRequestEncoder, DataUrlImagesInToolResults) {
  ChatCompletionRequest request = basic();
  Message call = Message::assistant("");
  call.tool_calls = {{"toolu_1", "screenshot", ""}};
  request.messages.push_back(call);
  Message result = Message::tool_result("toolu_1", "Here it is.");
  result.content.push_back(ContentPart::make_media_url("image/png", "data:image/png;base64,iVBO"));
  request.messages.push_back(result);
  EXPECT_EQ(encode_body(request).at("messages").at(2).at("content"), json::parse(R"([
    {"type":"tool_result","tool_use_id":"toolu_1","content":[
      {"type":"text","text":"Here it is."},
      {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}}]}])"));
}

TEST(AnthropicRequestEncoder, PdfsBecomeDocumentBlocks) {
  EXPECT_EQ(blocks_for(ContentPart::make_media_data("application/pdf", "JVBERi0x")),
            json::parse(R"([{"type":"document","source":{"type":"base64",
                             "media_type":"application/pdf","data":"JVBERi0x"}}])"));
  EXPECT_EQ(blocks_for(ContentPart::make_media_url("application/pdf",
                                                   "data:application/pdf;base64,JVBERi0x")),
            json::parse(R"([{"type":"document","source":{"type":"base64",
                             "media_type":"application/pdf","data":"JVBERi0x"}}])"));
  EXPECT_EQ(blocks_for(ContentPart::make_media_url("", "data:application/pdf;base64,JVBERi0x")),
            json::parse(R"([{"type":"document","source":{"type":"base64",
                             "media_type":"application/pdf","data":"JVBERi0x"}}])"));
  EXPECT_EQ(
      blocks_for(ContentPart::make_media_url("application/pdf", "https://example.test/paper.pdf")),
      json::parse(R"([{"type":"document","source":{"type":"url",
                             "url":"https://example.test/paper.pdf"}}])"));
}

TEST(AnthropicRequestEncoder, MalformedDataUrlsAreInvalid) {
  AnthropicOptions options;
  options.provider_id = "claude";
  const struct {
    const char* url;
    const char* message;
  } cases[] = {
      {"data:image/png;base64iVBORw0KGgo=",
       "claude: malformed data: URL: no ',' before the data "
       "(expected data:<media type>;base64,<data>)"},
      {"data:image/png,iVBORw0KGgo=",
       "claude: malformed data: URL: the data is not marked ;base64 "
       "(expected data:<media type>;base64,<data>)"},
      {"data:,iVBORw0KGgo=",
       "claude: malformed data: URL: the data is not marked ;base64 "
       "(expected data:<media type>;base64,<data>)"},
      {"data:image/png;base64,", "claude: malformed data: URL: the data is empty"},
  };
  for (const auto& c : cases) {
    ChatCompletionRequest request = basic();
    request.messages[0].content.push_back(ContentPart::make_media_url("image/png", c.url));
    auto result = encode_chat_request(request, options);
    ASSERT_FALSE(result.ok()) << c.url;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_EQ(result.status().provider(), "claude") << c.url;
    EXPECT_EQ(result.status().message(), c.message) << c.url;
  }
}

TEST(AnthropicRequestEncoder, UnsupportedMediaNamesProviderAndType) {
  const std::string takes =
      "' (it takes image/jpeg, image/png, image/gif, image/webp and application/pdf)";
  const struct {
    ContentPart part;
    std::string message;
  } cases[] = {
      {ContentPart::make_media_data("audio/wav", "UklG"),
       "anthropic: Anthropic does not take media type 'audio/wav" + takes},
      {ContentPart::make_media_data("image/bmp", "Qk0="),
       "anthropic: Anthropic does not take media type 'image/bmp" + takes},
      {ContentPart::make_media_url("image/png", "data:text/plain;base64,aGk="),
       "anthropic: Anthropic does not take media type 'text/plain" + takes},
      {ContentPart::make_media_url("video/mp4", "https://example.test/a.mp4"),
       "anthropic: Anthropic does not take media type 'video/mp4" + takes},
      {ContentPart::make_media_data("", "iVBO"), "anthropic: a media part names no media type"},
      {ContentPart::make_media_url("image/png", "file:///tmp/a.png"),
       "anthropic: Anthropic takes media as base64 data, data: URLs or http(s) URLs, not 'file:' "
       "URLs"},
  };
  for (const auto& c : cases) {
    ChatCompletionRequest request = basic();
    request.messages[0].content.push_back(c.part);
    auto result = encode_chat_request(request, AnthropicOptions{});
    ASSERT_FALSE(result.ok()) << c.message;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(result.status().provider(), "anthropic");
    EXPECT_EQ(result.status().message(), c.message);
  }
}

TEST(AnthropicRequestEncoder, ThinkingBudgetAndMaxTokens) {
  ChatCompletionRequest request = basic("claude-sonnet-4-5");
  request.reasoning.budget_tokens = 3000;
  request.max_tokens = 4096;
  request.temperature = 0.3;
  json::object body = encode_body(request);
  EXPECT_EQ(body.at("thinking"), json::parse(R"({"type":"enabled","budget_tokens":3000})"));
  EXPECT_EQ(body.at("max_tokens"), 4096);
  EXPECT_FALSE(body.contains("temperature"));  // not allowed with thinking

  request.max_tokens = 2000;  // below the budget: the budget shrinks under it
  body = encode_body(request);
  EXPECT_EQ(body.at("thinking").at("budget_tokens"), 1999);
  EXPECT_EQ(body.at("max_tokens"), 2000);

  request.max_tokens = 500;  // no room for the minimum budget: max_tokens grows
  body = encode_body(request);
  EXPECT_EQ(body.at("thinking").at("budget_tokens"), 1024);
  EXPECT_EQ(body.at("max_tokens"), 2048);

  ChatCompletionRequest effort = basic("claude-3-haiku-20240307");
  effort.reasoning.effort = "high";
  body = encode_body(effort);
  EXPECT_EQ(body.at("thinking").at("budget_tokens"), 24576);
  EXPECT_EQ(body.at("max_tokens"), 24576 + 4096);
  EXPECT_EQ(thinking_budget({"low", 0}), 1024);
  EXPECT_EQ(thinking_budget({"medium", 0}), 8192);
  EXPECT_EQ(thinking_budget({"", 100}), 1024);
  EXPECT_EQ(thinking_budget({"", 0}), 0);
}

// Turn 1 of the recorded thinking + tool-use exchange, decoded and accumulated; turn 2 must
// carry the thinking block byte for byte, as the recording's second request did.
TEST(AnthropicRequestEncoder, SecondTurnCarriesTheSignatureByteForByte) {
  const test::ToolWithThinking recorded = test::tool_with_thinking();
  ASSERT_EQ(recorded.signature.size(), 736u);
  auto chunks = decode_message(recorded.turn1_body, "anthropic");
  ASSERT_TRUE(chunks.ok()) << chunks.error().to_string();
  const ChatCompletion turn1 = test::accumulate(*chunks);
  EXPECT_EQ(turn1.finish_reason, FinishReason::kToolCalls);
  ASSERT_EQ(turn1.message.tool_calls.size(), 1u);

  ChatCompletionRequest request;
  request.model = "claude-sonnet-4-0";
  request.max_tokens = 4096;
  request.reasoning.budget_tokens = 3000;
  request.tools = {{"get_user_country", "",
                    R"({"additionalProperties":false,"properties":{},"type":"object"})", false}};
  request.tool_choice = ToolChoice{ToolChoice::Mode::kAuto, ""};
  request.messages = {Message::user("What is the largest city in the user country?"), turn1.message,
                      Message::tool_result(recorded.tool_id, "Mexico")};
  auto encoded = encode_chat_request(request, AnthropicOptions{});
  ASSERT_TRUE(encoded.ok());
  // Byte for byte in the wire body (the signature has '/' and '+', which must not be escaped).
  EXPECT_NE(encoded->body.find("\"signature\":\"" + recorded.signature + "\""), std::string::npos);
  EXPECT_NE(encoded->body.find(json::serialize(json::value(recorded.thinking))), std::string::npos);

  // The messages of the recording's second request (parsed_body of interaction 2).
  json::array expected{
      json::object{{"role", "user"},
                   {"content", json::array{json::object{
                                   {"type", "text"},
                                   {"text", "What is the largest city in the user country?"}}}}},
      json::object{{"role", "assistant"},
                   {"content", json::array{json::object{{"type", "thinking"},
                                                        {"thinking", recorded.thinking},
                                                        {"signature", recorded.signature}},
                                           json::object{{"type", "text"}, {"text", recorded.text}},
                                           json::object{{"type", "tool_use"},
                                                        {"id", recorded.tool_id},
                                                        {"name", "get_user_country"},
                                                        {"input", json::object()}}}}},
      json::object{{"role", "user"},
                   {"content", json::array{json::object{{"type", "tool_result"},
                                                        {"tool_use_id", recorded.tool_id},
                                                        {"content", "Mexico"}}}}}};
  const json::object body = json::parse(encoded->body).as_object();
  EXPECT_EQ(body.at("messages"), json::value(expected));
  EXPECT_EQ(body.at("thinking"), json::parse(R"({"type":"enabled","budget_tokens":3000})"));
  EXPECT_EQ(body.at("max_tokens"), 4096);
}

TEST(AnthropicRequestEncoder, StreamedThinkingAndRedactedBlocksGoBackFirst) {
  const std::string chunks =
      read_testdata("anthropic/vercel-ai/anthropic-clear-thinking.1.chunks.txt");
  const test::Decoded d = test::decode(test::sse_from_chunks(chunks));
  ASSERT_TRUE(d.status.ok());
  Message assistant = test::accumulate(d.chunks).message;
  assistant.content.push_back(ContentPart::make_redacted_reasoning("EqkECkYIBxgC"));
  ChatCompletionRequest request = basic();
  request.messages.push_back(assistant);
  request.messages.push_back(Message::user("Thanks"));
  const json::object body = encode_body(request);
  const json::array& content = body.at("messages").at(1).at("content").as_array();
  ASSERT_EQ(content.size(), 3u);
  EXPECT_EQ(content[0].at("type"), "thinking");
  EXPECT_EQ(content[0].at("signature"),
            json::value(test::raw_string_after(chunks, "signature_delta", "signature")));
  EXPECT_EQ(content[1], json::parse(R"({"type":"redacted_thinking","data":"EqkECkYIBxgC"})"));
  EXPECT_EQ(content[2].at("type"), "text");
}

TEST(AnthropicRequestEncoder, JsonModeForcesTheJsonTool) {
  ChatCompletionRequest request = basic();
  request.response_format.kind = ResponseFormat::Kind::kJsonSchema;
  request.response_format.schema = R"({"type":"object","properties":{"n":{"type":"integer"}}})";
  json::object body = encode_body(request);
  EXPECT_EQ(body.at("tools"), json::parse(R"([{"name":"json_response",
    "description":"Respond with a JSON object; the tool's input is the answer.",
    "input_schema":{"type":"object","properties":{"n":{"type":"integer"}}}}])"));
  EXPECT_EQ(body.at("tool_choice"), json::parse(R"({"type":"tool","name":"json_response"})"));
  EXPECT_EQ(decode_options_for(request).json_tool_name, "json_response");
  EXPECT_TRUE(decode_options_for(request).json_tool_forced);

  request.reasoning.budget_tokens = 2048;  // thinking forbids forced tools
  body = encode_body(request);
  EXPECT_EQ(body.at("tool_choice"), json::parse(R"({"type":"auto"})"));
  EXPECT_NE(json::serialize(body.at("system")).find("json_response"), std::string::npos);
  EXPECT_FALSE(decode_options_for(request).json_tool_forced);

  ChatCompletionRequest object_mode = basic();
  object_mode.response_format.kind = ResponseFormat::Kind::kJsonObject;
  EXPECT_EQ(encode_body(object_mode).at("tools").at(0).at("input_schema"),
            json::parse(R"({"type":"object","additionalProperties":true})"));
}

TEST(AnthropicRequestEncoder, PromptCachingMarksSystemAndLastTool) {
  ChatCompletionRequest request = basic();
  request.messages.insert(request.messages.begin(), Message::system("Long stable prompt"));
  request.tools = {{"a", "", "", false}, {"b", "", "", false}};
  AnthropicOptions options;
  options.prompt_caching = true;
  const json::object body = encode_body(request, options);
  EXPECT_EQ(body.at("system"), json::parse(R"([{"type":"text","text":"Long stable prompt",
                                                  "cache_control":{"type":"ephemeral"}}])"));
  EXPECT_FALSE(body.at("tools").at(0).as_object().contains("cache_control"));
  EXPECT_EQ(body.at("tools").at(1).at("cache_control"), json::parse(R"({"type":"ephemeral"})"));
  EXPECT_FALSE(encode_body(request).at("tools").at(1).as_object().contains("cache_control"));
  // The same through the request's own option, without the provider-wide one.
  request.cache_prompt = true;
  const json::object per_request = encode_body(request);
  EXPECT_EQ(per_request.at("system").at(0).at("cache_control"),
            json::parse(R"({"type":"ephemeral"})"));
  EXPECT_EQ(per_request.at("tools").at(1).at("cache_control"),
            json::parse(R"({"type":"ephemeral"})"));
}

TEST(AnthropicRequestEncoder, ExtraBodyIsMergedLast) {
  ChatCompletionRequest request = basic();
  request.extra_body_json = R"({"top_k":40,"max_tokens":10})";
  const json::object body = encode_body(request);
  EXPECT_EQ(body.at("top_k"), 40);
  EXPECT_EQ(body.at("max_tokens"), 10);
}

TEST(AnthropicRequestEncoder, NonStreamingHasNoStreamFlag) {
  ChatCompletionRequest request = basic();
  request.stream = false;
  auto encoded = encode_chat_request(request, AnthropicOptions{});
  ASSERT_TRUE(encoded.ok());
  EXPECT_FALSE(json::parse(encoded->body).as_object().contains("stream"));
  EXPECT_EQ(http::find_header(encoded->headers, "accept"), "application/json");
}

TEST(AnthropicRequestEncoder, Errors) {
  AnthropicOptions options;
  options.provider_id = "claude";
  ChatCompletionRequest no_model = basic("");
  EXPECT_EQ(encode_chat_request(no_model, options).status().code(), StatusCode::kInvalidArgument);
  ChatCompletionRequest only_system;
  only_system.model = "m";
  only_system.messages = {Message::system("x")};
  EXPECT_EQ(encode_chat_request(only_system, options).status().code(),
            StatusCode::kInvalidArgument);
  ChatCompletionRequest bad_schema = basic();
  bad_schema.tools = {{"t", "", "[1]", false}};
  auto status = encode_chat_request(bad_schema, options).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.provider(), "claude");
  ChatCompletionRequest bad_args = basic();
  Message call = Message::assistant("");
  call.tool_calls = {{"id1", "t", "{not json"}};
  bad_args.messages.push_back(call);
  EXPECT_EQ(encode_chat_request(bad_args, options).status().code(), StatusCode::kInvalidArgument);
  ChatCompletionRequest bad_extra = basic();
  bad_extra.extra_body_json = "[]";
  EXPECT_EQ(encode_chat_request(bad_extra, options).status().code(), StatusCode::kInvalidArgument);
  ChatCompletionRequest no_id = basic();
  no_id.messages.push_back(Message::tool_result("", "x"));
  EXPECT_EQ(encode_chat_request(no_id, options).status().code(), StatusCode::kInvalidArgument);
  options.base_url = "/";
  EXPECT_EQ(encode_chat_request(basic(), options).status().code(), StatusCode::kInvalidArgument);
}

TEST(AnthropicRequestEncoder, ModelsRequest) {
  AnthropicOptions options;
  auto first = encode_models_request(options, 1000);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->method, "GET");
  EXPECT_EQ(first->url, "https://api.anthropic.com/v1/models?limit=1000");
  EXPECT_EQ(http::find_header(first->headers, "anthropic-version"), "2023-06-01");
  auto next = encode_models_request(options, 1000, "claude-3-haiku-20240307");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->url,
            "https://api.anthropic.com/v1/models?limit=1000&after_id=claude-3-haiku-20240307");
}

}  // namespace
}  // namespace aisopod::anthropic
