// The Bedrock Converse request encoder: URL and headers, a recorded request rebuilt exactly, and
// every rule of the body with the exact JSON it must produce.
#include "providers/bedrock/request_encoder.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "http/http.hpp"

namespace aisopod::bedrock {
namespace {

namespace json = boost::json;

BedrockOptions options() {
  BedrockOptions o;
  o.base_url = "https://bedrock-runtime.us-east-1.amazonaws.com";
  return o;
}

ChatCompletionRequest hello(std::string model = "us.amazon.nova-micro-v1:0") {
  ChatCompletionRequest r;
  r.model = std::move(model);
  r.messages.push_back(Message::user("hello"));
  return r;
}

json::value body_of(const ChatCompletionRequest& request, const BedrockOptions& o = options()) {
  Result<http::Request> encoded = encode_chat_request(request, o);
  EXPECT_TRUE(encoded.ok()) << encoded.status().to_string();
  if (!encoded.ok()) return nullptr;
  return json::parse(encoded->body);
}

Status error_of(const ChatCompletionRequest& request, const BedrockOptions& o = options()) {
  Result<http::Request> encoded = encode_chat_request(request, o);
  EXPECT_FALSE(encoded.ok());
  return encoded.status();
}

Message assistant_with_call(std::string text, std::string id, std::string name,
                            std::string arguments) {
  Message m = Message::assistant(std::move(text));
  m.tool_calls.push_back(ToolCall{std::move(id), std::move(name), std::move(arguments)});
  return m;
}

TEST(BedrockRequestEncoder, UrlAndHeaders) {
  ChatCompletionRequest r = hello();
  Result<http::Request> stream = encode_chat_request(r, options());
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(stream->method, "POST");
  EXPECT_EQ(stream->url,
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.amazon.nova-micro-v1%3A0/"
            "converse-stream");
  EXPECT_EQ(stream->headers, (http::Headers{{"Content-Type", "application/json"},
                                            {"Accept", "application/vnd.amazon.eventstream"}}));
  EXPECT_EQ(stream->body, R"({"messages":[{"role":"user","content":[{"text":"hello"}]}]})");

  r.stream = false;
  Result<http::Request> unary = encode_chat_request(r, options());
  ASSERT_TRUE(unary.ok());
  EXPECT_EQ(unary->url,
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.amazon.nova-micro-v1%3A0/"
            "converse");
  EXPECT_EQ(unary->headers,
            (http::Headers{{"Content-Type", "application/json"}, {"Accept", "application/json"}}));
  EXPECT_EQ(unary->body, stream->body);
}

TEST(BedrockRequestEncoder, ArnsAreOnePathSegment) {
  const ChatCompletionRequest r = hello(
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
      "us.anthropic.claude-sonnet-4-20250514-v1:0");
  BedrockOptions o = options();
  o.base_url = "https://bedrock-runtime.us-east-1.amazonaws.com/";
  Result<http::Request> encoded = encode_chat_request(r, o);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->url,
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
            "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2F"
            "us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream");
}

TEST(BedrockRequestEncoder, BaseUrlFromRegion) {
  BedrockOptions o;
  o.region = "eu-west-3";
  Result<http::Request> encoded = encode_chat_request(hello("amazon.nova-lite-v1:0"), o);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->url,
            "https://bedrock-runtime.eu-west-3.amazonaws.com/model/amazon.nova-lite-v1%3A0/"
            "converse-stream");
  EXPECT_EQ(*runtime_base_url(o), "https://bedrock-runtime.eu-west-3.amazonaws.com");
  o.region = "eu-west-3.evil.example/";
  const Status bad = error_of(hello(), o);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(),
            "bedrock: base_url is empty and region 'eu-west-3.evil.example/' is not a region name "
            "(such as us-east-1)");
  o.region = "";
  EXPECT_EQ(error_of(hello(), o).message(),
            "bedrock: base_url is empty and region '' is not a region name (such as us-east-1)");
}

// pydantic-ai test_bedrock_model_retry.yaml, second request: a toolUse answered by a toolResult
// with status error. The body below is that recording's, reformatted.
TEST(BedrockRequestEncoder, RecordedToolRetryRequest) {
  const std::string thinking =
      "<thinking> To determine the capital of France, I can use the provided tool that returns "
      "the capital of a given country. Since the country in question is France, I will use the "
      "tool with the country parameter set to \"France\". </thinking>\n";
  ChatCompletionRequest r;
  r.model = "us.amazon.nova-micro-v1:0";
  r.stream = false;
  r.messages.push_back(Message::system("You are a helpful chatbot."));
  r.messages.push_back(Message::user("What is the capital of France?"));
  r.messages.push_back(assistant_with_call(thinking, "tooluse_Ze_bgl9CSqu8aJv7XD-_Dw",
                                           "get_capital", R"({"country": "France"})"));
  Message result =
      Message::tool_result("tooluse_Ze_bgl9CSqu8aJv7XD-_Dw",
                           "The country is not supported.\n\nFix the errors and try again.");
  result.is_error = true;
  r.messages.push_back(result);
  r.temperature = 0.0;
  r.tools.push_back(Tool{"get_capital", "Get the capital of a country.",
                         R"({"additionalProperties": false, "properties": {"country": )"
                         R"({"description": "The country name.", "type": "string"}}, )"
                         R"("required": ["country"], "type": "object"})",
                         false});
  r.tool_choice = ToolChoice{ToolChoice::Mode::kAuto, ""};
  const json::value recorded = json::parse(
      R"({"messages": [{"role": "user", "content": [{"text": "What is the capital of France?"}]},
          {"role": "assistant", "content": [{"text": "<thinking> To determine the capital of France, I can use the provided tool that returns the capital of a given country. Since the country in question is France, I will use the tool with the country parameter set to \"France\". </thinking>\n"},
            {"toolUse": {"toolUseId": "tooluse_Ze_bgl9CSqu8aJv7XD-_Dw", "name": "get_capital", "input": {"country": "France"}}}]},
          {"role": "user", "content": [{"toolResult": {"toolUseId": "tooluse_Ze_bgl9CSqu8aJv7XD-_Dw", "content": [{"text": "The country is not supported.\n\nFix the errors and try again."}], "status": "error"}}]}],
        "system": [{"text": "You are a helpful chatbot."}], "inferenceConfig": {"temperature": 0.0},
        "toolConfig": {"tools": [{"toolSpec": {"name": "get_capital", "inputSchema": {"json": {"additionalProperties": false, "properties": {"country": {"description": "The country name.", "type": "string"}}, "required": ["country"], "type": "object"}}, "description": "Get the capital of a country."}}],
          "toolChoice": {"auto": {}}}})");
  EXPECT_EQ(body_of(r), recorded);
}

TEST(BedrockRequestEncoder, SystemAnywhereAndTurnsMerged) {
  ChatCompletionRequest r;
  r.model = "m";
  r.messages = {Message::system("one"), Message::user("a"),      Message::system(""),
                Message::user("b"),     Message::system("two"),  Message::assistant("c"),
                Message::assistant(""), Message::assistant("d"), Message::user("")};
  EXPECT_EQ(body_of(r), json::parse(R"({
    "messages": [{"role": "user", "content": [{"text": "a"}, {"text": "b"}]},
                 {"role": "assistant", "content": [{"text": "c"}, {"text": "d"}]}],
    "system": [{"text": "one"}, {"text": "two"}]})"));
}

TEST(BedrockRequestEncoder, EmptyTurnsAreDroppedAndTheirNeighboursMerged) {
  ChatCompletionRequest r;
  r.model = "m";
  r.messages = {Message::user("a"), Message::assistant(""), Message::user("b")};
  EXPECT_EQ(body_of(r),
            json::parse(R"({"messages":[{"role":"user","content":[{"text":"a"},{"text":"b"}]}]})"));
}

TEST(BedrockRequestEncoder, ToolResultsOfOneTurnGoFirstInOneUserTurn) {
  ChatCompletionRequest r;
  r.model = "m";
  Message calls = Message::assistant("");
  calls.tool_calls = {{"t1", "a", R"({"x":1})"}, {"t2", "b", ""}};
  r.messages = {Message::user("go"), calls, Message::user("also this"),
                Message::tool_result("t1", R"({"ok": true, "n": [1, 2]})"),
                Message::tool_result("t2", "")};
  const json::value body = body_of(r);
  EXPECT_EQ(body.at("messages"), json::parse(R"([
    {"role":"user","content":[{"text":"go"}]},
    {"role":"assistant","content":[
      {"toolUse":{"toolUseId":"t1","name":"a","input":{"x":1}}},
      {"toolUse":{"toolUseId":"t2","name":"b","input":{}}}]},
    {"role":"user","content":[
      {"toolResult":{"toolUseId":"t1","content":[{"json":{"ok":true,"n":[1,2]}}]}},
      {"toolResult":{"toolUseId":"t2","content":[]}},
      {"text":"also this"}]}])"));
}

TEST(BedrockRequestEncoder, ToolResultTextThatIsNotAnObjectStaysText) {
  ChatCompletionRequest r;
  r.model = "m";
  r.messages = {Message::user("go"), assistant_with_call("", "t1", "a", "{}"),
                Message::tool_result("t1", "[1,2]")};
  EXPECT_EQ(body_of(r).at("messages").at(2), json::parse(R"(
    {"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"[1,2]"}]}}]})"));
}

TEST(BedrockRequestEncoder, ToolResultWithMedia) {
  ChatCompletionRequest r;
  r.model = "m";
  Message result = Message::tool_result("t1", "chart:");
  result.content.push_back(ContentPart::make_media_data("image/png", "iVBORw0KGgo="));
  r.messages = {Message::user("go"), assistant_with_call("", "t1", "plot", ""), result};
  EXPECT_EQ(body_of(r).at("messages").at(2), json::parse(R"(
    {"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[
      {"text":"chart:"},{"image":{"format":"png","source":{"bytes":"iVBORw0KGgo="}}}]}}]})"));
}

TEST(BedrockRequestEncoder, ImagesAndDocuments) {
  ChatCompletionRequest r;
  r.model = "m";
  Message user = Message::user("look");
  user.content.push_back(ContentPart::make_media_data("image/png", "UE5H"));
  user.content.push_back(ContentPart::make_media_data("IMAGE/JPG", "SlBH"));
  user.content.push_back(ContentPart::make_media_url("image/gif", "data:image/gif;base64,R0lG"));
  // A data: URL's own media type wins over the part's.
  user.content.push_back(ContentPart::make_media_url("image/png", "data:image/webp;base64,V0VC"));
  user.content.push_back(ContentPart::make_media_data("application/pdf", "JVBERi0="));
  user.content.push_back(ContentPart::make_media_url("text/csv", "s3://bucket/data.csv"));
  user.content.push_back(ContentPart::make_media_data("text/plain; charset=utf-8", "aGk="));
  r.messages = {user, Message::assistant("ok"), Message::user("and")};
  r.messages.back().content.push_back(ContentPart::make_media_data(
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "UEsD"));
  EXPECT_EQ(body_of(r).at("messages"), json::parse(R"([
    {"role":"user","content":[
      {"text":"look"},
      {"image":{"format":"png","source":{"bytes":"UE5H"}}},
      {"image":{"format":"jpeg","source":{"bytes":"SlBH"}}},
      {"image":{"format":"gif","source":{"bytes":"R0lG"}}},
      {"image":{"format":"webp","source":{"bytes":"V0VC"}}},
      {"document":{"format":"pdf","name":"document-1","source":{"bytes":"JVBERi0="}}},
      {"document":{"format":"csv","name":"document-2","source":{"s3Location":{"uri":"s3://bucket/data.csv"}}}},
      {"document":{"format":"txt","name":"document-3","source":{"bytes":"aGk="}}}]},
    {"role":"assistant","content":[{"text":"ok"}]},
    {"role":"user","content":[{"text":"and"},
      {"document":{"format":"docx","name":"document-4","source":{"bytes":"UEsD"}}}]}])"));
}

TEST(BedrockRequestEncoder, EveryDocumentFormat) {
  const std::pair<const char*, const char*> formats[] = {
      {"application/pdf", "pdf"},
      {"text/csv", "csv"},
      {"application/msword", "doc"},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
      {"application/vnd.ms-excel", "xls"},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
      {"text/html", "html"},
      {"text/plain", "txt"},
      {"text/markdown", "md"},
  };
  for (const auto& [media_type, format] : formats) {
    ChatCompletionRequest r = hello();
    r.messages[0].content.push_back(ContentPart::make_media_data(media_type, "QQ=="));
    EXPECT_EQ(body_of(r).at("messages").at(0).at("content").at(1).at("document").at("format"),
              format)
        << media_type;
  }
}

TEST(BedrockRequestEncoder, MediaErrors) {
  auto with_part = [](ContentPart part) {
    ChatCompletionRequest r = hello();
    r.messages[0].content.push_back(std::move(part));
    return r;
  };
  EXPECT_EQ(error_of(with_part(ContentPart::make_media_url("image/png", "https://x.test/a.png")))
                .message(),
            "bedrock: Bedrock takes media as base64 data, data: URLs or s3:// URLs, not 'https:' "
            "URLs");
  EXPECT_EQ(error_of(with_part(ContentPart::make_media_data("audio/wav", "UklG"))).message(),
            "bedrock: Bedrock does not take media type 'audio/wav' (it takes image/png, "
            "image/jpeg, image/gif, image/webp and the documents application/pdf, text/csv, "
            "text/html, text/plain, text/markdown, Word and Excel files)");
  EXPECT_EQ(error_of(with_part(ContentPart::make_media_data("", "UklG"))).message(),
            "bedrock: a media part names no media type");
  EXPECT_EQ(error_of(with_part(ContentPart::make_media_data("image/png", ""))).message(),
            "bedrock: a media part of type 'image/png' has no data");
  EXPECT_EQ(
      error_of(with_part(ContentPart::make_media_url("image/png", "data:image/png,abc"))).message(),
      "bedrock: malformed data: URL: the data is not marked ;base64 (expected data:<media "
      "type>;base64,<data>)");
  EXPECT_EQ(error_of(with_part(ContentPart::make_media_url("image/png", "data:image/png;base64")))
                .message(),
            "bedrock: malformed data: URL: no ',' before the data (expected data:<media "
            "type>;base64,<data>)");
  EXPECT_EQ(error_of(with_part(ContentPart::make_media_url("image/png", "data:image/png;base64,")))
                .message(),
            "bedrock: malformed data: URL: the data is empty");
  const Status s = error_of(with_part(ContentPart::make_media_data("video/mp4", "AAAA")));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.provider(), "bedrock");
}

TEST(BedrockRequestEncoder, ReasoningIsSentBackAsReceived) {
  ChatCompletionRequest r;
  r.model = "us.anthropic.claude-sonnet-4-20250514-v1:0";
  Message answer =
      assistant_with_call("Let me check.", "tooluse_1", "get_temperature", R"({"city":"Paris"})");
  answer.content.insert(answer.content.begin(),
                        {ContentPart::make_reasoning("The user wants...", "EqQBCkgIARAB"),
                         ContentPart::make_redacted_reasoning("RXRrRUNr"),
                         ContentPart::make_reasoning("unsigned thoughts", "")});
  r.messages = {Message::user("Temperature in Paris?"), answer,
                Message::tool_result("tooluse_1", "18C")};
  const json::value body = body_of(r);
  EXPECT_EQ(body.at("messages").at(1), json::parse(R"(
    {"role":"assistant","content":[
      {"reasoningContent":{"reasoningText":{"text":"The user wants...","signature":"EqQBCkgIARAB"}}},
      {"reasoningContent":{"redactedContent":"RXRrRUNr"}},
      {"text":"Let me check."},
      {"toolUse":{"toolUseId":"tooluse_1","name":"get_temperature","input":{"city":"Paris"}}}]})"));
}

TEST(BedrockRequestEncoder, InferenceConfig) {
  ChatCompletionRequest r = hello();
  r.max_tokens = 300;
  r.temperature = 0.5;
  r.top_p = 0.9;
  r.stop = {"END", "STOP"};
  r.seed = 7;
  r.user = "u-1";
  r.parallel_tool_calls = false;
  const json::value body = body_of(r);
  EXPECT_EQ(body.at("inferenceConfig"), json::parse(R"(
    {"maxTokens":300,"temperature":0.5,"topP":0.9,"stopSequences":["END","STOP"]})"));
  // seed, user and parallel_tool_calls have no Converse field.
  EXPECT_EQ(body.as_object().size(), 2u);
}

TEST(BedrockRequestEncoder, ThinkingBudget) {
  ChatCompletionRequest r = hello("us.anthropic.claude-sonnet-4-20250514-v1:0");
  r.reasoning.budget_tokens = 2000;
  r.temperature = 0.3;
  r.top_p = 0.5;
  json::value body = body_of(r);
  EXPECT_EQ(body.at("additionalModelRequestFields"),
            json::parse(R"({"thinking":{"type":"enabled","budget_tokens":2000}})"));
  // No caller limit: room above the budget; temperature and topP left out.
  EXPECT_EQ(body.at("inferenceConfig"), json::parse(R"({"maxTokens":6096})"));

  r.max_tokens = 1500;  // under the budget: the budget shrinks to fit
  body = body_of(r);
  EXPECT_EQ(body.at("additionalModelRequestFields").at("thinking").at("budget_tokens"), 1499);
  EXPECT_EQ(body.at("inferenceConfig").at("maxTokens"), 1500);

  r.max_tokens = 500;  // under the minimum budget: the limit grows
  body = body_of(r);
  EXPECT_EQ(body.at("additionalModelRequestFields").at("thinking").at("budget_tokens"), 1024);
  EXPECT_EQ(body.at("inferenceConfig").at("maxTokens"), 2048);

  EXPECT_EQ(thinking_budget(ReasoningConfig{"minimal", 0}), 1024);
  EXPECT_EQ(thinking_budget(ReasoningConfig{"low", 0}), 1024);
  EXPECT_EQ(thinking_budget(ReasoningConfig{"medium", 0}), 8192);
  EXPECT_EQ(thinking_budget(ReasoningConfig{"high", 0}), 24576);
  EXPECT_EQ(thinking_budget(ReasoningConfig{"", 100}), 1024);
  EXPECT_EQ(thinking_budget(ReasoningConfig{"high", 5000}), 5000);
  EXPECT_EQ(thinking_budget(ReasoningConfig{}), 0);
}

TEST(BedrockRequestEncoder, Tools) {
  ChatCompletionRequest r = hello();
  r.tools = {
      Tool{"get_weather", "Weather for a city.",
           R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})",
           true},
      Tool{"now", "", "", false}};
  json::value body = body_of(r);
  EXPECT_EQ(body.at("toolConfig"), json::parse(R"({"tools":[
    {"toolSpec":{"name":"get_weather","description":"Weather for a city.","inputSchema":{"json":
      {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}},
    {"toolSpec":{"name":"now","inputSchema":{"json":{"type":"object","properties":{}}}}}]})"));

  r.tool_choice = ToolChoice{ToolChoice::Mode::kAuto, ""};
  EXPECT_EQ(body_of(r).at("toolConfig").at("toolChoice"), json::parse(R"({"auto":{}})"));
  r.tool_choice = ToolChoice{ToolChoice::Mode::kRequired, ""};
  EXPECT_EQ(body_of(r).at("toolConfig").at("toolChoice"), json::parse(R"({"any":{}})"));
  r.tool_choice = ToolChoice{ToolChoice::Mode::kNamed, "now"};
  EXPECT_EQ(body_of(r).at("toolConfig").at("toolChoice"),
            json::parse(R"({"tool":{"name":"now"}})"));
  r.tool_choice = ToolChoice{ToolChoice::Mode::kNamed, "later"};
  EXPECT_EQ(error_of(r).message(),
            "bedrock: tool_choice names tool 'later', which is not among the request's tools");
  ChatCompletionRequest no_tools = hello();
  no_tools.tool_choice = ToolChoice{ToolChoice::Mode::kNamed, "now"};
  EXPECT_EQ(error_of(no_tools).message(),
            "bedrock: tool_choice names tool 'now', which is not among the request's tools");
  // Bedrock has no "none": the tools are not offered.
  r.tool_choice = ToolChoice{ToolChoice::Mode::kNone, ""};
  EXPECT_FALSE(body_of(r).as_object().contains("toolConfig"));
}

TEST(BedrockRequestEncoder, HistoryWithToolsDeclaresThemWhenTheRequestHasNone) {
  ChatCompletionRequest r;
  r.model = "m";
  Message calls = Message::assistant("");
  calls.tool_calls = {{"t1", "lookup", "{}"}, {"t2", "fetch", "{}"}, {"t3", "lookup", "{}"}};
  r.messages = {Message::user("go"), calls, Message::tool_result("t1", "a"),
                Message::tool_result("t2", "b"), Message::tool_result("t3", "c")};
  EXPECT_EQ(body_of(r).at("toolConfig"), json::parse(R"({"tools":[
    {"toolSpec":{"name":"lookup","description":"A tool used earlier in this conversation.",
                 "inputSchema":{"json":{"type":"object","additionalProperties":true}}}},
    {"toolSpec":{"name":"fetch","description":"A tool used earlier in this conversation.",
                 "inputSchema":{"json":{"type":"object","additionalProperties":true}}}}]})"));
  EXPECT_EQ(json::parse(kPermissiveToolSchema),
            json::parse(R"({"type":"object","additionalProperties":true})"));

  // With tool_choice none and tools of its own, the request's tools are declared, no choice.
  r.tools = {Tool{"lookup", "Look up.", R"({"type":"object"})", false}};
  r.tool_choice = ToolChoice{ToolChoice::Mode::kNone, ""};
  EXPECT_EQ(body_of(r).at("toolConfig"), json::parse(R"({"tools":[
    {"toolSpec":{"name":"lookup","description":"Look up.","inputSchema":{"json":{"type":"object"}}}}]})"));

  // Results without any call: nothing to declare.
  ChatCompletionRequest orphan;
  orphan.model = "m";
  orphan.messages = {Message::user("go"), Message::tool_result("t9", "x")};
  EXPECT_EQ(error_of(orphan).message(),
            "bedrock: the conversation holds tool results but no tool call, and the request has no "
            "tools: Bedrock needs the tools declared");
}

TEST(BedrockRequestEncoder, JsonModeIsAForcedTool) {
  ChatCompletionRequest r = hello();
  r.response_format.kind = ResponseFormat::Kind::kJsonObject;
  json::value body = body_of(r);
  EXPECT_EQ(body.at("toolConfig"), json::parse(R"({"tools":[
    {"toolSpec":{"name":"json_response","description":"Respond with a JSON object; the tool's input is the answer.",
                 "inputSchema":{"json":{"type":"object","additionalProperties":true}}}}],
    "toolChoice":{"tool":{"name":"json_response"}}})"));
  EXPECT_FALSE(body.as_object().contains("system"));
  DecodeOptions decode = decode_options_for(r);
  EXPECT_EQ(decode.json_tool_name, "json_response");
  EXPECT_TRUE(decode.json_tool_forced);
  EXPECT_EQ(decode.model, "us.amazon.nova-micro-v1:0");

  r.response_format =
      ResponseFormat{ResponseFormat::Kind::kJsonSchema, "city",
                     R"({"type":"object","properties":{"name":{"type":"string"}}})", true};
  r.tools = {Tool{"other", "", "", false}};
  body = body_of(r);
  EXPECT_EQ(body.at("toolConfig").at("tools").as_array().size(), 2u);
  EXPECT_EQ(body.at("toolConfig").at("tools").at(1).at("toolSpec").at("inputSchema"),
            json::parse(R"({"json":{"type":"object","properties":{"name":{"type":"string"}}}})"));
  EXPECT_EQ(body.at("toolConfig").at("toolChoice"),
            json::parse(R"({"tool":{"name":"json_response"}})"));

  // With thinking the tool is offered, not forced, and the system prompt asks for it.
  r.reasoning.effort = "low";
  body = body_of(r);
  EXPECT_EQ(body.at("toolConfig").at("toolChoice"), json::parse(R"({"auto":{}})"));
  EXPECT_EQ(
      body.at("system"),
      json::parse(
          R"([{"text":"Answer by calling the json_response tool; its input is your answer."}])"));
  EXPECT_FALSE(decode_options_for(r).json_tool_forced);

  r.response_format.schema = "[1]";
  EXPECT_EQ(error_of(r).message(), "bedrock: response format schema is not a JSON object");
  EXPECT_EQ(decode_options_for(hello()).json_tool_name, "");
}

TEST(BedrockRequestEncoder, CachePrompt) {
  ChatCompletionRequest r = hello();
  r.cache_prompt = true;
  r.tools = {Tool{"now", "", "", false}};
  r.messages.insert(r.messages.begin(), Message::system("Be brief."));
  json::value body = body_of(r);
  EXPECT_EQ(body.at("system"),
            json::parse(R"([{"text":"Be brief."},{"cachePoint":{"type":"default"}}])"));
  EXPECT_EQ(body.at("toolConfig").at("tools").as_array().size(), 1u);
  // Without a system prompt the cache point follows the tools.
  r.messages.erase(r.messages.begin());
  body = body_of(r);
  EXPECT_FALSE(body.as_object().contains("system"));
  EXPECT_EQ(body.at("toolConfig").at("tools").at(1),
            json::parse(R"({"cachePoint":{"type":"default"}})"));
}

TEST(BedrockRequestEncoder, ExtraBodyIsMergedIntoObjects) {
  ChatCompletionRequest r = hello();
  r.reasoning.budget_tokens = 1024;
  r.extra_body_json =
      R"({"additionalModelRequestFields":{"top_k":40},"inferenceConfig":{"maxTokens":9000},)"
      R"("performanceConfig":{"latency":"optimized"}})";
  const json::value body = body_of(r);
  EXPECT_EQ(body.at("additionalModelRequestFields"),
            json::parse(R"({"thinking":{"type":"enabled","budget_tokens":1024},"top_k":40})"));
  EXPECT_EQ(body.at("inferenceConfig"), json::parse(R"({"maxTokens":9000})"));
  EXPECT_EQ(body.at("performanceConfig"), json::parse(R"({"latency":"optimized"})"));
  // A member that is not an object on both sides is replaced.
  r.extra_body_json = R"({"messages":[{"role":"user","content":[{"text":"replaced"}]}]})";
  EXPECT_EQ(body_of(r).at("messages").at(0).at("content").at(0).at("text"), "replaced");

  r.extra_body_json = "[1]";
  EXPECT_EQ(error_of(r).message(), "bedrock: extra_body_json is not a JSON object");
  r.extra_body_json = "{";
  EXPECT_EQ(error_of(r).message().rfind("bedrock: extra_body_json is not valid JSON: ", 0), 0u);
}

TEST(BedrockRequestEncoder, Errors) {
  BedrockOptions o = options();
  o.provider_id = "bedrock-eu";
  ChatCompletionRequest r = hello("");
  Status s = error_of(r, o);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "bedrock-eu: the request names no model");
  EXPECT_EQ(s.provider(), "bedrock-eu");

  r = hello();
  r.messages = {Message::system("only")};
  EXPECT_EQ(error_of(r).message(), "bedrock: the request has no user or assistant message");

  r = hello();
  r.messages.push_back(assistant_with_call("", "t1", "a", "{}"));
  r.messages.push_back(Message::tool_result("", "x"));
  EXPECT_EQ(error_of(r).message(), "bedrock: a tool result message has no tool_call_id");

  r = hello();
  r.messages.push_back(assistant_with_call("", "", "a", "{}"));
  EXPECT_EQ(error_of(r).message(), "bedrock: a tool call to 'a' has no id");
  r = hello();
  r.messages.push_back(assistant_with_call("", "t1", "", "{}"));
  EXPECT_EQ(error_of(r).message(), "bedrock: tool call 't1' has no name");
  r = hello();
  r.messages.push_back(assistant_with_call("", "t1", "a", "[1]"));
  EXPECT_EQ(error_of(r).message(), "bedrock: arguments of tool call 't1' is not a JSON object");
  r = hello();
  r.messages.push_back(assistant_with_call("", "t1", "a", "{x"));
  EXPECT_EQ(
      error_of(r).message().rfind("bedrock: arguments of tool call 't1' is not valid JSON: ", 0),
      0u);

  r = hello();
  r.tools = {Tool{"a", "", "true", false}};
  EXPECT_EQ(error_of(r).message(), "bedrock: parameters schema of tool 'a' is not a JSON object");
}

}  // namespace
}  // namespace aisopod::bedrock
