// aisopod: chat with, list and check LLM providers from the command line.
// Uses the asynchronous core directly: one io_context on the main thread.

#include <unistd.h>

#include <fcntl.h>
#include <CLI/CLI.hpp>
#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "aisopod/auth.hpp"
#include "aisopod/builtin.hpp"
#include "aisopod/config.hpp"
#include "aisopod/failover.hpp"
#include "aisopod/observer.hpp"
#include "aisopod/provider.hpp"
#include "aisopod/redact.hpp"
#include "aisopod/registry.hpp"
#include "aisopod/runtime.hpp"
#include "aisopod/usage.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "pull_command.hpp"
#include "request_inputs.hpp"

namespace aisopod::cli {
namespace {
namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

constexpr const char* kExitCodesHelp = R"(Exit codes:
  0    success
  1    unexpected failure, an unusable auth state database, or output that could not be
       written (a full disk, a closed pipe)
  2    usage or configuration error (bad option, bad config file, unknown provider or model)
  3    authentication failed (key missing, rejected or not allowed: HTTP 401/403)
  4    rate limited, or out of quota or credit (HTTP 429, billing)
  5    the provider answered with an error (5xx, overloaded, bad request, an error inside the
       stream, a broken stream)
  6    network error or timeout (refused, reset, unreachable, deadline passed)
  130  interrupted (Ctrl-C)
  143  terminated (SIGTERM))";

constexpr const char* kConfigHelp = R"(Configuration:
  The file is the first found of: --config FILE, $AISOPOD_CONFIG, ./aisopod.toml,
  $XDG_CONFIG_HOME/aisopod/config.toml. With no file, providers come from the environment:
  OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, AWS_* and OLLAMA_HOST. Global options
  (--config) may come before or after the command.)";

constexpr const char* kDeadlinesHelp = R"(Deadlines:
  Each attempt: connect 10 s; response headers 60 s for a streamed answer (10 min with
  --no-stream, where they only come with the whole answer); silence between two pieces of the
  answer 5 min (a model may think that long before its first word); no limit on the whole
  attempt unless the provider's `timeout` option sets one. `chat --timeout SECONDS` is one
  deadline for the whole command: every attempt, key, backoff and fallback included.
  `health` gives the check 10 s unless --timeout says otherwise.)";

// How long `health` waits for all providers unless --timeout says otherwise.
constexpr std::chrono::milliseconds kHealthTimeout{10'000};

struct GlobalOptions {
  std::string config_path;
};

// --base-url and --api-key-env: they apply to one provider, the one the command talks to.
struct ProviderOverrides {
  std::string base_url;
  std::string api_key_env;
  bool empty() const { return base_url.empty() && api_key_env.empty(); }
};

struct ChatOptions {
  std::vector<std::string> prompt;
  std::string model;
  std::string system;
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  std::vector<std::string> stop;
  bool json_mode = false;
  ProviderOverrides overrides;
  bool no_stream = false;
  std::string format = "text";
  std::optional<double> timeout_seconds;
  std::optional<int> thinking_budget;
  std::string reasoning_effort;
  bool verbose = false;
  bool usage = false;
  bool cache_prompt = false;
  std::vector<std::string> attachments;
  std::string tools_file;
  std::string schema;
  std::vector<std::string> provider_options;
};

struct ListOptions {
  std::string provider;
  bool json = false;
  ProviderOverrides overrides;
  std::optional<double> timeout_seconds;
};

std::chrono::milliseconds to_millis(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

// What the command writes: stdout through a writer that notices failures; stderr as it is
// (nothing sensible can be done when stderr fails).
struct Io {
  FdWriter out{STDOUT_FILENO, "standard output"};
  FdWriter err{STDERR_FILENO, "standard error"};
};

// Prints what the retry loop, the auth profiles and failover decide (chat --verbose), and
// remembers which provider, model and profile gave the answer (for --usage).
class ChatObserver final : public Observer {
 public:
  ChatObserver(bool verbose, std::shared_ptr<const SecretMatcher> secrets)
      : verbose_(verbose), secrets_(std::move(secrets)) {}

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

 private:
  static std::string name(const AttemptInfo& a) {
    return a.provider + "/" + a.model + (a.profile.empty() ? "" : " (profile " + a.profile + ")");
  }
  void say(const std::string& line) {
    if (!verbose_) return;
    std::cerr << "aisopod: " << escape_control(secrets_->redact(line)) << std::endl;
  }

  bool verbose_;
  std::shared_ptr<const SecretMatcher> secrets_;
  std::optional<AttemptInfo> answered_;
};

// Everything a command needs: the runtime (configuration, providers, auth profiles) and the
// secrets to keep out of every line printed.
struct Session {
  std::shared_ptr<Runtime> runtime;
  const std::shared_ptr<const SecretMatcher>& secrets() const { return runtime->secrets(); }
  AuthProfileManager& auth() const { return *runtime->auth(); }
};

void print_error(const Session* session, const std::string& message) {
  const std::string text = session ? session->secrets()->redact(message) : message;
  std::cerr << "aisopod: error: " << escape_control(text) << std::endl;
}

int fail(const Session* session, const Status& status) {
  print_error(session, status.to_string());
  return exit_code_for(status);
}

std::string read_all_stdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

// Runs `task` on `io` with Ctrl-C (SIGINT) and SIGTERM cancelling it through `on_signal`.
// Returns the task's exit code, or 130 (SIGINT) / 143 (SIGTERM) when interrupted.
int run_command(asio::io_context& io, Task<int> task, std::function<void()>& on_signal) {
  asio::signal_set signals(io, SIGINT, SIGTERM);
  int signal_number = 0;
  std::optional<int> code;
  signals.async_wait([&](const boost::system::error_code& error, int number) {
    if (error) return;
    signal_number = number;
    if (on_signal) on_signal();
    io.stop();
  });
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr error, int result) {
    code = error ? kExitFailure : result;
    signals.cancel();
  });
  io.run();
  if (signal_number != 0 && !code) {
    std::cout.flush();
    std::cerr << (signal_number == SIGTERM ? "\naisopod: terminated" : "\naisopod: interrupted")
              << std::endl;
    return signal_number == SIGTERM ? kExitTerminated : kExitInterrupted;
  }
  return code.value_or(kExitFailure);
}

// Reports a failed write to stdout once, and the exit code for it.
int output_failed(const Status& status) {
  std::cerr << "aisopod: error: " << status.message() << std::endl;
  return kExitFailure;
}

Task<int> chat_command(Session& session, ChatOptions options, std::function<void()>& on_signal,
                       Io& io) {
  ChatCompletionRequest request;
  std::string prompt;
  for (const std::string& word : options.prompt) prompt += (prompt.empty() ? "" : " ") + word;
  if (!options.system.empty()) request.messages.push_back(Message::system(options.system));
  Message user = Message::user(std::move(prompt));
  for (const std::string& attachment : options.attachments) {
    Result<ContentPart> part = load_attachment(attachment);
    if (!part.ok()) co_return fail(&session, part.error());
    user.content.push_back(std::move(*part));
  }
  request.messages.push_back(std::move(user));
  if (!options.tools_file.empty()) {
    Result<std::vector<Tool>> tools = load_tools(options.tools_file);
    if (!tools.ok()) co_return fail(&session, tools.error());
    request.tools = std::move(*tools);
  }
  for (const std::string& option : options.provider_options) {
    Status applied = apply_provider_option(option, request.extra_body_json);
    if (!applied.ok()) co_return fail(&session, applied);
  }
  request.temperature = options.temperature;
  request.max_tokens = options.max_tokens;
  request.stop = options.stop;
  request.stream = !options.no_stream;
  if (options.json_mode) request.response_format.kind = ResponseFormat::Kind::kJsonObject;
  if (!options.schema.empty()) {
    Result<ResponseFormat> format = load_schema(options.schema);
    if (!format.ok()) co_return fail(&session, format.error());
    request.response_format = std::move(*format);
  }
  if (options.thinking_budget) request.reasoning.budget_tokens = *options.thinking_budget;
  request.reasoning.effort = options.reasoning_effort;
  request.cache_prompt = options.cache_prompt;

  auto observer = std::make_shared<ChatObserver>(options.verbose, session.secrets());
  // Cooldowns are decided by the auth manager, not by the retry loop: it reports them itself.
  session.auth().set_observer(observer);
  // The model with the chain of fallbacks configured for it (just the model when none).
  FailoverOptions failover_options;
  failover_options.observer = observer;
  Result<Runtime::ChatTarget> target =
      session.runtime->chat_target(options.model, std::move(failover_options));
  if (!target.ok()) co_return fail(&session, target.error());
  request.model = target->model;
  CallOptions call;
  call.observer = observer;
  if (options.timeout_seconds) {
    call.deadline = std::chrono::steady_clock::now() + to_millis(*options.timeout_seconds);
  }
  std::shared_ptr<ModelProvider> provider = std::move(target->provider);
  Result<ChunkStream> started = co_await provider->chat_completion(std::move(request), call);
  if (!started.ok()) co_return fail(&session, started.error());
  ChunkStream stream = std::move(*started);
  on_signal = [&stream] { stream.cancel(); };

  ChatPrinter printer(
      options.format == "jsonl" ? ChatPrinter::Format::kJsonl : ChatPrinter::Format::kText,
      session.secrets());
  for (;;) {
    Result<std::optional<ChatCompletionChunk>> next = co_await stream.next();
    if (!next.ok()) {
      on_signal = nullptr;
      printer.abort(io.out.buffer(), io.err.buffer());
      (void)io.err.flush();
      (void)io.out.flush();
      co_return fail(&session, next.error());
    }
    if (!next->has_value()) break;
    printer.add(**next, io.out.buffer(), io.err.buffer());
    // Reasoning (stderr) before the text that follows it (stdout).
    (void)io.err.flush();
    if (Status written = io.out.flush(); !written.ok()) {
      on_signal = nullptr;
      stream.cancel();
      co_return output_failed(written);
    }
  }
  on_signal = nullptr;
  printer.finish(io.out.buffer(), io.err.buffer());
  (void)io.err.flush();
  if (Status written = io.out.flush(); !written.ok()) co_return output_failed(written);
  if (options.usage) {
    UsageAggregator usage;
    const std::optional<AttemptInfo>& who = observer->answered();
    usage.add(who ? who->provider : std::string(provider->id()), who ? who->model : "",
              who ? who->profile : "", printer.usage().value_or(Usage{}));
    std::vector<std::vector<std::string>> rows;
    for (const UsageAggregator::Row& row : usage.rows()) {
      rows.push_back(
          {row.provider + "/" + row.model, row.profile, std::to_string(row.usage.input_tokens),
           std::to_string(row.usage.output_tokens), std::to_string(row.usage.cache_read_tokens),
           std::to_string(row.usage.cache_write_tokens),
           std::to_string(row.usage.reasoning_tokens)});
    }
    std::cerr << session.secrets()->redact(format_table(
        {"MODEL", "PROFILE", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE", "REASONING"}, rows));
  }
  co_return kExitOk;
}

// Writes `text` to stdout; the exit code when that failed.
std::optional<int> write_out(Io& io, std::string_view text) {
  io.out.append(text);
  if (Status written = io.out.flush(); !written.ok()) return output_failed(written);
  return std::nullopt;
}

Task<int> models_command(Session& session, ListOptions options, Io& io) {
  std::vector<std::string> ids;
  if (!options.provider.empty()) {
    Result<std::shared_ptr<ModelProvider>> found = session.runtime->provider(options.provider);
    if (!found.ok()) co_return fail(&session, found.error());
    ids.push_back(options.provider);
  } else {
    ids = session.runtime->registry().ids();
  }
  std::vector<ModelInfo> all;
  int code = kExitOk;
  const auto executor = co_await asio::this_coro::executor;
  for (const std::string& id : ids) {
    std::shared_ptr<ModelProvider> provider = session.runtime->registry().find(id);
    Result<std::vector<ModelInfo>> models = std::vector<ModelInfo>();
    if (options.timeout_seconds) {
      asio::steady_timer timer(executor, to_millis(*options.timeout_seconds));
      auto raced = co_await (provider->list_models() || timer.async_wait(asio::use_awaitable));
      if (raced.index() == 0) {
        models = std::move(std::get<0>(raced));
      } else {
        models = Status(StatusCode::kTimeout,
                        "no answer within " + format_seconds(to_millis(*options.timeout_seconds)))
                     .set_provider(id);
      }
    } else {
      models = co_await provider->list_models();
    }
    if (!models.ok()) {
      code = fail(&session, models.error());
      continue;
    }
    all.insert(all.end(), models->begin(), models->end());
  }
  // Every provider failed: the errors said so; an empty table would only add noise.
  if (all.empty() && code != kExitOk) co_return code;
  std::string text;
  if (options.json) {
    text = models_to_json(all) + "\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const ModelInfo& model : all) {
      rows.push_back({model.provider + "/" + model.id, model.owned_by,
                      model.context_window ? std::to_string(*model.context_window) : ""});
    }
    text = format_table({"MODEL", "OWNED BY", "CONTEXT"}, rows);
  }
  if (auto failed = write_out(io, escape_control_lines(session.secrets()->redact(text)))) {
    co_return *failed;
  }
  co_return code;
}

Task<int> health_command(Session& session, ListOptions options, Io& io) {
  std::vector<std::string> ids =
      options.provider.empty() ? session.runtime->registry().ids() : std::vector{options.provider};
  const std::chrono::milliseconds timeout =
      options.timeout_seconds ? to_millis(*options.timeout_seconds) : kHealthTimeout;
  std::vector<std::vector<std::string>> rows;
  std::string json = "[";
  bool all_healthy = true;
  const auto executor = co_await asio::this_coro::executor;
  for (const std::string& id : ids) {
    Result<std::shared_ptr<ModelProvider>> found = session.runtime->provider(id);
    if (!found.ok()) co_return fail(&session, found.error());
    std::shared_ptr<ModelProvider> provider = std::move(*found);
    // A hung server must not hold the check: the probe is cancelled when the time is up.
    asio::steady_timer timer(executor, timeout);
    const auto start = std::chrono::steady_clock::now();
    auto raced = co_await (provider->health_check() || timer.async_wait(asio::use_awaitable));
    HealthStatus health;
    if (raced.index() == 0) {
      health = std::move(std::get<0>(raced));
    } else {
      health.state = HealthStatus::State::kUnhealthy;
      health.latency = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      health.message = "timeout: no answer within " + format_seconds(timeout);
    }
    all_healthy = all_healthy && health.state == HealthStatus::State::kHealthy;
    const std::string message = escape_control(session.secrets()->redact(health.message));
    rows.push_back({id, std::string(health_state_name(health.state)),
                    std::to_string(health.latency.count()) + " ms", message});
    json += (json.size() > 1 ? "," : "") + std::string("{\"provider\":") + json_string(id) +
            ",\"state\":" + json_string(health_state_name(health.state)) +
            ",\"latency_ms\":" + std::to_string(health.latency.count()) +
            ",\"message\":" + json_string(message) + "}";
  }
  const std::string text =
      options.json ? json + "]\n" : format_table({"PROVIDER", "STATE", "LATENCY", "MESSAGE"}, rows);
  if (auto failed = write_out(io, text)) co_return *failed;
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

int profiles_command(Session& session, bool json, bool reset, const std::string& name, Io& io) {
  if (reset) {
    Status status = session.auth().reset(name);
    if (!status.ok()) return fail(&session, status);
    const std::string text =
        (name.empty() ? std::string("reset every profile") : "reset profile " + name) + "\n";
    if (auto failed = write_out(io, text)) return *failed;
    return kExitOk;
  }
  const SystemTime now = std::chrono::system_clock::now();
  std::vector<std::vector<std::string>> rows;
  std::string out = "[";
  for (const ProfileState& state : session.auth().snapshot()) {
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
  const std::string text =
      json ? out + "]\n"
           : escape_control_lines(
                 format_table({"PROVIDER", "PROFILE", "STATE", "FAILURES", "LAST USED"}, rows));
  if (auto failed = write_out(io, session.secrets()->redact(text))) return *failed;
  return kExitOk;
}

// CLI11's PositiveNumber prints the largest double in its message; this says it plainly.
const CLI::Validator kPositive(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || !(value > 0) || value > 1e9) {
        return "must be a positive number, got '" + text + "'";
      }
      return std::string();
    },
    "POSITIVE");

// Adds --base-url and --api-key-env to a command that talks to a provider.
void add_override_options(CLI::App* command, ProviderOverrides& overrides,
                          const std::string& which) {
  command->add_option("--base-url", overrides.base_url,
                      "Base URL of " + which + " (any OpenAI-compatible server)");
  command->add_option("--api-key-env", overrides.api_key_env,
                      "Read the API key of " + which + " from this environment variable");
}

int run(int argc, char** argv) {
  CLI::App app{
      "aisopod: one interface to LLM providers (OpenAI and OpenAI-compatible servers, "
      "Anthropic, Google Gemini, AWS Bedrock, Ollama), with key rotation, cooldowns and failover."};
  app.footer(std::string(kConfigHelp) +
             "\n\nProvider types in this build, and their options (in [providers.<id>]):\n" +
             provider_options_text(builtin_provider_schemas()) + "\n" + kDeadlinesHelp + "\n\n" +
             kExitCodesHelp +
             "\n\nExamples:\n"
             "  aisopod chat -m openai/gpt-4o-mini \"Write a haiku about crabs\"\n"
             "  echo \"Summarize this\" | aisopod chat -m openai/gpt-4o --format jsonl\n"
             "  aisopod chat -m local/llama3 --base-url http://127.0.0.1:8080/v1 \"Hi\"\n"
             "  aisopod chat -m anthropic/claude-sonnet-4-5 --thinking 2048 \"Why?\"\n"
             "  aisopod chat -m openai/gpt-4o --timeout 30 --stop END \"Count to 5\"\n"
             "  aisopod models openai --json\n"
             "  aisopod health --timeout 5\n"
             "  aisopod pull qwen3:8b\n"
             "  aisopod profiles --json --config ./aisopod.toml");
  app.require_subcommand(1);
  // Global options are also taken after the command ("aisopod chat --config FILE ...").
  app.fallthrough();
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
      ->check(CLI::Range(0.0, 2.0).description("0 to 2"));
  chat_cmd->add_option("--max-tokens", chat.max_tokens, "Most tokens to generate")
      ->check(kPositive);
  chat_cmd
      ->add_option("--stop", chat.stop,
                   "A stop sequence; one per flag, repeat the flag for more (--stop A --stop B)")
      ->allow_extra_args(false);
  chat_cmd->add_flag("--json-mode", chat.json_mode, "Ask for a JSON object as the answer");
  chat_cmd
      ->add_option("--schema", chat.schema,
                   "Structured output: a JSON schema the answer must follow (a file, or the JSON "
                   "itself when it starts with '{')")
      ->excludes("--json-mode");
  chat_cmd->add_option("--tools", chat.tools_file,
                       "A JSON file with an array of function tools the model may call (OpenAI "
                       "shape or {name, description, parameters}); calls are printed at the end");
  chat_cmd
      ->add_option("-a,--attach", chat.attachments,
                   "Attach an image, PDF, audio or video file, or an http(s)/gs/data URL "
                   "(repeatable; the media type is read from the content)")
      ->allow_extra_args(false);
  chat_cmd
      ->add_option("-o,--option", chat.provider_options,
                   "A provider option without a flag, as key=value (repeatable; the value is "
                   "JSON when it parses, else a string; a.b=1 nests): -o top_k=40")
      ->allow_extra_args(false);
  add_override_options(chat_cmd, chat.overrides, "the provider named in -m");
  chat_cmd->add_flag("--no-stream", chat.no_stream, "Use the non-streaming endpoint");
  chat_cmd->add_option("--format", chat.format, "Output: text, or jsonl (one chunk per line)")
      ->check(CLI::IsMember({"text", "jsonl"}));
  chat_cmd
      ->add_option("--timeout", chat.timeout_seconds,
                   "One deadline for the whole command, in seconds: every attempt, key, backoff "
                   "and fallback included")
      ->check(kPositive);
  chat_cmd
      ->add_option("--thinking", chat.thinking_budget,
                   "Let the model think with this many tokens first (printed to stderr)")
      ->check(kPositive);
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
  add_override_options(models_cmd, models.overrides, "the provider named");
  models_cmd->add_option("--timeout", models.timeout_seconds, "Give up after this many seconds")
      ->check(kPositive);

  std::string pull_model;
  std::string pull_provider = "ollama";
  ProviderOverrides pull_overrides;
  CLI::App* pull_cmd = app.add_subcommand(
      "pull", "Download a model into Ollama, with progress (a bar on a terminal, lines otherwise)");
  pull_cmd->add_option("model", pull_model, "The model to pull (\"qwen3:8b\")")->required();
  pull_cmd->add_option("--provider", pull_provider, "The Ollama provider id (default: ollama)");
  add_override_options(pull_cmd, pull_overrides, "the Ollama server");

  bool profiles_json = false;
  std::string reset_name;
  CLI::App* profiles_cmd =
      app.add_subcommand("profiles",
                         "List auth profiles: ready, cooling down (until when, for which model) or "
                         "disabled (and why), failures, last use");
  profiles_cmd->add_flag("--json", profiles_json, "Print JSON instead of a table");
  CLI::App* reset_cmd = profiles_cmd->add_subcommand(
      "reset", "Forget the cooldowns and failures of a profile (recreates a corrupt database)");
  reset_cmd->add_option("name", reset_name, "A profile name (default: every profile)");

  ListOptions health;
  CLI::App* health_cmd = app.add_subcommand(
      "health", "Check that providers answer (exit 0 only when all are healthy)");
  health_cmd->add_option("provider", health.provider, "A provider id (default: all)");
  health_cmd->add_flag("--json", health.json, "Print JSON instead of a table");
  add_override_options(health_cmd, health.overrides, "the provider named");
  health_cmd
      ->add_option("--timeout", health.timeout_seconds,
                   "Give each provider this many seconds (default 10)")
      ->check(kPositive);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  }

  // Which provider --base-url / --api-key-env apply to, for the command given.
  std::string target;
  bool target_is_model = false;
  const ProviderOverrides* overrides = nullptr;
  if (chat_cmd->parsed()) {
    target = chat.model;
    target_is_model = true;
    overrides = &chat.overrides;
  } else if (models_cmd->parsed()) {
    target = models.provider;
    overrides = &models.overrides;
  } else if (health_cmd->parsed()) {
    target = health.provider;
    overrides = &health.overrides;
  }
  if (pull_cmd->parsed()) {
    target = pull_provider;
    overrides = &pull_overrides;
  }
  RuntimeOptions runtime_options;
  if (!global.config_path.empty()) runtime_options.config_path = global.config_path;
  if (overrides && !overrides->empty()) {
    runtime_options.override =
        ProviderOverride{target, target_is_model, overrides->base_url, overrides->api_key_env};
  }
  runtime_options.recreate_corrupt_state = reset_cmd->parsed();
  Result<std::shared_ptr<Runtime>> runtime = Runtime::load(runtime_options);
  if (!runtime.ok()) {
    print_error(nullptr, runtime.error().to_string());
    // A state database that cannot be used is not a usage error: the message says what to do.
    return runtime.error().code() == StatusCode::kUnavailable ? kExitFailure : kExitUsage;
  }
  auto session = std::make_unique<Session>(Session{std::move(*runtime)});
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
  Io io;
  const auto run_command_of_session = [&]() -> int {
    if (profiles_cmd->parsed()) {
      return profiles_command(*session, profiles_json, reset_cmd->parsed(), reset_name, io);
    }
    asio::io_context context;
    std::function<void()> on_signal;
    if (chat_cmd->parsed()) {
      return run_command(context, chat_command(*session, chat, on_signal, io), on_signal);
    }
    if (models_cmd->parsed()) {
      return run_command(context, models_command(*session, models, io), on_signal);
    }
    if (pull_cmd->parsed()) {
      Result<std::shared_ptr<ModelProvider>> provider = session->runtime->provider(pull_provider);
      if (!provider.ok()) return fail(session.get(), provider.error());
      const int code = run_command(
          context,
          pull_command(**provider, pull_model, isatty(STDOUT_FILENO) != 0, std::cout, std::cerr),
          on_signal);
      std::cout.flush();
      if (!std::cout) {
        std::cerr << "aisopod: error: cannot write to standard output" << std::endl;
        return code == kExitOk ? kExitFailure : code;
      }
      return code;
    }
    return run_command(context, health_command(*session, health, io), on_signal);
  };
  const int code = run_command_of_session();
  // Outcomes are written behind; make sure they are in the database before this process ends,
  // and that a failure to write them is seen here.
  (void)session->auth().flush();
  // The auth manager goes on in memory when its database fails; say so once.
  if (Status store = session->auth().last_store_error(); !store.ok()) {
    std::cerr << "aisopod: warning: cooldowns were kept in memory only: "
              << escape_control(session->secrets()->redact(store.message())) << std::endl;
  }
  return code;
}

// A closed standard descriptor would be reused by the next file or socket opened, and what is
// printed would land there (in the auth database, say). Put /dev/null in its place, and report
// a closed stdout as a failed write instead of writing nowhere.
bool guard_standard_descriptors() {
  bool stdout_closed = false;
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    if (fd == STDOUT_FILENO) stdout_closed = true;
    const int null_fd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (null_fd >= 0 && null_fd != fd) {
      dup2(null_fd, fd);
      close(null_fd);
    }
  }
  return stdout_closed;
}

}  // namespace
}  // namespace aisopod::cli

int main(int argc, char** argv) {
  // A closed pipe is reported as a failed write (EPIPE) with a message, not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  if (aisopod::cli::guard_standard_descriptors()) {
    std::cerr << "aisopod: error: cannot write to standard output: it is closed" << std::endl;
    return aisopod::cli::kExitFailure;
  }
  try {
    return aisopod::cli::run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "aisopod: error: " << error.what() << std::endl;
    return aisopod::cli::kExitFailure;
  }
}
