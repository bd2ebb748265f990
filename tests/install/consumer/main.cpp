// A user's program, built by tests/install/run.sh against the installed aisopod package, once
// with find_package(aisopod) and once with pkg-config. It includes public headers only.
//
//   aisopod_consumer BASE_URL EXPECTED
//
// Configures one OpenAI-compatible provider, "local", at BASE_URL (no key; auth state in
// memory), streams a chat completion from it through the blocking aisopod::Client, and prints
// the answer's text followed by a newline. Exit status: 0 when the text is EXPECTED, 1 when it
// is not, 2 when the call fails (the error goes to stderr).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <aisopod/client.hpp>
#include <aisopod/status.hpp>
#include <aisopod/types.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: aisopod_consumer BASE_URL EXPECTED\n";
    return 2;
  }
  const std::string base_url = argv[1];
  const std::string expected = argv[2];

  // aisopod::Client reads its configuration from a file: write one to the temp directory.
  const std::filesystem::path config_path =
      std::filesystem::temp_directory_path() /
      ("aisopod_consumer_" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream config(config_path);
    config << "[providers.local]\n"
           << "type = \"openai\"\n"
           << "base_url = \"" << base_url << "\"\n"
           << "[auth]\n"
           << "state = \"memory\"\n";
  }
  aisopod::Result<aisopod::Client> client =
      aisopod::Client::create(aisopod::ClientOptions{config_path.string()});
  std::filesystem::remove(config_path);
  if (!client.ok()) {
    std::cerr << "aisopod_consumer: " << client.status().to_string() << "\n";
    return 2;
  }

  aisopod::ChatCompletionRequest request;
  request.model = "local/fake-model";
  request.messages.push_back(aisopod::Message::user("Say something."));
  std::string text;
  auto stream = client->stream(request);
  for (const aisopod::ChatCompletionChunk& chunk : stream) {
    std::cout << chunk.delta.content << std::flush;
    text += chunk.delta.content;
  }
  std::cout << "\n";
  if (!stream.status().ok()) {
    std::cerr << "aisopod_consumer: " << stream.status().to_string() << "\n";
    return 2;
  }
  return text == expected ? 0 : 1;
}
