// Helpers for the Ollama tests: httprr traces, chunked bodies, and pretty-printed documentation
// examples turned into NDJSON. Tests only.
#pragma once

#include <boost/json.hpp>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace aisopod::ollama::test {

// One exchange of an httprr trace: the raw request, the response status and its body (de-chunked
// when the response used Transfer-Encoding: chunked).
struct HttprrExchange {
  std::string request;
  int status = 0;
  std::string body;
};

// Decodes an HTTP/1.1 chunked body ("<hex size>\r\n<bytes>\r\n ... 0\r\n\r\n").
inline std::string dechunk(std::string_view raw) {
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t line_end = raw.find("\r\n", pos);
    if (line_end == std::string_view::npos) std::abort();
    const std::size_t size = std::stoul(std::string(raw.substr(pos, line_end - pos)), nullptr, 16);
    pos = line_end + 2;
    if (size == 0) return out;
    out.append(raw.substr(pos, size));
    pos += size + 2;  // the chunk's CRLF
  }
}

// "httprr trace v1\n" then, per exchange, "<request bytes> <response bytes>\n" and the bytes.
inline std::vector<HttprrExchange> parse_httprr(std::string_view trace) {
  std::vector<HttprrExchange> out;
  std::size_t pos = trace.find('\n') + 1;
  while (pos < trace.size()) {
    const std::size_t line_end = trace.find('\n', pos);
    const std::string counts(trace.substr(pos, line_end - pos));
    const std::size_t space = counts.find(' ');
    const std::size_t request_bytes = std::stoul(counts.substr(0, space));
    const std::size_t response_bytes = std::stoul(counts.substr(space + 1));
    pos = line_end + 1;
    HttprrExchange exchange;
    exchange.request = std::string(trace.substr(pos, request_bytes));
    pos += request_bytes;
    const std::string_view response = trace.substr(pos, response_bytes);
    pos += response_bytes;
    exchange.status = std::stoi(std::string(response.substr(response.find(' ') + 1, 3)));
    const std::size_t head_end = response.find("\r\n\r\n");
    const std::string_view head = response.substr(0, head_end);
    const std::string_view body = response.substr(head_end + 4);
    exchange.body = head.find("Transfer-Encoding: chunked") != std::string_view::npos
                        ? dechunk(body)
                        : std::string(body);
    out.push_back(std::move(exchange));
  }
  return out;
}

// The response body of the first (or `index`th) exchange of an httprr trace.
inline std::string httprr_body(std::string_view trace, std::size_t index = 0) {
  return parse_httprr(trace).at(index).body;
}

// Back-to-back JSON texts (pretty-printed or not) as NDJSON: one compact object per line, each
// ending in "\n".
inline std::string to_ndjson(std::string_view texts) {
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    while (pos < texts.size() &&
           (texts[pos] == ' ' || texts[pos] == '\n' || texts[pos] == '\r' || texts[pos] == '\t')) {
      ++pos;
    }
    if (pos == texts.size()) return out;
    boost::json::stream_parser parser;
    boost::system::error_code ec;
    pos += parser.write_some(texts.data() + pos, texts.size() - pos, ec);
    if (ec || !parser.done()) std::abort();
    out += boost::json::serialize(parser.release());
    out += '\n';
  }
}

}  // namespace aisopod::ollama::test
