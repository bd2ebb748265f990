#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>
#include <utility>

#include "aisopod/failover.hpp"
#include "core/http_provider.hpp"

namespace aisopod {
namespace {

std::string candidate_name(const FailoverCandidate& candidate) {
  std::string name = candidate.provider ? std::string(candidate.provider->id()) : "(none)";
  name += '/';
  name += candidate.model;
  return name;
}

// One failed try, as listed in the final error.
struct Attempt {
  std::string candidate;
  Status status;
};

// "openai/gpt-4o: rate_limited (HTTP 429): message". The provider is in the candidate name
// already, so Status::to_string() (which repeats it) is not used.
std::string describe(const Attempt& attempt) {
  std::string out = attempt.candidate;
  if (!attempt.status.profile().empty()) out += " (profile " + attempt.status.profile() + ")";
  out += ": ";
  out += status_code_name(attempt.status.code());
  if (attempt.status.shows_http_status()) {
    out += " (HTTP " + std::to_string(attempt.status.http_status()) + ")";
  }
  if (!attempt.status.message().empty()) {
    out += ": ";
    out += attempt.status.message();
  }
  return out;
}

// The error of a call that tried `total` candidates and gave up after `attempts`; the last
// attempt decided the outcome and lends its code and context. `deadline_length` is set when
// the call's deadline (that long after the call started) stopped it before the last candidate;
// the code is then timeout.
Status final_error(const std::vector<Attempt>& attempts, std::size_t total,
                   std::optional<std::chrono::steady_clock::duration> deadline_length) {
  const Status& decider = attempts.back().status;
  // A single attempt speaks for itself, unless the deadline kept the others from being tried.
  if (attempts.size() == 1 && !deadline_length) return decider;
  std::string message;
  StatusCode code = decider.code();
  if (attempts.size() == total) {
    message = "all " + std::to_string(total) + " candidates failed: ";
  } else {
    message = "failover stopped after " + std::to_string(attempts.size()) + " of " +
              std::to_string(total) + " candidates (";
    if (deadline_length) {
      code = StatusCode::kTimeout;
      message += "the call's deadline of " + deadline_length_text(*deadline_length) + " passed): ";
    } else {
      message += std::string(status_code_name(decider.code())) + " is not failover-eligible): ";
    }
  }
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    if (i > 0) message += "; ";
    message += describe(attempts[i]);
  }
  Status out(code, std::move(message));
  out.set_http_status(decider.http_status());
  out.set_provider(decider.provider());
  out.set_retry_after(decider.retry_after());
  return out;
}

// Runs one candidate up to its first content chunk (or the end of an answer without any).
// Returns the stream for the caller, or the error that came before the answer started.
Task<Result<ChunkStream>> start_candidate(const FailoverCandidate& candidate,
                                          ChatCompletionRequest request, CallOptions options) {
  if (!candidate.provider) {
    co_return Status(StatusCode::kInvalidArgument, "failover candidate has no provider");
  }
  request.model = candidate.model;
  Result<ChunkStream> started =
      co_await candidate.provider->chat_completion(std::move(request), options);
  if (!started.ok()) co_return std::move(started);
  co_return co_await read_to_first_content(std::move(*started));
}

}  // namespace

FailoverProvider::FailoverProvider(std::string id, std::vector<FailoverCandidate> candidates,
                                   FailoverOptions options)
    : id_(std::move(id)), candidates_(std::move(candidates)), options_(std::move(options)) {}

std::string_view FailoverProvider::id() const { return id_; }

Task<Result<ChunkStream>> FailoverProvider::start_chat_completion(ChatCompletionRequest request,
                                                                  CallOptions options) {
  if (candidates_.empty()) {
    co_return Status(StatusCode::kInvalidArgument,
                     "failover provider '" + id_ + "' has no candidates");
  }
  const auto call_started = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::duration> stopped_by_deadline;
  std::vector<Attempt> attempts;
  for (std::size_t i = 0; i < candidates_.size(); ++i) {
    const FailoverCandidate& candidate = candidates_[i];
    const bool last = i + 1 == candidates_.size();
    // The last candidate may consume the request; earlier ones get a copy. A named local, not a
    // conditional expression in the call: g++ 12 mishandles a prvalue argument of a coroutine
    // built by ?: (the callee's parameter is left uninitialized).
    ChatCompletionRequest attempt_request = last ? std::move(request) : request;
    Result<ChunkStream> started =
        co_await start_candidate(candidate, std::move(attempt_request), options);
    if (started.ok()) co_return std::move(started);
    Status error = started.error();
    if (error.provider().empty() && candidate.provider) {
      error.set_provider(std::string(candidate.provider->id()));
    }
    attempts.push_back(Attempt{candidate_name(candidate), error});
    if (last || !options_.eligible.contains(error.code())) break;
    if (options.deadline && std::chrono::steady_clock::now() >= *options.deadline) {
      // No time left for another candidate.
      stopped_by_deadline = *options.deadline - call_started;
      break;
    }
    if (options_.observer) {
      options_.observer->on_failover(attempts.back().candidate, candidate_name(candidates_[i + 1]),
                                     error);
    }
  }
  co_return final_error(attempts, candidates_.size(), stopped_by_deadline);
}

Task<Result<std::vector<ModelInfo>>> FailoverProvider::list_models() {
  if (candidates_.empty()) {
    co_return Status(StatusCode::kInvalidArgument,
                     "failover provider '" + id_ + "' has no candidates");
  }
  std::vector<std::string> asked;
  std::vector<ModelInfo> models;
  std::optional<Status> first_error;
  bool any_ok = false;
  for (const FailoverCandidate& candidate : candidates_) {
    if (!candidate.provider) continue;
    std::string provider_id(candidate.provider->id());
    if (std::find(asked.begin(), asked.end(), provider_id) != asked.end()) continue;
    asked.push_back(std::move(provider_id));
    Result<std::vector<ModelInfo>> listed = co_await candidate.provider->list_models();
    if (!listed.ok()) {
      if (!first_error) first_error = listed.error();
      continue;
    }
    any_ok = true;
    for (ModelInfo& model : *listed) models.push_back(std::move(model));
  }
  if (!any_ok) {
    if (first_error) co_return *first_error;
    co_return Status(StatusCode::kInvalidArgument,
                     "failover provider '" + id_ + "' has no candidate with a provider");
  }
  co_return models;
}

Task<HealthStatus> FailoverProvider::health_check() {
  std::vector<std::string> asked;
  HealthStatus combined;
  combined.state = HealthStatus::State::kUnhealthy;
  for (const FailoverCandidate& candidate : candidates_) {
    if (!candidate.provider) continue;
    std::string provider_id(candidate.provider->id());
    if (std::find(asked.begin(), asked.end(), provider_id) != asked.end()) continue;
    asked.push_back(provider_id);
    HealthStatus health = co_await candidate.provider->health_check();
    std::string line = provider_id;
    line += ": ";
    line += health_state_name(health.state);
    if (!health.message.empty()) line += ": " + health.message;
    if (health.state == HealthStatus::State::kHealthy) {
      health.message = std::move(line);
      co_return health;
    }
    if (health.state == HealthStatus::State::kDegraded) {
      combined.state = HealthStatus::State::kDegraded;
    }
    combined.latency = std::max(combined.latency, health.latency);
    if (!combined.message.empty()) combined.message += "; ";
    combined.message += line;
  }
  if (asked.empty()) combined.message = "failover provider '" + id_ + "' has no candidates";
  co_return combined;
}

Result<std::shared_ptr<ModelProvider>> make_failover_for(
    const ProviderRegistry& registry, std::string_view spec,
    const std::map<std::string, std::vector<std::string>>& fallbacks, FailoverOptions options) {
  AISOPOD_ASSIGN_OR_RETURN(ResolvedModel primary, registry.resolve(spec));
  std::string primary_id(primary.provider->id());
  const std::string key = primary_id + "/" + primary.model;

  std::vector<FailoverCandidate> candidates;
  candidates.push_back(FailoverCandidate{primary.provider, primary.model});

  auto chain = fallbacks.find(key);
  if (chain == fallbacks.end()) chain = fallbacks.find(std::string(spec));
  if (chain != fallbacks.end()) {
    for (const std::string& fallback : chain->second) {
      Result<ResolvedModel> resolved = registry.resolve(fallback);
      if (!resolved.ok()) {
        return Status(resolved.error().code(), "fallback '" + fallback + "' of '" + key +
                                                   "': " + resolved.error().message());
      }
      const bool duplicate =
          std::any_of(candidates.begin(), candidates.end(), [&](const FailoverCandidate& earlier) {
            return earlier.provider->id() == resolved->provider->id() &&
                   earlier.model == resolved->model;
          });
      if (duplicate) continue;
      candidates.push_back(FailoverCandidate{resolved->provider, resolved->model});
    }
  }
  return std::shared_ptr<ModelProvider>(std::make_shared<FailoverProvider>(
      std::move(primary_id), std::move(candidates), std::move(options)));
}

}  // namespace aisopod
