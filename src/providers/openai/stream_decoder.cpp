#include "providers/openai/stream_decoder.hpp"

#include <simdjson.h>
#include <cmath>
#include <utility>

#include "providers/common/json_reading.hpp"
#include "providers/openai/error_mapper.hpp"

namespace aisopod::openai {
namespace {

// od (simdjson::ondemand), error_code, and the walks and getters that read a payload.
using namespace json_reading;

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

// {"<name>": n, ...}: the count named `name`.
error_code get_detail(od::value& value, std::string_view name, std::int64_t& out) {
  return for_each_member(value, [name, &out](od::field& field) AISOPOD_SJ_INLINE -> error_code {
    return field.key() == name ? get_count(field.value(), out) : simdjson::SUCCESS;
  });
}

// Usage pieces (a payload may hold two: usage and x_groq.usage) are merged, larger wins.
error_code parse_usage(od::value& value, PayloadView& payload) {
  Usage usage;
  const auto read = [&usage](od::field& field) AISOPOD_SJ_INLINE -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "prompt_tokens") return get_count(field.value(), usage.input_tokens);
    if (key == "completion_tokens") return get_count(field.value(), usage.output_tokens);
    if (key == "prompt_tokens_details") {
      return get_detail(field.value(), "cached_tokens", usage.cache_read_tokens);
    }
    if (key == "completion_tokens_details") {
      return get_detail(field.value(), "reasoning_tokens", usage.reasoning_tokens);
    }
    return simdjson::SUCCESS;
  };
  bool present = false;  // not for "usage": null
  AISOPOD_SJ_TRY(for_each_member(value, read, &present));
  if (present) {
    if (payload.has_usage) usage.merge_max(payload.usage);
    payload.usage = usage;
    payload.has_usage = true;
  }
  return simdjson::SUCCESS;
}

error_code parse_function(od::value& value, ToolCallView& call) {
  return for_each_member(value, [&call](od::field& field) AISOPOD_SJ_INLINE -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "name") return get_string_or_null(field.value(), call.name);
    if (key == "arguments") return get_string_or_null(field.value(), call.arguments);
    return simdjson::SUCCESS;
  });
}

error_code parse_tool_call(od::value& value, ToolCallView& call) {
  const auto read = [&call](od::field& field) AISOPOD_SJ_INLINE -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "index") return get_index(field.value(), call.index, call.has_index);
    if (key == "id") return get_string_or_null(field.value(), call.id);
    if (key == "function") return parse_function(field.value(), call);
    return simdjson::SUCCESS;
  };
  return for_each_field(value.get_object(), read);
}

error_code parse_delta(od::value& value, ChoiceView& choice, std::vector<ToolCallView>& calls) {
  const auto read = [&choice, &calls](od::field& field) AISOPOD_SJ_INLINE -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "content") return get_string_or_null(field.value(), choice.content);
    if (key == "role") return get_string_or_null(field.value(), choice.role);
    if (key == "tool_calls") {
      return for_each_element(field.value(), [&calls](od::value& element) AISOPOD_SJ_INLINE {
        return parse_tool_call(element, calls.emplace_back());
      });
    }
    if (key == "refusal") return get_string_or_null(field.value(), choice.refusal);
    if (key == "reasoning_content") {
      return get_string_or_null(field.value(), choice.reasoning_content);
    }
    if (key == "reasoning") return get_string_or_null(field.value(), choice.reasoning);
    return simdjson::SUCCESS;
  };
  return for_each_member(value, read);
}

// One element of "choices" into `choice`, its tool calls appended to `calls`. Inlined into the
// walk over the choices, as a loop body would be.
AISOPOD_SJ_INLINE inline error_code parse_choice(od::value& element, ChoiceView& choice,
                                                 std::vector<ToolCallView>& calls) {
  const auto read = [&choice, &calls](od::field& field) AISOPOD_SJ_INLINE -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "delta") return parse_delta(field.value(), choice, calls);
    if (key == "finish_reason") return get_string_or_null(field.value(), choice.finish_reason);
    if (key == "index") {
      bool present = false;
      return get_index(field.value(), choice.index, present);
    }
    return simdjson::SUCCESS;
  };
  return for_each_field(element.get_object(), read);
}

// Fills `payload.choice` from the first choice with index 0. The index may follow the delta
// (Qwen), so every choice is read into views first and dropped afterwards if it is not 0.
error_code parse_choices(od::value& value, PayloadView& payload, std::vector<ToolCallView>& calls) {
  const auto read = [&payload, &calls](od::value& element) AISOPOD_SJ_INLINE -> error_code {
    const std::size_t calls_before = calls.size();
    ChoiceView& choice = payload.candidate;
    choice.reset();
    AISOPOD_SJ_TRY(parse_choice(element, choice, calls));
    if (choice.index == 0 && !payload.has_choice) {
      payload.has_choice = true;
      payload.choice = choice;
    } else {
      calls.resize(calls_before);
    }
    return simdjson::SUCCESS;
  };
  return for_each_element(value, read);
}

// Kept out of line: inlined into process_event(), g++ 12 laid out the on-demand walk so that
// decoding ran ~5% slower (BENCHMARKS.md, "Chunk assembler A/B").
[[gnu::noinline]] error_code parse_payload(od::document& document, PayloadView& payload,
                                           std::vector<ToolCallView>& calls) {
  const auto read_groq = [&payload](od::field& field) AISOPOD_SJ_INLINE -> error_code {
    return field.key() == "usage" ? parse_usage(field.value(), payload) : simdjson::SUCCESS;
  };
  const auto read = [&](od::field& field) AISOPOD_SJ_INLINE -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "choices") return parse_choices(field.value(), payload, calls);
    if (key == "id") return get_string_or_null(field.value(), payload.id);
    if (key == "model") return get_string_or_null(field.value(), payload.model);
    if (key == "usage") return parse_usage(field.value(), payload);
    if (key == "x_groq") return for_each_member(field.value(), read_groq);
    if (key == "error") {
      od::json_type type;
      AISOPOD_SJ_TRY(field.value().type().get(type));
      if (type == od::json_type::object || type == od::json_type::string) {
        payload.has_error = true;
        return kStopWalk;  // the rest does not matter: the payload is an error report
      }
    }
    return simdjson::SUCCESS;
  };
  return for_each_field(document.get_object(), read);
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

static_assert(providers::kMovableNotCopyable<StreamDecoder>);

StreamDecoder::StreamDecoder(std::string provider_id)
    : stream_(std::move(provider_id)), scratch_(providers::make_scratch<Scratch>()) {}

// The chunk is built in place inside the Result next() returns (ChunkAssembler::next(pump)).
Result<std::optional<ChatCompletionChunk>> StreamDecoder::next() {
  return stream_.next([this](const codec::SseEvent& event) { process_event(event); });
}

Status StreamDecoder::finish() {
  stream_.decode_buffered([this](const codec::SseEvent& event) { process_event(event); });
  ChunkAssembler& assembler = stream_.assembler();
  if (!assembler.done()) {
    // A finish reason makes the answer complete: a last "data: [DONE]" without its blank line
    // (a framing error) does not matter then.
    if (assembler.finish_seen()) {
      assembler.end_of_stream();
    } else {
      stream_.fail_ended_early("stream ended early: no finish reason and no [DONE]");
    }
  }
  return assembler.status();
}

void StreamDecoder::process_event(const codec::SseEvent& event) {
  ChunkAssembler& assembler = stream_.assembler();
  if (event.event == "error") {
    assembler.fail(status_from_stream_error(event.data, stream_.provider_id()));
    return;
  }
  const std::string_view trimmed = trim(event.data);
  if (trimmed == "[DONE]") {
    // [DONE] without a finish reason: the answer is complete, its reason unknown.
    assembler.finish(FinishReason::kStop, {});
    assembler.end_of_stream();
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
    assembler.fail(Status(StatusCode::kProtocolError, std::string("malformed stream chunk (") +
                                                          simdjson::error_message(code) +
                                                          "): " + excerpt(event.data)));
    return;
  }
  if (payload.has_error) {
    assembler.fail(status_from_stream_error(event.data, stream_.provider_id()));
    return;
  }

  assembler.set_id_model(payload.id, payload.model);
  if (payload.has_choice) {
    const ChoiceView& choice = payload.choice;
    if (!choice.role.empty()) {
      if (auto role = role_from_name(choice.role)) assembler.role(*role);
    }
    assembler.text(choice.content);
    assembler.text(choice.refusal);
    assembler.reasoning(choice.reasoning_content);
    assembler.reasoning(choice.reasoning);
    if (!calls.empty()) map_tool_calls();
    if (!choice.finish_reason.empty()) {
      assembler.finish(finish_reason_from_openai(choice.finish_reason), choice.finish_reason);
    }
  }
  if (payload.has_usage) assembler.usage(payload.usage);
}

void StreamDecoder::map_tool_calls() {
  ChunkAssembler& assembler = stream_.assembler();
  for (const ToolCallView& view : scratch_->calls) {
    const int known = assembler.tool_call_count();
    std::int64_t key = 0;
    if (view.has_index) {
      key = view.index;
    } else if (known > 0 && (view.id.empty() || view.id == last_call_id_)) {
      // No index (some gateways): a delta without a new id continues the last call.
      key = last_call_key_;
    } else {
      key = -1 - static_cast<std::int64_t>(known);  // a key no server sends
    }
    assembler.tool_call(key, view.id, view.name, view.arguments);
    if (assembler.tool_call_count() != known) {
      last_call_key_ = key;
      last_call_id_.assign(view.id);
    } else if (key == last_call_key_ && last_call_id_.empty()) {
      last_call_id_.assign(view.id);  // the last call's id, first known now
    }
  }
}

}  // namespace aisopod::openai
