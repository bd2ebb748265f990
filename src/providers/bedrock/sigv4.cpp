#include "providers/bedrock/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace aisopod::bedrock {
namespace {

constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";
constexpr char kHexDigits[] = "0123456789ABCDEF";

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool equals_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

void append_escape(std::string& out, char c) {
  const auto u = static_cast<unsigned char>(c);
  out += '%';
  out += kHexDigits[u >> 4];
  out += kHexDigits[u & 0xf];
}

// Escapes every byte outside the unreserved set; `keep_slash` keeps '/' as it is.
std::string uri_encode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out += c;
    } else {
      append_escape(out, c);
    }
  }
  return out;
}

// Decodes %XX escapes; a '%' without two hex digits after it stays as it is.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && is_hex(text[i + 1]) && is_hex(text[i + 2])) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// RFC 3986 dot-segment removal, also dropping empty segments. The result starts with '/', and
// ends with one when the input's last segment was empty, '.' or '..' (a directory).
std::string normalize(std::string_view path) {
  std::vector<std::string_view> segments;
  bool directory = false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    directory = segment.empty() || segment == "." || segment == "..";
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out;
  for (const std::string_view segment : segments) {
    out += '/';
    out += segment;
  }
  if (out.empty() || directory) out += '/';
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// A header value as SigV4 signs it: white space trimmed at both ends, inner runs of it (a folded
// line included) collapsed to one space.
std::string canonical_header_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (const char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// Headers SigV4 must not sign: proxies and HTTP libraries add, change or drop them.
bool is_unsignable(std::string_view lower_name) {
  return lower_name == "expect" || lower_name == "transfer-encoding" ||
         lower_name == "user-agent" || lower_name == "x-amzn-trace-id";
}

// Headers the signer writes itself; a request's own copies are replaced.
bool is_owned(std::string_view name, const SigV4Options& options) {
  return equals_ci(name, "authorization") || equals_ci(name, "x-amz-date") ||
         equals_ci(name, "x-amz-security-token") ||
         (options.add_content_sha256 && equals_ci(name, "x-amz-content-sha256"));
}

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kLowerHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += kLowerHex[bytes[i] >> 4];
    out += kLowerHex[bytes[i] & 0xf];
  }
  return out;
}

// HMAC-SHA256 of `data` under `key`, raw; std::nullopt if OpenSSL fails.
std::optional<std::string> hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // HMAC() wants non-null pointers even for empty input.
  static constexpr unsigned char kNothing = 0;
  const auto* bytes =
      data.empty() ? &kNothing : reinterpret_cast<const unsigned char*>(data.data());
  const char* key_bytes = key.empty() ? "" : key.data();
  if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()), bytes, data.size(), digest,
           &length) == nullptr) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

bool is_scope_part(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool has_control_or_space(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

Status check_keys(const AwsKeys& keys) {
  if (keys.access_key_id.empty()) {
    return Status(StatusCode::kUnauthenticated, "sigv4: the AWS access key id is empty");
  }
  if (keys.secret_access_key.empty()) {
    return Status(StatusCode::kUnauthenticated, "sigv4: the AWS secret access key is empty");
  }
  const std::string_view id = keys.access_key_id;
  if (has_control_or_space(id) || id.find_first_of(",/") != std::string_view::npos) {
    return Status(StatusCode::kUnauthenticated,
                  "sigv4: the AWS access key id holds a character that cannot be signed (white "
                  "space, a control character, ',' or '/')");
  }
  if (has_control_or_space(keys.session_token)) {
    return Status(StatusCode::kUnauthenticated,
                  "sigv4: the AWS session token holds white space or a control character");
  }
  return Status();
}

struct CanonicalHeader {
  std::string name;
  std::string value;
};

}  // namespace

std::string encode_path_segment(std::string_view segment) { return uri_encode(segment, false); }

std::string model_path(std::string_view model_id, std::string_view operation) {
  std::string path = "/model/";
  path += encode_path_segment(model_id);
  path += '/';
  path += operation;
  return path;
}

std::string canonical_uri(std::string_view path, const SigV4Options& options) {
  std::string source = options.normalize_path ? normalize(path) : std::string(path);
  if (source.empty()) source = "/";
  if (options.double_encode_path) return uri_encode(source, true);
  std::string out;
  out.reserve(source.size());
  for (std::size_t i = 0; i < source.size(); ++i) {
    const char c = source[i];
    if (c == '%' && i + 2 < source.size() && is_hex(source[i + 1]) && is_hex(source[i + 2])) {
      out += '%';
      out += ascii_upper(source[i + 1]);
      out += ascii_upper(source[i + 2]);
      i += 2;
    } else if (is_unreserved(c) || c == '/') {
      out += c;
    } else {
      append_escape(out, c);
    }
  }
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view param = query.substr(start, end - start);
    start = end + 1;
    if (param.empty()) continue;
    const std::size_t eq = param.find('=');
    const std::string_view name = param.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    params.emplace_back(uri_encode(percent_decode(name), false),
                        uri_encode(percent_decode(value), false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto seconds = floor<std::chrono::seconds>(time);
  const auto day = floor<days>(seconds);
  const year_month_day date(day);
  const hh_mm_ss clock(seconds - day);
  char text[32];
  std::snprintf(text, sizeof text, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return text;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  static constexpr char kNothing = 0;
  const char* data = bytes.empty() ? &kNothing : bytes.data();
  if (EVP_Digest(data, bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) return {};
  return to_hex(digest, length);
}

Result<SigV4Signature> sign(const SigV4Request& request, const AwsKeys& keys,
                            std::string_view region, std::string_view service,
                            std::chrono::system_clock::time_point now,
                            const SigV4Options& options) {
  AISOPOD_TRY_STATUS(check_keys(keys));
  if (!is_scope_part(region)) {
    return Status(StatusCode::kInvalidArgument,
                  "sigv4: bad region \"" + std::string(region.substr(0, 64)) +
                      "\" (expected lower-case letters, digits and '-')");
  }
  if (!is_scope_part(service)) {
    return Status(StatusCode::kInvalidArgument,
                  "sigv4: bad service name \"" + std::string(service.substr(0, 64)) +
                      "\" (expected lower-case letters, digits and '-')");
  }

  std::string payload_hash;
  if (request.payload_hash) {
    payload_hash = std::string(*request.payload_hash);
  } else {
    payload_hash = sha256_hex(request.body);
    if (payload_hash.empty()) {
      return Status(StatusCode::kInternal, "sigv4: OpenSSL SHA-256 failed");
    }
  }

  const std::string date_time = amz_date(now);
  const std::string_view date = std::string_view(date_time).substr(0, 8);
  const bool sign_token =
      !keys.session_token.empty() && options.session_token == SessionTokenPlacement::kSigned;

  http::Headers added;
  added.push_back({"X-Amz-Date", date_time});
  if (sign_token) added.push_back({"X-Amz-Security-Token", keys.session_token});
  if (options.add_content_sha256) added.push_back({"X-Amz-Content-Sha256", payload_hash});

  // Name-sorted; a stable sort keeps repeated headers in request order, and their values are
  // joined with ',' in that order.
  std::vector<CanonicalHeader> headers;
  bool has_host = false;
  for (const http::Header& header : request.headers) {
    std::string name = lower(header.name);
    if (is_unsignable(name) || is_owned(name, options)) continue;
    has_host = has_host || name == "host";
    headers.push_back({std::move(name), canonical_header_value(header.value)});
  }
  if (!has_host) {
    return Status(StatusCode::kInvalidArgument, "sigv4: the request has no Host header to sign");
  }
  for (const http::Header& header : added) {
    headers.push_back({lower(header.name), header.value});
  }
  std::stable_sort(
      headers.begin(), headers.end(),
      [](const CanonicalHeader& a, const CanonicalHeader& b) { return a.name < b.name; });

  std::string canonical_headers;
  std::string signed_headers;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].name == headers[i - 1].name) {
      canonical_headers.pop_back();  // the '\n' of the previous line
      canonical_headers += ',';
    } else {
      if (!signed_headers.empty()) signed_headers += ';';
      signed_headers += headers[i].name;
      canonical_headers += headers[i].name;
      canonical_headers += ':';
    }
    canonical_headers += headers[i].value;
    canonical_headers += '\n';
  }

  SigV4Signature out;
  out.canonical_request = std::string(request.method) + '\n' +
                          canonical_uri(request.path, options) + '\n' +
                          canonical_query(request.query) + '\n' + canonical_headers + '\n' +
                          signed_headers + '\n' + payload_hash;

  const std::string scope =
      std::string(date) + '/' + std::string(region) + '/' + std::string(service) + "/aws4_request";
  const std::string request_hash = sha256_hex(out.canonical_request);
  if (request_hash.empty()) return Status(StatusCode::kInternal, "sigv4: OpenSSL SHA-256 failed");
  out.string_to_sign =
      std::string(kAlgorithm) + '\n' + date_time + '\n' + scope + '\n' + request_hash;

  // kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
  std::optional<std::string> key = hmac_sha256("AWS4" + keys.secret_access_key, date);
  if (key) key = hmac_sha256(*key, region);
  if (key) key = hmac_sha256(*key, service);
  if (key) key = hmac_sha256(*key, "aws4_request");
  std::optional<std::string> signature;
  if (key) signature = hmac_sha256(*key, out.string_to_sign);
  if (!signature) return Status(StatusCode::kInternal, "sigv4: OpenSSL HMAC-SHA256 failed");
  out.signature =
      to_hex(reinterpret_cast<const unsigned char*>(signature->data()), signature->size());

  out.authorization = std::string(kAlgorithm) + " Credential=" + keys.access_key_id + '/' + scope +
                      ", SignedHeaders=" + signed_headers + ", Signature=" + out.signature;

  out.headers = std::move(added);
  if (!keys.session_token.empty() && !sign_token) {
    out.headers.push_back({"X-Amz-Security-Token", keys.session_token});
  }
  out.headers.push_back({"Authorization", out.authorization});
  return out;
}

Status sign_request(http::Request& request, const AwsKeys& keys, std::string_view region,
                    std::string_view service, std::chrono::system_clock::time_point now,
                    const SigV4Options& options) {
  std::string_view url = request.url;
  const std::size_t scheme_end = url.find("://");
  const std::string_view scheme =
      scheme_end == std::string_view::npos ? std::string_view() : url.substr(0, scheme_end);
  const bool https = equals_ci(scheme, "https");
  if (!https && !equals_ci(scheme, "http")) {
    return Status(StatusCode::kInvalidArgument,
                  "sigv4: cannot sign a request whose URL has no http or https scheme");
  }
  url.remove_prefix(scheme_end + 3);
  url = url.substr(0, url.find('#'));
  const std::size_t authority_end = url.find_first_of("/?");
  std::string_view authority = url.substr(0, authority_end);
  const std::string_view rest =
      authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);
  const std::size_t query_start = rest.find('?');
  const std::string_view path = rest.substr(0, query_start);
  const std::string_view query =
      query_start == std::string_view::npos ? std::string_view() : rest.substr(query_start + 1);

  // host[:port], without any user info; the port only when it is not the scheme's default,
  // which is what curl puts in the Host header.
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || host == "[]") {
    return Status(StatusCode::kInvalidArgument,
                  "sigv4: cannot sign a request whose URL has no host");
  }
  std::string host_header(host);
  if (!port.empty() && port != (https ? "443" : "80")) {
    host_header += ':';
    host_header += port;
  }

  http::Headers to_sign;
  to_sign.reserve(request.headers.size() + 1);
  bool has_host = false;
  for (const http::Header& header : request.headers) {
    has_host = has_host || equals_ci(header.name, "host");
    to_sign.push_back(header);
  }
  if (!has_host) to_sign.push_back({"Host", host_header});

  SigV4Request parts;
  parts.method = request.method;
  parts.path = path;
  parts.query = query;
  parts.headers = to_sign;
  parts.body = request.body;
  AISOPOD_ASSIGN_OR_RETURN(SigV4Signature signature,
                           sign(parts, keys, region, service, now, options));

  std::erase_if(request.headers,
                [&](const http::Header& header) { return is_owned(header.name, options); });
  for (http::Header& header : signature.headers) request.headers.push_back(std::move(header));
  return Status();
}

}  // namespace aisopod::bedrock
