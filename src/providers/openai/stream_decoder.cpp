#include "providers/openai/stream_decoder.hpp"

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

// Builds a chunk in place by default-initialization, which (unlike the value-initialization
// of emplace()) does not zero the whole object first.
struct FreshChunk {
  operator ChatCompletionChunk() const {  // NOLINT(google-explicit-constructor)
    ChatCompletionChunk chunk;            // default-initialized: members take their initializers
    return chunk;
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

error_code parse_payload(od::document& document, PayloadView& payload,
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
    : provider_id_(std::move(provider_id)), scratch_(std::make_unique<Scratch>()) {}
StreamDecoder::~StreamDecoder() = default;
StreamDecoder::StreamDecoder(StreamDecoder&&) noexcept = default;
StreamDecoder& StreamDecoder::operator=(StreamDecoder&&) noexcept = default;

void StreamDecoder::feed(std::string_view bytes) {
  if (done_ || finish_status_ || !error_.ok()) return;
  sse_.feed(bytes);
}

void StreamDecoder::fail(Status status) {
  if (status.provider().empty()) status.set_provider(provider_id_);
  error_ = std::move(status);
  done_ = true;
}

// The chunk is built in place inside the returned Result (NRVO), so the common path moves no
// chunk at all; a second chunk from the same event waits in ready_.
Result<std::optional<ChatCompletionChunk>> StreamDecoder::next() {
  Result<std::optional<ChatCompletionChunk>> result{std::optional<ChatCompletionChunk>()};
  std::optional<ChatCompletionChunk>& out = *result;
  for (;;) {
    if (ready_head_ < ready_.size()) {
      out.emplace(std::move(ready_[ready_head_++]));
      if (ready_head_ == ready_.size()) {
        ready_.clear();
        ready_head_ = 0;
      }
      return result;
    }
    if (!error_.ok()) {
      result = Result<std::optional<ChatCompletionChunk>>(error_);
      return result;
    }
    if (done_) return result;
    auto event = sse_.next();
    if (!event.ok()) {
      fail(event.error());
      continue;
    }
    if (!event->has_value()) return result;
    if (!process_event(**event, &out)) {
      out.reset();  // an event that fails emits nothing (and none did before it)
      continue;
    }
    if (out) return result;
  }
}

Status StreamDecoder::finish() {
  if (finish_status_) return *finish_status_;
  if (!done_) {
    // Decode what is still buffered; the chunks wait in ready_ for next().
    for (;;) {
      auto event = sse_.next();
      if (!event.ok()) {
        fail(event.error());
        break;
      }
      if (!event->has_value()) break;
      if (!process_event(**event, nullptr)) break;
      if (done_) break;
    }
  }
  if (error_.ok() && !done_) {
    // The framing status matters only when the stream is incomplete anyway: a last
    // "data: [DONE]" without its blank line after a finish reason is a complete answer.
    const Status framing = sse_.finish();
    if (finish_seen_) {
      end_of_stream(nullptr);
    } else {
      std::string message = "stream ended early: no finish reason and no [DONE]";
      if (!framing.ok()) message += " (" + framing.message() + ")";
      fail(Status(StatusCode::kProtocolError, std::move(message)));
    }
  }
  done_ = true;
  finish_status_ = error_;
  return error_;
}

ChatCompletionChunk& StreamDecoder::open_chunk(std::optional<ChatCompletionChunk>* out) {
  ChatCompletionChunk& chunk = out != nullptr && !out->has_value()
                                   ? out->emplace(FreshChunk{})
                                   : ready_.emplace_back(FreshChunk{});
  // id and model go out on the first chunk and again only when they change: copying them
  // into every chunk cost two allocations per chunk, a third of the decoding time.
  if (announce_id_) {
    chunk.id = id_;
    chunk.model = model_;
    announce_id_ = false;
  }
  return chunk;
}

void StreamDecoder::drop_chunk(const ChatCompletionChunk& chunk,
                               std::optional<ChatCompletionChunk>* out) {
  // A dropped chunk that carried id and model leaves them still to be announced.
  if (!chunk.id.empty() || !chunk.model.empty()) announce_id_ = true;
  if (out != nullptr && out->has_value() && &**out == &chunk) {
    out->reset();
  } else {
    ready_.pop_back();  // open_chunk() put it last
  }
}

void StreamDecoder::emit(ChatCompletionChunk&& chunk, std::optional<ChatCompletionChunk>* out) {
  if (out != nullptr && !out->has_value()) {
    out->emplace(std::move(chunk));
  } else {
    ready_.push_back(std::move(chunk));
  }
}

void StreamDecoder::end_of_stream(std::optional<ChatCompletionChunk>* out) {
  done_ = true;
  if (held_) {
    if (usage_ && !usage_reported_) held_->usage = usage_;
    usage_reported_ = true;
    emit(std::move(*held_), out);
    held_.reset();
  } else if (!finish_seen_) {
    // [DONE] without a finish reason: the answer is complete, its reason unknown.
    finish_seen_ = true;
    ChatCompletionChunk& chunk = open_chunk(out);
    chunk.finish_reason = FinishReason::kStop;
    if (usage_ && !usage_reported_) chunk.usage = usage_;
    usage_reported_ = true;
  }
}

bool StreamDecoder::process_event(const codec::SseEvent& event,
                                  std::optional<ChatCompletionChunk>* out) {
  if (event.event == "error") {
    fail(status_from_stream_error(event.data, provider_id_));
    return false;
  }
  const std::string_view trimmed = trim(event.data);
  if (trimmed == "[DONE]") {
    end_of_stream(out);
    return true;
  }
  if (trimmed.empty()) return true;  // keep-alive

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
    fail(Status(StatusCode::kProtocolError, std::string("malformed stream chunk (") +
                                                simdjson::error_message(code) +
                                                "): " + excerpt(event.data)));
    return false;
  }
  if (payload.has_error) {
    fail(status_from_stream_error(event.data, provider_id_));
    return false;
  }

  if (!payload.id.empty() && payload.id != id_) {
    id_.assign(payload.id);
    announce_id_ = true;
  }
  if (!payload.model.empty() && payload.model != model_) {
    model_.assign(payload.model);
    announce_id_ = true;
  }

  ChatCompletionChunk& chunk = open_chunk(out);
  bool has_news = false;
  bool is_finish = false;
  if (payload.has_choice) {
    const ChoiceView& choice = payload.choice;
    if (!choice.role.empty() && !role_sent_) {
      if (auto role = role_from_name(choice.role)) {
        chunk.delta.role = role;
        role_sent_ = true;
        has_news = true;
      }
    }
    chunk.delta.content.append(choice.content);
    chunk.delta.content.append(choice.refusal);
    chunk.delta.reasoning.append(choice.reasoning_content);
    chunk.delta.reasoning.append(choice.reasoning);
    has_news = has_news || !chunk.delta.content.empty() || !chunk.delta.reasoning.empty();

    for (const ToolCallView& view : calls) {
      std::size_t slot = calls_.size();
      if (view.has_index) {
        for (std::size_t i = 0; i < calls_.size(); ++i) {
          if (calls_[i].wire_index == view.index) slot = i;
        }
      } else if (!calls_.empty() && (view.id.empty() || view.id == calls_.back().id)) {
        // No index (some gateways): a delta without a new id continues the last call.
        slot = calls_.size() - 1;
      }
      ToolCallDelta delta;
      delta.index = static_cast<int>(slot);
      if (slot == calls_.size()) {
        ToolCallState state;
        // Calls without a wire index get keys no server sends.
        state.wire_index = view.has_index ? view.index : -1 - static_cast<std::int64_t>(slot);
        calls_.push_back(std::move(state));
      }
      ToolCallState& state = calls_[slot];
      if (!state.id_known && !view.id.empty()) {
        state.id_known = true;
        state.id.assign(view.id);
        delta.id.assign(view.id);
      }
      if (!state.name_known && !view.name.empty()) {
        state.name_known = true;
        delta.name.assign(view.name);
      }
      delta.arguments.assign(view.arguments);
      if (!delta.id.empty() || !delta.name.empty() || !delta.arguments.empty()) {
        chunk.delta.tool_calls.push_back(std::move(delta));
        has_news = true;
      }
    }

    if (!choice.finish_reason.empty() && !finish_seen_) {
      finish_seen_ = true;
      is_finish = true;
      chunk.finish_reason = finish_reason_from_openai(choice.finish_reason);
      chunk.raw_finish_reason.assign(choice.finish_reason);
    }
  }

  const bool new_usage = payload.has_usage && !usage_reported_;
  if (new_usage) {
    if (usage_) {
      usage_->merge_max(payload.usage);
    } else {
      usage_ = payload.usage;
    }
  }

  if (is_finish) {
    if (new_usage) {
      chunk.usage = usage_;
      usage_reported_ = true;
    } else {
      // Held back until the usage arrives or the stream ends, so that usage is in the last
      // chunk and reported once.
      held_ = std::move(chunk);
      drop_chunk(chunk, out);
    }
    return true;
  }
  if (!has_news) drop_chunk(chunk, out);
  if (new_usage && held_) {
    held_->usage = usage_;
    usage_reported_ = true;
    emit(std::move(*held_), out);
    held_.reset();
  }
  return true;
}

}  // namespace aisopod::openai
