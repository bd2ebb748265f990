// The Gemini request encoder: URLs (Developer API and Vertex AI), body shape, turn rules,
// thought-signature round trips from recordings, tools and the schema reduction, JSON mode,
// thinking, media, and errors.
#include "providers/gemini/request_encoder.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "providers/gemini/stream_decoder.hpp"
#include "providers/gemini/test_util.hpp"
#include "testing/testdata.hpp"

namespace aisopod::gemini {
namespace {

namespace json = boost::json;
using aisopod::testing::read_testdata;

json::object encode_body(const ChatCompletionRequest& request, GeminiOptions options = {}) {
  auto encoded = encode_chat_request(request, options);
  EXPECT_TRUE(encoded.ok()) << encoded.status().to_string();
  if (!encoded.ok()) return {};
  return json::parse(encoded->body).as_object();
}

Status encode_error(const ChatCompletionRequest& request, GeminiOptions options = {}) {
  auto encoded = encode_chat_request(request, options);
  EXPECT_FALSE(encoded.ok());
  return encoded.status();
}

ChatCompletionRequest basic(std::string model = "gemini-2.5-flash") {
  ChatCompletionRequest request;
  request.model = std::move(model);
  request.messages.push_back(Message::user("Hello"));
  return request;
}

json::value parse(std::string_view text) { return json::parse(text); }

// Boost.JSON's description of why `text` does not parse.
std::string parse_error(std::string_view text) {
  boost::system::error_code ec;
  json::parse(text, ec);
  EXPECT_TRUE(ec);
  return ec.message();
}

Message assistant_with_calls(std::vector<ToolCall> calls, std::vector<ContentPart> content = {}) {
  Message message;
  message.role = Role::kAssistant;
  message.content = std::move(content);
  message.tool_calls = std::move(calls);
  return message;
}

// ---------------------------------------------------------------------------------------------
// URLs and headers

TEST(GeminiRequestEncoder, DeveloperApiUrlsHeadersAndMinimalBody) {
  auto encoded = encode_chat_request(basic(), GeminiOptions{});
  ASSERT_TRUE(encoded.ok()) << encoded.status().to_string();
  EXPECT_EQ(encoded->method, "POST");
  EXPECT_EQ(encoded->url,
            "https://generativelanguage.googleapis.com/v1beta/models/"
            "gemini-2.5-flash:streamGenerateContent?alt=sse");
  EXPECT_EQ(encoded->headers,
            (http::Headers{{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}}));
  EXPECT_EQ(parse(encoded->body),
            parse(R"({"contents":[{"role":"user","parts":[{"text":"Hello"}]}]})"));

  ChatCompletionRequest unary = basic("models/gemini-2.0-flash");
  unary.stream = false;
  GeminiOptions options;
  options.base_url = "https://proxy.example.test/gemini/";
  options.api_version = "v1";
  auto plain = encode_chat_request(unary, options);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->url,
            "https://proxy.example.test/gemini/v1/models/gemini-2.0-flash:generateContent");
  EXPECT_EQ(http::find_header(plain->headers, "accept"), "application/json");
}

TEST(GeminiRequestEncoder, VertexAiUrls) {
  GeminiOptions options;
  options.project = "my-project";
  options.location = "us-central1";
  auto regional = encode_chat_request(basic("gemini-2.5-pro"), options);
  ASSERT_TRUE(regional.ok()) << regional.status().to_string();
  EXPECT_EQ(regional->url,
            "https://us-central1-aiplatform.googleapis.com/v1/projects/my-project/locations/"
            "us-central1/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse");

  options.location = "global";
  ChatCompletionRequest unary = basic("gemini-2.5-pro");
  unary.stream = false;
  auto global = encode_chat_request(unary, options);
  ASSERT_TRUE(global.ok());
  EXPECT_EQ(global->url,
            "https://aiplatform.googleapis.com/v1/projects/my-project/locations/global/publishers/"
            "google/models/gemini-2.5-pro:generateContent");

  options.base_url = "https://vertex-proxy.example.test/";
  options.vertex_api_version = "v1beta1";
  auto proxied = encode_chat_request(unary, options);
  ASSERT_TRUE(proxied.ok());
  EXPECT_EQ(proxied->url,
            "https://vertex-proxy.example.test/v1beta1/projects/my-project/locations/global/"
            "publishers/google/models/gemini-2.5-pro:generateContent");
}

TEST(GeminiRequestEncoder, OptionErrors) {
  GeminiOptions only_project;
  only_project.project = "p";
  EXPECT_EQ(encode_error(basic(), only_project).message(),
            "gemini: Vertex AI needs both project and location (only project is set)");
  GeminiOptions only_location;
  only_location.location = "us-east1";
  only_location.provider_id = "google";
  const Status s = encode_error(basic(), only_location);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "google: Vertex AI needs both project and location (only location is set)");
  EXPECT_EQ(s.provider(), "google");
  GeminiOptions bad_location;
  bad_location.project = "p";
  bad_location.location = "evil.example/x#";
  EXPECT_EQ(encode_error(basic(), bad_location).message(),
            "gemini: location 'evil.example/x#' is not a Vertex AI location name (letters, digits "
            "and '-')");
  GeminiOptions no_base;
  no_base.base_url = "/";
  EXPECT_EQ(encode_error(basic(), no_base).message(), "gemini: base_url is empty");
  EXPECT_EQ(encode_error(basic(""), GeminiOptions{}).message(),
            "gemini: the request names no model");
  EXPECT_EQ(encode_error(basic("models/"), GeminiOptions{}).message(),
            "gemini: the request names no model");
  ChatCompletionRequest only_system;
  only_system.model = "gemini-2.5-flash";
  only_system.messages.push_back(Message::system("Be brief."));
  only_system.messages.push_back(Message::user(""));
  EXPECT_EQ(encode_error(only_system).message(),
            "gemini: the request has no user, assistant or tool content to send");
}

TEST(GeminiRequestEncoder, ModelsRequest) {
  auto first = encode_models_request(GeminiOptions{}, 50);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->method, "GET");
  EXPECT_EQ(first->url, "https://generativelanguage.googleapis.com/v1beta/models?pageSize=50");
  EXPECT_EQ(first->headers, (http::Headers{{"Accept", "application/json"}}));
  EXPECT_EQ(first->body, "");
  auto next = encode_models_request(GeminiOptions{}, 1000, "Chxtb2Rl/bHM=");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->url,
            "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000&pageToken="
            "Chxtb2Rl%2FbHM%3D");
  auto no_size = encode_models_request(GeminiOptions{}, 0, "t");
  ASSERT_TRUE(no_size.ok());
  EXPECT_EQ(no_size->url, "https://generativelanguage.googleapis.com/v1beta/models?pageToken=t");

  GeminiOptions vertex;
  vertex.project = "p";
  vertex.location = "us-central1";
  auto refused = encode_models_request(vertex, 50);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(),
            "gemini: listing models is not supported for Vertex AI (project and location are set)");
  GeminiOptions no_base;
  no_base.base_url = "";
  EXPECT_EQ(encode_models_request(no_base, 5).status().message(), "gemini: base_url is empty");
}

// ---------------------------------------------------------------------------------------------
// Contents

TEST(GeminiRequestEncoder, SystemInstructionRolesAndMergedTurns) {
  ChatCompletionRequest request;
  request.model = "gemini-2.5-flash";
  request.messages.push_back(Message::system("You are terse."));
  request.messages.push_back(Message::user("Hi"));
  request.messages.push_back(Message::user("Are you there?"));
  request.messages.push_back(Message::assistant("Yes."));
  // Reasoning without a signature cannot be sent back: the message adds nothing.
  Message thinking_only;
  thinking_only.role = Role::kAssistant;
  thinking_only.content.push_back(ContentPart::make_reasoning("Thinking...", ""));
  request.messages.push_back(thinking_only);
  request.messages.push_back(Message::assistant("Still here."));
  request.messages.push_back(Message::system("Answer in English."));
  request.messages.push_back(Message::user(""));
  request.messages.push_back(Message::user("Good."));
  EXPECT_EQ(encode_body(request), parse(R"({
    "systemInstruction": {"parts": [{"text": "You are terse."}, {"text": "Answer in English."}]},
    "contents": [
      {"role": "user", "parts": [{"text": "Hi"}, {"text": "Are you there?"}]},
      {"role": "model", "parts": [{"text": "Yes."}, {"text": "Still here."}]},
      {"role": "user", "parts": [{"text": "Good."}]}
    ]})"));
}

TEST(GeminiRequestEncoder, ToolCallsAndResults) {
  ChatCompletionRequest request = basic();
  request.messages.push_back(assistant_with_calls(
      {{"call_0", "get_weather", R"({"city":"Paris"})"}, {"srv-2", "get_time", ""}},
      {ContentPart::make_text("Let me check.")}));
  request.messages.push_back(Message::tool_result("srv-2", "12:00"));
  request.messages.push_back(Message::tool_result("call_0", R"({"temperature":18,"unit":"C"})"));
  request.messages.push_back(Message::user("And tomorrow?"));
  request.messages.push_back(assistant_with_calls({{"call_0", "get_forecast", R"({"days":1})"}}));
  Message failed = Message::tool_result("call_0", "service down");
  failed.is_error = true;
  request.messages.push_back(failed);
  EXPECT_EQ(encode_body(request)["contents"], parse(R"([
    {"role": "user", "parts": [{"text": "Hello"}]},
    {"role": "model", "parts": [
      {"text": "Let me check."},
      {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_0"}},
      {"functionCall": {"name": "get_time", "args": {}, "id": "srv-2"}}]},
    {"role": "user", "parts": [
      {"functionResponse": {"name": "get_time", "response": {"output": "12:00"}, "id": "srv-2"}},
      {"functionResponse": {"name": "get_weather", "response": {"temperature": 18, "unit": "C"},
                            "id": "call_0"}},
      {"text": "And tomorrow?"}]},
    {"role": "model", "parts": [
      {"functionCall": {"name": "get_forecast", "args": {"days": 1}, "id": "call_0"}}]},
    {"role": "user", "parts": [
      {"functionResponse": {"name": "get_forecast", "response": {"error": "service down"},
                            "id": "call_0"}}]}
  ])"));
}

TEST(GeminiRequestEncoder, ToolMessageErrors) {
  ChatCompletionRequest no_id = basic();
  no_id.messages.push_back(Message::tool_result("", "x"));
  EXPECT_EQ(encode_error(no_id).message(), "gemini: a tool result message has no tool_call_id");

  ChatCompletionRequest unknown = basic();
  unknown.messages.push_back(assistant_with_calls({{"call_1", "f", "{}"}}));
  unknown.messages.push_back(Message::tool_result("call_9", "x"));
  const Status s = encode_error(unknown);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "gemini: tool result 'call_9' answers no tool call of an earlier assistant message "
            "(Gemini needs the function's name)");

  // A call made after the result does not count.
  ChatCompletionRequest later = basic();
  later.messages.push_back(Message::tool_result("call_1", "x"));
  later.messages.push_back(assistant_with_calls({{"call_1", "f", "{}"}}));
  EXPECT_EQ(encode_error(later).message(),
            "gemini: tool result 'call_1' answers no tool call of an earlier assistant message "
            "(Gemini needs the function's name)");

  ChatCompletionRequest bad_args = basic();
  bad_args.messages.push_back(assistant_with_calls({{"call_1", "f", "[1]"}}));
  EXPECT_EQ(encode_error(bad_args).message(),
            "gemini: arguments of tool call 'call_1' is not a JSON object");
  ChatCompletionRequest broken_args = basic();
  broken_args.messages.push_back(assistant_with_calls({{"call_1", "f", "{"}}));
  EXPECT_EQ(encode_error(broken_args).message(),
            "gemini: arguments of tool call 'call_1' is not valid JSON: " + parse_error("{"));
}

TEST(GeminiRequestEncoder, ThoughtSignaturesGoOnTheirParts) {
  // One signature and tool calls: on the first call.
  ChatCompletionRequest calls = basic();
  calls.messages.push_back(
      assistant_with_calls({{"a", "f", "{}"}, {"b", "g", "{}"}},
                           {ContentPart::make_reasoning("I should call f and g.", "SIG1"),
                            ContentPart::make_text("Calling.")}));
  calls.messages.push_back(Message::tool_result("a", "1"));
  calls.messages.push_back(Message::tool_result("b", "2"));
  EXPECT_EQ(encode_body(calls)["contents"].as_array()[1], parse(R"(
    {"role": "model", "parts": [
      {"text": "Calling."},
      {"functionCall": {"name": "f", "args": {}, "id": "a"}, "thoughtSignature": "SIG1"},
      {"functionCall": {"name": "g", "args": {}, "id": "b"}}]})"));

  // No calls: on the (last) text part; the thought text itself is not sent.
  ChatCompletionRequest text = basic();
  Message answer;
  answer.role = Role::kAssistant;
  answer.content = {ContentPart::make_reasoning("Summary of thoughts", "SIG2"),
                    ContentPart::make_text("First."), ContentPart::make_text("Second.")};
  text.messages.push_back(answer);
  EXPECT_EQ(encode_body(text)["contents"].as_array()[1], parse(R"(
    {"role": "model", "parts": [{"text": "First."},
                                {"text": "Second.", "thoughtSignature": "SIG2"}]})"));

  // More signatures than carriers, and a signature alone: empty text parts at the end.
  ChatCompletionRequest extra = basic();
  extra.messages.push_back(assistant_with_calls(
      {{"a", "f", "{}"}},
      {ContentPart::make_reasoning("", "SIG3"), ContentPart::make_reasoning("more", "SIG4"),
       ContentPart::make_reasoning("unsigned", "")}));
  Message only_signature;
  only_signature.role = Role::kAssistant;
  only_signature.content = {ContentPart::make_reasoning("", "SIG5")};
  extra.messages.push_back(Message::tool_result("a", "1"));
  extra.messages.push_back(only_signature);
  const json::array contents = encode_body(extra)["contents"].as_array();
  ASSERT_EQ(contents.size(), 4u);
  EXPECT_EQ(contents[1], parse(R"(
    {"role": "model", "parts": [
      {"functionCall": {"name": "f", "args": {}, "id": "a"}, "thoughtSignature": "SIG3"},
      {"text": "", "thoughtSignature": "SIG4"}]})"));
  EXPECT_EQ(contents[3], parse(R"(
    {"role": "model", "parts": [{"text": "", "thoughtSignature": "SIG5"}]})"));
}

TEST(GeminiRequestEncoder, RecordedFunctionCallRoundTrip) {
  // Turn 1 of pydantic-ai's thought-signature cassette, decoded and accumulated, sent back with
  // the tool's result: the request must carry the signature on the functionCall part, as
  // pydantic-ai's recorded turn-2 request does.
  const std::string wire = read_testdata(
      "google/pydantic-ai/test_google_streaming_tool_call_thought_signature.1.response.sse");
  const test::Decoded decoded = test::decode(wire);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.to_string();
  const ChatCompletion turn1 = test::accumulate(decoded.chunks);
  ASSERT_EQ(turn1.message.tool_calls.size(), 1u);
  const std::string id = turn1.message.tool_calls[0].id;
  EXPECT_EQ(id, "call_QUVVadTSNJ6_qtsPvN7J8Q0_0");

  ChatCompletionRequest request;
  request.model = "gemini-3-pro-preview";
  request.messages.push_back(
      Message::user("What is the capital of the user country? Call the tool"));
  request.messages.push_back(turn1.message);
  request.messages.push_back(Message::tool_result(id, "Mexico"));
  const json::object body = encode_body(request);

  // The signature pydantic-ai sent back (it re-encodes it as URL-safe base64).
  const std::string yaml =
      read_testdata("google/pydantic-ai/test_google_streaming_tool_call_thought_signature.yaml");
  const std::string marker = "          thoughtSignature: ";
  const std::size_t at = yaml.find(marker);
  ASSERT_NE(at, std::string::npos);
  std::string sent = yaml.substr(at + marker.size(), yaml.find('\n', at) - at - marker.size());
  for (char& c : sent) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  ASSERT_EQ(sent.size(), 1408u);
  json::object call_part{
      {"functionCall", json::object{{"name", "get_country"}, {"args", json::object()}, {"id", id}}},
      {"thoughtSignature", sent}};
  EXPECT_EQ(
      body.at("contents"),
      (json::array{
          json::object{{"role", "user"},
                       {"parts", json::array{json::object{
                                     {"text",
                                      "What is the capital of the user country? Call the "
                                      "tool"}}}}},
          json::object{{"role", "model"}, {"parts", json::array{call_part}}},
          json::object{{"role", "user"},
                       {"parts", json::array{json::object{
                                     {"functionResponse",
                                      json::object{{"name", "get_country"},
                                                   {"response", json::object{{"output", "Mexico"}}},
                                                   {"id", id}}}}}}}}));
}

TEST(GeminiRequestEncoder, RecordedThinkingAnswerRoundTrip) {
  const std::string wire =
      read_testdata("google/pydantic-ai/test_google_model_thinking_part_iter.response.sse");
  const test::Decoded decoded = test::decode(wire);
  ASSERT_TRUE(decoded.status.ok());
  const ChatCompletion turn1 = test::accumulate(decoded.chunks);
  ChatCompletionRequest request = basic("gemini-2.5-pro");
  request.messages.push_back(turn1.message);
  request.messages.push_back(Message::user("Thanks"));
  const json::array contents = encode_body(request)["contents"].as_array();
  ASSERT_EQ(contents.size(), 3u);
  const json::array& parts = contents[1].as_object().at("parts").as_array();
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].as_object().at("text").as_string(), turn1.message.text());
  EXPECT_EQ(parts[0].as_object().at("thoughtSignature").as_string(),
            test::raw_string_after(wire, "This is a great question", "thoughtSignature"));
}

// ---------------------------------------------------------------------------------------------
// Generation config, JSON mode, thinking

TEST(GeminiRequestEncoder, GenerationConfig) {
  ChatCompletionRequest request = basic();
  request.temperature = 0.25;
  request.top_p = 0.5;
  request.max_tokens = 300;
  request.stop = {"END", "STOP"};
  request.seed = 42;
  request.user = "user-1";
  request.parallel_tool_calls = false;
  request.cache_prompt = true;
  EXPECT_EQ(encode_body(request), parse(R"({
    "contents": [{"role": "user", "parts": [{"text": "Hello"}]}],
    "generationConfig": {"temperature": 0.25, "topP": 0.5, "maxOutputTokens": 300,
                         "stopSequences": ["END", "STOP"], "seed": 42}})"));
}

TEST(GeminiRequestEncoder, JsonMode) {
  ChatCompletionRequest object_mode = basic();
  object_mode.response_format.kind = ResponseFormat::Kind::kJsonObject;
  EXPECT_EQ(encode_body(object_mode)["generationConfig"],
            parse(R"({"responseMimeType": "application/json"})"));

  ChatCompletionRequest schema_mode = basic();
  schema_mode.response_format.kind = ResponseFormat::Kind::kJsonSchema;
  schema_mode.response_format.name = "city";
  schema_mode.response_format.schema = R"({
    "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
    "additionalProperties": false, "title": "City",
    "properties": {"name": {"type": "string"}, "population": {"type": ["integer", "null"]}},
    "required": ["name", "population"]})";
  EXPECT_EQ(encode_body(schema_mode)["generationConfig"], parse(R"({
    "responseMimeType": "application/json",
    "responseSchema": {"type": "OBJECT",
                       "properties": {"name": {"type": "STRING"},
                                      "population": {"type": "INTEGER", "nullable": true}},
                       "required": ["name", "population"]}})"));

  ChatCompletionRequest free_object = basic();
  free_object.response_format.kind = ResponseFormat::Kind::kJsonSchema;
  free_object.response_format.schema = R"({"type":"object","additionalProperties":true})";
  EXPECT_EQ(encode_body(free_object)["generationConfig"],
            parse(R"({"responseMimeType": "application/json"})"));

  ChatCompletionRequest bad = basic();
  bad.response_format.kind = ResponseFormat::Kind::kJsonSchema;
  bad.response_format.schema = R"(["not", "an", "object"])";
  EXPECT_EQ(encode_error(bad).message(), "gemini: response format schema is not a JSON object");
  bad.response_format.schema = R"({"type":"object","properties":{"a":{"type":"decimal"}}})";
  EXPECT_EQ(encode_error(bad).message(),
            "gemini: response format schema: schema at #/properties/a: unknown type 'decimal'");
}

TEST(GeminiRequestEncoder, ThinkingConfig) {
  struct Case {
    std::string model;
    std::string effort;
    int budget;
    const char* expected;
  };
  const Case cases[] = {
      {"gemini-2.5-flash", "", 2048, R"({"thinkingBudget": 2048, "includeThoughts": true})"},
      {"gemini-3-pro-preview", "low", 4096, R"({"thinkingBudget": 4096, "includeThoughts": true})"},
      {"gemini-2.5-pro", "minimal", 0, R"({"thinkingBudget": 1024, "includeThoughts": true})"},
      {"gemini-2.5-pro", "low", 0, R"({"thinkingBudget": 1024, "includeThoughts": true})"},
      {"gemini-2.5-pro", "medium", 0, R"({"thinkingBudget": 8192, "includeThoughts": true})"},
      {"gemini-2.5-pro", "high", 0, R"({"thinkingBudget": 24576, "includeThoughts": true})"},
      {"gemini-2.5-pro", "max", 0, R"({"thinkingBudget": 24576, "includeThoughts": true})"},
      {"gemini-3-pro-preview", "low", 0, R"({"thinkingLevel": "low", "includeThoughts": true})"},
      {"gemini-3-flash-preview", "medium", 0,
       R"({"thinkingLevel": "medium", "includeThoughts": true})"},
      {"gemini-3-pro-preview", "extreme", 0,
       R"({"thinkingLevel": "high", "includeThoughts": true})"},
      {"gemini-2.5-flash", "none", 0, R"({"thinkingBudget": 0})"},
  };
  for (const Case& c : cases) {
    ChatCompletionRequest request = basic(c.model);
    request.reasoning.effort = c.effort;
    request.reasoning.budget_tokens = c.budget;
    EXPECT_EQ(encode_body(request)["generationConfig"],
              parse(std::string(R"({"thinkingConfig": )") + c.expected + "}"))
        << c.model << " " << c.effort << " " << c.budget;
  }
  EXPECT_FALSE(encode_body(basic()).contains("generationConfig"));
}

// ---------------------------------------------------------------------------------------------
// Tools

TEST(GeminiRequestEncoder, ToolsAndToolConfig) {
  ChatCompletionRequest request = basic();
  request.tools.push_back({"get_weather", "Weather for a city.",
                           R"({"type":"object","properties":{"city":{"type":"string",
                              "description":"City name"}},"required":["city"],
                              "additionalProperties":false})",
                           true});
  request.tools.push_back({"now", "", "", false});
  request.tools.push_back({"noop", "Does nothing.", R"({"type":"object","properties":{}})", false});
  const json::object body = encode_body(request);
  EXPECT_EQ(body.at("tools"), parse(R"([{"functionDeclarations": [
    {"name": "get_weather", "description": "Weather for a city.",
     "parameters": {"type": "OBJECT",
                    "properties": {"city": {"type": "STRING", "description": "City name"}},
                    "required": ["city"]}},
    {"name": "now"},
    {"name": "noop", "description": "Does nothing."}]}])"));
  EXPECT_FALSE(body.contains("toolConfig"));

  struct Case {
    ToolChoice choice;
    const char* expected;
  };
  const Case cases[] = {
      {{ToolChoice::Mode::kAuto, ""}, R"({"functionCallingConfig": {"mode": "AUTO"}})"},
      {{ToolChoice::Mode::kNone, ""}, R"({"functionCallingConfig": {"mode": "NONE"}})"},
      {{ToolChoice::Mode::kRequired, ""}, R"({"functionCallingConfig": {"mode": "ANY"}})"},
      {{ToolChoice::Mode::kNamed, "now"},
       R"({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["now"]}})"},
  };
  for (const Case& c : cases) {
    request.tool_choice = c.choice;
    EXPECT_EQ(encode_body(request).at("toolConfig"), parse(c.expected)) << c.expected;
  }
  request.tool_choice = ToolChoice{ToolChoice::Mode::kNamed, "missing"};
  EXPECT_EQ(encode_error(request).message(),
            "gemini: tool_choice names tool 'missing', which is not one of the request's tools");

  // tool_choice without tools has nothing to configure.
  ChatCompletionRequest no_tools = basic();
  no_tools.tool_choice = ToolChoice{ToolChoice::Mode::kNone, ""};
  EXPECT_FALSE(encode_body(no_tools).contains("toolConfig"));
}

TEST(GeminiRequestEncoder, ToolErrors) {
  ChatCompletionRequest nameless = basic();
  nameless.tools.push_back({"", "x", "", false});
  EXPECT_EQ(encode_error(nameless).message(), "gemini: a tool has no name");

  ChatCompletionRequest bad_schema = basic();
  bad_schema.tools.push_back({"f", "", "[]", false});
  EXPECT_EQ(encode_error(bad_schema).message(),
            "gemini: parameters schema of tool 'f' is not a JSON object");
  bad_schema.tools[0].parameters_schema = R"({"type":"object","properties":{"next":{"$ref":"#"}}})";
  EXPECT_EQ(encode_error(bad_schema).message(),
            "gemini: parameters schema of tool 'f': schema at #/properties/next: $ref '#' is "
            "recursive, and Gemini schemas cannot express recursion");
}

// ---------------------------------------------------------------------------------------------
// reduce_schema

json::value reduced(std::string_view schema) {
  auto out = reduce_schema(schema);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  if (!out.ok()) return nullptr;
  return json::parse(*out);
}

std::string reduce_error(std::string_view schema) {
  auto out = reduce_schema(schema);
  EXPECT_FALSE(out.ok()) << schema;
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  return out.status().message();
}

TEST(GeminiReduceSchema, PydanticModelWithDefinitions) {
  // The shape pydantic's model_json_schema() produces: $defs, $ref, Optional as anyOf with
  // null, titles, defaults.
  EXPECT_EQ(reduced(R"({
    "$defs": {
      "Address": {"properties": {"street": {"title": "Street", "type": "string"},
                                 "zip": {"title": "Zip", "type": "string", "pattern": "^[0-9]{5}$"}},
                  "required": ["street", "zip"], "title": "Address", "type": "object"}
    },
    "properties": {
      "name": {"title": "Name", "type": "string", "minLength": 1, "maxLength": 80},
      "home": {"$ref": "#/$defs/Address", "description": "Where they live"},
      "work": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}], "default": null,
               "description": "Where they work"},
      "age": {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 150}, {"type": "null"}],
              "default": null, "title": "Age"}
    },
    "required": ["name", "home"],
    "title": "Person", "type": "object", "additionalProperties": false,
    "$schema": "https://json-schema.org/draft/2020-12/schema"})"),
            parse(R"({
    "properties": {
      "name": {"type": "STRING", "minLength": 1, "maxLength": 80},
      "home": {"properties": {"street": {"type": "STRING"},
                              "zip": {"type": "STRING", "pattern": "^[0-9]{5}$"}},
               "required": ["street", "zip"], "type": "OBJECT",
               "description": "Where they live"},
      "work": {"description": "Where they work", "nullable": true,
               "properties": {"street": {"type": "STRING"},
                              "zip": {"type": "STRING", "pattern": "^[0-9]{5}$"}},
               "required": ["street", "zip"], "type": "OBJECT"},
      "age": {"nullable": true, "type": "INTEGER", "minimum": 0, "maximum": 150}
    },
    "required": ["name", "home"],
    "type": "OBJECT"})"));
}

TEST(GeminiReduceSchema, TypesEnumsAndFormats) {
  EXPECT_EQ(reduced(R"({"type": "object", "properties": {
      "a": {"type": ["string", "null"], "format": "date-time"},
      "b": {"type": ["string", "number"], "description": "either"},
      "c": {"enum": ["red", "green", null]},
      "d": {"type": "integer", "enum": [1, 2, 3], "format": "int64"},
      "e": {"const": "fixed"},
      "f": {"type": "string", "format": "email"},
      "g": {"type": "number", "format": "double", "exclusiveMinimum": 0, "multipleOf": 0.5},
      "h": {"type": "NULL"},
      "i": {"type": "boolean", "examples": [true], "deprecated": true, "readOnly": true}}})"),
            parse(R"({"type": "OBJECT", "properties": {
      "a": {"type": "STRING", "nullable": true, "format": "date-time"},
      "b": {"anyOf": [{"type": "STRING"}, {"type": "NUMBER"}], "description": "either"},
      "c": {"enum": ["red", "green"], "nullable": true, "type": "STRING"},
      "d": {"type": "INTEGER", "format": "int64"},
      "e": {"enum": ["fixed"], "type": "STRING"},
      "f": {"type": "STRING"},
      "g": {"type": "NUMBER", "format": "double"},
      "h": {"type": "NULL"},
      "i": {"type": "BOOLEAN"}}})"));
}

TEST(GeminiReduceSchema, ArraysCombinatorsAndBooleans) {
  EXPECT_EQ(reduced(R"({"type": "object", "properties": {
      "list": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3,
               "uniqueItems": true},
      "tuple": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]},
      "single": {"items": [{"type": "boolean"}]},
      "choice": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
      "merged": {"allOf": [{"type": "object", "properties": {"x": {"type": "string"}},
                            "required": ["x"]},
                           {"properties": {"y": {"type": "number"}}, "required": ["y"]}],
                 "description": "both"},
      "anything": true,
      "map": {"type": "object", "additionalProperties": {"type": "string"},
              "minProperties": 1, "maxProperties": 9},
      "ordered": {"type": "object", "properties": {"p": {"type": "string"}, "q": {"type": "string"}},
                  "propertyOrdering": ["q", "p"]},
      "badOrder": {"type": "object", "properties": {"p": {"type": "string"}},
                   "propertyOrdering": ["p", "zzz"]}},
    "required": ["list", "ghost"]})"),
            parse(R"({"type": "OBJECT", "properties": {
      "list": {"type": "ARRAY", "items": {"type": "STRING"}, "minItems": 1, "maxItems": 3},
      "tuple": {"type": "ARRAY", "items": {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]}},
      "single": {"items": {"type": "BOOLEAN"}, "type": "ARRAY"},
      "choice": {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]},
      "merged": {"type": "OBJECT", "properties": {"x": {"type": "STRING"}, "y": {"type": "NUMBER"}},
                 "required": ["x", "y"], "description": "both"},
      "anything": {},
      "map": {"type": "OBJECT", "minProperties": 1, "maxProperties": 9},
      "ordered": {"type": "OBJECT", "properties": {"p": {"type": "STRING"}, "q": {"type": "STRING"}},
                  "propertyOrdering": ["q", "p"]},
      "badOrder": {"type": "OBJECT", "properties": {"p": {"type": "STRING"}}}},
    "required": ["list"]})"));
}

TEST(GeminiReduceSchema, ReferencesByPointer) {
  EXPECT_EQ(reduced(R"({"definitions": {"a/b": {"type": "string"}, "list": [{"type": "integer"}]},
                        "type": "object",
                        "properties": {"x": {"$ref": "#/definitions/a~1b"},
                                       "y": {"$ref": "#/definitions/list/0"}}})"),
            parse(R"({"type": "OBJECT", "properties": {"x": {"type": "STRING"},
                                                       "y": {"type": "INTEGER"}}})"));
  // The same definition used twice is not recursion.
  EXPECT_EQ(reduced(R"({"$defs": {"S": {"type": "string"}}, "type": "object",
                        "properties": {"a": {"$ref": "#/$defs/S"}, "b": {"$ref": "#/$defs/S"}}})"),
            parse(R"({"type": "OBJECT", "properties": {"a": {"type": "STRING"},
                                                       "b": {"type": "STRING"}}})"));
}

TEST(GeminiReduceSchema, Errors) {
  EXPECT_EQ(reduce_error("[]"), "schema is not a JSON object");
  EXPECT_EQ(reduce_error("{"), "schema is not valid JSON: " + parse_error("{"));
  EXPECT_EQ(reduce_error(R"({"$defs": {"Node": {"type": "object", "properties": {
                               "next": {"$ref": "#/$defs/Node"}}}},
                             "$ref": "#/$defs/Node"})"),
            "schema at #/$defs/Node/properties/next: $ref '#/$defs/Node' is recursive, and "
            "Gemini schemas cannot express recursion");
  EXPECT_EQ(reduce_error(R"({"$defs": {"Bad": {"type": "object", "properties": {
                               "a": {"type": "decimal"}}}},
                             "properties": {"b": {"$ref": "#/$defs/Bad"}}})"),
            "schema at #/$defs/Bad/properties/a: unknown type 'decimal'");
  EXPECT_EQ(reduce_error(R"({"properties": {"a": {"$ref": "https://example.com/s.json"}}})"),
            "schema at #/properties/a: $ref 'https://example.com/s.json' is not a local "
            "reference (expected #/$defs/<name> or #/definitions/<name>)");
  EXPECT_EQ(reduce_error(R"({"properties": {"a": {"$ref": "#/$defs/Missing"}}})"),
            "schema at #/properties/a: $ref '#/$defs/Missing' names no definition");
  EXPECT_EQ(reduce_error(R"({"type": "object", "properties": []})"),
            "schema at #: 'properties' is not an object");
  EXPECT_EQ(reduce_error(R"({"type": 7})"),
            "schema at #: 'type' is not a string or an array of strings");
  EXPECT_EQ(reduce_error(R"({"properties": {"a": false}})"),
            "schema at #/properties/a: the schema 'false' (no value is valid) cannot be "
            "expressed");
  EXPECT_EQ(reduce_error(R"({"properties": {"a": 3}})"),
            "schema at #/properties/a: is not a schema object");
  EXPECT_EQ(reduce_error(R"({"type": "array", "items": {"type": "string", "minItems": -1}})"),
            "schema at #/items: 'minItems' is not a non-negative integer");
  EXPECT_EQ(reduce_error(R"({"anyOf": {"type": "string"}})"),
            "schema at #: 'anyOf' is not an array");
  std::string deep = R"({"type":"string"})";
  for (int i = 0; i < 70; ++i) deep = R"({"type":"array","items":)" + deep + "}";
  std::string expected_path = "#";
  for (int i = 0; i < 65; ++i) expected_path += "/items";
  EXPECT_EQ(reduce_error(deep),
            "schema at " + expected_path + ": the schema nests deeper than 64 levels");
  // Definitions that double at each level expand past the limit.
  std::string defs = R"({"$defs":{"d0":{"type":"string"})";
  for (int i = 1; i <= 20; ++i) {
    defs += ",\"d" + std::to_string(i) +
            "\":{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/$defs/d" +
            std::to_string(i - 1) + "\"},\"b\":{\"$ref\":\"#/$defs/d" + std::to_string(i - 1) +
            "\"}}}";
  }
  defs += R"(},"$ref":"#/$defs/d20"})";
  EXPECT_EQ(reduce_error(defs),
            "schema at #/$defs/d1/properties/a: the schema expands to more than 10000 schemas");
}

// ---------------------------------------------------------------------------------------------
// Media, safety settings, extra body

TEST(GeminiRequestEncoder, MediaParts) {
  ChatCompletionRequest request;
  request.model = "gemini-2.5-flash";
  Message user;
  user.role = Role::kUser;
  user.content = {
      ContentPart::make_text("What is in these?"),
      ContentPart::make_media_data("image/png", "iVBORw0KGgo="),
      ContentPart::make_media_url("image/jpeg", "data:image/webp;base64,UklGRg=="),
      ContentPart::make_media_data("image/jpg", "/9j/4AAQ"),
      ContentPart::make_media_data("audio/wav", "UklGRiQA"),
      ContentPart::make_media_url("application/pdf", "gs://bucket/report.pdf"),
      ContentPart::make_media_url("", "https://www.youtube.com/watch?v=9hE5-98ZeCg"),
      ContentPart::make_media_url("video/mp4",
                                  "https://generativelanguage.googleapis.com/v1beta/files/abc"),
      ContentPart::make_media_data("text/plain", "aGVsbG8="),
  };
  request.messages.push_back(user);
  EXPECT_EQ(encode_body(request)["contents"], parse(R"([{"role": "user", "parts": [
    {"text": "What is in these?"},
    {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
    {"inlineData": {"mimeType": "image/webp", "data": "UklGRg=="}},
    {"inlineData": {"mimeType": "image/jpeg", "data": "/9j/4AAQ"}},
    {"inlineData": {"mimeType": "audio/wav", "data": "UklGRiQA"}},
    {"fileData": {"fileUri": "gs://bucket/report.pdf", "mimeType": "application/pdf"}},
    {"fileData": {"fileUri": "https://www.youtube.com/watch?v=9hE5-98ZeCg"}},
    {"fileData": {"fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc",
                  "mimeType": "video/mp4"}},
    {"inlineData": {"mimeType": "text/plain", "data": "aGVsbG8="}}]}])"));
}

TEST(GeminiRequestEncoder, MediaErrors) {
  struct Case {
    ContentPart part;
    const char* message;
  };
  const Case cases[] = {
      {ContentPart::make_media_data("application/zip", "UEsDBA=="),
       "gemini: Gemini does not take media type 'application/zip' (it takes image/*, audio/*, "
       "video/*, text/* and application/pdf)"},
      {ContentPart::make_media_url("image/png", "ftp://example.com/a.png"),
       "gemini: Gemini takes media as base64 data, data: URLs, gs:// or http(s) URLs, not 'ftp:' "
       "URLs"},
      {ContentPart::make_media_url("image/png", "data:image/png;base64"),
       "gemini: malformed data: URL: no ',' before the data (expected data:<media "
       "type>;base64,<data>)"},
      {ContentPart::make_media_url("image/png", "data:image/png,abc"),
       "gemini: malformed data: URL: the data is not marked ;base64 (expected data:<media "
       "type>;base64,<data>)"},
      {ContentPart::make_media_url("image/png", "data:image/png;base64,"),
       "gemini: malformed data: URL: the data is empty"},
      {ContentPart::make_media_data("", "AAAA"), "gemini: a base64 media part names no media type"},
      {ContentPart::make_media_data("image/png", ""),
       "gemini: a media part has neither data nor a URL"},
  };
  for (const Case& c : cases) {
    ChatCompletionRequest request;
    request.model = "gemini-2.5-flash";
    Message user;
    user.role = Role::kUser;
    user.content = {c.part};
    request.messages.push_back(user);
    const Status s = encode_error(request);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(GeminiRequestEncoder, ToolResultWithMedia) {
  ChatCompletionRequest request = basic();
  request.messages.push_back(assistant_with_calls({{"c1", "screenshot", "{}"}}));
  Message result = Message::tool_result("c1", "here it is");
  result.content.push_back(ContentPart::make_media_data("image/png", "iVBORw0KGgo="));
  request.messages.push_back(result);
  EXPECT_EQ(encode_body(request)["contents"].as_array()[2], parse(R"(
    {"role": "user", "parts": [
      {"functionResponse": {"name": "screenshot", "response": {"output": "here it is"},
                            "id": "c1"}},
      {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}]})"));
}

TEST(GeminiRequestEncoder, SafetySettingsAndExtraBody) {
  GeminiOptions options;
  options.safety_settings = {{"HARM_CATEGORY_HATE_SPEECH", "BLOCK_ONLY_HIGH"},
                             {"HARM_CATEGORY_DANGEROUS_CONTENT", "BLOCK_NONE"}};
  ChatCompletionRequest request = basic();
  request.temperature = 1.0;
  request.extra_body_json =
      R"({"generationConfig": {"topK": 40}, "cachedContent": "cachedContents/abc"})";
  EXPECT_EQ(encode_body(request, options), parse(R"({
    "contents": [{"role": "user", "parts": [{"text": "Hello"}]}],
    "generationConfig": {"topK": 40},
    "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_ONLY_HIGH"},
                       {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "BLOCK_NONE"}],
    "cachedContent": "cachedContents/abc"})"));
  request.extra_body_json = "[1]";
  EXPECT_EQ(encode_error(request).message(), "gemini: extra_body_json is not a JSON object");
}

TEST(GeminiRequestEncoder, NoCredentialAnywhere) {
  // The encoder never sees a key; it never adds an auth header or a key parameter either.
  for (bool stream : {true, false}) {
    ChatCompletionRequest request = basic();
    request.stream = stream;
    auto encoded = encode_chat_request(request, GeminiOptions{});
    ASSERT_TRUE(encoded.ok());
    EXPECT_EQ(encoded->url.find("key="), std::string::npos);
    EXPECT_FALSE(http::find_header(encoded->headers, "x-goog-api-key").has_value());
    EXPECT_FALSE(http::find_header(encoded->headers, "authorization").has_value());
  }
}

}  // namespace
}  // namespace aisopod::gemini
