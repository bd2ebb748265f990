#include "providers/ollama/stream_decoder.hpp"

#include <simdjson.h>
#include <boost/json.hpp>
#include <cmath>
#include <utility>

#include "core/error_mapping.hpp"
#include "providers/common/json_reading.hpp"
#include "providers/ollama/error_mapper.hpp"

namespace aisopod::ollama {
namespace {

// od (simdjson::ondemand), error_code, and the walks and getters that read a payload.
using namespace json_reading;

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
  return for_each_member(value, [&call](od::field& field) -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "name") return get_string_or_null(field.value(), call.name);
    if (key != "arguments") return simdjson::SUCCESS;
    od::json_type type;
    AISOPOD_SJ_TRY(field.value().type().get(type));
    if (type == od::json_type::object) {
      std::string_view raw;
      AISOPOD_SJ_TRY(get_raw_object(field.value(), raw));
      call.arguments = compact_json(raw);
    } else if (type == od::json_type::string) {
      return get_string_or_null(field.value(), call.arguments);
    }
    return simdjson::SUCCESS;
  });
}

error_code parse_tool_calls(od::value& value, std::vector<ToolCallFields>& calls) {
  return for_each_element(value, [&calls](od::value& element) -> error_code {
    od::json_type type;
    AISOPOD_SJ_TRY(element.type().get(type));
    if (type != od::json_type::object) return simdjson::SUCCESS;
    ToolCallFields& call = calls.emplace_back();
    return for_each_field(element.get_object(), [&call](od::field& field) -> error_code {
      const od::raw_json_string key = field.key();
      if (key == "id") return get_string_or_null(field.value(), call.id);
      if (key == "function") return parse_function(field.value(), call);
      return simdjson::SUCCESS;
    });
  });
}

error_code parse_message(od::value& value, LineFields& fields) {
  return for_each_member(value, [&fields](od::field& field) -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "content") return get_string_or_null(field.value(), fields.content);
    if (key == "thinking") return get_string_or_null(field.value(), fields.thinking);
    if (key == "tool_calls") return parse_tool_calls(field.value(), fields.tool_calls);
    return simdjson::SUCCESS;
  });
}

// {"error": "text"} or {"error": {"message": "text"}}.
error_code parse_error(od::value& value, LineFields& fields) {
  fields.has_error = true;
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  std::string_view text;
  if (type == od::json_type::string) {
    AISOPOD_SJ_TRY(value.get_string().get(text));
  } else {
    AISOPOD_SJ_TRY(for_each_member(value, [&text](od::field& field) -> error_code {
      return field.key() == "message" ? get_string_or_null(field.value(), text) : simdjson::SUCCESS;
    }));
  }
  fields.error.assign(text);
  return simdjson::SUCCESS;
}

// Parses one JSON object; `data` must have kJsonPadding readable bytes after `size`.
error_code parse_fields(od::parser& parser, const char* data, std::size_t size,
                        LineFields& fields) {
  od::document doc;
  AISOPOD_SJ_TRY(parser.iterate(data, size, size + simdjson::SIMDJSON_PADDING).get(doc));
  return for_each_field(doc.get_object(), [&fields](od::field& field) -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "message") return parse_message(field.value(), fields);
    if (key == "model") return get_string_or_null(field.value(), fields.model);
    if (key == "created_at") return get_string_or_null(field.value(), fields.created_at);
    if (key == "done") {
      const error_code error = field.value().get_bool().get(fields.done);
      return error == simdjson::INCORRECT_TYPE ? simdjson::SUCCESS : error;
    }
    if (key == "done_reason") return get_string_or_null(field.value(), fields.done_reason);
    if (key == "prompt_eval_count") return get_count(field.value(), fields.prompt_eval_count);
    if (key == "eval_count") return get_count(field.value(), fields.eval_count);
    if (key == "error") return parse_error(field.value(), fields);
    // /api/generate puts the text at the top level.
    if (key == "response") return get_string_or_null(field.value(), fields.content);
    if (key == "thinking") return get_string_or_null(field.value(), fields.thinking);
    return simdjson::SUCCESS;
  });
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

struct StreamDecoder::Scratch {
  od::parser parser;
  LineFields fields;
};

static_assert(providers::kMovableNotCopyable<StreamDecoder>);

StreamDecoder::StreamDecoder(std::string provider_id)
    : stream_(std::move(provider_id)), scratch_(providers::make_scratch<Scratch>()) {}

void StreamDecoder::process_line(std::string_view line) {
  LineFields& fields = scratch_->fields;
  fields = LineFields{};
  ChunkAssembler& assembler = stream_.assembler();
  if (parse_fields(scratch_->parser, line.data(), line.size(), fields) != simdjson::SUCCESS) {
    assembler.fail(protocol_error(stream_.provider_id(),
                                  "malformed JSON line in the Ollama stream: " + excerpt(line)));
    return;
  }
  if (fields.has_error) {
    assembler.fail(status_from_stream_error(fields.error, stream_.provider_id()));
    return;
  }
  map_line(fields, id_, assembler, false);
}

Result<std::optional<ChatCompletionChunk>> StreamDecoder::next() {
  return stream_.next([this](std::string_view line) { process_line(line); });
}

Status StreamDecoder::finish() {
  ChunkAssembler& assembler = stream_.assembler();
  if (!assembler.done()) {
    Status framing = stream_.framing().finish();
    if (!framing.ok()) assembler.fail(std::move(framing));
    // Decode what is still buffered (a last line without a newline); the chunks queue.
    stream_.decode_buffered([this](std::string_view line) { process_line(line); });
    if (!assembler.done()) {
      assembler.fail(
          protocol_error(stream_.provider_id(), "Ollama stream ended early (no done:true object)"));
    }
  }
  return assembler.status();
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
    return protocol_error(provider_id, "malformed JSON in the Ollama response: " + excerpt(body));
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
