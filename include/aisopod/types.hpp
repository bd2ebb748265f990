// The normalized data types shared by every provider: messages, requests, streamed chunks,
// usage, model descriptions and health. Plain values of standard-library types only; safe to
// copy and to move between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aisopod {

// Who wrote a message.
enum class Role {
  // Instructions for the model. Providers with a separate system field receive it there; OpenAI
  // reasoning models receive it as a "developer" message.
  kSystem,
  // The person (or program) asking.
  kUser,
  // The model's earlier answers, sent back so the model sees the conversation.
  kAssistant,
  // The result of a tool call; the message's tool_call_id names the call it answers.
  kTool,
};

// "system", "user", "assistant", "tool".
std::string_view role_name(Role role);
std::optional<Role> role_from_name(std::string_view name);

// One piece of a message's content, in order.
struct ContentPart {
  enum class Kind {
    // Plain text in `text`.
    kText,
    // An image, audio clip, video or document: `media_type` ("image/png", "application/pdf")
    // and either base64 `data` or a `url`. Providers that cannot take a media type reject the
    // request with invalid_argument naming the provider and the type.
    kMedia,
    // The model's visible reasoning in `text`, with the provider's opaque `signature` (Anthropic
    // `signature`, Gemini `thoughtSignature`). Must be sent back unchanged on later turns.
    kReasoning,
    // Reasoning the provider returned encrypted (Anthropic redacted_thinking); opaque `data`.
    kRedactedReasoning,
  };
  Kind kind = Kind::kText;
  std::string text;
  std::string media_type;
  std::string data;
  std::string url;
  std::string signature;

  static ContentPart make_text(std::string text);
  static ContentPart make_media_data(std::string media_type, std::string base64_data);
  static ContentPart make_media_url(std::string media_type, std::string url);
  static ContentPart make_reasoning(std::string text, std::string signature);
  static ContentPart make_redacted_reasoning(std::string data);

  friend bool operator==(const ContentPart&, const ContentPart&) = default;
};

// A complete tool call made by the model.
struct ToolCall {
  std::string id;
  std::string name;
  // The arguments as JSON text (an object), exactly as the model produced them.
  std::string arguments;
  friend bool operator==(const ToolCall&, const ToolCall&) = default;
};

// One message of a conversation.
struct Message {
  Role role = Role::kUser;
  std::vector<ContentPart> content;
  // Tool calls requested by an assistant message.
  std::vector<ToolCall> tool_calls;
  // For role kTool: the id of the call this message answers.
  std::string tool_call_id;
  // For role kTool: true when the tool failed (Anthropic's is_error).
  bool is_error = false;

  static Message system(std::string text);
  static Message user(std::string text);
  static Message assistant(std::string text);
  static Message tool_result(std::string tool_call_id, std::string content);

  // The concatenation of all text parts (reasoning excluded).
  std::string text() const;

  friend bool operator==(const Message&, const Message&) = default;
};

// A function the model may call.
struct Tool {
  std::string name;
  std::string description;
  // JSON Schema of the arguments object, as JSON text. Empty means "no parameters".
  std::string parameters_schema;
  // OpenAI structured-output strictness; ignored where unsupported.
  bool strict = false;
};

// How the model may use the tools.
struct ToolChoice {
  enum class Mode {
    // The model decides (the default when tools are present).
    kAuto,
    // The model must not call a tool.
    kNone,
    // The model must call some tool.
    kRequired,
    // The model must call the tool named `name`.
    kNamed,
  };
  Mode mode = Mode::kAuto;
  std::string name;
};

// The shape of the answer.
struct ResponseFormat {
  enum class Kind {
    // Free text.
    kText,
    // Any JSON object.
    kJsonObject,
    // JSON following `schema` (JSON Schema text), named `name`.
    kJsonSchema,
  };
  Kind kind = Kind::kText;
  std::string name;
  std::string schema;
  bool strict = true;
};

// How hard the model should think, for models that reason.
struct ReasoningConfig {
  // "minimal", "low", "medium", "high" (OpenAI reasoning_effort); empty for none.
  std::string effort;
  // Token budget (Anthropic thinking.budget_tokens, Gemini thinkingBudget); 0 for none.
  int budget_tokens = 0;
  bool enabled() const { return !effort.empty() || budget_tokens > 0; }
};

// A chat completion request, normalized across providers.
struct ChatCompletionRequest {
  // The model id as the provider knows it ("gpt-4o"), without a provider prefix.
  std::string model;
  std::vector<Message> messages;
  std::vector<Tool> tools;
  std::optional<ToolChoice> tool_choice;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> max_tokens;
  std::vector<std::string> stop;
  // true: chunks arrive as the model writes; false: the provider's non-streaming endpoint is
  // used and the stream yields the whole answer as one chunk.
  bool stream = true;
  ResponseFormat response_format;
  ReasoningConfig reasoning;
  // Whether the model may call several tools in one turn; provider default when unset.
  std::optional<bool> parallel_tool_calls;
  std::optional<std::int64_t> seed;
  // End-user identifier passed to providers that take one.
  std::string user;
  // Ask providers with explicit prompt caching (Anthropic cache_control) to cache the stable
  // prefix of this request: the system prompt and the tool definitions. Providers that cache
  // on their own (OpenAI, Gemini) ignore it.
  bool cache_prompt = false;
  // A JSON object whose members are merged into the provider's request body last, for options
  // the common fields do not cover. Empty for none; anything but an object is invalid_argument.
  std::string extra_body_json;
};

// Why the model stopped, normalized.
enum class FinishReason {
  kNone,  // not finished (in a chunk that is not the last)
  kStop,
  kLength,
  kToolCalls,
  kContentFilter,
  kError,
};

// "stop", "length", "tool_calls", "content_filter", "error"; "" for kNone.
std::string_view finish_reason_name(FinishReason reason);

// Token counts. Reported once per stream, in the last chunk.
struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t cache_read_tokens = 0;
  std::int64_t cache_write_tokens = 0;
  std::int64_t reasoning_tokens = 0;

  // Field-wise maximum: merges usage that providers report in pieces.
  void merge_max(const Usage& other);
  // Field-wise sum: totals over several calls.
  Usage& operator+=(const Usage& other);
  friend bool operator==(const Usage&, const Usage&) = default;
};

// A fragment of a tool call. The first delta of a call carries index, id and name; later
// deltas carry argument fragments for the same index.
struct ToolCallDelta {
  int index = 0;
  std::string id;
  std::string name;
  std::string arguments;
  friend bool operator==(const ToolCallDelta&, const ToolCallDelta&) = default;
};

// What a chunk adds to the answer.
struct ChunkDelta {
  std::optional<Role> role;
  std::string content;
  std::string reasoning;
  std::string reasoning_signature;
  // Opaque redacted reasoning data (Anthropic redacted_thinking), to be sent back unchanged.
  std::string redacted_reasoning;
  std::vector<ToolCallDelta> tool_calls;
  friend bool operator==(const ChunkDelta&, const ChunkDelta&) = default;
};

// One normalized piece of a streamed answer.
struct ChatCompletionChunk {
  // The response id and the model that answers. Set on the first chunk of a stream and on any
  // later chunk where they change; a chunk may leave them empty when they are unchanged
  // (repeating them in every chunk would cost two allocations per chunk).
  std::string id;
  std::string model;
  ChunkDelta delta;
  FinishReason finish_reason = FinishReason::kNone;
  // The provider's own finish reason string ("end_turn", "stop", ...), when it sent one.
  std::string raw_finish_reason;
  std::optional<Usage> usage;

  // True when the chunk carries text, reasoning or a tool call: the point at which a stream
  // counts as committed (no retry or failover after it).
  bool has_content() const;
  friend bool operator==(const ChatCompletionChunk&, const ChatCompletionChunk&) = default;
};

// What is known about a model.
struct ModelInfo {
  std::string id;
  std::string provider;
  std::string display_name;
  std::optional<std::int64_t> context_window;
  std::optional<std::int64_t> max_output_tokens;
  std::vector<std::string> capabilities;
  // Who owns or publishes the model, where the provider says so.
  std::string owned_by;
  // Creation time in seconds since the epoch, where known.
  std::optional<std::int64_t> created;
};

// The result of a health check.
struct HealthStatus {
  enum class State {
    kHealthy,
    // Reachable but answering with errors (bad key, rate limited).
    kDegraded,
    kUnhealthy,
  };
  State state = State::kUnhealthy;
  std::chrono::milliseconds latency{0};
  std::string message;
};

// "healthy", "degraded", "unhealthy".
std::string_view health_state_name(HealthStatus::State state);

}  // namespace aisopod
