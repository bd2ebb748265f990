#include "output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "exit_codes.hpp"

namespace aisopod::cli {

int exit_code_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
      return kExitAuth;
    case StatusCode::kRateLimited:
    case StatusCode::kBilling:
      return kExitRateLimit;
    case StatusCode::kTimeout:
      return kExitNetwork;
    case StatusCode::kUnavailable:
      // Refused, reset or unreachable: no HTTP status. A 5xx answer: the upstream's error.
      return status.http_status() == 0 ? kExitNetwork : kExitUpstream;
    case StatusCode::kInvalidArgument:
      // Refused before sending is a usage error; refused by the provider is its answer.
      return status.http_status() == 0 ? kExitUsage : kExitUpstream;
    case StatusCode::kNotFound:
      return status.http_status() == 0 ? kExitUsage : kExitUpstream;
    case StatusCode::kOverloaded:
    case StatusCode::kContextLengthExceeded:
    case StatusCode::kProtocolError:
      return kExitUpstream;
    case StatusCode::kCancelled:
      return kExitInterrupted;
    case StatusCode::kInternal:
      return kExitFailure;
  }
  return kExitFailure;
}

std::string json_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

namespace {

// Builds a JSON object member by member, skipping absent values.
class ObjectWriter {
 public:
  void string(std::string_view key, std::string_view value) {
    if (!value.empty()) raw(key, json_string(value));
  }
  void number(std::string_view key, long long value) { raw(key, std::to_string(value)); }
  void raw(std::string_view key, std::string_view json) {
    out_ += out_.empty() ? "{" : ",";
    out_ += json_string(key);
    out_ += ':';
    out_ += json;
  }
  bool empty() const { return out_.empty(); }
  std::string finish() { return out_.empty() ? "{}" : out_ + "}"; }

 private:
  std::string out_;
};

}  // namespace

std::string chunk_to_jsonl(const ChatCompletionChunk& chunk) {
  ObjectWriter line;
  line.string("id", chunk.id);
  line.string("model", chunk.model);
  ObjectWriter delta;
  if (chunk.delta.role) delta.string("role", role_name(*chunk.delta.role));
  delta.string("content", chunk.delta.content);
  delta.string("reasoning", chunk.delta.reasoning);
  delta.string("reasoning_signature", chunk.delta.reasoning_signature);
  if (!chunk.delta.tool_calls.empty()) {
    std::string calls = "[";
    for (const ToolCallDelta& call : chunk.delta.tool_calls) {
      ObjectWriter c;
      c.number("index", call.index);
      c.string("id", call.id);
      c.string("name", call.name);
      c.raw("arguments", json_string(call.arguments));
      calls += (calls.size() > 1 ? "," : "") + c.finish();
    }
    delta.raw("tool_calls", calls + "]");
  }
  line.raw("delta", delta.finish());
  line.string("finish_reason", finish_reason_name(chunk.finish_reason));
  line.string("raw_finish_reason", chunk.raw_finish_reason);
  if (chunk.usage) {
    ObjectWriter usage;
    usage.number("input_tokens", chunk.usage->input_tokens);
    usage.number("output_tokens", chunk.usage->output_tokens);
    usage.number("cache_read_tokens", chunk.usage->cache_read_tokens);
    usage.number("cache_write_tokens", chunk.usage->cache_write_tokens);
    usage.number("reasoning_tokens", chunk.usage->reasoning_tokens);
    line.raw("usage", usage.finish());
  }
  return line.finish();
}

std::string models_to_json(const std::vector<ModelInfo>& models) {
  std::string out = "[";
  for (const ModelInfo& model : models) {
    ObjectWriter o;
    o.raw("id", json_string(model.id));
    o.raw("provider", json_string(model.provider));
    o.string("display_name", model.display_name);
    o.string("owned_by", model.owned_by);
    if (model.created) o.number("created", *model.created);
    if (model.context_window) o.number("context_window", *model.context_window);
    if (model.max_output_tokens) o.number("max_output_tokens", *model.max_output_tokens);
    out += (out.size() > 1 ? "," : "") + o.finish();
  }
  return out + "]";
}

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) widths[i] = header[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : "";
      out += cell;
      if (i + 1 < widths.size()) out += std::string(widths[i] - cell.size() + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string escape_control(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(byte));
      out += buf;
    }
  }
  return out;
}

std::string escape_control_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    out += escape_control(text.substr(start, end - start));
    if (end == text.size()) break;
    out.push_back('\n');
    start = end + 1;
  }
  return out;
}

std::string format_seconds(std::chrono::milliseconds duration) {
  const long long ms = duration.count();
  if (ms < 1000) return std::to_string(ms) + " ms";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms) / 1000.0);
  return text;
}

Status FdWriter::flush() {
  if (!status_.ok()) {
    buffer_.clear();
    return status_;
  }
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      status_ =
          Status(StatusCode::kInternal, "cannot write to " + name_ + ": " + std::strerror(error));
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
  return status_;
}

ChatPrinter::ChatPrinter(Format format, std::shared_ptr<const SecretMatcher> secrets)
    : format_(format), secrets_(std::move(secrets)), content_(secrets_), reasoning_(secrets_) {}

StreamRedactor& ChatPrinter::arguments_redactor(int index) {
  auto it = arguments_.find(index);
  if (it == arguments_.end()) it = arguments_.emplace(index, StreamRedactor(secrets_)).first;
  return it->second;
}

void ChatPrinter::add(const ChatCompletionChunk& chunk, std::string& out, std::string& err) {
  if (chunk.finish_reason != FinishReason::kNone) finish_reason_ = chunk.finish_reason;
  if (chunk.usage) {
    if (usage_) {
      usage_->merge_max(*chunk.usage);
    } else {
      usage_ = chunk.usage;
    }
  }
  for (const ToolCallDelta& delta : chunk.delta.tool_calls) {
    Call& call = calls_[delta.index];
    if (!delta.id.empty()) call.id = secrets_->redact(delta.id);
    if (!delta.name.empty()) call.name = secrets_->redact(delta.name);
    if (format_ == Format::kText) call.arguments += delta.arguments;
  }
  if (format_ == Format::kText) {
    if (!chunk.delta.reasoning.empty()) {
      reasoning_.write(chunk.delta.reasoning, err);
      reasoning_open_ = true;
    }
    if (!chunk.delta.content.empty()) {
      if (reasoning_open_) {
        reasoning_.finish(err);
        err.push_back('\n');
        reasoning_open_ = false;
      }
      content_.write(chunk.delta.content, out);
    }
    return;
  }
  // jsonl: the chunk as it came, with every upstream string redacted. Streamed texts go through
  // their stream redactors; what they hold back is written with the chunk that ends the answer.
  ChatCompletionChunk shown;
  shown.id = secrets_->redact(chunk.id);
  shown.model = secrets_->redact(chunk.model);
  shown.delta.role = chunk.delta.role;
  shown.delta.reasoning_signature = chunk.delta.reasoning_signature;
  content_.write(chunk.delta.content, shown.delta.content);
  reasoning_.write(chunk.delta.reasoning, shown.delta.reasoning);
  for (const ToolCallDelta& delta : chunk.delta.tool_calls) {
    ToolCallDelta call;
    call.index = delta.index;
    call.id = delta.id.empty() ? std::string() : secrets_->redact(delta.id);
    call.name = delta.name.empty() ? std::string() : secrets_->redact(delta.name);
    arguments_redactor(delta.index).write(delta.arguments, call.arguments);
    shown.delta.tool_calls.push_back(std::move(call));
  }
  shown.finish_reason = chunk.finish_reason;
  shown.raw_finish_reason = secrets_->redact(chunk.raw_finish_reason);
  shown.usage = chunk.usage;
  if (chunk.finish_reason != FinishReason::kNone || chunk.usage) {
    content_.finish(shown.delta.content);
    reasoning_.finish(shown.delta.reasoning);
    for (auto& [index, redactor] : arguments_) {
      std::string rest;
      redactor.finish(rest);
      if (rest.empty()) continue;
      auto same = std::find_if(shown.delta.tool_calls.begin(), shown.delta.tool_calls.end(),
                               [&](const ToolCallDelta& d) { return d.index == index; });
      if (same == shown.delta.tool_calls.end()) {
        ToolCallDelta call;
        call.index = index;
        shown.delta.tool_calls.push_back(std::move(call));
        same = shown.delta.tool_calls.end() - 1;
      }
      same->arguments += rest;
    }
  }
  out += chunk_to_jsonl(shown);
  out.push_back('\n');
}

void ChatPrinter::flush_held(std::string& out, std::string& err, bool as_line) {
  if (format_ == Format::kText) {
    content_.finish(out);
    if (reasoning_open_) {
      reasoning_.finish(err);
      err.push_back('\n');
      reasoning_open_ = false;
    }
    return;
  }
  ChatCompletionChunk rest;
  content_.finish(rest.delta.content);
  reasoning_.finish(rest.delta.reasoning);
  for (auto& [index, redactor] : arguments_) {
    ToolCallDelta call;
    call.index = index;
    redactor.finish(call.arguments);
    if (!call.arguments.empty()) rest.delta.tool_calls.push_back(std::move(call));
  }
  if (as_line && rest.has_content()) {
    out += chunk_to_jsonl(rest);
    out.push_back('\n');
  }
}

void ChatPrinter::finish(std::string& out, std::string& err) {
  flush_held(out, err, /*as_line=*/true);
  if (format_ == Format::kJsonl) return;
  for (const auto& [index, call] : calls_) {
    out +=
        "\n[tool call " + call.id + "] " + call.name + "(" + secrets_->redact(call.arguments) + ")";
  }
  out.push_back('\n');
  if (finish_reason_ == FinishReason::kLength) {
    err += "aisopod: note: the answer was cut off at the token limit\n";
  }
}

void ChatPrinter::abort(std::string& out, std::string& err) {
  flush_held(out, err, /*as_line=*/true);
  if (format_ == Format::kText) out.push_back('\n');
}

}  // namespace aisopod::cli
