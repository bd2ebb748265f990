#include "providers/openai/stream_decoder.hpp"

#include "providers/common/sse_events.hpp"

#include <simdjson.h>
#include <cmath>
#include <utility>

#include "providers/common/json_reading.hpp"
#include "providers/openai/error_mapper.hpp"

namespace aisopod::openai {
namespace {

namespace od = simdjson::ondemand;
using json_reading::excerpt;
using json_reading::get_count;
using json_reading::get_string_or_null;
using simdjson::error_code;

// Views into one payload (the parser's string buffer); valid until the next parse.
struct ToolCallView {
  std::int64_t index = 0;
  bool has_index = false;
  std::string_view id;
  std::string_view name;
  std::string_view arguments;
};

// The views are kept in the decoder's scratch space and reset member by member: a fresh
// ~200-byte struct per event costs a `rep stos` that showed up in profiles.
struct ChoiceView {
  std::int64_t index = 0;
  std::string_view role;
  std::string_view content;
  std::string_view refusal;
  std::string_view reasoning_content;
  std::string_view reasoning;
  std::string_view finish_reason;

  void reset() {
    // One assignment per member: a chained assignment reads the zeros back (store stall).
    index = 0;
    role = {};
    content = {};
    refusal = {};
    reasoning_content = {};
    reasoning = {};
    finish_reason = {};
  }
};

struct PayloadView {
  std::string_view id;
  std::string_view model;
  bool has_choice = false;  // a choice with index 0
  ChoiceView choice;
  ChoiceView candidate;  // the choice being read
  bool has_usage = false;
  Usage usage;
  bool has_error = false;

  void reset() {
    id = {};
    model = {};
    has_choice = false;
    has_usage = false;
    has_error = false;
    choice.reset();
  }
};

// An integer index; `present` stays false for null or any other type.
error_code get_index(od::value& value, std::int64_t& out, bool& present) {
  const error_code error = value.get_int64().get(out);
  if (error == simdjson::SUCCESS) {
    present = true;
    return error;
  }
  out = 0;
  return error == simdjson::INCORRECT_TYPE || error == simdjson::NUMBER_ERROR ? simdjson::SUCCESS
                                                                              : error;
}

// {"<name>": n, ...}: the count named `name`.
error_code get_detail(od::value& value, std::string_view name, std::int64_t& out) {
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  if (type != od::json_type::object) return simdjson::SUCCESS;
  auto object_result = value.get_object();
  if (const error_code e = object_result.error(); e != simdjson::SUCCESS) return e;
  od::object& object = object_result.value_unsafe();
  for (auto field_result : object) {
    if (const error_code e = field_result.error(); e != simdjson::SUCCESS) return e;
    od::field& field = field_result.value_unsafe();
    if (field.key() == name) AISOPOD_SJ_TRY(get_count(field.value(), out));
  }
  return simdjson::SUCCESS;
}

error_code parse_usage(od::value& value, Usage& usage, bool& present) {
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  if (type != od::json_type::object) return simdjson::SUCCESS;  // "usage": null
  present = true;
  usage = Usage{};
  auto object_result = value.get_object();
  if (const error_code e = object_result.error(); e != simdjson::SUCCESS) return e;
  od::object& object = object_result.value_unsafe();
  for (auto field_result : object) {
    if (const error_code e = field_result.error(); e != simdjson::SUCCESS) return e;
    od::field& field = field_result.value_unsafe();
    const od::raw_json_string key = field.key();
    if (key == "prompt_tokens") {
      AISOPOD_SJ_TRY(get_count(field.value(), usage.input_tokens));
    } else if (key == "completion_tokens") {
      AISOPOD_SJ_TRY(get_count(field.value(), usage.output_tokens));
    } else if (key == "prompt_tokens_details") {
      AISOPOD_SJ_TRY(get_detail(field.value(), "cached_tokens", usage.cache_read_tokens));
    } else if (key == "completion_tokens_details") {
      AISOPOD_SJ_TRY(get_detail(field.value(), "reasoning_tokens", usage.reasoning_tokens));
    }
  }
  return simdjson::SUCCESS;
}

error_code parse_tool_call(od::value& value, ToolCallView& call) {
  auto object_result = value.get_object();
  if (const error_code e = object_result.error(); e != simdjson::SUCCESS) return e;
  od::object& object = object_result.value_unsafe();
  for (auto field_result : object) {
    if (const error_code e = field_result.error(); e != simdjson::SUCCESS) return e;
    od::field& field = field_result.value_unsafe();
    const od::raw_json_string key = field.key();
    if (key == "index") {
      AISOPOD_SJ_TRY(get_index(field.value(), call.index, call.has_index));
    } else if (key == "id") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), call.id));
    } else if (key == "function") {
      od::json_type type;
      AISOPOD_SJ_TRY(field.value().type().get(type));
      if (type != od::json_type::object) continue;
      auto function_result = field.value().get_object();
      if (const error_code e = function_result.error(); e != simdjson::SUCCESS) return e;
      od::object& function = function_result.value_unsafe();
      for (auto inner_result : function) {
        if (const error_code e = inner_result.error(); e != simdjson::SUCCESS) return e;
        od::field& inner = inner_result.value_unsafe();
        const od::raw_json_string inner_key = inner.key();
        if (inner_key == "name") {
          AISOPOD_SJ_TRY(get_string_or_null(inner.value(), call.name));
        } else if (inner_key == "arguments") {
          AISOPOD_SJ_TRY(get_string_or_null(inner.value(), call.arguments));
        }
      }
    }
  }
  return simdjson::SUCCESS;
}

error_code parse_delta(od::value& value, ChoiceView& choice, std::vector<ToolCallView>& calls) {
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  if (type != od::json_type::object) return simdjson::SUCCESS;
  auto object_result = value.get_object();
  if (const error_code e = object_result.error(); e != simdjson::SUCCESS) return e;
  od::object& object = object_result.value_unsafe();
  for (auto field_result : object) {
    if (const error_code e = field_result.error(); e != simdjson::SUCCESS) return e;
    od::field& field = field_result.value_unsafe();
    const od::raw_json_string key = field.key();
    if (key == "content") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), choice.content));
    } else if (key == "role") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), choice.role));
    } else if (key == "tool_calls") {
      AISOPOD_SJ_TRY(field.value().type().get(type));
      if (type != od::json_type::array) continue;
      auto array_result = field.value().get_array();
      if (const error_code e = array_result.error(); e != simdjson::SUCCESS) return e;
      od::array& array = array_result.value_unsafe();
      for (auto element_result : array) {
        if (const error_code e = element_result.error(); e != simdjson::SUCCESS) return e;
        od::value& element = element_result.value_unsafe();
        AISOPOD_SJ_TRY(parse_tool_call(element, calls.emplace_back()));
      }
    } else if (key == "refusal") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), choice.refusal));
    } else if (key == "reasoning_content") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), choice.reasoning_content));
    } else if (key == "reasoning") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), choice.reasoning));
    }
  }
  return simdjson::SUCCESS;
}

// Fills `payload.choice` from the first choice with index 0. The index may follow the delta
// (Qwen), so every choice is read into views first and dropped afterwards if it is not 0.
error_code parse_choices(od::value& value, PayloadView& payload, std::vector<ToolCallView>& calls) {
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  if (type != od::json_type::array) return simdjson::SUCCESS;
  auto array_result = value.get_array();
  if (const error_code e = array_result.error(); e != simdjson::SUCCESS) return e;
  od::array& array = array_result.value_unsafe();
  for (auto element_result : array) {
    if (const error_code e = element_result.error(); e != simdjson::SUCCESS) return e;
    od::value& element = element_result.value_unsafe();
    auto object_result = element.get_object();
    if (const error_code e = object_result.error(); e != simdjson::SUCCESS) return e;
    od::object& object = object_result.value_unsafe();
    const std::size_t calls_before = calls.size();
    ChoiceView& choice = payload.candidate;
    choice.reset();
    for (auto field_result : object) {
      if (const error_code e = field_result.error(); e != simdjson::SUCCESS) return e;
      od::field& field = field_result.value_unsafe();
      const od::raw_json_string key = field.key();
      if (key == "delta") {
        AISOPOD_SJ_TRY(parse_delta(field.value(), choice, calls));
      } else if (key == "finish_reason") {
        AISOPOD_SJ_TRY(get_string_or_null(field.value(), choice.finish_reason));
      } else if (key == "index") {
        bool present = false;
        AISOPOD_SJ_TRY(get_index(field.value(), choice.index, present));
      }
    }
    if (choice.index == 0 && !payload.has_choice) {
      payload.has_choice = true;
      payload.choice = choice;
    } else {
      calls.resize(calls_before);
    }
  }
  return simdjson::SUCCESS;
}

// Kept out of line: inlined into process_event(), g++ 12 laid out the on-demand walk so that
// decoding ran ~5% slower (BENCHMARKS.md, "Chunk assembler A/B").
[[gnu::noinline]] error_code parse_payload(od::document& document, PayloadView& payload,
                                           std::vector<ToolCallView>& calls) {
  auto root_result = document.get_object();
  if (const error_code e = root_result.error(); e != simdjson::SUCCESS) return e;
  od::object& root = root_result.value_unsafe();
  for (auto field_result : root) {
    if (const error_code e = field_result.error(); e != simdjson::SUCCESS) return e;
    od::field& field = field_result.value_unsafe();
    const od::raw_json_string key = field.key();
    if (key == "choices") {
      AISOPOD_SJ_TRY(parse_choices(field.value(), payload, calls));
    } else if (key == "id") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), payload.id));
    } else if (key == "model") {
      AISOPOD_SJ_TRY(get_string_or_null(field.value(), payload.model));
    } else if (key == "usage") {
      Usage usage;
      bool present = false;
      AISOPOD_SJ_TRY(parse_usage(field.value(), usage, present));
      if (present) {
        if (payload.has_usage) usage.merge_max(payload.usage);
        payload.usage = usage;
        payload.has_usage = true;
      }
    } else if (key == "x_groq") {
      od::json_type type;
      AISOPOD_SJ_TRY(field.value().type().get(type));
      if (type != od::json_type::object) continue;
      auto groq_result = field.value().get_object();
      if (const error_code e = groq_result.error(); e != simdjson::SUCCESS) return e;
      od::object& groq = groq_result.value_unsafe();
      for (auto inner_result : groq) {
        if (const error_code e = inner_result.error(); e != simdjson::SUCCESS) return e;
        od::field& inner = inner_result.value_unsafe();
        if (inner.key() != "usage") continue;
        Usage usage;
        bool present = false;
        AISOPOD_SJ_TRY(parse_usage(inner.value(), usage, present));
        if (present) {
          if (payload.has_usage) usage.merge_max(payload.usage);
          payload.usage = usage;
          payload.has_usage = true;
        }
      }
    } else if (key == "error") {
      od::json_type type;
      AISOPOD_SJ_TRY(field.value().type().get(type));
      if (type == od::json_type::object || type == od::json_type::string) {
        payload.has_error = true;
        return simdjson::SUCCESS;
      }
    }
  }
  return simdjson::SUCCESS;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

#undef AISOPOD_SJ_TRY

struct StreamDecoder::Scratch {
  od::parser parser;
  PayloadView payload;
  std::vector<ToolCallView> calls;
};

FinishReason finish_reason_from_openai(std::string_view raw) {
  if (raw == "stop") return FinishReason::kStop;
  if (raw == "length") return FinishReason::kLength;
  if (raw == "tool_calls" || raw == "function_call") return FinishReason::kToolCalls;
  if (raw == "content_filter") return FinishReason::kContentFilter;
  return FinishReason::kStop;
}

StreamDecoder::StreamDecoder(std::string provider_id)
    : provider_id_(std::move(provider_id)),
      scratch_(std::make_unique<Scratch>()),
      assembler_(provider_id_) {}
StreamDecoder::~StreamDecoder() = default;
StreamDecoder::StreamDecoder(StreamDecoder&&) noexcept = default;
StreamDecoder& StreamDecoder::operator=(StreamDecoder&&) noexcept = default;

void StreamDecoder::feed(std::string_view bytes) {
  if (assembler_.done()) return;
  sse_.feed(bytes);
}

// The chunk is built in place inside the Result next() returns (ChunkAssembler::next(pump)).
Result<std::optional<ChatCompletionChunk>> StreamDecoder::next() {
  return assembler_.next([this] { return decode_one_event(); });
}

bool StreamDecoder::decode_one_event() {
  return providers::decode_one_sse_event(
      sse_, assembler_, [this](const codec::SseEvent& event) { process_event(event); });
}

Status StreamDecoder::finish() {
  // Decode what is still buffered; the chunks queue in the assembler for next().
  while (!assembler_.done() && decode_one_event()) {
  }
  if (!assembler_.done()) {
    // The framing status matters only when the stream is incomplete anyway: a last
    // "data: [DONE]" without its blank line after a finish reason is a complete answer.
    const Status framing = sse_.finish();
    if (assembler_.finish_seen()) {
      assembler_.end_of_stream();
    } else {
      std::string message = "stream ended early: no finish reason and no [DONE]";
      if (!framing.ok()) message += " (" + framing.message() + ")";
      assembler_.fail(Status(StatusCode::kProtocolError, std::move(message)));
    }
  }
  return assembler_.status();
}

void StreamDecoder::process_event(const codec::SseEvent& event) {
  if (event.event == "error") {
    assembler_.fail(status_from_stream_error(event.data, provider_id_));
    return;
  }
  const std::string_view trimmed = trim(event.data);
  if (trimmed == "[DONE]") {
    // [DONE] without a finish reason: the answer is complete, its reason unknown.
    assembler_.finish(FinishReason::kStop, {});
    assembler_.end_of_stream();
    return;
  }
  if (trimmed.empty()) return;  // keep-alive

  // The SSE decoder guarantees kJsonPadding readable bytes after the data: parse in place.
  static_assert(codec::kJsonPadding >= simdjson::SIMDJSON_PADDING);
  const simdjson::padded_string_view padded(event.data.data(), event.data.size(),
                                            event.data.size() + codec::kJsonPadding);
  PayloadView& payload = scratch_->payload;
  payload.reset();
  std::vector<ToolCallView>& calls = scratch_->calls;
  calls.clear();
  od::document document;
  error_code code = scratch_->parser.iterate(padded).get(document);
  if (code == simdjson::SUCCESS) code = parse_payload(document, payload, calls);
  if (code != simdjson::SUCCESS) {
    assembler_.fail(Status(StatusCode::kProtocolError, std::string("malformed stream chunk (") +
                                                           simdjson::error_message(code) +
                                                           "): " + excerpt(event.data)));
    return;
  }
  if (payload.has_error) {
    assembler_.fail(status_from_stream_error(event.data, provider_id_));
    return;
  }

  assembler_.set_id_model(payload.id, payload.model);
  if (payload.has_choice) {
    const ChoiceView& choice = payload.choice;
    if (!choice.role.empty()) {
      if (auto role = role_from_name(choice.role)) assembler_.role(*role);
    }
    assembler_.text(choice.content);
    assembler_.text(choice.refusal);
    assembler_.reasoning(choice.reasoning_content);
    assembler_.reasoning(choice.reasoning);
    if (!calls.empty()) map_tool_calls();
    if (!choice.finish_reason.empty()) {
      assembler_.finish(finish_reason_from_openai(choice.finish_reason), choice.finish_reason);
    }
  }
  if (payload.has_usage) assembler_.usage(payload.usage);
}

void StreamDecoder::map_tool_calls() {
  for (const ToolCallView& view : scratch_->calls) {
    const int known = assembler_.tool_call_count();
    std::int64_t key = 0;
    if (view.has_index) {
      key = view.index;
    } else if (known > 0 && (view.id.empty() || view.id == last_call_id_)) {
      // No index (some gateways): a delta without a new id continues the last call.
      key = last_call_key_;
    } else {
      key = -1 - static_cast<std::int64_t>(known);  // a key no server sends
    }
    assembler_.tool_call(key, view.id, view.name, view.arguments);
    if (assembler_.tool_call_count() != known) {
      last_call_key_ = key;
      last_call_id_.assign(view.id);
    } else if (key == last_call_key_ && last_call_id_.empty()) {
      last_call_id_.assign(view.id);  // the last call's id, first known now
    }
  }
}

}  // namespace aisopod::openai
