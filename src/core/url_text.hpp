// Pieces of URLs for messages: what an error may show of an endpoint without leaking its path,
// query or user info. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace aisopod {

// The host of an http(s) URL (no user info, no port; IPv6 in brackets), for messages that must
// not show the rest of it; empty when `url` is not http(s) or has no host.
std::string url_host(std::string_view url);

}  // namespace aisopod
