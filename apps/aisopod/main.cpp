// aisopod: chat with, list and check LLM providers from the command line.
// Uses the asynchronous core directly: one io_context on the main thread.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <exception>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aisopod/accumulator.hpp"
#include "aisopod/auth.hpp"
#include "aisopod/builtin.hpp"
#include "aisopod/config.hpp"
#include "aisopod/failover.hpp"
#include "aisopod/observer.hpp"
#include "aisopod/provider.hpp"
#include "aisopod/registry.hpp"
#include "aisopod/usage.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#if defined(AISOPOD_CLI_HAVE_PULL)
#include "providers/ollama/provider.hpp"
#include "pull_command.hpp"
#endif

namespace aisopod::cli {
namespace {
namespace asio = boost::asio;

constexpr const char* kExitCodesHelp = R"(Exit codes:
  0    success
  1    unexpected failure
  2    usage or configuration error (bad option, bad config file, unknown provider or model)
  3    authentication failed (key missing, rejected or not allowed: HTTP 401/403)
  4    rate limited, or out of quota or credit (HTTP 429, billing)
  5    the provider answered with an error (5xx, overloaded, bad request, broken stream)
  6    network error or timeout (refused, reset, unreachable, deadline passed)
  130  interrupted (Ctrl-C))";

constexpr const char* kConfigHelp = R"(Configuration:
  The file is the first found of: --config FILE, $AISOPOD_CONFIG, ./aisopod.toml,
  $XDG_CONFIG_HOME/aisopod/config.toml. With no file, providers come from the environment:
  OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, AWS_* and OLLAMA_HOST.)";

struct GlobalOptions {
  std::string config_path;
};

struct ChatOptions {
  std::vector<std::string> prompt;
  std::string model;
  std::string system;
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  std::vector<std::string> stop;
  bool json_mode = false;
  std::string base_url;
  std::string api_key_env;
  bool no_stream = false;
  std::string format = "text";
  std::optional<double> timeout_seconds;
  std::optional<int> thinking_budget;
  std::string reasoning_effort;
  bool verbose = false;
  bool usage = false;
  bool cache_prompt = false;
};

// Prints what the retry loop, the auth profiles and failover decide (chat --verbose), and
// remembers which provider, model and profile gave the answer (for --usage).
class ChatObserver final : public Observer {
 public:
  explicit ChatObserver(bool verbose) : verbose_(verbose) {}

  void on_attempt_started(const AttemptInfo& a) override {
    say("attempt " + std::to_string(a.attempt) + ": " + name(a) + " started");
  }
  void on_attempt_succeeded(const AttemptInfo& a) override {
    answered_ = a;
    say("attempt " + std::to_string(a.attempt) + ": " + name(a) + " succeeded");
  }
  void on_attempt_failed(const AttemptInfo& a, const Status& error) override {
    say("attempt " + std::to_string(a.attempt) + ": " + name(a) + " failed: " + error.to_string());
  }
  void on_profile_rotated(std::string_view provider, std::string_view from,
                          std::string_view to) override {
    say("profile rotated on " + std::string(provider) + ": " + std::string(from) + " -> " +
        std::string(to));
  }
  void on_cooldown_set(std::string_view provider, std::string_view profile, std::string_view model,
                       std::chrono::system_clock::time_point until, const Status& cause) override {
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(until - std::chrono::system_clock::now());
    say("cooldown: " + std::string(provider) + " profile " + std::string(profile) +
        (model.empty() ? std::string() : " for " + std::string(model)) + " for " +
        std::to_string(seconds.count()) + " s (" + std::string(status_code_name(cause.code())) +
        ")");
  }
  void on_failover(std::string_view from, std::string_view to, const Status& cause) override {
    say("failover: " + std::string(from) + " -> " + std::string(to) + " after " +
        cause.to_string());
  }

  const std::optional<AttemptInfo>& answered() const { return answered_; }
  void set_secrets(const std::vector<std::string>* secrets) { secrets_ = secrets; }

 private:
  static std::string name(const AttemptInfo& a) {
    return a.provider + "/" + a.model + (a.profile.empty() ? "" : " (profile " + a.profile + ")");
  }
  void say(const std::string& line) {
    if (!verbose_) return;
    std::cerr << "aisopod: " << (secrets_ ? redact(line, *secrets_) : line) << std::endl;
  }

  bool verbose_;
  const std::vector<std::string>* secrets_ = nullptr;
  std::optional<AttemptInfo> answered_;
};

struct ListOptions {
  std::string provider;
  bool json = false;
};

// Everything a command needs: the loaded configuration, the providers, and the secrets to keep
// out of every line printed.
struct Session {
  Config config;
  std::shared_ptr<AuthProfileManager> auth;
  ProviderRegistry registry;
  std::vector<std::string> skipped_providers;
  std::vector<std::string> secrets;
};

void print_error(const Session* session, const std::string& message) {
  std::string text = "aisopod: error: " + message;
  if (session) text = redact(std::move(text), session->secrets);
  std::cerr << text << std::endl;
}

int fail(const Session* session, const Status& status) {
  print_error(session, status.to_string());
  return exit_code_for(status);
}

// Collects every secret the configuration can produce, so that output can be scrubbed even if
// an upstream echoes a key back.
void collect_secrets(Session& session) {
  for (const ProviderConfig& provider : session.config.providers) {
    for (const AuthProfileConfig& profile : provider.profiles) {
      Result<std::string> secret = profile.resolve_secret();
      if (secret.ok() && !secret->empty()) session.secrets.push_back(*secret);
    }
  }
}

// Loads the configuration and applies the chat command's overrides for the provider named in
// `model_spec`.
Result<std::unique_ptr<Session>> open_session(const GlobalOptions& global,
                                              const ChatOptions* chat) {
  auto session = std::make_unique<Session>();
  std::optional<std::string> path;
  if (!global.config_path.empty()) path = global.config_path;
  Result<Config> config = load_config(path, process_env());
  if (!config.ok()) return config.error();
  session->config = std::move(*config);

  if (chat && (!chat->base_url.empty() || !chat->api_key_env.empty())) {
    // The overrides apply to the provider named by -m (after alias expansion).
    std::string spec = chat->model;
    if (spec.empty()) spec = session->config.models.default_model;
    if (auto alias = session->config.models.aliases.find(spec);
        alias != session->config.models.aliases.end()) {
      spec = alias->second;
    }
    const auto slash = spec.find('/');
    if (slash == std::string::npos || slash == 0) {
      return Status(StatusCode::kInvalidArgument,
                    "--base-url and --api-key-env need -m provider/model");
    }
    const std::string id = spec.substr(0, slash);
    ProviderConfig* target = nullptr;
    for (ProviderConfig& provider : session->config.providers) {
      if (provider.id == id) target = &provider;
    }
    if (!target) {
      ProviderConfig added;
      added.id = id;
      const std::vector<std::string> builtin = {"openai", "anthropic", "gemini", "bedrock",
                                                "ollama"};
      const bool known = std::find(builtin.begin(), builtin.end(), id) != builtin.end();
      // An unknown id with a base URL is taken for an OpenAI-compatible server.
      added.type = known ? id : "openai";
      session->config.providers.push_back(std::move(added));
      target = &session->config.providers.back();
    }
    if (!chat->base_url.empty()) {
      std::string url = chat->base_url;
      while (!url.empty() && url.back() == '/') url.pop_back();
      target->base_url = url;
    }
    if (!chat->api_key_env.empty()) {
      AuthProfileConfig profile;
      profile.name = "cli";
      profile.api_key_env = chat->api_key_env;
      profile.source = "--api-key-env " + chat->api_key_env;
      target->profiles.assign(1, std::move(profile));
    }
  }
  collect_secrets(*session);
  Result<std::shared_ptr<AuthProfileManager>> auth = make_auth_manager(session->config);
  if (!auth.ok()) return auth.error();
  session->auth = std::move(*auth);
  AISOPOD_TRY_STATUS(register_builtin_providers(session->registry, session->config,
                                                &session->skipped_providers, session->auth));
  return session;
}

// Explains a resolution failure for a provider that is configured but not compiled in.
Status explain_unresolved(const Session& session, Status status, std::string_view spec) {
  const auto slash = spec.find('/');
  const std::string id(spec.substr(0, slash));
  for (const std::string& skipped : session.skipped_providers) {
    if (skipped == id) {
      const ProviderConfig* provider = session.config.find_provider(id);
      return Status(StatusCode::kInvalidArgument,
                    "provider '" + id + "' (type " + (provider ? provider->type : id) +
                        ") is not available in this build of aisopod");
    }
  }
  return status;
}

std::string read_all_stdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

// Runs `task` on `io` with Ctrl-C (SIGINT) and SIGTERM cancelling it through `on_signal`.
// Returns the task's exit code, or 130 when interrupted.
int run_command(asio::io_context& io, Task<int> task, std::function<void()>& on_signal) {
  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool interrupted = false;
  std::optional<int> code;
  signals.async_wait([&](const boost::system::error_code& error, int) {
    if (error) return;
    interrupted = true;
    if (on_signal) on_signal();
    io.stop();
  });
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr error, int result) {
    code = error ? kExitFailure : result;
    signals.cancel();
  });
  io.run();
  if (interrupted && !code) {
    std::cout.flush();
    std::cerr << "\naisopod: interrupted" << std::endl;
    return kExitInterrupted;
  }
  return code.value_or(kExitFailure);
}

Task<int> chat_command(Session& session, ChatOptions options, std::function<void()>& on_signal) {
  ChatCompletionRequest request;
  std::string prompt;
  for (const std::string& word : options.prompt) prompt += (prompt.empty() ? "" : " ") + word;
  if (!options.system.empty()) request.messages.push_back(Message::system(options.system));
  request.messages.push_back(Message::user(std::move(prompt)));
  request.temperature = options.temperature;
  request.max_tokens = options.max_tokens;
  request.stop = options.stop;
  request.stream = !options.no_stream;
  if (options.json_mode) request.response_format.kind = ResponseFormat::Kind::kJsonObject;
  if (options.thinking_budget) request.reasoning.budget_tokens = *options.thinking_budget;
  request.reasoning.effort = options.reasoning_effort;
  request.cache_prompt = options.cache_prompt;

  auto observer = std::make_shared<ChatObserver>(options.verbose);
  observer->set_secrets(&session.secrets);
  Result<ResolvedModel> resolved = session.registry.resolve(options.model);
  if (!resolved.ok()) {
    co_return fail(&session, explain_unresolved(session, resolved.error(), options.model));
  }
  // The chain of fallbacks configured for this model (just the model itself when none).
  FailoverOptions failover_options;
  failover_options.observer = observer;
  Result<std::shared_ptr<ModelProvider>> chain = make_failover_for(
      session.registry, options.model.empty() ? session.config.models.default_model : options.model,
      session.config.models.fallbacks, failover_options);
  if (!chain.ok()) co_return fail(&session, chain.error());
  request.model = resolved->model;
  CallOptions call;
  call.observer = observer;
  if (options.timeout_seconds) {
    call.total_timeout =
        std::chrono::milliseconds(static_cast<long long>(*options.timeout_seconds * 1000));
  }
  std::shared_ptr<ModelProvider> provider = std::move(*chain);
  Result<ChunkStream> started = co_await provider->chat_completion(std::move(request), call);
  if (!started.ok()) co_return fail(&session, started.error());
  ChunkStream stream = std::move(*started);
  on_signal = [&stream] { stream.cancel(); };

  const bool jsonl = options.format == "jsonl";
  ChatCompletionAccumulator accumulator;
  bool reasoning_open = false;
  for (;;) {
    Result<std::optional<ChatCompletionChunk>> next = co_await stream.next();
    if (!next.ok()) {
      std::cout.flush();
      if (!jsonl) std::cout << std::endl;
      on_signal = nullptr;
      co_return fail(&session, next.error());
    }
    if (!next->has_value()) break;
    const ChatCompletionChunk& chunk = **next;
    accumulator.add(chunk);
    if (jsonl) {
      std::cout << redact(chunk_to_jsonl(chunk), session.secrets) << '\n' << std::flush;
      continue;
    }
    if (!chunk.delta.reasoning.empty()) {
      std::cerr << chunk.delta.reasoning << std::flush;
      reasoning_open = true;
    }
    if (!chunk.delta.content.empty()) {
      if (reasoning_open) {
        std::cerr << std::endl;
        reasoning_open = false;
      }
      std::cout << chunk.delta.content << std::flush;
    }
  }
  on_signal = nullptr;
  if (!jsonl) {
    if (reasoning_open) std::cerr << std::endl;
    const ChatCompletion result = accumulator.result();
    for (const ToolCall& call : result.message.tool_calls) {
      std::cout << "\n[tool call " << call.id << "] " << call.name << "(" << call.arguments << ")";
    }
    std::cout << std::endl;
    if (result.finish_reason == FinishReason::kLength) {
      std::cerr << "aisopod: note: the answer was cut off at the token limit" << std::endl;
    }
  }
  if (options.usage) {
    const ChatCompletion result = accumulator.result();
    UsageAggregator usage;
    const std::optional<AttemptInfo>& who = observer->answered();
    usage.add(who ? who->provider : std::string(provider->id()), who ? who->model : "",
              who ? who->profile : "", result.usage.value_or(Usage{}));
    std::vector<std::vector<std::string>> rows;
    for (const UsageAggregator::Row& row : usage.rows()) {
      rows.push_back(
          {row.provider + "/" + row.model, row.profile, std::to_string(row.usage.input_tokens),
           std::to_string(row.usage.output_tokens), std::to_string(row.usage.cache_read_tokens),
           std::to_string(row.usage.cache_write_tokens),
           std::to_string(row.usage.reasoning_tokens)});
    }
    std::cerr << format_table(
        {"MODEL", "PROFILE", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE", "REASONING"}, rows);
  }
  co_return kExitOk;
}

Task<int> models_command(Session& session, ListOptions options) {
  std::vector<std::string> ids;
  if (!options.provider.empty()) {
    if (!session.registry.find(options.provider)) {
      Status status(StatusCode::kNotFound, "no provider '" + options.provider + "' is configured");
      co_return fail(&session, explain_unresolved(session, status, options.provider));
    }
    ids.push_back(options.provider);
  } else {
    ids = session.registry.ids();
  }
  std::vector<ModelInfo> all;
  int code = kExitOk;
  for (const std::string& id : ids) {
    Result<std::vector<ModelInfo>> models = co_await session.registry.find(id)->list_models();
    if (!models.ok()) {
      code = fail(&session, models.error());
      continue;
    }
    all.insert(all.end(), models->begin(), models->end());
  }
  if (options.json) {
    std::cout << models_to_json(all) << std::endl;
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const ModelInfo& model : all) {
      rows.push_back({model.provider + "/" + model.id, model.owned_by,
                      model.context_window ? std::to_string(*model.context_window) : ""});
    }
    std::cout << format_table({"MODEL", "OWNED BY", "CONTEXT"}, rows);
  }
  co_return code;
}

Task<int> health_command(Session& session, ListOptions options) {
  std::vector<std::string> ids =
      options.provider.empty() ? session.registry.ids() : std::vector{options.provider};
  std::vector<std::vector<std::string>> rows;
  std::string json = "[";
  bool all_healthy = true;
  for (const std::string& id : ids) {
    std::shared_ptr<ModelProvider> provider = session.registry.find(id);
    if (!provider) {
      Status status(StatusCode::kNotFound, "no provider '" + id + "' is configured");
      co_return fail(&session, explain_unresolved(session, status, id));
    }
    HealthStatus health = co_await provider->health_check();
    all_healthy = all_healthy && health.state == HealthStatus::State::kHealthy;
    const std::string message = redact(health.message, session.secrets);
    rows.push_back({id, std::string(health_state_name(health.state)),
                    std::to_string(health.latency.count()) + " ms", message});
    json += (json.size() > 1 ? "," : "") + std::string("{\"provider\":") + json_string(id) +
            ",\"state\":" + json_string(health_state_name(health.state)) +
            ",\"latency_ms\":" + std::to_string(health.latency.count()) +
            ",\"message\":" + json_string(message) + "}";
  }
  if (options.json) {
    std::cout << json << "]" << std::endl;
  } else {
    std::cout << format_table({"PROVIDER", "STATE", "LATENCY", "MESSAGE"}, rows);
  }
  co_return all_healthy ? kExitOk : kExitUpstream;
}

std::string iso_time(SystemTime t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// "ready", "cooling down until T for model M", "disabled until T: reason".
std::string profile_state_text(const ProfileState& state, SystemTime now) {
  if (state.disabled_until && *state.disabled_until > now) {
    return "disabled until " + iso_time(*state.disabled_until) + ": " + state.disabled_reason;
  }
  std::string cooling;
  for (const auto& [model, until] : state.model_cooldowns) {
    if (until <= now) continue;
    cooling += (cooling.empty() ? "cooling down until " : "; until ") + iso_time(until) +
               (model.empty() ? std::string(" for every model") : " for model " + model);
  }
  return cooling.empty() ? "ready" : cooling;
}

int profiles_command(Session& session, bool json, bool reset, const std::string& name) {
  if (reset) {
    Status status = session.auth->reset(name);
    if (!status.ok()) return fail(&session, status);
    std::cout << (name.empty() ? std::string("reset every profile") : "reset profile " + name)
              << std::endl;
    return kExitOk;
  }
  const SystemTime now = std::chrono::system_clock::now();
  std::vector<std::vector<std::string>> rows;
  std::string out = "[";
  for (const ProfileState& state : session.auth->snapshot()) {
    const std::string text = profile_state_text(state, now);
    const std::string last_used = state.last_used ? iso_time(*state.last_used) : "";
    rows.push_back(
        {state.provider, state.profile, text, std::to_string(state.failure_count), last_used});
    out += (out.size() > 1 ? "," : "") + std::string("{\"provider\":") +
           json_string(state.provider) + ",\"name\":" + json_string(state.profile) +
           ",\"state\":" + json_string(text) +
           ",\"failures\":" + std::to_string(state.failure_count) +
           ",\"last_used\":" + (last_used.empty() ? "null" : json_string(last_used)) +
           ",\"last_error\":" + json_string(state.last_error) + "}";
  }
  if (json) {
    std::cout << redact(out + "]", session.secrets) << std::endl;
  } else {
    std::cout << redact(
        format_table({"PROVIDER", "PROFILE", "STATE", "FAILURES", "LAST USED"}, rows),
        session.secrets);
  }
  return kExitOk;
}

int run(int argc, char** argv) {
  CLI::App app{
      "aisopod: one interface to LLM providers (OpenAI and OpenAI-compatible servers, "
      "Anthropic, Ollama), with key rotation, cooldowns and failover."};
  app.footer(std::string(kConfigHelp) + "\n\n" + kExitCodesHelp +
             "\n\nExamples:\n"
             "  aisopod chat -m openai/gpt-4o-mini \"Write a haiku about crabs\"\n"
             "  echo \"Summarize this\" | aisopod chat -m openai/gpt-4o --format jsonl\n"
             "  aisopod chat -m local/llama3 --base-url http://127.0.0.1:8080/v1 \"Hi\"\n"
             "  aisopod chat -m anthropic/claude-sonnet-4-5 --thinking 2048 \"Why?\"\n"
             "  aisopod models openai --json\n"
             "  aisopod health\n"
             "  aisopod pull qwen3:8b\n"
             "  aisopod profiles --json");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("aisopod ") + "0.1.0");
  GlobalOptions global;
  app.add_option("--config", global.config_path, "Configuration file (TOML)")
      ->check(CLI::ExistingFile);

  ChatOptions chat;
  CLI::App* chat_cmd = app.add_subcommand(
      "chat", "Send a prompt and stream the answer: text to stdout, reasoning to stderr");
  chat_cmd->add_option("prompt", chat.prompt, "The prompt; read from standard input when absent");
  chat_cmd->add_option("-m,--model", chat.model,
                       "provider/model (\"openai/gpt-4o\") or an alias; default from config");
  chat_cmd->add_option("--system", chat.system, "A system message");
  chat_cmd->add_option("--temperature", chat.temperature, "Sampling temperature")
      ->check(CLI::Range(0.0, 2.0));
  chat_cmd->add_option("--max-tokens", chat.max_tokens, "Most tokens to generate")
      ->check(CLI::PositiveNumber);
  chat_cmd->add_option("--stop", chat.stop, "A stop sequence (repeatable)");
  chat_cmd->add_flag("--json-mode", chat.json_mode, "Ask for a JSON object as the answer");
  chat_cmd->add_option("--base-url", chat.base_url,
                       "Base URL of the provider named in -m (any OpenAI-compatible server)");
  chat_cmd->add_option("--api-key-env", chat.api_key_env,
                       "Read the API key from this environment variable");
  chat_cmd->add_flag("--no-stream", chat.no_stream, "Use the non-streaming endpoint");
  chat_cmd->add_option("--format", chat.format, "Output: text, or jsonl (one chunk per line)")
      ->check(CLI::IsMember({"text", "jsonl"}));
  chat_cmd->add_option("--timeout", chat.timeout_seconds, "Give up after this many seconds")
      ->check(CLI::PositiveNumber);
  chat_cmd
      ->add_option("--thinking", chat.thinking_budget,
                   "Let the model think with this many tokens first (printed to stderr)")
      ->check(CLI::PositiveNumber);
  chat_cmd
      ->add_option("--reasoning-effort", chat.reasoning_effort,
                   "Reasoning effort for models that take one: minimal, low, medium, high")
      ->check(CLI::IsMember({"minimal", "low", "medium", "high"}));
  chat_cmd->add_flag("--verbose", chat.verbose,
                     "Print attempts, profile rotations, cooldowns and failovers to stderr");
  chat_cmd->add_flag("--usage", chat.usage, "Print the token usage to stderr at the end");
  chat_cmd->add_flag("--cache-prompt", chat.cache_prompt,
                     "Ask the provider to cache the system prompt and tools (Anthropic)");

  ListOptions models;
  CLI::App* models_cmd = app.add_subcommand("models", "List the models of one or all providers");
  models_cmd->add_option("provider", models.provider, "A provider id (default: all)");
  models_cmd->add_flag("--json", models.json, "Print JSON instead of a table");

#if defined(AISOPOD_CLI_HAVE_PULL)
  std::string pull_model;
  std::string pull_provider = "ollama";
  CLI::App* pull_cmd = app.add_subcommand(
      "pull", "Download a model into Ollama, with progress (a bar on a terminal, lines otherwise)");
  pull_cmd->add_option("model", pull_model, "The model to pull (\"qwen3:8b\")")->required();
  pull_cmd->add_option("--provider", pull_provider, "The Ollama provider id (default: ollama)");
#endif

  bool profiles_json = false;
  std::string reset_name;
  CLI::App* profiles_cmd =
      app.add_subcommand("profiles",
                         "List auth profiles: ready, cooling down (until when, for which model) or "
                         "disabled (and why), failures, last use");
  profiles_cmd->add_flag("--json", profiles_json, "Print JSON instead of a table");
  CLI::App* reset_cmd =
      profiles_cmd->add_subcommand("reset", "Forget the cooldowns and failures of a profile");
  reset_cmd->add_option("name", reset_name, "A profile name (default: every profile)");

  ListOptions health;
  CLI::App* health_cmd = app.add_subcommand(
      "health", "Check that providers answer (exit 0 only when all are healthy)");
  health_cmd->add_option("provider", health.provider, "A provider id (default: all)");
  health_cmd->add_flag("--json", health.json, "Print JSON instead of a table");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  }

  Result<std::unique_ptr<Session>> session =
      open_session(global, chat_cmd->parsed() ? &chat : nullptr);
  if (!session.ok()) {
    print_error(nullptr, session.error().to_string());
    return kExitUsage;
  }
  if (chat_cmd->parsed() && chat.prompt.empty()) {
    // Read before the event loop owns SIGINT, so Ctrl-C still ends a forgotten stdin.
    if (isatty(STDIN_FILENO)) std::cerr << "aisopod: reading the prompt from standard input\n";
    std::string prompt = read_all_stdin();
    while (!prompt.empty() && (prompt.back() == '\n' || prompt.back() == '\r')) prompt.pop_back();
    if (prompt.empty()) {
      print_error(nullptr, "no prompt: give it as an argument or on standard input");
      return kExitUsage;
    }
    chat.prompt.assign(1, std::move(prompt));
  }
  if (profiles_cmd->parsed()) {
    return profiles_command(**session, profiles_json, reset_cmd->parsed(), reset_name);
  }
  asio::io_context io;
  std::function<void()> on_signal;
  if (chat_cmd->parsed())
    return run_command(io, chat_command(**session, chat, on_signal), on_signal);
  if (models_cmd->parsed()) return run_command(io, models_command(**session, models), on_signal);
#if defined(AISOPOD_CLI_HAVE_PULL)
  if (pull_cmd->parsed()) {
    auto* provider =
        dynamic_cast<ollama::OllamaProvider*>((*session)->registry.find(pull_provider).get());
    if (!provider) {
      print_error(session->get(), "no Ollama provider '" + pull_provider + "' is configured");
      return kExitUsage;
    }
    return run_command(
        io, pull_command(*provider, pull_model, isatty(STDOUT_FILENO) != 0, std::cout, std::cerr),
        on_signal);
  }
#endif
  return run_command(io, health_command(**session, health), on_signal);
}

}  // namespace
}  // namespace aisopod::cli

int main(int argc, char** argv) {
  try {
    return aisopod::cli::run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "aisopod: error: " << error.what() << std::endl;
    return aisopod::cli::kExitFailure;
  }
}
