#include "core/request_encoding.hpp"

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

Result<MediaSource> media_source(const ContentPart& part, std::string_view provider_id) {
  MediaSource out{ascii_lower(part.media_type), part.data, part.url};
  if (starts_with_ignoring_case(out.url, "data:")) {
    constexpr std::string_view kExpected = " (expected data:<media type>;base64,<data>)";
    const std::string_view url = out.url;
    const std::size_t comma = url.find(',');
    if (comma == std::string_view::npos) {
      return invalid_request(
          provider_id, "malformed data: URL: no ',' before the data" + std::string(kExpected));
    }
    std::string_view header = url.substr(5, comma - 5);
    constexpr std::string_view kBase64 = ";base64";
    if (header.size() < kBase64.size() ||
        ascii_lower(header.substr(header.size() - kBase64.size())) != kBase64) {
      return invalid_request(provider_id, "malformed data: URL: the data is not marked ;base64" +
                                              std::string(kExpected));
    }
    header.remove_suffix(kBase64.size());
    out.data = url.substr(comma + 1);
    if (out.data.empty())
      return invalid_request(provider_id, "malformed data: URL: the data is empty");
    std::string url_type = ascii_lower(header.substr(0, header.find(';')));
    if (!url_type.empty()) out.media_type = std::move(url_type);
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
