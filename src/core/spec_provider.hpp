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
#include "aisopod/config.hpp"
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

// A ProviderSpec with what every provider sets the same way: its id, its authorizer, map_error
// over `map` (error_mapper_for) and the per-attempt timeout; the caller adds the rest.
template <class Map>
ProviderSpec base_spec(std::string provider_id, std::shared_ptr<Authorizer> authorizer, Map map,
                       std::optional<std::chrono::milliseconds> attempt_timeout) {
  ProviderSpec spec;
  spec.provider_id = provider_id;
  spec.authorizer = std::move(authorizer);
  spec.map_error = error_mapper_for(std::move(provider_id), std::move(map));
  spec.attempt_timeout = attempt_timeout;
  return spec;
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

// encode_chat for a provider whose decoders depend on what the request asks (JSON mode):
// `encode(request)`; per attempt a `Decoder(provider_id, decode)`; the whole body through
// `decode_body(body, provider_id, decode)`; where `decode` is `options_for(request)`.
template <class Decoder, class Encode, class OptionsFor, class DecodeBody>
auto chat_encoder_with_decode_options(std::string provider_id, Encode encode,
                                      OptionsFor options_for, DecodeBody decode_body) {
  return [provider_id = std::move(provider_id), encode = std::move(encode),
          options_for = std::move(options_for),
          decode_body = std::move(decode_body)](const ChatCompletionRequest& request) {
    const auto decode = options_for(request);
    return encoded_chat(
        encode(request),
        [provider_id, decode] { return make_chunk_decoder(Decoder(provider_id, decode)); },
        [provider_id, decode, decode_body](std::string_view body) {
          return decode_body(body, provider_id, decode);
        });
  };
}

// decode_models over a provider's `decode(body, provider_id)` (a Result of its own page type)
// and `next_cursor(page&)`, the cursor of the page after it ("" for the last page).
template <class Decode, class NextCursor>
auto models_page_decoder(std::string provider_id, Decode decode, NextCursor next_cursor) {
  return [provider_id = std::move(provider_id), decode = std::move(decode),
          next_cursor = std::move(next_cursor)](std::string_view body) -> Result<ModelsPageResult> {
    auto page = decode(body, provider_id);
    if (!page.ok()) return page.error();
    std::string cursor = next_cursor(*page);
    return ModelsPageResult{std::move(page->models), std::move(cursor)};
  };
}

// encode_chat for a provider whose decoders need only its id: `encode(request, options)`; per
// attempt a `Decoder(provider_id)`; a non-streaming body through `decode_one(body,
// provider_id)`, the whole answer as one chunk.
template <class Decoder, class Options, class Encode, class DecodeOne>
auto chat_encoder(std::string provider_id, Options options, Encode encode, DecodeOne decode_one) {
  return [provider_id = std::move(provider_id), options = std::move(options),
          encode = std::move(encode),
          decode_one = std::move(decode_one)](const ChatCompletionRequest& request) {
    return encoded_chat(
        encode(request, options),
        [provider_id] { return make_chunk_decoder(Decoder(provider_id)); },
        one_chunk_body([provider_id, decode_one](std::string_view body) {
          return decode_one(body, provider_id);
        }));
  };
}

// decode_models over a `decode(body, provider_id)` that returns the whole list at once.
template <class Decode>
auto models_list_decoder(std::string provider_id, Decode decode) {
  return [provider_id = std::move(provider_id),
          decode = std::move(decode)](std::string_view body) -> Result<ModelsPageResult> {
    auto models = decode(body, provider_id);
    if (!models.ok()) return models.error();
    return ModelsPageResult{std::move(*models), {}};
  };
}

// The profiles of a bare `secret` for options.provider_id (auth_for_secret): a bearer token when
// options.auth is Options::AuthKind::kBearer, else an API key.
template <class Options>
std::shared_ptr<AuthProfileManager> secret_auth(const Options& options, SecretSource secret) {
  return auth_for_secret(
      options.provider_id, std::move(secret),
      options.auth == Options::AuthKind::kBearer ? SecretKind::kBearerToken : SecretKind::kApiKey);
}

// The options every provider reads the same way from its table: provider_id, and base_url when
// the table sets one (else the Options' default stays).
template <class Options>
Options options_from_config(const ProviderConfig& config) {
  Options options;
  options.provider_id = config.id;
  if (!config.base_url.empty()) options.base_url = config.base_url;
  return options;
}

}  // namespace aisopod
