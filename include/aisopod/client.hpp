// aisopod::Client: the blocking facade over the asynchronous core, for programs that do not use
// Boost.Asio. Standard-library types only.
//
//   aisopod::Client client = *aisopod::Client::create();
//   aisopod::ChatCompletionRequest request;
//   request.model = "openai/gpt-4o-mini";
//   request.messages.push_back(aisopod::Message::user("Hello"));
//   auto stream = client.stream(request);
//   for (const aisopod::ChatCompletionChunk& chunk : stream) std::cout << chunk.delta.content;
//   if (!stream.status().ok()) std::cerr << stream.status().to_string() << "\n";
//
// A Client runs a private event loop on the calling thread while one of its calls is in
// progress. It is not thread-safe: use one Client per thread (they are cheap).
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aisopod/accumulator.hpp"
#include "aisopod/status.hpp"
#include "aisopod/types.hpp"

namespace aisopod {

class Runtime;

class ProviderRegistry;

struct ClientOptions {
  // The configuration file; unset searches the usual places (see aisopod/config.hpp).
  std::optional<std::string> config_path;
};

class Client {
 public:
  // Loads the configuration and builds a Runtime (aisopod/runtime.hpp): every provider compiled
  // into this build, the auth profiles with their persisted cooldowns, and the failover chains
  // of [models] fallbacks, so a call fails over exactly as the aisopod command does.
  // Errors: invalid_argument for a bad or missing configuration file; unavailable when the auth
  // state database cannot be used.
  static Result<Client> create(ClientOptions options = {});
  // A client over a runtime (shared): calls fail over along its configured fallbacks.
  explicit Client(std::shared_ptr<Runtime> runtime);
  // A client over an existing registry (shared, not copied): no fallbacks.
  explicit Client(std::shared_ptr<ProviderRegistry> registry);

  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  class Stream;

  // Starts a completion. request.model is "provider/model" or an alias (see
  // ProviderRegistry::resolve). Errors before the first chunk (resolution, HTTP status,
  // authentication) are in the returned Stream's status(), and the stream is then empty.
  Stream stream(ChatCompletionRequest request);

  // The whole answer, assembled by ChatCompletionAccumulator.
  Result<ChatCompletion> complete(ChatCompletionRequest request);

  // The models of one provider (by id).
  Result<std::vector<ModelInfo>> list_models(const std::string& provider_id);

  // A chunk stream usable with range-for. Move-only; single pass. Destroying it cancels the
  // transfer. Must not outlive its Client.
  class Stream {
   public:
    class iterator {
     public:
      using iterator_category = std::input_iterator_tag;
      using value_type = ChatCompletionChunk;
      using difference_type = std::ptrdiff_t;
      using pointer = const ChatCompletionChunk*;
      using reference = const ChatCompletionChunk&;

      iterator() = default;
      reference operator*() const;
      pointer operator->() const;
      iterator& operator++();
      void operator++(int) { ++*this; }
      friend bool operator==(const iterator& a, const iterator& b) {
        return a.stream_ == b.stream_;
      }

     private:
      friend class Stream;
      explicit iterator(Stream* stream) : stream_(stream) {}
      Stream* stream_ = nullptr;  // nullptr is the end
    };

    Stream(Stream&&) noexcept;
    Stream& operator=(Stream&&) noexcept;
    ~Stream();

    // Fetches the first chunk. Call once.
    iterator begin();
    iterator end() { return iterator(); }

    // Blocking pull: the next chunk, std::nullopt at the end, or the error.
    Result<std::optional<ChatCompletionChunk>> next();

    // ok while the stream runs and after a clean end; the error that ended it otherwise.
    Status status() const;

    // Stops the transfer; the stream then ends with status cancelled.
    void cancel();

    class Impl;

   private:
    friend class Client;
    explicit Stream(std::unique_ptr<Impl> impl);
    bool advance();  // false at the end or on error
    std::unique_ptr<Impl> impl_;
  };

  class Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace aisopod
