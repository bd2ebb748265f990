#include "core/request_encoding.hpp"

#include <algorithm>
#include <utility>

#include "core/ascii_text.hpp"

namespace aisopod {

Status invalid_request(std::string_view provider_id, std::string message) {
  std::string id(provider_id);
  return Status(StatusCode::kInvalidArgument, id + ": " + std::move(message))
      .set_provider(std::move(id));
}

Result<std::string> endpoint_url(std::string_view provider_id, std::string_view base_url,
                                 std::string_view path) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  if (base_url.empty()) return invalid_request(provider_id, "base_url is empty");
  std::string url(base_url);
  url += path;
  return url;
}

Result<DataUrl> parse_data_url(std::string_view url, std::string_view provider_id) {
  constexpr std::string_view kExpected = " (expected data:<media type>;base64,<data>)";
  const std::size_t comma = url.find(',');
  if (comma == std::string_view::npos) {
    return invalid_request(provider_id,
                           "malformed data: URL: no ',' before the data" + std::string(kExpected));
  }
  std::string_view header = url.substr(5, comma - 5);
  constexpr std::string_view kBase64 = ";base64";
  if (header.size() < kBase64.size() ||
      ascii_lower(header.substr(header.size() - kBase64.size())) != kBase64) {
    return invalid_request(provider_id, "malformed data: URL: the data is not marked ;base64" +
                                            std::string(kExpected));
  }
  header.remove_suffix(kBase64.size());
  DataUrl out{ascii_lower(header.substr(0, header.find(';'))), url.substr(comma + 1)};
  if (out.data.empty())
    return invalid_request(provider_id, "malformed data: URL: the data is empty");
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

int thinking_budget_tokens(const ReasoningConfig& reasoning, int min_budget) {
  if (reasoning.budget_tokens > 0) return std::max(reasoning.budget_tokens, min_budget);
  if (reasoning.effort.empty()) return 0;
  if (reasoning.effort == "minimal" || reasoning.effort == "low") return 1024;
  if (reasoning.effort == "medium") return 8192;
  return 24576;
}

Result<MediaSource> media_source(const ContentPart& part, std::string_view provider_id) {
  MediaSource out{ascii_lower(part.media_type), part.data, part.url};
  if (starts_with_ignoring_case(out.url, "data:")) {
    AISOPOD_ASSIGN_OR_RETURN(DataUrl parsed, parse_data_url(out.url, provider_id));
    out.data = parsed.data;
    if (!parsed.media_type.empty()) out.media_type = std::move(parsed.media_type);
    out.url = {};
  }
  if (out.media_type == "image/jpg") out.media_type = "image/jpeg";
  return out;
}

http::Request json_post(std::string url, std::string body, std::string_view accept) {
  http::Request out;
  out.method = "POST";
  out.url = std::move(url);
  out.headers.push_back({"Content-Type", "application/json"});
  out.headers.push_back({"Accept", std::string(accept)});
  out.body = std::move(body);
  return out;
}

http::Request json_get(std::string url) {
  http::Request out;
  out.method = "GET";
  out.url = std::move(url);
  out.headers.push_back({"Accept", "application/json"});
  return out;
}

}  // namespace aisopod
