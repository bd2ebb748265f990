// FailoverProvider: level 2 of DESIGN.md section 6. An ordered chain of (provider, model)
// candidates behind one ModelProvider; when a candidate fails with a failover-eligible error
// before its answer has started, the next candidate is tried. Callers see an ordinary
// ModelProvider and learn that failover happened only through the Observer.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/observer.hpp"
#include "aisopod/provider.hpp"
#include "aisopod/registry.hpp"
#include "aisopod/status.hpp"

namespace aisopod {

// One link of a failover chain: a provider and the model id to ask it for ("gpt-4o", without
// the provider prefix).
struct FailoverCandidate {
  std::shared_ptr<ModelProvider> provider;
  std::string model;
};

// How a FailoverProvider decides.
struct FailoverOptions {
  // The codes after which the next candidate is tried. Any other code ends the call with that
  // error. context_length_exceeded is not in the default set: add it to fail over to a model
  // with a larger window.
  std::set<StatusCode> eligible = {
      StatusCode::kRateLimited, StatusCode::kOverloaded,      StatusCode::kUnavailable,
      StatusCode::kTimeout,     StatusCode::kUnauthenticated, StatusCode::kPermissionDenied,
      StatusCode::kBilling,     StatusCode::kNotFound,
  };
  // Told about every move from one candidate to the next (Observer::on_failover). Optional.
  std::shared_ptr<Observer> observer;
};

// A ModelProvider that tries an ordered list of candidates.
//
// chat_completion() asks each candidate in turn, with request.model replaced by the
// candidate's model (the model in the caller's request is ignored). A candidate's answer counts
// as started at its first chunk that carries content (ChatCompletionChunk::has_content()): the
// candidate's provider reads ahead to that chunk, holding earlier role-only chunks, so an error
// that arrives before any content still fails over (a stream that is not yet committed() is
// read ahead here). Once content has arrived the stream belongs to the
// caller: a later error surfaces as is, its message saying that the answer had already started,
// and no other candidate is tried.
//
// Thread safety: immutable after construction; one object serves any number of concurrent
// calls on any io_contexts, as long as the candidates' providers do.
// Lifetime: shares ownership of the candidates' providers and of the observer.
class FailoverProvider final : public ModelProvider {
 public:
  // `id` is what id() returns (e.g. "failover"). `candidates` are tried in order; a candidate
  // without a provider fails with invalid_argument when its turn comes, which ends the call.
  FailoverProvider(std::string id, std::vector<FailoverCandidate> candidates,
                   FailoverOptions options = {});

  // The configured id.
  std::string_view id() const override;

  // The models of every distinct provider among the candidates (each provider asked once, in
  // candidate order), concatenated. Providers that fail are left out; the call fails only when
  // every provider fails (with the first provider's error) or when there are no candidates
  // (invalid_argument).
  Task<Result<std::vector<ModelInfo>>> list_models() override;

  // Starts a chat completion on the first candidate that gets as far as its first content chunk
  // (or to the end of an answer without content). Errors: with no candidates, invalid_argument.
  // When a single candidate was tried, its error unchanged. Otherwise an error whose code, HTTP
  // status, provider and retry-after are those of the attempt that ended the call (the last one,
  // or the first whose code is not eligible), and whose message lists every attempt:
  // "all 3 candidates failed: openai/gpt-4o: rate_limited (HTTP 429): ...; anthropic/...: ...".
  // With options.deadline set, no candidate is started once it has passed: the call ends with
  // timeout and "failover stopped after 1 of 3 candidates (the call's deadline of 3 s passed):
  // <the attempts as above>" (the length measured from the start of this call).
  Task<Result<ChunkStream>> start_chat_completion(ChatCompletionRequest request,
                                                  CallOptions options) override;

  // Healthy when any candidate's provider is healthy: the providers are checked in candidate
  // order until one is, and that one's status is returned with its id in the message.
  // Otherwise degraded when any is degraded, else unhealthy, with every provider's message.
  Task<HealthStatus> health_check() override;

  // The chain, in order.
  const std::vector<FailoverCandidate>& candidates() const { return candidates_; }

 private:
  std::string id_;
  std::vector<FailoverCandidate> candidates_;
  FailoverOptions options_;
};

// Builds the failover chain for a model spec: resolves `spec` ("provider/model", an alias, or ""
// for the default model) through `registry`, looks up its fallbacks in `fallbacks` (keys are
// "provider/model" after alias expansion; the raw spec is tried second), resolves each of them
// the same way, and returns a FailoverProvider whose first candidate is the primary. Fallbacks
// are not followed transitively; a candidate equal to an earlier one (same provider id and
// model) is left out. With no fallbacks the chain has the primary only. The provider's id() is
// the primary's provider id, so callers see the provider they asked for.
// Errors: resolve()'s errors for the spec; for a fallback, resolve()'s code with a message
// naming the fallback and the spec it belongs to.
Result<std::shared_ptr<ModelProvider>> make_failover_for(
    const ProviderRegistry& registry, std::string_view spec,
    const std::map<std::string, std::vector<std::string>>& fallbacks, FailoverOptions options = {});

}  // namespace aisopod
