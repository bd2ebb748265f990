#include "providers/anthropic/stream_decoder.hpp"

#include <simdjson.h>
#include <boost/json.hpp>
#include <cmath>
#include <utility>

#include "core/error_mapping.hpp"
#include "providers/anthropic/error_mapper.hpp"
#include "providers/common/json_dom.hpp"
#include "providers/common/json_reading.hpp"

namespace aisopod::anthropic {
namespace {

// od (simdjson::ondemand), error_code, and the walks and getters that read a payload.
using namespace json_reading;

// Views into one payload (the parser's buffers); valid until the next parse. Every field the
// decoder needs from any event type, read in one pass whatever the member order.
struct EventView {
  std::string_view type;
  std::int64_t index = 0;
  bool has_index = false;
  // message_start.message
  std::string_view message_id;
  std::string_view message_model;
  bool has_message_usage = false;
  Usage message_usage;
  // content_block_start.content_block
  std::string_view block_type;
  std::string_view block_id;
  std::string_view block_name;
  std::string_view block_text;
  std::string_view block_thinking;
  std::string_view block_signature;
  std::string_view block_data;
  std::string_view block_input;  // raw JSON of a tool_use block's input
  // content_block_delta.delta and message_delta.delta
  std::string_view delta_type;
  std::string_view delta_text;
  std::string_view delta_partial_json;
  std::string_view delta_thinking;
  std::string_view delta_signature;
  std::string_view delta_stop_reason;
  // message_delta.usage
  bool has_usage = false;
  Usage usage;
};

error_code parse_usage(od::value& value, Usage& usage, bool& present) {
  const auto read = [&usage](od::field& field) AISOPOD_SJ_INLINE -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "input_tokens") return get_count(field.value(), usage.input_tokens);
    if (key == "output_tokens") return get_count(field.value(), usage.output_tokens);
    if (key == "cache_read_input_tokens") return get_count(field.value(), usage.cache_read_tokens);
    if (key == "cache_creation_input_tokens") {
      return get_count(field.value(), usage.cache_write_tokens);
    }
    return simdjson::SUCCESS;
  };
  return for_each_member(value, read, &present);
}

error_code parse_message(od::value& value, EventView& view) {
  return for_each_member(value, [&view](od::field& field) AISOPOD_SJ_INLINE -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "id") return get_string_or_null(field.value(), view.message_id);
    if (key == "model") return get_string_or_null(field.value(), view.message_model);
    if (key == "usage") {
      return parse_usage(field.value(), view.message_usage, view.has_message_usage);
    }
    return simdjson::SUCCESS;
  });
}

error_code parse_block(od::value& value, EventView& view) {
  return for_each_member(value, [&view](od::field& field) AISOPOD_SJ_INLINE -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "type") return get_string_or_null(field.value(), view.block_type);
    if (key == "id") return get_string_or_null(field.value(), view.block_id);
    if (key == "name") return get_string_or_null(field.value(), view.block_name);
    if (key == "text") return get_string_or_null(field.value(), view.block_text);
    if (key == "thinking") return get_string_or_null(field.value(), view.block_thinking);
    if (key == "signature") return get_string_or_null(field.value(), view.block_signature);
    if (key == "data") return get_string_or_null(field.value(), view.block_data);
    if (key == "input") return get_raw_object(field.value(), view.block_input);
    return simdjson::SUCCESS;
  });
}

error_code parse_delta(od::value& value, EventView& view) {
  return for_each_member(value, [&view](od::field& field) AISOPOD_SJ_INLINE -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "type") return get_string_or_null(field.value(), view.delta_type);
    if (key == "text") return get_string_or_null(field.value(), view.delta_text);
    if (key == "partial_json") return get_string_or_null(field.value(), view.delta_partial_json);
    if (key == "thinking") return get_string_or_null(field.value(), view.delta_thinking);
    if (key == "signature") return get_string_or_null(field.value(), view.delta_signature);
    if (key == "stop_reason") return get_string_or_null(field.value(), view.delta_stop_reason);
    return simdjson::SUCCESS;
  });
}

error_code parse_event(od::document& document, EventView& view) {
  const auto read = [&view](od::field& field) AISOPOD_SJ_INLINE -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "type") return get_string_or_null(field.value(), view.type);
    if (key == "index") return get_index(field.value(), view.index, view.has_index);
    if (key == "message") return parse_message(field.value(), view);
    if (key == "content_block") return parse_block(field.value(), view);
    if (key == "delta") return parse_delta(field.value(), view);
    if (key == "usage") return parse_usage(field.value(), view.usage, view.has_usage);
    return simdjson::SUCCESS;
  };
  return for_each_field(document.get_object(), read);
}

bool is_blank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

FinishReason finish_for(std::string_view raw, bool json_tool_called, int tool_calls) {
  // The JSON-mode tool is how the answer is delivered, not a call the caller must run.
  if (raw == "tool_use" && json_tool_called && tool_calls == 0) return FinishReason::kStop;
  return finish_reason_from_anthropic(raw);
}

}  // namespace

#undef AISOPOD_SJ_TRY

FinishReason finish_reason_from_anthropic(std::string_view raw) {
  if (raw == "max_tokens" || raw == "model_context_window_exceeded") return FinishReason::kLength;
  if (raw == "tool_use") return FinishReason::kToolCalls;
  if (raw == "refusal") return FinishReason::kContentFilter;
  return FinishReason::kStop;
}

struct StreamDecoder::Scratch {
  od::parser parser;
};

static_assert(providers::kMovableNotCopyable<StreamDecoder>);

StreamDecoder::StreamDecoder(std::string provider_id, DecodeOptions options)
    : stream_(std::move(provider_id)),
      options_(std::move(options)),
      scratch_(providers::make_scratch<Scratch>()) {}

Result<std::optional<ChatCompletionChunk>> StreamDecoder::next() {
  return stream_.next([this](const codec::SseEvent& event) { process_event(event); });
}

Status StreamDecoder::finish() {
  stream_.decode_buffered([this](const codec::SseEvent& event) { process_event(event); });
  if (!stream_.assembler().done()) stream_.fail_ended_early("stream ended before message_stop");
  return stream_.assembler().status();
}

StreamDecoder::Block* StreamDecoder::find_block(std::int64_t wire_index) {
  for (Block& block : blocks_) {
    if (block.wire_index == wire_index) return &block;
  }
  return nullptr;
}

void StreamDecoder::process_event(const codec::SseEvent& event) {
  ChunkAssembler& assembler = stream_.assembler();
  if (is_blank(event.data)) return;
  // The SSE decoder guarantees kJsonPadding readable bytes after the data: parse in place.
  // Trailing spaces after the JSON (Anthropic pads data lines) are plain whitespace to simdjson.
  static_assert(codec::kJsonPadding >= simdjson::SIMDJSON_PADDING);
  const simdjson::padded_string_view padded(event.data.data(), event.data.size(),
                                            event.data.size() + codec::kJsonPadding);
  EventView view;
  od::document document;
  error_code code = scratch_->parser.iterate(padded).get(document);
  if (code == simdjson::SUCCESS) code = parse_event(document, view);
  if (code != simdjson::SUCCESS) {
    assembler.fail(Status(StatusCode::kProtocolError, std::string("malformed stream event (") +
                                                          simdjson::error_message(code) +
                                                          "): " + excerpt(event.data)));
    return;
  }
  const std::string_view type = view.type.empty() ? event.event : view.type;

  if (type == "content_block_delta") {
    Block* block = view.has_index ? find_block(view.index) : nullptr;
    if (block == nullptr) return;
    const std::string_view delta = view.delta_type;
    if (delta == "text_delta" && block->kind == BlockKind::kText) {
      assembler.text(view.delta_text);
    } else if (delta == "thinking_delta" && block->kind == BlockKind::kThinking) {
      assembler.reasoning(view.delta_thinking);
    } else if (delta == "signature_delta" && block->kind == BlockKind::kThinking) {
      assembler.reasoning_signature(view.delta_signature);
    } else if (delta == "input_json_delta" && !view.delta_partial_json.empty()) {
      if (block->kind == BlockKind::kToolUse) {
        block->has_arguments = true;
        assembler.tool_call_arguments(block->tool_key, view.delta_partial_json);
      } else if (block->kind == BlockKind::kJsonTool) {
        block->has_arguments = true;
        assembler.text(view.delta_partial_json);
      }
    }
    return;
  }

  if (type == "content_block_start") {
    if (!view.has_index) return;
    Block* block = find_block(view.index);
    if (block == nullptr) {
      block = &blocks_.emplace_back();
      block->wire_index = view.index;
    }
    *block = Block{view.index, BlockKind::kSkipped, 0, false};
    const std::string_view kind = view.block_type;
    if (kind == "text") {
      if (!options_.json_tool_name.empty() && options_.json_tool_forced) return;
      block->kind = BlockKind::kText;
      assembler.text(view.block_text);
    } else if (kind == "thinking") {
      block->kind = BlockKind::kThinking;
      assembler.reasoning(view.block_thinking);
      assembler.reasoning_signature(view.block_signature);
    } else if (kind == "redacted_thinking") {
      assembler.redacted_reasoning(view.block_data);
    } else if (kind == "tool_use") {
      if (!options_.json_tool_name.empty() && view.block_name == options_.json_tool_name) {
        block->kind = BlockKind::kJsonTool;
        json_tool_called_ = true;
      } else {
        // Block indexes restart with a repeated message_start; the call count does not.
        block->kind = BlockKind::kToolUse;
        block->tool_key = assembler.tool_call_count();
        assembler.tool_call_start(block->tool_key, view.block_id, view.block_name);
      }
      // The input arrives as input_json_delta fragments; an input given whole at the start
      // (some proxies) is kept for content_block_stop.
      if (!view.block_input.empty() && !is_blank(view.block_input) && view.block_input != "{}") {
        pending_input_.assign(view.block_input);
        pending_input_index_ = view.index;
      }
    }
    return;
  }

  if (type == "content_block_stop") {
    Block* block = view.has_index ? find_block(view.index) : nullptr;
    if (block == nullptr) return;
    if ((block->kind == BlockKind::kToolUse || block->kind == BlockKind::kJsonTool) &&
        !block->has_arguments) {
      // A call without arguments streams only "": its arguments are the empty object.
      std::string_view input = "{}";
      if (pending_input_index_ == block->wire_index && !pending_input_.empty()) {
        input = pending_input_;
      }
      block->has_arguments = true;
      if (block->kind == BlockKind::kToolUse) {
        assembler.tool_call_arguments(block->tool_key, input);
      } else {
        assembler.text(input);
      }
    }
    if (pending_input_index_ == block->wire_index) {
      pending_input_.clear();
      pending_input_index_ = -1;
    }
    return;
  }

  if (type == "message_start") {
    assembler.set_id_model(view.message_id, view.message_model);
    if (view.has_message_usage) assembler.usage(view.message_usage);
    // A second message_start means the upstream restarted the message: its blocks start again
    // at index 0. Tool-call numbering continues so that indexes stay unique.
    blocks_.clear();
    pending_input_.clear();
    pending_input_index_ = -1;
    stop_reason_.clear();
    assembler.role(Role::kAssistant);
    return;
  }

  if (type == "message_delta") {
    if (!view.delta_stop_reason.empty()) stop_reason_.assign(view.delta_stop_reason);
    if (view.has_usage) assembler.usage(view.usage);
    return;
  }

  if (type == "message_stop") {
    // The finish chunk carries the usage merged from message_start and message_delta.
    assembler.finish(finish_for(stop_reason_, json_tool_called_, assembler.tool_call_count()),
                     stop_reason_);
    assembler.end_of_stream();
    return;
  }

  if (type == "error") {
    assembler.fail(status_from_stream_error(event.data, stream_.provider_id()));
  }
  // ping, and event types this decoder does not know, add nothing.
}

Result<std::vector<ChatCompletionChunk>> decode_message(std::string_view body,
                                                        std::string_view provider_id,
                                                        const DecodeOptions& options) {
  namespace json = boost::json;
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) {
    return protocol_error(provider_id, "response is not a JSON object: " + excerpt(body));
  }
  const json::object& message = root.get_object();
  using json_dom::string_at;
  if (string_at(message, "type") == "error" || message.contains("error")) {
    return status_from_stream_error(body, provider_id);
  }
  const json::value* content = message.if_contains("content");
  if (content == nullptr || !content->is_array()) {
    return protocol_error(provider_id, "response has no content array: " + excerpt(body));
  }

  std::vector<ChatCompletionChunk> chunks;
  ChatCompletionChunk main;
  main.id = string_at(message, "id");
  main.model = string_at(message, "model");
  main.delta.role = Role::kAssistant;
  const bool drop_text = !options.json_tool_name.empty() && options.json_tool_forced;
  bool json_tool_called = false;
  int tool_calls = 0;
  for (const json::value& element : content->get_array()) {
    if (!element.is_object()) continue;
    const json::object& block = element.get_object();
    const std::string type = string_at(block, "type");
    if (type == "text") {
      if (!drop_text) main.delta.content += string_at(block, "text");
    } else if (type == "thinking") {
      main.delta.reasoning += string_at(block, "thinking");
      main.delta.reasoning_signature += string_at(block, "signature");
    } else if (type == "redacted_thinking") {
      std::string data = string_at(block, "data");
      if (data.empty()) continue;
      if (!main.delta.redacted_reasoning.empty()) {
        // One chunk holds one redacted block: earlier ones go out in chunks of their own.
        ChatCompletionChunk extra;
        extra.id = main.id;
        extra.model = main.model;
        extra.delta.redacted_reasoning = std::move(main.delta.redacted_reasoning);
        chunks.push_back(std::move(extra));
      }
      main.delta.redacted_reasoning = std::move(data);
    } else if (type == "tool_use") {
      const json::value* input = block.if_contains("input");
      std::string arguments =
          input != nullptr && input->is_object() ? json::serialize(*input) : std::string("{}");
      const std::string name = string_at(block, "name");
      if (!options.json_tool_name.empty() && name == options.json_tool_name) {
        json_tool_called = true;
        main.delta.content += arguments;
        continue;
      }
      ToolCallDelta call;
      call.index = tool_calls++;
      call.id = string_at(block, "id");
      call.name = name;
      call.arguments = std::move(arguments);
      main.delta.tool_calls.push_back(std::move(call));
    }
  }
  main.raw_finish_reason = string_at(message, "stop_reason");
  main.finish_reason = finish_for(main.raw_finish_reason, json_tool_called, tool_calls);
  if (const json::value* usage = message.if_contains("usage"); usage && usage->is_object()) {
    Usage u;
    auto count = [&](std::string_view key) -> std::int64_t {
      const json::value* v = usage->get_object().if_contains(key);
      if (v == nullptr) return 0;
      if (v->is_int64()) return v->get_int64();
      if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
      if (v->is_double()) return static_cast<std::int64_t>(std::llround(v->get_double()));
      return 0;
    };
    u.input_tokens = count("input_tokens");
    u.output_tokens = count("output_tokens");
    u.cache_read_tokens = count("cache_read_input_tokens");
    u.cache_write_tokens = count("cache_creation_input_tokens");
    main.usage = u;
  }
  chunks.push_back(std::move(main));
  return chunks;
}

}  // namespace aisopod::anthropic
