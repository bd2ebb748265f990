// What every request encoder writes the same way, whatever the body's format: the
// invalid_argument error naming the provider, the endpoint URL from base_url, a media part's
// bytes or URL (data: URLs taken apart), and the HTTP requests that carry JSON. Pure;
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"
#include "http/http.hpp"

namespace aisopod {

// invalid_argument "<provider_id>: <message>", carrying `provider_id`.
Status invalid_request(std::string_view provider_id, std::string message);

// `base_url` without its trailing slashes, followed by `path`. Errors: invalid_request
// "base_url is empty" when nothing is left of `base_url`.
Result<std::string> endpoint_url(std::string_view provider_id, std::string_view base_url,
                                 std::string_view path);

// A base64 data: URL taken apart (RFC 2397: data:[<media type>][;param=value]*;base64,<data>).
struct DataUrl {
  // Lower case, without parameters; empty when the URL names none.
  std::string media_type;
  // The base64 payload (a view into the URL).
  std::string_view data;
};

// `url` (which starts with "data:", in any case) taken apart. Errors (invalid_request): no ','
// before the data, not marked ;base64, or no data.
Result<DataUrl> parse_data_url(std::string_view url, std::string_view provider_id);

// `text` with every byte outside the RFC 3986 unreserved set (ALPHA, DIGIT, "-", "_", ".", "~")
// as %XX (upper-case hex): a URL path segment or query value.
std::string percent_encode(std::string_view text);

// The thinking budget in tokens of a budget-based API (Anthropic's extended thinking, also on
// Bedrock): budget_tokens when set (at least `min_budget`); else by effort: none -> 0,
// minimal/low -> 1024, medium -> 8192, anything else -> 24576.
int thinking_budget_tokens(const ReasoningConfig& reasoning, int min_budget);

// A media part as an encoder sends it: base64 data with its media type, or a URL to fetch.
struct MediaSource {
  // Lower case; a data: URL's own media type wins over the part's; "image/jpg" (a common
  // misspelling the APIs refuse) is image/jpeg. Empty when neither names one.
  std::string media_type;
  // Base64 data: the part's data or the payload of its data: URL. Empty for a URL source.
  std::string_view data;
  // A URL other than data: (the part's url as given; its scheme is for the caller to check).
  std::string_view url;
};

// The MediaSource of `part` (views into `part`). A base64 data: URL
// (RFC 2397: data:[<media type>][;param=value]*;base64,<data>) is taken apart. Errors
// (invalid_request): a malformed data: URL (no ',' before the data, not marked ;base64, or no
// data).
Result<MediaSource> media_source(const ContentPart& part, std::string_view provider_id);

// POST `url` with `body`: Content-Type application/json, Accept `accept`.
http::Request json_post(std::string url, std::string body, std::string_view accept);

// GET `url`, Accept application/json.
http::Request json_get(std::string url);

}  // namespace aisopod
