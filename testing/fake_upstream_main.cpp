// aisopod_fake_upstream: FakeUpstream as a program, for tests that run whole programs instead of
// linking the fake in (tests/install/run.sh runs a user's program built against the installed
// package).
//
//   aisopod_fake_upstream ANSWER
//
// Listens on 127.0.0.1 on a free port, prints the port and a newline on stdout, and serves until
// its stdin reaches end-of-file (or SIGTERM ends it). Every POST to a path ending in
// "/chat/completions" gets ANSWER as an OpenAI chat completion: with "stream": true as an SSE
// stream (a role chunk, the answer in several content chunks split after each space, a chunk
// with finish_reason "stop", a usage chunk, then [DONE]); otherwise as one JSON object. The model
// echoes the request's. Anything else gets an OpenAI-shaped 404 (or 400 for a body that is not
// JSON). Exit status: 0 after stdin closes, 2 for a usage error.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "testing/fake_upstream.hpp"

namespace {

namespace json = boost::json;
using aisopod::testing::RecordedRequest;
using aisopod::testing::ScriptedResponse;

constexpr std::string_view kId = "chatcmpl-aisopod-fake";
constexpr std::int64_t kCreated = 1700000000;

ScriptedResponse openai_error(int status, std::string_view type, std::string_view message) {
  const json::object body{
      {"error", json::object{{"message", message}, {"type", type}, {"code", nullptr}}}};
  return ScriptedResponse::with_body(status, "application/json", json::serialize(body));
}

json::object usage() {
  return json::object{{"prompt_tokens", 7}, {"completion_tokens", 5}, {"total_tokens", 12}};
}

// One streamed chunk with a single choice.
std::string sse_chunk(const std::string& model, json::object delta, json::value finish_reason) {
  const json::object chunk{
      {"id", kId},
      {"object", "chat.completion.chunk"},
      {"created", kCreated},
      {"model", model},
      {"choices",
       json::array{json::object{
           {"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish_reason}}}}};
  return "data: " + json::serialize(chunk) + "\n\n";
}

// The answer cut after each space, so that the client has several deltas to join.
std::vector<std::string> pieces_of(std::string_view answer) {
  std::vector<std::string> pieces;
  while (!answer.empty()) {
    const std::size_t space = answer.find(' ');
    const std::size_t length = space == std::string_view::npos ? answer.size() : space + 1;
    pieces.emplace_back(answer.substr(0, length));
    answer.remove_prefix(length);
  }
  return pieces;
}

ScriptedResponse chat_completion(const std::string& answer, const RecordedRequest& request) {
  std::error_code error;
  const json::value body = json::parse(request.body, error);
  if (error || !body.is_object()) {
    return openai_error(400, "invalid_request_error", "the request body is not a JSON object");
  }
  const json::object& fields = body.get_object();
  std::string model = "fake-model";
  if (const json::value* value = fields.if_contains("model"); value && value->is_string()) {
    model = std::string(value->get_string());
  }
  const json::value* stream = fields.if_contains("stream");
  if (stream == nullptr || !stream->is_bool() || !stream->get_bool()) {
    const json::object completion{
        {"id", kId},
        {"object", "chat.completion"},
        {"created", kCreated},
        {"model", model},
        {"choices", json::array{json::object{
                        {"index", 0},
                        {"message", json::object{{"role", "assistant"}, {"content", answer}}},
                        {"finish_reason", "stop"}}}},
        {"usage", usage()}};
    return ScriptedResponse::with_body(200, "application/json", json::serialize(completion));
  }

  std::string sse = sse_chunk(model, json::object{{"role", "assistant"}, {"content", ""}}, nullptr);
  for (const std::string& piece : pieces_of(answer)) {
    sse += sse_chunk(model, json::object{{"content", piece}}, nullptr);
  }
  sse += sse_chunk(model, json::object{}, "stop");
  const json::object usage_chunk{
      {"id", kId},      {"object", "chat.completion.chunk"}, {"created", kCreated},
      {"model", model}, {"choices", json::array{}},          {"usage", usage()}};
  sse += "data: " + json::serialize(usage_chunk) + "\n\n";
  sse += "data: [DONE]\n\n";
  return ScriptedResponse::sse(std::move(sse));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: aisopod_fake_upstream ANSWER\n";
    return 2;
  }
  const std::string answer = argv[1];
  aisopod::testing::FakeUpstream server([&answer](const RecordedRequest& request) {
    const bool is_chat = request.target.ends_with("/chat/completions");
    if (request.method != "POST" || !is_chat) {
      return openai_error(404, "invalid_request_error",
                          "unknown endpoint " + request.method + " " + request.target);
    }
    return chat_completion(answer, request);
  });
  std::cout << server.port() << std::endl;

  // Serve until stdin closes: the test holds the write end of a pipe, so the server also goes
  // away when the test dies.
  char buffer[256];
  while (std::fread(buffer, 1, sizeof buffer, stdin) > 0) {
  }
  return 0;
}
