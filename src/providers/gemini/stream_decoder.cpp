#include "providers/gemini/stream_decoder.hpp"

#include "providers/common/sse_events.hpp"

#include <simdjson.h>
#include <boost/json.hpp>
#include <charconv>
#include <cstdint>
#include <utility>
#include <variant>

#include "core/ascii_text.hpp"
#include "providers/common/json_reading.hpp"
#include "providers/common/json_writing.hpp"
#include "providers/gemini/error_mapper.hpp"

namespace aisopod::gemini {
namespace {

namespace od = simdjson::ondemand;
namespace json = boost::json;
using json_reading::excerpt;
using json_reading::for_each_element;
using json_reading::for_each_field;
using json_reading::for_each_member;
using json_reading::get_count;
using json_reading::get_string_or_null;
using simdjson::error_code;

// A bare JSON value after the events is an error report; more than this is not kept.
constexpr std::size_t kMaxStrayBytes = 64 * 1024;
// The largest array index a streamed argument's jsonPath may name.
constexpr std::size_t kMaxStreamedIndex = 10000;

static_assert(codec::kJsonPadding >= simdjson::SIMDJSON_PADDING);

Status protocol_error(std::string message) {
  return Status(StatusCode::kProtocolError, std::move(message));
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Views of one GenerateContentResponse, read in one pass whatever the member order. They point
// into the parser's buffers and the payload, and are valid until the next parse.

// One element of a streamed functionCall's partialArgs.
struct PartialArgView {
  enum class Kind { kNone, kString, kNumber, kBool, kNull };
  std::string_view json_path;
  Kind kind = Kind::kNone;
  std::string_view text;  // kString: the piece; kNumber: the raw number token
  bool flag = false;      // kBool
  bool will_continue = false;
};

struct PartView {
  bool has_text = false;
  std::string_view text;
  bool thought = false;
  std::string_view signature;
  bool has_function_call = false;
  std::string_view call_name;
  std::string_view call_id;
  std::string_view call_args;  // raw JSON of args when it is an object
  bool call_will_continue = false;
  // This part's entries in the partialArgs list: [partial_begin, partial_end).
  std::size_t partial_begin = 0;
  std::size_t partial_end = 0;
};

struct EventView {
  bool has_error = false;
  std::string_view response_id;
  std::string_view model_version;
  bool has_candidate = false;
  std::string_view finish_reason;
  std::string_view finish_message;
  std::string_view block_reason;
  std::string_view block_reason_message;
  bool has_counts = false;  // usageMetadata held at least one token count
  Usage usage;
};

struct Lists {
  std::vector<PartView> parts;  // of the first candidate
  std::vector<PartialArgView> partials;
};

// A boolean into `out`; any other type leaves it unchanged.
error_code get_bool_or_ignore(od::value value, bool& out) {
  const error_code e = value.get_bool().get(out);
  return e == simdjson::INCORRECT_TYPE ? simdjson::SUCCESS : e;
}

error_code parse_partial_arg(od::value value, PartialArgView& arg) {
  return for_each_member(value, [&arg](od::field& field) -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "jsonPath") return get_string_or_null(field.value(), arg.json_path);
    if (key == "stringValue") {
      const error_code e = field.value().get_string().get(arg.text);
      if (e == simdjson::SUCCESS) arg.kind = PartialArgView::Kind::kString;
      return e == simdjson::INCORRECT_TYPE ? simdjson::SUCCESS : e;
    }
    if (key == "numberValue") {
      od::json_type type;
      AISOPOD_SJ_TRY(field.value().type().get(type));
      if (type != od::json_type::number) return simdjson::SUCCESS;
      arg.text = trim_right(field.value().raw_json_token());
      arg.kind = PartialArgView::Kind::kNumber;
      return simdjson::SUCCESS;
    }
    if (key == "boolValue") {
      const error_code e = field.value().get_bool().get(arg.flag);
      if (e == simdjson::SUCCESS) arg.kind = PartialArgView::Kind::kBool;
      return e == simdjson::INCORRECT_TYPE ? simdjson::SUCCESS : e;
    }
    if (key == "nullValue") {
      arg.kind = PartialArgView::Kind::kNull;
      return simdjson::SUCCESS;
    }
    if (key == "willContinue") return get_bool_or_ignore(field.value(), arg.will_continue);
    return simdjson::SUCCESS;
  });
}

error_code parse_function_call(od::value value, PartView& part, Lists& lists) {
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  if (type != od::json_type::object) return simdjson::SUCCESS;
  part.has_function_call = true;
  part.partial_begin = part.partial_end = lists.partials.size();
  return for_each_member(value, [&part, &lists](od::field& field) -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "name") return get_string_or_null(field.value(), part.call_name);
    if (key == "id") return get_string_or_null(field.value(), part.call_id);
    if (key == "willContinue") return get_bool_or_ignore(field.value(), part.call_will_continue);
    if (key == "args") {
      od::json_type args_type;
      AISOPOD_SJ_TRY(field.value().type().get(args_type));
      if (args_type != od::json_type::object) return simdjson::SUCCESS;
      od::object args;
      AISOPOD_SJ_TRY(field.value().get_object().get(args));
      return args.raw_json().get(part.call_args);
    }
    if (key == "partialArgs") {
      return for_each_element(field.value(), [&part, &lists](od::value& element) -> error_code {
        lists.partials.emplace_back();
        AISOPOD_SJ_TRY(parse_partial_arg(element, lists.partials.back()));
        part.partial_end = lists.partials.size();
        return simdjson::SUCCESS;
      });
    }
    return simdjson::SUCCESS;
  });
}

error_code parse_part(od::value value, PartView& part, Lists& lists) {
  return for_each_member(value, [&part, &lists](od::field& field) -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "text") {
      const error_code e = field.value().get_string().get(part.text);
      if (e == simdjson::SUCCESS) part.has_text = true;
      return e == simdjson::INCORRECT_TYPE ? simdjson::SUCCESS : e;
    }
    if (key == "thought") return get_bool_or_ignore(field.value(), part.thought);
    if (key == "thoughtSignature") return get_string_or_null(field.value(), part.signature);
    if (key == "functionCall") return parse_function_call(field.value(), part, lists);
    return simdjson::SUCCESS;
  });
}

error_code parse_candidate(od::value value, EventView& view, Lists& lists) {
  return for_each_member(value, [&view, &lists](od::field& field) -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "finishReason") return get_string_or_null(field.value(), view.finish_reason);
    if (key == "finishMessage") return get_string_or_null(field.value(), view.finish_message);
    if (key == "content") {
      return for_each_member(field.value(), [&lists](od::field& content) -> error_code {
        if (content.key() != "parts") return simdjson::SUCCESS;
        return for_each_element(content.value(), [&lists](od::value& element) -> error_code {
          // The parts vector may grow while a part is parsed (partial args do not touch it),
          // so the part is filled in place by index.
          lists.parts.emplace_back();
          PartView part;
          AISOPOD_SJ_TRY(parse_part(element, part, lists));
          lists.parts.back() = part;
          return simdjson::SUCCESS;
        });
      });
    }
    return simdjson::SUCCESS;
  });
}

error_code read_count(od::value value, std::int64_t& out, bool& present) {
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  if (type != od::json_type::number) return simdjson::SUCCESS;
  present = true;
  return get_count(value, out);
}

error_code parse_usage(od::value value, EventView& view) {
  std::int64_t prompt = 0;
  std::int64_t candidates = 0;
  std::int64_t thoughts = 0;
  std::int64_t cached = 0;
  std::int64_t tool_use_prompt = 0;
  bool present = false;
  AISOPOD_SJ_TRY(for_each_member(value, [&](od::field& field) -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "promptTokenCount") return read_count(field.value(), prompt, present);
    if (key == "candidatesTokenCount") return read_count(field.value(), candidates, present);
    if (key == "thoughtsTokenCount") return read_count(field.value(), thoughts, present);
    if (key == "cachedContentTokenCount") return read_count(field.value(), cached, present);
    if (key == "toolUsePromptTokenCount") {
      return read_count(field.value(), tool_use_prompt, present);
    }
    return simdjson::SUCCESS;
  }));
  if (!present) return simdjson::SUCCESS;
  view.has_counts = true;
  view.usage = Usage();
  view.usage.input_tokens = prompt + tool_use_prompt;
  view.usage.output_tokens = candidates + thoughts;
  view.usage.reasoning_tokens = thoughts;
  view.usage.cache_read_tokens = cached;
  return simdjson::SUCCESS;
}

error_code parse_response(od::document& document, EventView& view, Lists& lists) {
  auto read = [&view, &lists](od::field& field) -> error_code {
    const od::raw_json_string key = field.key();
    if (key == "candidates") {
      // Only the first candidate is read; the others are skipped unread.
      return for_each_element(field.value(), [&view, &lists](od::value& c) -> error_code {
        if (view.has_candidate) return simdjson::SUCCESS;
        view.has_candidate = true;
        return parse_candidate(c, view, lists);
      });
    }
    if (key == "promptFeedback") {
      return for_each_member(field.value(), [&view](od::field& feedback) -> error_code {
        const od::raw_json_string name = feedback.key();
        if (name == "blockReason") return get_string_or_null(feedback.value(), view.block_reason);
        if (name == "blockReasonMessage") {
          return get_string_or_null(feedback.value(), view.block_reason_message);
        }
        return simdjson::SUCCESS;
      });
    }
    if (key == "usageMetadata") return parse_usage(field.value(), view);
    if (key == "modelVersion") return get_string_or_null(field.value(), view.model_version);
    if (key == "responseId") return get_string_or_null(field.value(), view.response_id);
    if (key == "error") view.has_error = true;
    return simdjson::SUCCESS;
  };
  return for_each_field(document.get_object(), read);
}

// ---------------------------------------------------------------------------------------------
// Streamed function-call arguments (Vertex AI streamFunctionCallArguments)

using PathSegment = std::variant<std::string, std::size_t>;

// "$.a.b[0]['c d']" -> a, b, 0, "c d". False for anything else (and for "$" alone).
bool parse_json_path(std::string_view path, std::vector<PathSegment>& out) {
  out.clear();
  if (path.empty() || path.front() != '$') return false;
  std::size_t i = 1;
  while (i < path.size()) {
    if (path[i] == '.') {
      const std::size_t start = ++i;
      while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
      if (i == start) return false;
      out.emplace_back(std::string(path.substr(start, i - start)));
    } else if (path[i] == '[') {
      ++i;
      if (i < path.size() && (path[i] == '\'' || path[i] == '"')) {
        const char quote = path[i++];
        const std::size_t end = path.find(quote, i);
        if (end == std::string_view::npos || end + 1 >= path.size() || path[end + 1] != ']') {
          return false;
        }
        out.emplace_back(std::string(path.substr(i, end - i)));
        i = end + 2;
      } else {
        const std::size_t end = path.find(']', i);
        if (end == std::string_view::npos || end == i) return false;
        std::size_t index = 0;
        const char* first = path.data() + i;
        const char* last = path.data() + end;
        auto [ptr, ec] = std::from_chars(first, last, index);
        if (ec != std::errc() || ptr != last || index > kMaxStreamedIndex) return false;
        out.emplace_back(index);
        i = end + 1;
      }
    } else {
      return false;
    }
  }
  return !out.empty();
}

// ---------------------------------------------------------------------------------------------
// The translation shared by the stream decoder and decode_response: payloads in, neutral
// events out. One per response.

class Translator {
 public:
  explicit Translator(std::string provider_id) : provider_id_(std::move(provider_id)) {}

  // Decodes one GenerateContentResponse into events on `out` (the caller ends the event).
  // Errors go to out.fail().
  void payload(simdjson::padded_string_view data, ChunkAssembler& out, bool stream) {
    const std::string_view text(data.data(), data.size());
    if (stream && is_blank(text)) return;
    lists_.parts.clear();
    lists_.partials.clear();
    EventView view;
    od::document document;
    error_code code = parser_.iterate(data).get(document);
    if (code == simdjson::SUCCESS) code = parse_response(document, view, lists_);
    if (code != simdjson::SUCCESS) {
      out.fail(
          protocol_error(std::string(stream ? "malformed stream event (" : "malformed response (") +
                         simdjson::error_message(code) + "): " + excerpt(text)));
      return;
    }
    if (view.has_error) {
      out.fail(status_from_stream_error(text, provider_id_));
      return;
    }
    if (!view.has_candidate && (!view.block_reason.empty() || !view.block_reason_message.empty())) {
      std::string message = "the prompt was blocked";
      if (!view.block_reason.empty())
        message += " (blockReason: " + excerpt(view.block_reason) + ")";
      if (!view.block_reason_message.empty()) {
        message += ": " + excerpt(view.block_reason_message, 200);
      }
      out.fail(Status(StatusCode::kInvalidArgument, std::move(message)));
      return;
    }
    if (response_id_.empty() && !view.response_id.empty()) response_id_.assign(view.response_id);
    out.set_id_model(view.response_id, view.model_version);
    out.role(Role::kAssistant);
    for (const PartView& part : lists_.parts) {
      if (part.has_function_call) {
        function_call(part, out);
        if (out.done()) return;
      } else if (part.has_text) {
        if (part.thought) {
          out.reasoning(part.text);
          if (!part.text.empty()) signature_reported_ = false;
        } else {
          out.text(part.text);
        }
      }
      if (!part.signature.empty() && !signature_reported_) {
        // A second signature with no thought text since the first would be joined to it (a
        // reasoning block has one signature): only the first is kept. Gemini puts one on the
        // first function call of a step, and that is the one it checks.
        out.reasoning_signature(part.signature);
        signature_reported_ = true;
      }
    }
    if (!view.finish_reason.empty()) {
      finish_reason_.assign(view.finish_reason);
      finish_message_.assign(view.finish_message);
    }
    if (view.has_counts) usage_ = view.usage;
  }

  // The body ended: the final chunk (finish reason and usage) and the end of the stream, or
  // the error. `body` is quoted in the unary error.
  void end_of_body(ChunkAssembler& out, bool stream, std::string_view body) {
    if (out.done()) return;
    if (streaming_call_) {
      out.fail(protocol_error("the body ended inside the streamed function call '" +
                              excerpt(call_name_) + "'"));
      return;
    }
    if (finish_reason_.empty()) {
      out.fail(protocol_error(stream ? std::string("stream ended before a finish reason")
                                     : "response has no finish reason: " + excerpt(body)));
      return;
    }
    std::string_view meaning;
    if (finish_reason_ == "MALFORMED_FUNCTION_CALL") {
      meaning = "it wrote a function call that is not valid";
    } else if (finish_reason_ == "UNEXPECTED_TOOL_CALL") {
      meaning = "it called a tool although the request enables none";
    } else if (finish_reason_ == "TOO_MANY_TOOL_CALLS") {
      meaning = "it called tools too many times in a row";
    }
    if (!meaning.empty()) {
      std::string message =
          "the model stopped with " + finish_reason_ + ": " + std::string(meaning);
      if (!finish_message_.empty()) message += " (" + excerpt(finish_message_, 200) + ")";
      out.fail(protocol_error(std::move(message)));
      return;
    }
    if (usage_) out.usage(*usage_);
    out.finish(finish_reason_from_gemini(finish_reason_, calls_ > 0), finish_reason_);
    out.end_of_stream();
  }

 private:
  void function_call(const PartView& part, ChunkAssembler& out) {
    const bool has_partials = part.partial_end > part.partial_begin;
    if (streaming_call_) {
      if (has_partials) {
        apply_partials(part, out);
        return;
      }
      if (part.call_will_continue && part.call_name.empty()) return;
      // The empty functionCall {} that closes the call, or a new call that starts.
      complete_streamed_call(out);
      if (part.call_name.empty()) return;
    }
    if (part.call_name.empty()) {
      if (has_partials || part.call_will_continue || !part.call_args.empty()) {
        out.fail(protocol_error("a functionCall part has no name"));
      }
      return;  // a lone closing functionCall {}
    }
    if (part.call_will_continue) {
      streaming_call_ = true;
      call_name_.assign(part.call_name);
      call_id_.assign(part.call_id);
      call_args_ = json::object();
      continuing_path_.clear();
      if (has_partials) apply_partials(part, out);
      return;
    }
    std::string arguments = "{}";
    if (!part.call_args.empty()) {
      arguments.resize(part.call_args.size());
      std::size_t length = 0;
      if (simdjson::minify(part.call_args.data(), part.call_args.size(), arguments.data(),
                           length) == simdjson::SUCCESS) {
        arguments.resize(length);
      } else {
        arguments.assign(part.call_args);
      }
    }
    emit_call(part.call_id, part.call_name, arguments, out);
  }

  void apply_partials(const PartView& part, ChunkAssembler& out) {
    for (std::size_t i = part.partial_begin; i < part.partial_end; ++i) {
      const PartialArgView& arg = lists_.partials[i];
      if (arg.kind == PartialArgView::Kind::kNone) continue;
      json::value* at = place(arg.json_path);
      if (at == nullptr) {
        out.fail(protocol_error("a streamed argument of function call '" + excerpt(call_name_) +
                                "' has the jsonPath '" + excerpt(arg.json_path) +
                                "', which cannot be placed"));
        return;
      }
      switch (arg.kind) {
        case PartialArgView::Kind::kString:
          if (at->is_string() && continuing_path_ == arg.json_path) {
            at->as_string().append(arg.text);
          } else {
            *at = json::string(arg.text);
          }
          break;
        case PartialArgView::Kind::kNumber: {
          boost::system::error_code ec;
          json::value number = json::parse(arg.text, ec);
          *at = ec ? json::value(nullptr) : std::move(number);
          break;
        }
        case PartialArgView::Kind::kBool:
          *at = arg.flag;
          break;
        case PartialArgView::Kind::kNull:
        case PartialArgView::Kind::kNone:
          *at = nullptr;
          break;
      }
      if (arg.kind == PartialArgView::Kind::kString && arg.will_continue) {
        continuing_path_.assign(arg.json_path);
      } else {
        continuing_path_.clear();
      }
    }
  }

  // The value at `path` inside the streamed call's arguments, created (as null) when missing;
  // nullptr when the path cannot be placed.
  json::value* place(std::string_view path) {
    if (!parse_json_path(path, segments_)) return nullptr;
    json::value* at = &call_args_;
    for (const PathSegment& segment : segments_) {
      if (const std::string* key = std::get_if<std::string>(&segment)) {
        if (at->is_null()) *at = json::object();
        if (!at->is_object()) return nullptr;
        at = &at->as_object()[*key];
      } else {
        const std::size_t index = std::get<std::size_t>(segment);
        if (at->is_null()) *at = json::array();
        if (!at->is_array()) return nullptr;
        json::array& array = at->as_array();
        if (index >= array.size()) array.resize(index + 1);
        at = &array[index];
      }
    }
    return at;
  }

  void complete_streamed_call(ChunkAssembler& out) {
    streaming_call_ = false;
    continuing_path_.clear();
    std::string arguments;
    json_writing::write_compact(call_args_, arguments);
    emit_call(call_id_, call_name_, arguments, out);
  }

  void emit_call(std::string_view server_id, std::string_view name, std::string_view arguments,
                 ChunkAssembler& out) {
    std::string id(server_id);
    if (id.empty()) {
      // Gemini sends no call ids: made up from the response id and the call's index, so that
      // they are stable for a response and unique across a conversation's turns.
      id = "call_";
      if (!response_id_.empty()) id += response_id_ + "_";
      id += std::to_string(calls_);
    }
    out.tool_call(calls_, id, name, arguments);
    ++calls_;
  }

  std::string provider_id_;
  od::parser parser_;
  Lists lists_;
  std::vector<PathSegment> segments_;
  std::string response_id_;  // the first responseId seen
  std::string finish_reason_;
  std::string finish_message_;
  std::optional<Usage> usage_;
  int calls_ = 0;
  bool signature_reported_ = false;  // a signature was reported, and no thought text since
  // The streamed function call being assembled.
  bool streaming_call_ = false;
  std::string call_name_;
  std::string call_id_;
  json::value call_args_;
  std::string continuing_path_;  // the jsonPath whose string the next piece extends
};

}  // namespace

#undef AISOPOD_SJ_TRY

FinishReason finish_reason_from_gemini(std::string_view raw, bool called_functions) {
  if (raw == "STOP") return called_functions ? FinishReason::kToolCalls : FinishReason::kStop;
  if (raw == "MAX_TOKENS") return FinishReason::kLength;
  if (raw == "SAFETY" || raw == "RECITATION" || raw == "LANGUAGE" || raw == "BLOCKLIST" ||
      raw == "PROHIBITED_CONTENT" || raw == "SPII" || raw.substr(0, 6) == "IMAGE_") {
    return FinishReason::kContentFilter;
  }
  return FinishReason::kError;
}

struct StreamDecoder::State {
  explicit State(std::string provider_id) : translator(std::move(provider_id)) {}
  Translator translator;
};

StreamDecoder::StreamDecoder(std::string provider_id)
    : provider_id_(std::move(provider_id)),
      state_(std::make_unique<State>(provider_id_)),
      assembler_(provider_id_) {}
StreamDecoder::~StreamDecoder() = default;
StreamDecoder::StreamDecoder(StreamDecoder&&) noexcept = default;
StreamDecoder& StreamDecoder::operator=(StreamDecoder&&) noexcept = default;

void StreamDecoder::feed(std::string_view bytes) {
  if (assembler_.done()) return;
  scan(bytes);
  sse_.feed(bytes);
}

void StreamDecoder::scan(std::string_view bytes) {
  if (bytes.empty()) return;
  if (stray_) {
    if (stray_bytes_.size() < kMaxStrayBytes) {
      stray_bytes_.append(bytes.substr(0, kMaxStrayBytes - stray_bytes_.size()));
    }
    return;
  }
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (line_start_) {
      const char c = bytes[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i;
        continue;
      }
      if (c == '{' || c == '[') {
        // No SSE line starts with a JSON value: this is a bare error object (or a body that
        // is not SSE at all). Keep it for finish().
        stray_ = true;
        stray_bytes_.assign(bytes.substr(i, kMaxStrayBytes));
        return;
      }
      line_start_ = false;
    }
    const std::size_t end = bytes.find_first_of("\r\n", i);
    if (end == std::string_view::npos) break;
    line_start_ = true;
    i = end + 1;
  }
  ended_on_line_break_ = bytes.back() == '\n' || bytes.back() == '\r';
}

Result<std::optional<ChatCompletionChunk>> StreamDecoder::next() {
  return assembler_.next([this] { return decode_one_event(); });
}

bool StreamDecoder::decode_one_event() {
  return providers::decode_one_sse_event(sse_, assembler_, [this](const codec::SseEvent& event) {
    state_->translator.payload(
        simdjson::padded_string_view(event.data.data(), event.data.size(),
                                     event.data.size() + codec::kJsonPadding),
        assembler_, /*stream=*/true);
  });
}

Status StreamDecoder::finish() {
  while (!assembler_.done() && decode_one_event()) {
  }
  if (assembler_.done()) return assembler_.status();
  if (stray_) {
    boost::system::error_code ec;
    const json::value value = json::parse(stray_bytes_, ec);
    const json::value* first = &value;
    if (!ec && value.is_array() && !value.get_array().empty()) first = &value.get_array()[0];
    if (!ec && first->is_object() && first->get_object().contains("error")) {
      assembler_.fail(status_from_stream_error(stray_bytes_, provider_id_));
    } else {
      assembler_.fail(
          protocol_error("the body holds JSON outside SSE data lines: " + excerpt(stray_bytes_)));
    }
    return assembler_.status();
  }
  if (ended_on_line_break_) {
    // The body ended right after a line: an event whose closing blank line is missing is
    // complete, so end it (blank lines after a complete event change nothing).
    sse_.feed("\n\n");
    while (!assembler_.done() && decode_one_event()) {
    }
    if (assembler_.done()) return assembler_.status();
  }
  const Status framing = sse_.finish();
  if (!framing.ok()) {
    assembler_.fail(protocol_error("stream ended inside an event (" + framing.message() + ")"));
    return assembler_.status();
  }
  state_->translator.end_of_body(assembler_, /*stream=*/true, {});
  return assembler_.status();
}

Result<std::vector<ChatCompletionChunk>> decode_response(std::string_view body,
                                                         std::string_view provider_id) {
  Translator translator{std::string(provider_id)};
  ChunkAssembler out{std::string(provider_id)};
  const simdjson::padded_string padded(body);
  translator.payload(padded, out, /*stream=*/false);
  translator.end_of_body(out, /*stream=*/false, body);
  std::vector<ChatCompletionChunk> chunks;
  for (;;) {
    Result<std::optional<ChatCompletionChunk>> next = out.next();
    if (!next.ok()) return next.error();
    if (!next->has_value()) break;
    chunks.push_back(std::move(**next));
  }
  return chunks;
}

}  // namespace aisopod::gemini
