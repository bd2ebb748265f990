// A ModelProvider made of a ProviderSpec: the pure translators and the Authorizer of one
// provider, run by the core pipeline (lease -> credential -> authorize -> send -> map errors ->
// report -> retry / rotate, all in http_provider.hpp). A provider folder writes only its spec;
// every request it makes (chat, models, health, and what a subclass adds, such as Ollama's pull)
// goes through the same loop, so every outcome is reported and a rejected key rotates.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/auth.hpp"
#include "aisopod/provider.hpp"
#include "core/http_provider.hpp"

namespace aisopod {

// One page of a models listing.
struct ModelsPageResult {
  std::vector<ModelInfo> models;
  // The cursor of the next page; empty when this was the last one.
  std::string next_cursor;
};

// What a provider supplies. Every function is pure (no I/O, no clock, no credential) and
// thread-safe; the ones marked optional may be empty.
struct ProviderSpec {
  // The provider id from configuration ("openai", "local").
  std::string provider_id;
  // Adds the credential to every request. Null: requests are sent without one.
  std::shared_ptr<Authorizer> authorizer;
  // Maps a non-success response to a Status.
  ErrorMapper map_error;
  // Optional: rewrites an error of sending (no HTTP status) into a clearer one.
  std::function<Status(Status)> map_send_error;
  // The provider's per-attempt total deadline for chat calls (its `timeout` option).
  std::optional<std::chrono::milliseconds> attempt_timeout;

  // A chat request, encoded, with the decoders of its answer.
  struct EncodedChat {
    http::Request request;
    // Streaming: a fresh decoder per attempt.
    std::function<std::unique_ptr<ChunkDecoder>()> make_decoder;
    // Non-streaming: the whole body to its chunks.
    std::function<Result<std::vector<ChatCompletionChunk>>(std::string_view body)> decode_body;
  };
  // Errors: the encoder's (invalid_argument), returned before any request is made.
  std::function<Result<EncodedChat>(const ChatCompletionRequest& request)> encode_chat;

  // The request of one page of the models listing ("" for the first page) and its decoder.
  std::function<Result<http::Request>(std::string_view cursor)> encode_models;
  std::function<Result<ModelsPageResult>(std::string_view body)> decode_models;

  // Optional: the health probe's request and what a healthy answer says (its message: "ok",
  // a version). Empty: the first page of the models listing, message "ok".
  std::function<Result<http::Request>()> encode_health;
  std::function<Result<std::string>(std::string_view body)> decode_health;
};

// The ModelProvider of a ProviderSpec, with the profiles `auth` holds for spec.provider_id
// (round-robin, rotated on credential errors; no credential when `auth` is null or has none).
// Thread-safe; holds no I/O resources (each call uses the HTTP engine of its io_context).
//  - list_models(): every page, at most 100 (a server that keeps answering with a new cursor
//    cannot keep us for ever; a cursor that repeats ends the listing).
//  - chat: run_chat_call() with the spec's request and decoders.
//  - health_check(): one probe, no retry; healthy with decode_health's message.
class SpecProvider : public ModelProvider {
 public:
  SpecProvider(ProviderSpec spec, std::shared_ptr<AuthProfileManager> auth);

  std::string_view id() const override { return spec_.provider_id; }
  Task<Result<std::vector<ModelInfo>>> list_models() override;
  Task<HealthStatus> health_check() override;

 protected:
  Task<Result<ChunkStream>> start_chat_completion(ChatCompletionRequest request,
                                                  CallOptions options) override;

  // A request of the provider's own (a pull) for the shared loop: authorizer, error mapping.
  RequestCall request_call(http::Request request) const;
  const ProviderSpec& spec() const { return spec_; }
  AuthProfileManager* auth() const { return auth_.get(); }

 private:
  const ProviderSpec spec_;
  const std::shared_ptr<AuthProfileManager> auth_;
};

// A SpecProvider (see there).
std::shared_ptr<ModelProvider> make_spec_provider(ProviderSpec spec,
                                                  std::shared_ptr<AuthProfileManager> auth);

// An ErrorMapper over a provider's `map(http_status, headers, body, provider_id)`.
template <class Map>
ErrorMapper error_mapper_for(std::string provider_id, Map map) {
  return [provider_id = std::move(provider_id), map = std::move(map)](
             int status, const http::Headers& headers, std::string_view body) {
    return map(status, headers, body, provider_id);
  };
}

// The EncodedChat of an encoded request (or the encoder's error) with its two decoders.
Result<ProviderSpec::EncodedChat> encoded_chat(
    Result<http::Request> request, std::function<std::unique_ptr<ChunkDecoder>()> make_decoder,
    std::function<Result<std::vector<ChatCompletionChunk>>(std::string_view body)> decode_body);

// decode_body for a decoder that yields the whole answer as one chunk.
template <class Decode>
auto one_chunk_body(Decode decode) {
  return [decode = std::move(decode)](
             std::string_view body) -> Result<std::vector<ChatCompletionChunk>> {
    auto chunk = decode(body);
    if (!chunk.ok()) return chunk.error();
    std::vector<ChatCompletionChunk> chunks;
    chunks.push_back(std::move(*chunk));
    return chunks;
  };
}

}  // namespace aisopod
