#include "providers/ollama/stream_decoder.hpp"

#include <simdjson.h>
#include <boost/json.hpp>
#include <cmath>
#include <utility>

#include "providers/common/json_reading.hpp"
#include "providers/ollama/error_mapper.hpp"

namespace aisopod::ollama {
namespace {

namespace od = simdjson::ondemand;
using json_reading::excerpt;
using json_reading::get_count;
using json_reading::get_string_or_null;
using simdjson::error_code;

// A tool call as it arrived, with its arguments already as compact JSON text.
struct ToolCallFields {
  std::string id;
  std::string name;
  std::string arguments;
};

// What one line (or a whole non-streaming body) says. The string views point into the
// simdjson parser's buffer and are valid until the next parse.
struct LineFields {
  std::string_view model;
  std::string_view created_at;
  std::string_view done_reason;
  std::string_view content;
  std::string_view thinking;
  bool has_error = false;
  std::string error;
  bool done = false;
  std::int64_t prompt_eval_count = 0;
  std::int64_t eval_count = 0;
  std::vector<ToolCallFields> tool_calls;
};

// Compact JSON text for an arguments object: Ollama sends an object, the normalized form is
// its JSON text. Re-serializing drops the whitespace of pretty-printed bodies.
std::string compact_json(std::string_view raw) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(raw, ec);
  if (ec) return std::string(raw);
  return boost::json::serialize(value);
}

error_code parse_function(od::value& value, ToolCallFields& call) {
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  if (type != od::json_type::object) return simdjson::SUCCESS;
  od::object object;
  AISOPOD_SJ_TRY(value.get_object().get(object));
  for (auto field_result : object) {
    od::field field;
    AISOPOD_SJ_TRY(std::move(field_result).get(field));
    const od::raw_json_string key = field.key();
    if (key == "name") {
      std::string_view name;
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), name));
      call.name.assign(name);
    } else if (key == "arguments") {
      AISOPOD_SJ_TRY(field.value().type().get(type));
      if (type == od::json_type::object) {
        od::object arguments;
        AISOPOD_SJ_TRY(field.value().get_object().get(arguments));
        std::string_view raw;
        AISOPOD_SJ_TRY(arguments.raw_json().get(raw));
        call.arguments = compact_json(raw);
      } else if (type == od::json_type::string) {
        std::string_view text;
        AISOPOD_SJ_TRY(field.value().get_string().get(text));
        call.arguments.assign(text);
      }
    }
  }
  return simdjson::SUCCESS;
}

error_code parse_tool_calls(od::value& value, std::vector<ToolCallFields>& calls) {
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  if (type != od::json_type::array) return simdjson::SUCCESS;
  od::array array;
  AISOPOD_SJ_TRY(value.get_array().get(array));
  for (auto element_result : array) {
    od::value element;
    AISOPOD_SJ_TRY(std::move(element_result).get(element));
    AISOPOD_SJ_TRY(element.type().get(type));
    if (type != od::json_type::object) continue;
    ToolCallFields& call = calls.emplace_back();
    od::object object;
    AISOPOD_SJ_TRY(element.get_object().get(object));
    for (auto field_result : object) {
      od::field field;
      AISOPOD_SJ_TRY(std::move(field_result).get(field));
      const od::raw_json_string key = field.key();
      if (key == "id") {
        std::string_view id;
        AISOPOD_SJ_TRY(get_string_or_null(field.value(), id));
        call.id.assign(id);
      } else if (key == "function") {
        AISOPOD_SJ_TRY(parse_function(field.value(), call));
      }
    }
  }
  return simdjson::SUCCESS;
}

error_code parse_message(od::value& value, LineFields& fields) {
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  if (type != od::json_type::object) return simdjson::SUCCESS;
  od::object object;
  AISOPOD_SJ_TRY(value.get_object().get(object));
  for (auto field_result : object) {
    od::field field;
    AISOPOD_SJ_TRY(std::move(field_result).get(field));
    const od::raw_json_string key = field.key();
    if (key == "content") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), fields.content));
    } else if (key == "thinking") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), fields.thinking));
    } else if (key == "tool_calls") {
      AISOPOD_SJ_TRY(parse_tool_calls(field.value(), fields.tool_calls));
    }
  }
  return simdjson::SUCCESS;
}

// {"error": "text"} or {"error": {"message": "text"}}.
error_code parse_error(od::value& value, LineFields& fields) {
  fields.has_error = true;
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  std::string_view text;
  if (type == od::json_type::string) {
    AISOPOD_SJ_TRY(value.get_string().get(text));
  } else if (type == od::json_type::object) {
    od::object object;
    AISOPOD_SJ_TRY(value.get_object().get(object));
    for (auto field_result : object) {
      od::field field;
      AISOPOD_SJ_TRY(std::move(field_result).get(field));
      if (field.key() == "message") AISOPOD_SJ_TRY(get_string_or_null(field.value(), text));
    }
  }
  fields.error.assign(text);
  return simdjson::SUCCESS;
}

// Parses one JSON object; `data` must have kJsonPadding readable bytes after `size`.
error_code parse_fields(od::parser& parser, const char* data, std::size_t size,
                        LineFields& fields) {
  od::document doc;
  AISOPOD_SJ_TRY(parser.iterate(data, size, size + simdjson::SIMDJSON_PADDING).get(doc));
  od::object root;
  AISOPOD_SJ_TRY(doc.get_object().get(root));
  for (auto field_result : root) {
    od::field field;
    AISOPOD_SJ_TRY(std::move(field_result).get(field));
    const od::raw_json_string key = field.key();
    if (key == "message") {
      AISOPOD_SJ_TRY(parse_message(field.value(), fields));
    } else if (key == "model") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), fields.model));
    } else if (key == "created_at") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), fields.created_at));
    } else if (key == "done") {
      const error_code error = field.value().get_bool().get(fields.done);
      if (error != simdjson::SUCCESS && error != simdjson::INCORRECT_TYPE) return error;
    } else if (key == "done_reason") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), fields.done_reason));
    } else if (key == "prompt_eval_count") {
      AISOPOD_SJ_TRY(get_count(field.value(), fields.prompt_eval_count));
    } else if (key == "eval_count") {
      AISOPOD_SJ_TRY(get_count(field.value(), fields.eval_count));
    } else if (key == "error") {
      AISOPOD_SJ_TRY(parse_error(field.value(), fields));
    } else if (key == "response") {
      // /api/generate puts the text at the top level.
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), fields.content));
    } else if (key == "thinking") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), fields.thinking));
    }
  }
  return simdjson::SUCCESS;
}

Status protocol_error(std::string message, std::string_view provider_id) {
  Status status(StatusCode::kProtocolError, std::move(message));
  status.set_provider(std::string(provider_id));
  return status;
}

// Turns the fields of one line into at most one chunk. `always` emits a chunk even when the
// line adds nothing (the non-streaming answer).
std::optional<ChatCompletionChunk> build_chunk(const LineFields& fields,
                                               StreamDecoder::State& state, bool always) {
  if (!fields.model.empty()) state.model.assign(fields.model);
  if (state.id.empty() && !state.model.empty()) {
    state.id = "ollama-" + state.model;
    if (!fields.created_at.empty()) {
      state.id += '-';
      state.id.append(fields.created_at);
    }
  }
  const bool adds = !fields.content.empty() || !fields.thinking.empty() ||
                    !fields.tool_calls.empty() || fields.done;
  if (!adds && !always) return std::nullopt;
  ChatCompletionChunk chunk;
  chunk.id = state.id;
  chunk.model = state.model;
  if (!state.role_sent) {
    chunk.delta.role = Role::kAssistant;
    state.role_sent = true;
  }
  chunk.delta.content.assign(fields.content);
  chunk.delta.reasoning.assign(fields.thinking);
  for (const ToolCallFields& call : fields.tool_calls) {
    ToolCallDelta delta;
    delta.index = state.tool_calls++;
    delta.id = call.id.empty() ? "call_" + std::to_string(delta.index) : call.id;
    delta.name = call.name;
    delta.arguments = call.arguments.empty() ? "{}" : call.arguments;
    chunk.delta.tool_calls.push_back(std::move(delta));
  }
  if (fields.done || always) {
    state.done = true;
    chunk.raw_finish_reason.assign(fields.done_reason);
    chunk.finish_reason = finish_reason_from_ollama(fields.done_reason, state.tool_calls > 0);
    Usage usage;
    usage.input_tokens = fields.prompt_eval_count;
    usage.output_tokens = fields.eval_count;
    chunk.usage = usage;
  }
  return chunk;
}

}  // namespace

struct StreamDecoder::Parser {
  od::parser parser;
  LineFields fields;
};

StreamDecoder::StreamDecoder(std::string provider_id) : parser_(std::make_unique<Parser>()) {
  state_.provider_id = std::move(provider_id);
}
StreamDecoder::~StreamDecoder() = default;
StreamDecoder::StreamDecoder(StreamDecoder&&) noexcept = default;
StreamDecoder& StreamDecoder::operator=(StreamDecoder&&) noexcept = default;

void StreamDecoder::feed(std::string_view bytes) {
  if (!error_.ok() || state_.done || finish_status_) return;
  ndjson_.feed(bytes);
}

bool StreamDecoder::process_line(std::string_view line) {
  LineFields& fields = parser_->fields;
  fields = LineFields{};
  if (parse_fields(parser_->parser, line.data(), line.size(), fields) != simdjson::SUCCESS) {
    error_ = protocol_error("malformed JSON line in the Ollama stream: " + excerpt(line),
                            state_.provider_id);
    return false;
  }
  if (fields.has_error) {
    error_ = status_from_stream_error(fields.error, state_.provider_id);
    return false;
  }
  if (std::optional<ChatCompletionChunk> chunk = build_chunk(fields, state_, false)) {
    ready_.push_back(std::move(*chunk));
  }
  return true;
}

Result<std::optional<ChatCompletionChunk>> StreamDecoder::next() {
  for (;;) {
    if (ready_head_ < ready_.size()) {
      ChatCompletionChunk chunk = std::move(ready_[ready_head_++]);
      if (ready_head_ == ready_.size()) {
        ready_.clear();
        ready_head_ = 0;
      }
      return std::optional<ChatCompletionChunk>(std::move(chunk));
    }
    if (!error_.ok()) return error_;
    if (state_.done) return std::optional<ChatCompletionChunk>();
    Result<std::optional<std::string_view>> line = ndjson_.next();
    if (!line.ok()) {
      error_ = line.error();
      if (error_.provider().empty()) error_.set_provider(state_.provider_id);
      continue;
    }
    if (!line->has_value()) return std::optional<ChatCompletionChunk>();
    process_line(**line);
  }
}

Status StreamDecoder::finish() {
  if (finish_status_) return *finish_status_;
  if (error_.ok() && !state_.done) {
    Status framing = ndjson_.finish();
    if (!framing.ok()) {
      error_ = framing;
      if (error_.provider().empty()) error_.set_provider(state_.provider_id);
    }
    // Decode what is still buffered (a last line without a newline) into ready_.
    while (error_.ok() && !state_.done) {
      Result<std::optional<std::string_view>> line = ndjson_.next();
      if (!line.ok()) {
        error_ = line.error();
        if (error_.provider().empty()) error_.set_provider(state_.provider_id);
        break;
      }
      if (!line->has_value()) break;
      process_line(**line);
    }
  }
  if (!error_.ok()) {
    finish_status_ = error_;
  } else if (!state_.done) {
    finish_status_ =
        protocol_error("Ollama stream ended early (no done:true object)", state_.provider_id);
    error_ = *finish_status_;
  } else {
    finish_status_ = Status();
  }
  return *finish_status_;
}

FinishReason finish_reason_from_ollama(std::string_view raw, bool had_tool_calls) {
  if (raw == "length") return FinishReason::kLength;
  return had_tool_calls ? FinishReason::kToolCalls : FinishReason::kStop;
}

Result<ChatCompletionChunk> decode_chat_response(std::string_view body,
                                                 std::string_view provider_id) {
  const simdjson::padded_string padded(body);
  od::parser parser;
  LineFields fields;
  if (parse_fields(parser, padded.data(), padded.size(), fields) != simdjson::SUCCESS) {
    return protocol_error("malformed JSON in the Ollama response: " + excerpt(body), provider_id);
  }
  if (fields.has_error) return status_from_stream_error(fields.error, provider_id);
  StreamDecoder::State state;
  state.provider_id.assign(provider_id);
  return *build_chunk(fields, state, true);
}

}  // namespace aisopod::ollama
