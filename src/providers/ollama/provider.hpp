// The Ollama provider: Ollama's native API (/api/chat, /api/tags, /api/version, /api/pull).
// Wires the pure translators in this folder to aisopod::http.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/provider.hpp"
#include "core/http_provider.hpp"
#include "core/provider_factory.hpp"
#include "core/spec_provider.hpp"
#include "providers/ollama/ollama_options.hpp"
#include "providers/ollama/pull.hpp"

namespace aisopod::ollama {

// A ModelProvider for an Ollama server, plus model pulling. Thread-safe: one object serves
// every io_context that calls it and holds no I/O resources of its own (each call uses the
// HTTP engine of the io_context it runs on).
//
// When nothing answers at the base URL (connection refused, host unreachable), every call
// fails with unavailable "cannot reach Ollama at <base_url>: is it running? (start it with
// `ollama serve`)" and no HTTP status (health_check reports it as unhealthy).
class OllamaProvider final : public SpecProvider {
 public:
  // `auth` holds optional bearer tokens for options.provider_id (Ollama behind an
  // authenticating proxy, or ollama.com), sent as `Authorization: Bearer <token>` when
  // non-empty; a null manager, no profile or an empty token sends no credential. A trailing
  // slash of options.base_url is ignored.
  //
  // list_models(): the local models, from GET /api/tags (see decode_models for what each
  // ModelInfo holds). Errors: unavailable (not running), the mapped HTTP error, protocol_error.
  //
  // chat_completion(): POST /api/chat. Returns once the response headers have arrived with a
  // success status (so "model not found" or "does not support tools" come back here). With
  // request.stream == false the stream yields the whole answer as one chunk. Errors:
  // invalid_argument from the encoder, unavailable (not running), the mapped HTTP error, and in
  // the stream the errors of StreamDecoder (a mid-stream {"error":...} line included).
  //
  // health_check(): GET /api/version: healthy with the server's version as the message
  // ("0.5.1"); unhealthy with the error otherwise (the "is it running?" message when nothing
  // answers). Never fails.
  OllamaProvider(OllamaOptions options, std::shared_ptr<AuthProfileManager> auth);

  // Starts pulling `name` (POST /api/pull, streamed). Returns once the response headers have
  // arrived with a success status; the stream then yields the progress reports up to
  // "success". Errors: invalid_argument (empty name), unavailable (not running), the mapped
  // HTTP error (a non-200 {"error":"pull model manifest: file does not exist"} is not_found);
  // in the stream, an {"error":...} line (not_found for a missing model). The default
  // timeouts are kept except the idle one, which is raised to 10 minutes (the server can be
  // silent while it verifies a large layer); `options` overrides them.
  Task<Result<PullStream>> start_pull_model(std::string name, CallOptions options) override;

  const OllamaOptions& options() const { return options_; }

 private:
  OllamaOptions options_;
};

// The translators and the authorizer (Authorization: Bearer) the core pipeline runs, with the
// "is it running?" mapping of transport errors.
ProviderSpec provider_spec(OllamaOptions options);

// A provider for `options.provider_id` (see OllamaProvider). Never fails.
std::shared_ptr<OllamaProvider> make_provider(OllamaOptions options, SecretSource secret);

// The same with the profiles `auth` holds for options.provider_id (null: no credential).
std::shared_ptr<OllamaProvider> make_provider(OllamaOptions options,
                                              std::shared_ptr<AuthProfileManager> auth);

// The factory of this folder: its option schema and how a configured table becomes a provider.
const ProviderFactory& factory();

}  // namespace aisopod::ollama
