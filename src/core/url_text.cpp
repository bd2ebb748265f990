#include "core/url_text.hpp"

namespace aisopod {

std::string url_host(std::string_view url) {
  std::size_t start;
  if (url.starts_with("https://")) {
    start = 8;
  } else if (url.starts_with("http://")) {
    start = 7;
  } else {
    return {};
  }
  std::string_view authority = url.substr(start);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    return close == std::string_view::npos ? std::string()
                                           : std::string(authority.substr(0, close + 1));
  }
  return std::string(authority.substr(0, authority.find(':')));
}

}  // namespace aisopod
