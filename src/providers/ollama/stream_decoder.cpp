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

// Maps the fields of one line to events on `out`: at most one chunk. `id` is the made-up
// response id, set from the first line with a model. `whole_body` (the non-streaming answer)
// makes the line the last one even without done:true, and gives a chunk even when it adds
// nothing.
void map_line(const LineFields& fields, std::string& id, ChunkAssembler& out, bool whole_body) {
  if (id.empty() && !fields.model.empty()) {
    id = "ollama-";
    id.append(fields.model);
    if (!fields.created_at.empty()) {
      id += '-';
      id.append(fields.created_at);
    }
  }
  out.set_id_model(id, fields.model);
  const bool adds = !fields.content.empty() || !fields.thinking.empty() ||
                    !fields.tool_calls.empty() || fields.done;
  if (!adds && !whole_body) return;
  out.role(Role::kAssistant);
  out.text(fields.content);
  out.reasoning(fields.thinking);
  for (const ToolCallFields& call : fields.tool_calls) {
    // Calls come whole: the running count is their key, and their index.
    const int index = out.tool_call_count();
    const std::string made_up_id = call.id.empty() ? "call_" + std::to_string(index) : "";
    out.tool_call(index, call.id.empty() ? made_up_id : call.id, call.name,
                  call.arguments.empty() ? std::string_view("{}") : call.arguments);
  }
  if (fields.done || whole_body) {
    out.finish(finish_reason_from_ollama(fields.done_reason, out.tool_call_count() > 0),
               fields.done_reason);
    Usage usage;
    usage.input_tokens = fields.prompt_eval_count;
    usage.output_tokens = fields.eval_count;
    out.usage(usage);
    out.end_of_stream();
  }
}

}  // namespace

struct StreamDecoder::Parser {
  od::parser parser;
  LineFields fields;
};

StreamDecoder::StreamDecoder(std::string provider_id)
    : provider_id_(std::move(provider_id)),
      parser_(std::make_unique<Parser>()),
      assembler_(provider_id_) {}
StreamDecoder::~StreamDecoder() = default;
StreamDecoder::StreamDecoder(StreamDecoder&&) noexcept = default;
StreamDecoder& StreamDecoder::operator=(StreamDecoder&&) noexcept = default;

void StreamDecoder::feed(std::string_view bytes) {
  if (assembler_.done()) return;
  ndjson_.feed(bytes);
}

void StreamDecoder::process_line(std::string_view line) {
  LineFields& fields = parser_->fields;
  fields = LineFields{};
  if (parse_fields(parser_->parser, line.data(), line.size(), fields) != simdjson::SUCCESS) {
    assembler_.fail(
        protocol_error("malformed JSON line in the Ollama stream: " + excerpt(line), provider_id_));
    return;
  }
  if (fields.has_error) {
    assembler_.fail(status_from_stream_error(fields.error, provider_id_));
    return;
  }
  map_line(fields, id_, assembler_, false);
}

Result<std::optional<ChatCompletionChunk>> StreamDecoder::next() {
  return assembler_.next([this] { return decode_one_line(); });
}

bool StreamDecoder::decode_one_line() {
  Result<std::optional<std::string_view>> line = ndjson_.next();
  if (!line.ok()) {
    assembler_.fail(line.error());
    return true;
  }
  if (!line->has_value()) return false;
  process_line(**line);
  assembler_.end_event();
  return true;
}

Status StreamDecoder::finish() {
  if (!assembler_.done()) {
    Status framing = ndjson_.finish();
    if (!framing.ok()) assembler_.fail(std::move(framing));
    // Decode what is still buffered (a last line without a newline); the chunks queue.
    while (!assembler_.done() && decode_one_line()) {
    }
    if (!assembler_.done()) {
      assembler_.fail(
          protocol_error("Ollama stream ended early (no done:true object)", provider_id_));
    }
  }
  return assembler_.status();
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
  // The same mapping as a stream of one line: one chunk with everything.
  ChunkAssembler assembler{std::string(provider_id)};
  std::string id;
  map_line(fields, id, assembler, true);
  Result<std::optional<ChatCompletionChunk>> chunk = assembler.next();
  if (!chunk.ok()) return chunk.error();
  return std::move(**chunk);
}

}  // namespace aisopod::ollama
