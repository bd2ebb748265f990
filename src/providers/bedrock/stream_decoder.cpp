#include "providers/bedrock/stream_decoder.hpp"

#include <simdjson.h>

#include <boost/json.hpp>
#include <cmath>
#include <utility>

#include "core/ascii_text.hpp"
#include "providers/bedrock/error_mapper.hpp"
#include "providers/common/json_dom.hpp"
#include "providers/common/json_reading.hpp"

namespace aisopod::bedrock {
namespace {

namespace od = simdjson::ondemand;
using json_reading::excerpt;
using json_reading::for_each_member;
using json_reading::get_count;
using json_reading::get_index;
using json_reading::get_string_or_null;
using simdjson::error_code;

// Views into one payload (the parser's buffers); valid until the next parse. Every field the
// decoder needs from any event type, read in one pass whatever the member order.
struct EventView {
  std::string_view role;
  std::int64_t index = 0;
  bool has_index = false;
  // contentBlockStart.start.toolUse
  bool tool_start = false;
  bool other_start = false;  // an image or toolResult block
  std::string_view tool_id;
  std::string_view tool_name;
  // contentBlockDelta.delta
  std::string_view text;
  bool has_tool_input = false;
  std::string_view tool_input;
  std::string_view reasoning_text;
  std::string_view reasoning_signature;
  std::string_view redacted;
  // messageStop
  std::string_view stop_reason;
  // metadata
  bool has_usage = false;
  Usage usage;
};

error_code parse_usage(od::value value, EventView& view) {
  return for_each_member(value, [&view](od::field& field) -> error_code {
    view.has_usage = true;
    const od::raw_json_string key = field.key();
    if (key == "inputTokens") return get_count(field.value(), view.usage.input_tokens);
    if (key == "outputTokens") return get_count(field.value(), view.usage.output_tokens);
    if (key == "cacheReadInputTokens") {
      return get_count(field.value(), view.usage.cache_read_tokens);
    }
    if (key == "cacheWriteInputTokens") {
      return get_count(field.value(), view.usage.cache_write_tokens);
    }
    return simdjson::SUCCESS;
  });
}

error_code parse_start(od::value value, EventView& view) {
  return for_each_member(value, [&view](od::field& field) -> error_code {
    if (field.key() != "toolUse") {
      view.other_start = true;
      return simdjson::SUCCESS;
    }
    view.tool_start = true;
    return for_each_member(field.value(), [&view](od::field& tool) -> error_code {
      const od::raw_json_string key = tool.key();
      if (key == "toolUseId") return get_string_or_null(tool.value(), view.tool_id);
      if (key == "name") return get_string_or_null(tool.value(), view.tool_name);
      return simdjson::SUCCESS;
    });
  });
}

error_code parse_delta(od::value value, EventView& view) {
  return for_each_member(value, [&view](od::field& field) -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "text") return get_string_or_null(field.value(), view.text);
    if (key == "toolUse") {
      return for_each_member(field.value(), [&view](od::field& tool) -> error_code {
        if (tool.key() != "input") return simdjson::SUCCESS;
        view.has_tool_input = true;
        return get_string_or_null(tool.value(), view.tool_input);
      });
    }
    if (key == "reasoningContent") {
      return for_each_member(field.value(), [&view](od::field& reasoning) -> error_code {
        const od::raw_json_string name = reasoning.key();
        if (name == "text") return get_string_or_null(reasoning.value(), view.reasoning_text);
        if (name == "signature") {
          return get_string_or_null(reasoning.value(), view.reasoning_signature);
        }
        if (name == "redactedContent") {
          return get_string_or_null(reasoning.value(), view.redacted);
        }
        return simdjson::SUCCESS;
      });
    }
    return simdjson::SUCCESS;
  });
}

error_code parse_event(od::document& document, EventView& view) {
  auto read = [&view](od::field& field) -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "contentBlockIndex") return get_index(field.value(), view.index, view.has_index);
    if (key == "delta") return parse_delta(field.value(), view);
    if (key == "start") return parse_start(field.value(), view);
    if (key == "role") return get_string_or_null(field.value(), view.role);
    if (key == "stopReason") return get_string_or_null(field.value(), view.stop_reason);
    if (key == "usage") return parse_usage(field.value(), view);
    return simdjson::SUCCESS;
  };
  return json_reading::for_each_field(document.get_object(), read);
}

FinishReason finish_for(std::string_view raw, bool json_tool_called, int tool_calls) {
  // The JSON-mode tool is how the answer is delivered, not a call the caller must run.
  if (raw == "tool_use" && json_tool_called && tool_calls == 0) return FinishReason::kStop;
  return finish_reason_from_bedrock(raw);
}

}  // namespace

FinishReason finish_reason_from_bedrock(std::string_view raw) {
  if (raw == "tool_use") return FinishReason::kToolCalls;
  if (raw == "max_tokens" || raw == "model_context_window_exceeded") return FinishReason::kLength;
  if (raw == "guardrail_intervened" || raw == "content_filtered") {
    return FinishReason::kContentFilter;
  }
  if (raw == "malformed_model_output" || raw == "malformed_tool_use") return FinishReason::kError;
  return FinishReason::kStop;
}

struct StreamDecoder::Scratch {
  od::parser parser;
};

StreamDecoder::StreamDecoder(std::string provider_id, DecodeOptions options)
    : stream_(std::move(provider_id)),
      options_(std::move(options)),
      scratch_(providers::make_scratch<Scratch>()) {
  // Bedrock's events name neither: the first chunk carries what the caller knows.
  stream_.assembler().set_id_model(options_.response_id, options_.model);
}

Result<std::optional<ChatCompletionChunk>> StreamDecoder::next() {
  return stream_.next(
      [this](const codec::EventStreamMessage& message) { process_message(message); });
}

Status StreamDecoder::finish() {
  stream_.decode_buffered(
      [this](const codec::EventStreamMessage& message) { process_message(message); });
  ChunkAssembler& assembler = stream_.assembler();
  if (!assembler.done()) {
    if (!stop_seen_) {
      stream_.fail_ended_early("stream ended before messageStop");
    } else if (Status framing = stream_.framing().finish(); !framing.ok()) {
      // The answer is whole but its metadata message was cut: the body is broken all the same.
      assembler.fail(std::move(framing));
    } else {
      // No metadata: the finish chunk goes out without usage.
      assembler.end_of_stream();
    }
  }
  return assembler.status();
}

StreamDecoder::Block& StreamDecoder::block_at(std::int64_t wire_index) {
  for (Block& block : blocks_) {
    if (block.wire_index == wire_index) return block;
  }
  Block& block = blocks_.emplace_back();
  block.wire_index = wire_index;
  return block;
}

void StreamDecoder::close_block(Block& block) {
  ChunkAssembler& assembler = stream_.assembler();
  if ((block.kind == BlockKind::kToolUse || block.kind == BlockKind::kJsonTool) &&
      !block.has_arguments) {
    // A call without arguments streams only "": its arguments are the empty object.
    block.has_arguments = true;
    if (block.kind == BlockKind::kToolUse) {
      assembler.tool_call_arguments(block.tool_key, "{}");
    } else {
      assembler.text("{}");
    }
  }
  if (!block.redacted.empty()) {
    assembler.redacted_reasoning(block.redacted);
    block.redacted.clear();
  }
}

void StreamDecoder::process_message(const codec::EventStreamMessage& message) {
  ChunkAssembler& assembler = stream_.assembler();
  const std::string_view message_type = message.string_header(":message-type");
  if (message_type == "exception") {
    assembler.fail(status_from_exception(message.string_header(":exception-type"), message.payload,
                                         stream_.provider_id()));
    return;
  }
  if (message_type == "error") {
    assembler.fail(status_from_error_frame(message.string_header(":error-code"),
                                           message.string_header(":error-message"),
                                           stream_.provider_id()));
    return;
  }
  if (!message_type.empty() && message_type != "event") return;
  process_event(message.string_header(":event-type"), message.payload);
}

void StreamDecoder::process_event(std::string_view type, std::string_view payload) {
  ChunkAssembler& assembler = stream_.assembler();
  EventView view;
  if (!is_blank(payload)) {
    // The codec guarantees kJsonPadding readable bytes after the payload: parse in place.
    static_assert(codec::kJsonPadding >= simdjson::SIMDJSON_PADDING);
    const simdjson::padded_string_view padded(payload.data(), payload.size(),
                                              payload.size() + codec::kJsonPadding);
    od::document document;
    error_code code = scratch_->parser.iterate(padded).get(document);
    if (code == simdjson::SUCCESS) code = parse_event(document, view);
    if (code != simdjson::SUCCESS) {
      assembler.fail(Status(StatusCode::kProtocolError,
                            "malformed " + std::string(type.empty() ? "stream" : type) +
                                " event (" + simdjson::error_message(code) +
                                "): " + excerpt(payload)));
      return;
    }
  }

  if (type == "contentBlockDelta") {
    if (!view.has_index) return;
    assembler.role(Role::kAssistant);
    Block& block = block_at(view.index);
    if (block.kind == BlockKind::kSkipped) return;
    // In forced JSON mode text is preamble ("I'll call the tool"): the answer is the tool input.
    const bool drop_text = !options_.json_tool_name.empty() && options_.json_tool_forced;
    if (!drop_text) assembler.text(view.text);
    if (view.has_tool_input && !view.tool_input.empty()) {
      if (block.kind == BlockKind::kToolUse) {
        block.has_arguments = true;
        assembler.tool_call_arguments(block.tool_key, view.tool_input);
      } else if (block.kind == BlockKind::kJsonTool) {
        block.has_arguments = true;
        assembler.text(view.tool_input);
      }
    }
    assembler.reasoning(view.reasoning_text);
    assembler.reasoning_signature(view.reasoning_signature);
    block.redacted.append(view.redacted);
    return;
  }

  if (type == "contentBlockStart") {
    if (!view.has_index) return;
    assembler.role(Role::kAssistant);
    Block& block = block_at(view.index);
    if (!view.tool_start) {
      // An image or toolResult block: nothing of it goes into a chunk. (An empty start, which
      // some proxies send before a text block, changes nothing.)
      if (view.other_start) block.kind = BlockKind::kSkipped;
      return;
    }
    if (!options_.json_tool_name.empty() && view.tool_name == options_.json_tool_name) {
      block.kind = BlockKind::kJsonTool;
      json_tool_called_ = true;
    } else {
      block.kind = BlockKind::kToolUse;
      block.tool_key = assembler.tool_call_count();
      assembler.tool_call_start(block.tool_key, view.tool_id, view.tool_name);
    }
    return;
  }

  if (type == "contentBlockStop") {
    if (view.has_index) close_block(block_at(view.index));
    return;
  }

  if (type == "messageStart") {
    assembler.role(Role::kAssistant);
    return;
  }

  if (type == "messageStop") {
    if (stop_seen_) return;
    stop_seen_ = true;
    assembler.role(Role::kAssistant);
    for (Block& block : blocks_) close_block(block);
    assembler.finish(finish_for(view.stop_reason, json_tool_called_, assembler.tool_call_count()),
                     view.stop_reason);
    // Usage that came before messageStop goes out with the finish chunk now.
    if (usage_) assembler.usage(*usage_);
    return;
  }

  if (type == "metadata") {
    if (view.has_usage) {
      if (usage_) {
        usage_->merge_max(view.usage);
      } else {
        usage_ = view.usage;
      }
      assembler.usage(view.usage);
    }
    // metadata is the last event of a stream: after messageStop, it ends it.
    if (stop_seen_) assembler.end_of_stream();
    return;
  }
  // Event types this decoder does not know add nothing.
}

Result<std::vector<ChatCompletionChunk>> decode_response(std::string_view body,
                                                         std::string_view provider_id,
                                                         const DecodeOptions& options) {
  namespace json = boost::json;
  auto protocol_error = [&](std::string message) {
    return Status(StatusCode::kProtocolError, std::move(message))
        .set_provider(std::string(provider_id));
  };
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) {
    return protocol_error("response is not a JSON object: " + excerpt(body));
  }
  const json::object& response = root.get_object();
  using json_dom::object_at;
  using json_dom::string_at;
  const json::object* output = object_at(response, "output");
  if (output == nullptr && (response.contains("__type") || response.contains("message"))) {
    return status_from_response(200, {}, body, provider_id);
  }
  const json::object* message = output != nullptr ? object_at(*output, "message") : nullptr;
  const json::value* content = message != nullptr ? message->if_contains("content") : nullptr;
  if (content == nullptr || !content->is_array()) {
    return protocol_error("response has no output.message.content array: " + excerpt(body));
  }

  std::vector<ChatCompletionChunk> chunks;
  ChatCompletionChunk main;
  const bool drop_text = !options.json_tool_name.empty() && options.json_tool_forced;
  bool json_tool_called = false;
  int tool_calls = 0;
  for (const json::value& element : content->get_array()) {
    const json::object* block = element.if_object();
    if (block == nullptr) continue;
    if (const json::value* text = block->if_contains("text"); text && text->is_string()) {
      if (!drop_text) main.delta.content += text->get_string();
    } else if (const json::object* reasoning = object_at(*block, "reasoningContent")) {
      // One chunk per reasoning block keeps each block's signature with its text.
      ChatCompletionChunk chunk;
      if (const json::object* r = object_at(*reasoning, "reasoningText")) {
        chunk.delta.reasoning = string_at(*r, "text");
        chunk.delta.reasoning_signature = string_at(*r, "signature");
      }
      chunk.delta.redacted_reasoning = string_at(*reasoning, "redactedContent");
      if (chunk.delta.reasoning.empty() && chunk.delta.reasoning_signature.empty() &&
          chunk.delta.redacted_reasoning.empty()) {
        continue;
      }
      chunks.push_back(std::move(chunk));
    } else if (const json::object* tool = object_at(*block, "toolUse")) {
      const json::value* input = tool->if_contains("input");
      std::string arguments =
          input != nullptr && input->is_object() ? json::serialize(*input) : std::string("{}");
      const std::string name = string_at(*tool, "name");
      if (!options.json_tool_name.empty() && name == options.json_tool_name) {
        json_tool_called = true;
        main.delta.content += arguments;
        continue;
      }
      ToolCallDelta call;
      call.index = tool_calls++;
      call.id = string_at(*tool, "toolUseId");
      call.name = name;
      call.arguments = std::move(arguments);
      main.delta.tool_calls.push_back(std::move(call));
    }
  }
  main.raw_finish_reason = string_at(response, "stopReason");
  main.finish_reason = finish_for(main.raw_finish_reason, json_tool_called, tool_calls);
  if (const json::object* usage = object_at(response, "usage")) {
    Usage u;
    u.input_tokens = json_dom::count_at(*usage, "inputTokens");
    u.output_tokens = json_dom::count_at(*usage, "outputTokens");
    u.cache_read_tokens = json_dom::count_at(*usage, "cacheReadInputTokens");
    u.cache_write_tokens = json_dom::count_at(*usage, "cacheWriteInputTokens");
    main.usage = u;
  }
  chunks.push_back(std::move(main));
  ChatCompletionChunk& first = chunks.front();
  first.delta.role = Role::kAssistant;
  first.id = options.response_id;
  first.model = options.model;
  return chunks;
}

}  // namespace aisopod::bedrock
