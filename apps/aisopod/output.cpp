#include "output.hpp"

#include <algorithm>
#include <cstdio>

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

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.size() < 4) continue;
    for (std::size_t pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + 3)) {
      text.replace(pos, secret.size(), "***");
    }
  }
  return text;
}

}  // namespace aisopod::cli
