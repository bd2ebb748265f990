#include "providers/bedrock/aws_credentials.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "core/error_text.hpp"
#include "core/url_text.hpp"
#include "http/http.hpp"
#include "providers/bedrock/sigv4.hpp"

extern char** environ;

namespace aisopod::bedrock {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::chrono::minutes kRefreshMargin{5};
// A refresh that fails may fall back to the keys it replaces while they have this much left.
constexpr std::chrono::minutes kStillUsable{1};
// Shared files, token files and answers are a few kilobytes; anything far larger is not one.
constexpr std::size_t kMaxFileBytes = 1024 * 1024;
constexpr std::size_t kMaxAnswerBytes = 1024 * 1024;
constexpr std::size_t kMaxProcessOutput = 1024 * 1024;
constexpr std::string_view kDefaultImdsEndpoint = "http://169.254.169.254";
constexpr std::string_view kImdsIpv6Endpoint = "http://[fd00:ec2::254]";
constexpr std::string_view kDefaultContainerHost = "http://169.254.170.2";
constexpr std::string_view kStsVersion = "2011-06-15";
// How messages name a profile that AwsChainOptions::profile chose.
constexpr std::string_view kProfileOption = "profile option";

// ---- text ----

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A variable's value when it is set and not empty (an empty lookup is an empty environment).
std::optional<std::string> non_empty(const EnvLookup& env, std::string_view name) {
  if (!env) return std::nullopt;
  std::optional<std::string> value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

// An application/x-www-form-urlencoded value: every byte outside the RFC 3986 unreserved set
// as %XX, which is what SigV4's encoder does (a space too, so '+' is never ambiguous).
std::string form_value(std::string_view text) { return encode_path_segment(text); }

std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::int64_t unix_seconds(SystemTime time) {
  return std::chrono::duration_cast<seconds>(time.time_since_epoch()).count();
}

// An ISO 8601 / RFC 3339 time as AWS writes them: "2020-01-01T01:00:00Z",
// "2020-01-01T01:00:00.123Z", "2020-01-01T02:00:00+01:00". A fraction is dropped (the time
// reads a little early, which is the safe side for an expiry).
std::optional<SystemTime> parse_iso8601(std::string_view text) {
  const auto number = [&text](std::size_t pos, std::size_t count) -> std::optional<int> {
    if (pos + count > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  const auto is = [&text](std::size_t pos, std::string_view chars) {
    return pos < text.size() && chars.find(text[pos]) != std::string_view::npos;
  };
  const std::optional<int> year = number(0, 4), month = number(5, 2), day = number(8, 2),
                           hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || !is(4, "-") || !is(7, "-") ||
      !is(10, "Tt ") || !is(13, ":") || !is(16, ":")) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (is(pos, ".")) {
    ++pos;
    const std::size_t digits_start = pos;
    while (is(pos, "0123456789")) ++pos;
    if (pos == digits_start) return std::nullopt;
  }
  int offset_minutes = 0;
  if (is(pos, "Zz") && pos + 1 == text.size()) {
    ++pos;
  } else if (is(pos, "+-")) {
    const int sign = text[pos] == '-' ? -1 : 1;
    const std::optional<int> off_hour = number(pos + 1, 2);
    std::optional<int> off_minute;
    if (is(pos + 3, ":")) {
      off_minute = number(pos + 4, 2);
      pos += 6;
    } else {
      off_minute = number(pos + 3, 2);
      pos += 5;
    }
    if (!off_hour || !off_minute || *off_hour > 23 || *off_minute > 59) return std::nullopt;
    offset_minutes = sign * (*off_hour * 60 + *off_minute);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  return SystemTime(std::chrono::sys_days(date)) + std::chrono::hours(*hour) +
         std::chrono::minutes(*minute) + seconds(*second) - std::chrono::minutes(offset_minutes);
}

// The XML entities STS may use in a value; a '&' that starts none of them stays as it is.
std::string xml_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const std::size_t semicolon = text.find(';', i);
    if (semicolon == std::string_view::npos || semicolon - i > 10) {
      out += '&';
      continue;
    }
    const std::string_view name = text.substr(i + 1, semicolon - i - 1);
    std::optional<std::uint32_t> code;
    if (name == "amp") {
      code = '&';
    } else if (name == "lt") {
      code = '<';
    } else if (name == "gt") {
      code = '>';
    } else if (name == "quot") {
      code = '"';
    } else if (name == "apos") {
      code = '\'';
    } else if (name.size() > 1 && name[0] == '#') {
      const bool hex = name[1] == 'x' || name[1] == 'X';
      const std::string digits(name.substr(hex ? 2 : 1));
      char* end = nullptr;
      const unsigned long value = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
      if (!digits.empty() && end == digits.c_str() + digits.size() && value > 0 &&
          value <= 0x10FFFF) {
        code = static_cast<std::uint32_t>(value);
      }
    }
    if (!code) {
      out += '&';
      continue;
    }
    // UTF-8 of the code point.
    const std::uint32_t c = *code;
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
    i = semicolon;
  }
  return out;
}

// The text of the first <tag>...</tag> in an STS answer (which has no attributes on the
// elements read here), or std::nullopt.
std::optional<std::string> xml_element(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const std::size_t start = xml.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  const std::size_t begin = start + open.size();
  const std::size_t end = xml.find(close, begin);
  if (end == std::string_view::npos) return std::nullopt;
  return xml_unescape(trim(xml.substr(begin, end - begin)));
}

// ---- files ----

// Reads a whole file into `out`: 0, or the errno that stopped it (EFBIG when it is larger
// than `limit`).
int read_whole_file(const std::string& path, std::string& out, std::size_t limit) {
  errno = 0;
  std::FILE* stream = std::fopen(path.c_str(), "rb");
  if (stream == nullptr) return errno != 0 ? errno : EIO;
  out.clear();
  char buffer[8192];
  while (true) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, stream);
    out.append(buffer, n);
    if (out.size() > limit) {
      std::fclose(stream);
      return EFBIG;
    }
    if (n < sizeof buffer) break;
  }
  // A directory opens and then fails to read (EISDIR).
  const int error = std::ferror(stream) != 0 ? (errno != 0 ? errno : EIO) : 0;
  std::fclose(stream);
  return error;
}

std::string error_text(int error) { return std::generic_category().message(error); }

// One profile's keys, in file order; a later duplicate wins.
using Section = std::map<std::string, std::string, std::less<>>;
using Sections = std::map<std::string, Section, std::less<>>;

enum class FileKind { kCredentials, kConfig };

// The profile a section header names: any name in the credentials file; "default" and
// "profile <name>" in the config file, whose other sections ("sso-session x", "services x")
// are no profiles.
std::optional<std::string> profile_of_header(std::string_view header, FileKind kind) {
  header = trim(header);
  if (kind == FileKind::kCredentials || header == "default") return std::string(header);
  if (header.starts_with("profile") && header.size() > 7 &&
      (header[7] == ' ' || header[7] == '\t')) {
    const std::string_view name = trim(header.substr(8));
    if (!name.empty()) return std::string(name);
  }
  return std::nullopt;
}

// The INI dialect of the AWS CLI: [section] headers, "key = value" (or "key: value") lines,
// whole-line comments starting with '#' or ';', and indented lines that belong to the key above
// them (nested settings such as "s3 =\n  max_concurrent_requests = 10", skipped here). Messages
// name the line, never its text (it may hold a secret).
Result<Sections> parse_shared_file(std::string_view text, FileKind kind, const std::string& path) {
  Sections sections;
  Section* current = nullptr;  // null outside a section and in one that is no profile
  bool in_section = false;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    const std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (in_section && (raw[0] == ' ' || raw[0] == '\t') && line[0] != '[') continue;
    const auto malformed = [&] {
      return Status(StatusCode::kInvalidArgument, "AWS shared file " + path + ":" +
                                                      std::to_string(line_number) +
                                                      ": expected [section] or key = value");
    };
    if (line[0] == '[') {
      if (line.back() != ']' || line.size() < 3) return malformed();
      const std::optional<std::string> name =
          profile_of_header(line.substr(1, line.size() - 2), kind);
      current = name ? &sections[*name] : nullptr;
      in_section = true;
      continue;
    }
    const std::size_t delimiter = line.find_first_of("=:");
    if (!in_section || delimiter == std::string_view::npos) return malformed();
    const std::string_view key = trim(line.substr(0, delimiter));
    if (key.empty()) return malformed();
    if (current != nullptr)
      (*current)[std::string(key)] = std::string(trim(line.substr(delimiter + 1)));
  }
  return sections;
}

// "~/x" as the AWS SDKs expand it.
std::string expand_home(std::string path, const EnvLookup& env) {
  if (path == "~" || path.starts_with("~/")) {
    if (std::optional<std::string> home = non_empty(env, "HOME")) {
      return *home + path.substr(1);
    }
  }
  return path;
}

struct FilePaths {
  std::string credentials;  // "" when neither the variable nor HOME names it
  std::string config;
};

FilePaths shared_file_paths(const EnvLookup& env) {
  FilePaths paths;
  const std::optional<std::string> home = non_empty(env, "HOME");
  if (std::optional<std::string> file = non_empty(env, "AWS_SHARED_CREDENTIALS_FILE")) {
    paths.credentials = expand_home(std::move(*file), env);
  } else if (home) {
    paths.credentials = *home + "/.aws/credentials";
  }
  if (std::optional<std::string> file = non_empty(env, "AWS_CONFIG_FILE")) {
    paths.config = expand_home(std::move(*file), env);
  } else if (home) {
    paths.config = *home + "/.aws/config";
  }
  return paths;
}

// A missing file (or one under a path that is no directory) has no sections.
Result<Sections> load_sections(const std::string& path, FileKind kind) {
  if (path.empty()) return Sections{};
  std::string text;
  const int error = read_whole_file(path, text, kMaxFileBytes);
  if (error == ENOENT || error == ENOTDIR) return Sections{};
  if (error != 0) {
    return Status(StatusCode::kInvalidArgument,
                  "cannot read AWS shared file " + path + ": " + error_text(error));
  }
  return parse_shared_file(text, kind, path);
}

struct SharedFiles {
  FilePaths paths;
  Sections credentials;
  Sections config;

  // The profile's keys: the config file's, overridden by the credentials file's (botocore
  // merges them the same way); std::nullopt when neither file has the profile.
  std::optional<Section> profile(std::string_view name) const {
    const auto in_config = config.find(name);
    const auto in_credentials = credentials.find(name);
    if (in_config == config.end() && in_credentials == credentials.end()) return std::nullopt;
    Section merged;
    if (in_config != config.end()) merged = in_config->second;
    if (in_credentials != credentials.end()) {
      for (const auto& [key, value] : in_credentials->second) merged[key] = value;
    }
    return merged;
  }

  // How messages name the files: "/h/.aws/credentials, /h/.aws/config".
  std::string listed(std::string_view separator) const {
    std::string out = paths.credentials;
    if (!paths.config.empty()) {
      if (!out.empty()) out += separator;
      out += paths.config;
    }
    return out.empty() ? "none: HOME is not set" : out;
  }
};

Result<SharedFiles> load_shared_files(const EnvLookup& env) {
  SharedFiles files;
  files.paths = shared_file_paths(env);
  AISOPOD_ASSIGN_OR_RETURN(files.credentials,
                           load_sections(files.paths.credentials, FileKind::kCredentials));
  AISOPOD_ASSIGN_OR_RETURN(files.config, load_sections(files.paths.config, FileKind::kConfig));
  return files;
}

std::optional<std::string> value_of(const Section& section, std::string_view key) {
  const auto it = section.find(key);
  if (it == section.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// ---- the profile in use ----

struct ProfileChoice {
  std::string name;
  // What named it: "AWS_PROFILE", "profile option", or "" (the default).
  std::string origin;
  friend bool operator==(const ProfileChoice&, const ProfileChoice&) = default;
};

ProfileChoice choose_profile(const AwsChainOptions& options) {
  if (!options.profile.empty()) return {options.profile, std::string(kProfileOption)};
  if (std::optional<std::string> name = non_empty(options.env, "AWS_PROFILE")) {
    return {std::move(*name), "AWS_PROFILE"};
  }
  return {"default", ""};
}

std::string region_of(const EnvLookup& env, std::string_view configured, const Sections& config,
                      std::string_view profile) {
  if (!configured.empty()) return std::string(configured);
  if (std::optional<std::string> region = non_empty(env, "AWS_REGION")) return *region;
  if (std::optional<std::string> region = non_empty(env, "AWS_DEFAULT_REGION")) return *region;
  const auto section = config.find(profile);
  if (section == config.end()) return {};
  return value_of(section->second, "region").value_or("");
}

std::string profile_label(std::string_view name) {
  return "AWS profile '" + std::string(name) + "'";
}

// ---- HTTP ----

struct Answer {
  int status = 0;
  http::Headers headers;
  std::string body;
};

Task<Result<Answer>> exchange(http::Request request) {
  Result<http::Response> response = co_await http::send(std::move(request));
  if (!response.ok()) co_return response.error();
  Result<std::string> body = co_await response->read_all(kMaxAnswerBytes);
  if (!body.ok()) co_return body.error();
  co_return Answer{response->status(), response->headers(), std::move(*body)};
}

StatusCode code_for_http_status(int status) {
  if (status >= 500) return StatusCode::kUnavailable;
  if (status == 429) return StatusCode::kRateLimited;
  if (status == 403) return StatusCode::kPermissionDenied;
  if (status >= 400) return StatusCode::kUnauthenticated;
  return StatusCode::kProtocolError;  // a redirect: http::send does not follow them
}

// A container or metadata endpoint's error answer: its JSON {"code", "message"} (the ECS and
// EKS agents answer so), else an excerpt of the body. Never fails.
Status endpoint_error(const std::string& who, const Answer& answer) {
  boost::system::error_code parse_error;
  const json::value value = json::parse(answer.body, parse_error);
  const json::object* object = parse_error ? nullptr : value.if_object();
  std::string message;
  std::string code;
  if (object != nullptr) {
    for (const auto& [key, member] : *object) {
      const std::string name = lower_ascii(key);
      if (!member.is_string()) continue;
      if (name == "message") message = std::string(member.get_string());
      if (name == "code") code = std::string(member.get_string());
    }
  }
  return upstream_error(code_for_http_status(answer.status),
                        who + " failed: " +
                            upstream_error_message(message, object != nullptr, answer.status,
                                                   answer.body, {{"code", code}}),
                        answer.status, &answer.headers, {});
}

// The keys in a JSON answer {"AccessKeyId", "SecretAccessKey", <token_member>, "Expiration"}
// (container, instance metadata, credential_process). Messages name members, never values.
Result<Credential> credential_from_json(const json::object& object, const std::string& who,
                                        StatusCode code, std::string_view token_member) {
  const auto text = [&object](std::string_view key) -> std::optional<std::string> {
    const json::value* value = object.if_contains(key);
    if (value == nullptr || !value->is_string() || value->get_string().empty()) return std::nullopt;
    return std::string(value->get_string());
  };
  std::optional<std::string> id = text("AccessKeyId");
  if (!id) return Status(code, who + " returned no AccessKeyId");
  std::optional<std::string> secret = text("SecretAccessKey");
  if (!secret) return Status(code, who + " returned no SecretAccessKey");
  std::optional<SystemTime> expires_at;
  if (const json::value* expiration = object.if_contains("Expiration");
      expiration != nullptr && !expiration->is_null()) {
    if (expiration->is_string()) expires_at = parse_iso8601(expiration->get_string());
    if (!expires_at) return Status(code, who + " returned an invalid Expiration");
  }
  return Credential::aws_keys(std::move(*id), std::move(*secret), text(token_member).value_or(""),
                              expires_at);
}

Result<json::object> json_object_of(std::string_view body, const std::string& who,
                                    StatusCode code) {
  boost::system::error_code parse_error;
  json::value value = json::parse(body, parse_error);
  if (parse_error || !value.is_object()) return Status(code, who + " returned no JSON object");
  return std::move(value.as_object());
}

// ---- one walk of the chain ----

// What one walk reads once: the options, the profile and the files.
struct Walk {
  const AwsChainOptions& options;
  const ProfileChoice& profile;
  SharedFiles files;
  // The region STS is called in and AssumeRole is signed for: never empty.
  std::string sts_region;

  const EnvLookup& env() const { return options.env; }
  SystemTime now() const { return options.clock->now(); }
  std::string session_name() const { return "aisopod-" + std::to_string(unix_seconds(now())); }
};

using MaybeCredential = Result<std::optional<Credential>>;

// Of two variables that go together, at least one of which is set: unauthenticated
// "<first> is set but <second> is not" (or the other way round) when one is missing.
Status both_set(bool has_first, std::string_view first, bool has_second, std::string_view second) {
  if (!has_second) {
    return Status(StatusCode::kUnauthenticated,
                  std::string(first) + " is set but " + std::string(second) + " is not");
  }
  if (!has_first) {
    return Status(StatusCode::kUnauthenticated,
                  std::string(second) + " is set but " + std::string(first) + " is not");
  }
  return Status();
}

// Step 1, and credential_source = Environment.
MaybeCredential environment_keys(const EnvLookup& env) {
  std::optional<std::string> id = non_empty(env, "AWS_ACCESS_KEY_ID");
  std::optional<std::string> secret = non_empty(env, "AWS_SECRET_ACCESS_KEY");
  if (!id && !secret) return std::optional<Credential>();
  if (Status pair = both_set(id.has_value(), "AWS_ACCESS_KEY_ID", secret.has_value(),
                             "AWS_SECRET_ACCESS_KEY");
      !pair.ok()) {
    return pair;
  }
  return std::optional<Credential>(Credential::aws_keys(
      std::move(*id), std::move(*secret), non_empty(env, "AWS_SESSION_TOKEN").value_or("")));
}

// ---- STS ----

std::string sts_endpoint(const Walk& walk) {
  if (!walk.options.sts_endpoint.empty()) return without_trailing_slash(walk.options.sts_endpoint);
  if (std::optional<std::string> url = non_empty(walk.env(), "AWS_ENDPOINT_URL_STS")) {
    return without_trailing_slash(std::move(*url));
  }
  const std::string suffix =
      walk.sts_region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://sts." + walk.sts_region + suffix;
}

StatusCode code_for_sts_error(std::string_view code, int http_status) {
  static const std::map<std::string_view, StatusCode> kCodes = {
      {"AccessDenied", StatusCode::kPermissionDenied},
      {"AccessDeniedException", StatusCode::kPermissionDenied},
      {"RegionDisabledException", StatusCode::kPermissionDenied},
      {"InvalidClientTokenId", StatusCode::kUnauthenticated},
      {"SignatureDoesNotMatch", StatusCode::kUnauthenticated},
      {"IncompleteSignature", StatusCode::kUnauthenticated},
      {"MissingAuthenticationToken", StatusCode::kUnauthenticated},
      {"ExpiredToken", StatusCode::kUnauthenticated},
      {"ExpiredTokenException", StatusCode::kUnauthenticated},
      {"InvalidIdentityToken", StatusCode::kUnauthenticated},
      {"IDPRejectedClaim", StatusCode::kUnauthenticated},
      {"Throttling", StatusCode::kRateLimited},
      {"ThrottlingException", StatusCode::kRateLimited},
      {"IDPCommunicationError", StatusCode::kUnavailable},
      {"ServiceUnavailable", StatusCode::kUnavailable},
      {"InternalFailure", StatusCode::kUnavailable},
  };
  if (const auto it = kCodes.find(code); it != kCodes.end()) return it->second;
  return code_for_http_status(http_status);
}

// One STS call. `action` is AssumeRole or AssumeRoleWithWebIdentity; `form` the body after
// Action and Version; `subject` ends "for <subject>" in messages; `signer`, when set, signs it.
Task<Result<Credential>> call_sts(const Walk& walk, std::string action, std::string form,
                                  std::string subject, std::optional<Credential> signer) {
  http::Request request;
  request.method = "POST";
  request.url = sts_endpoint(walk) + "/";
  const std::string host = url_host(request.url);
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = "Action=" + action + "&Version=" + std::string(kStsVersion) + form;
  request.timeouts.connect = seconds(10);
  request.timeouts.total = seconds(30);
  if (signer) {
    const AwsKeys keys{signer->access_key_id, signer->secret, signer->session_token};
    const Status signed_ok = sign_request(request, keys, walk.sts_region, "sts", walk.now());
    if (!signed_ok.ok()) co_return signed_ok;
  }
  Result<Answer> answer = co_await exchange(std::move(request));
  if (!answer.ok()) co_return answer.error();
  const std::string who = "STS " + action + " at " + host;
  if (answer->status < 200 || answer->status >= 300) {
    const std::string code = xml_element(answer->body, "Code").value_or("");
    const std::string message = xml_element(answer->body, "Message").value_or("");
    std::string detail;
    if (!code.empty()) {
      detail = one_line(truncate_utf8(code, 100));
      if (!message.empty()) detail += ": " + one_line(truncate_utf8(message, kErrorMessageBytes));
    } else {
      detail = upstream_error_message(message, false, answer->status, answer->body, {});
    }
    co_return upstream_error(code_for_sts_error(code, answer->status),
                             who + " for " + subject + " failed: " + detail, answer->status,
                             &answer->headers, {});
  }
  std::optional<std::string> parts[3];
  const char* const names[3] = {"AccessKeyId", "SecretAccessKey", "SessionToken"};
  for (int i = 0; i < 3; ++i) {
    parts[i] = xml_element(answer->body, names[i]);
    if (!parts[i] || parts[i]->empty()) {
      co_return Status(StatusCode::kProtocolError, who + " returned no " + names[i]);
    }
  }
  std::optional<std::string> expiration = xml_element(answer->body, "Expiration");
  std::optional<SystemTime> expires_at = expiration ? parse_iso8601(*expiration) : std::nullopt;
  if (!expires_at) {
    co_return Status(StatusCode::kProtocolError, who + " returned no valid Expiration");
  }
  co_return Credential::aws_keys(std::move(*parts[0]), std::move(*parts[1]), std::move(*parts[2]),
                                 expires_at);
}

// AssumeRoleWithWebIdentity with the token in `token_file` (read at each call: the platform
// rotates it). `origin` names where the path came from, `subject` the role's origin.
Task<Result<Credential>> assume_role_with_web_identity(const Walk& walk, std::string token_file,
                                                       std::string origin, std::string role_arn,
                                                       std::string session_name,
                                                       std::string subject) {
  std::string token;
  const int error = read_whole_file(token_file, token, kMaxFileBytes);
  const std::string label = "the web identity token file " + token_file + " (" + origin + ")";
  if (error != 0) {
    co_return Status(StatusCode::kUnauthenticated,
                     "cannot read " + label + ": " + error_text(error));
  }
  token = std::string(trim(token));
  if (token.empty()) co_return Status(StatusCode::kUnauthenticated, label + " is empty");
  std::string form = "&RoleArn=" + form_value(role_arn) +
                     "&RoleSessionName=" + form_value(session_name) +
                     "&WebIdentityToken=" + form_value(token);
  std::string action = "AssumeRoleWithWebIdentity";
  co_return co_await call_sts(walk, std::move(action), std::move(form), std::move(subject),
                              std::nullopt);
}

// Step 3.
Task<MaybeCredential> environment_web_identity(const Walk& walk) {
  std::optional<std::string> file = non_empty(walk.env(), "AWS_WEB_IDENTITY_TOKEN_FILE");
  std::optional<std::string> role = non_empty(walk.env(), "AWS_ROLE_ARN");
  if (!file && !role) co_return std::optional<Credential>();
  if (Status pair = both_set(file.has_value(), "AWS_WEB_IDENTITY_TOKEN_FILE", role.has_value(),
                             "AWS_ROLE_ARN");
      !pair.ok()) {
    co_return pair;
  }
  std::string session =
      non_empty(walk.env(), "AWS_ROLE_SESSION_NAME").value_or(walk.session_name());
  std::string origin = "AWS_WEB_IDENTITY_TOKEN_FILE";
  std::string subject = "AWS_ROLE_ARN";
  Result<Credential> credential = co_await assume_role_with_web_identity(
      walk, std::move(*file), std::move(origin), std::move(*role), std::move(session),
      std::move(subject));
  if (!credential.ok()) co_return credential.error();
  co_return std::optional<Credential>(std::move(*credential));
}

// ---- container credentials ----

// Plain http to a container endpoint is only for the agents' own addresses and loopback
// (what the AWS SDKs allow), so the authorization token never crosses a network in clear.
bool allowed_plain_http_host(std::string_view host) {
  const std::string lower = lower_ascii(host);
  return lower == "localhost" || lower.starts_with("127.") || lower == "[::1]" ||
         lower == "169.254.170.2" || lower == "169.254.170.23" || lower == "[fd00:ec2::23]";
}

// Step 4, and credential_source = EcsContainer.
Task<MaybeCredential> container_credentials(const Walk& walk) {
  std::string url;
  if (std::optional<std::string> relative =
          non_empty(walk.env(), "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    const std::string host = walk.options.container_host.empty()
                                 ? std::string(kDefaultContainerHost)
                                 : without_trailing_slash(walk.options.container_host);
    url = host + (relative->starts_with('/') ? "" : "/") + *relative;
  } else if (std::optional<std::string> full =
                 non_empty(walk.env(), "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    url = std::move(*full);
    if (!url.starts_with("https://") &&
        !(url.starts_with("http://") && allowed_plain_http_host(url_host(url)))) {
      const std::string host = url_host(url);
      co_return Status(StatusCode::kUnauthenticated,
                       "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https or a loopback, ECS or "
                       "EKS host, not " +
                           (host.empty() ? std::string("a URL without an http host") : host));
    }
  } else {
    co_return std::optional<Credential>();
  }
  std::string token;
  if (std::optional<std::string> token_file =
          non_empty(walk.env(), "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    const int error = read_whole_file(*token_file, token, kMaxFileBytes);
    if (error != 0) {
      co_return Status(StatusCode::kUnauthenticated,
                       "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *token_file + ": " +
                           error_text(error));
    }
    token = std::string(trim(token));
  } else {
    token = non_empty(walk.env(), "AWS_CONTAINER_AUTHORIZATION_TOKEN").value_or("");
  }
  const std::string who = "container credentials endpoint " + url_host(url);
  http::Request request;
  request.method = "GET";
  request.url = std::move(url);
  request.headers = {{"Accept", "application/json"}};
  if (!token.empty()) request.headers.push_back({"Authorization", std::move(token)});
  request.timeouts.connect = seconds(2);
  request.timeouts.total = seconds(5);
  Result<Answer> answer = co_await exchange(std::move(request));
  if (!answer.ok()) co_return answer.error();
  if (answer->status < 200 || answer->status >= 300) co_return endpoint_error(who, *answer);
  Result<json::object> object = json_object_of(answer->body, who, StatusCode::kProtocolError);
  if (!object.ok()) co_return object.error();
  Result<Credential> credential =
      credential_from_json(*object, who, StatusCode::kProtocolError, "Token");
  if (!credential.ok()) co_return credential.error();
  co_return std::optional<Credential>(std::move(*credential));
}

// ---- instance metadata ----

bool imds_enabled(const AwsChainOptions& options) {
  if (!options.imds_enabled) return false;
  return lower_ascii(non_empty(options.env, "AWS_EC2_METADATA_DISABLED").value_or("")) != "true";
}

std::string imds_endpoint(const AwsChainOptions& options) {
  if (!options.imds_endpoint.empty()) return without_trailing_slash(options.imds_endpoint);
  if (std::optional<std::string> url =
          non_empty(options.env, "AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
    return without_trailing_slash(std::move(*url));
  }
  if (lower_ascii(non_empty(options.env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE").value_or("")) ==
      "ipv6") {
    return std::string(kImdsIpv6Endpoint);
  }
  return std::string(kDefaultImdsEndpoint);
}

http::Request imds_request(std::string method, std::string url, http::Headers headers) {
  http::Request request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.headers = std::move(headers);
  // A machine without instance metadata must not make every first request wait.
  request.timeouts.connect = seconds(1);
  request.timeouts.first_byte = seconds(1);
  request.timeouts.idle = seconds(1);
  request.timeouts.total = seconds(1);
  return request;
}

// Step 5, and credential_source = Ec2InstanceMetadata. An endpoint that cannot be reached,
// refuses the session token, or has no role attached is "no credentials here".
Task<MaybeCredential> instance_metadata(const Walk& walk) {
  if (!imds_enabled(walk.options)) co_return std::optional<Credential>();
  const std::string base = imds_endpoint(walk.options);
  const std::string who = "instance metadata at " + url_host(base);
  // (Each request is built before its co_await: g++ 12 cannot keep a string literal
  // argument inside a co_await expression.)
  http::Request token_request = imds_request("PUT", base + "/latest/api/token",
                                             {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}});
  Result<Answer> token = co_await exchange(std::move(token_request));
  if (!token.ok()) {
    if (token.error().code() == StatusCode::kCancelled) co_return token.error();
    co_return std::optional<Credential>();
  }
  const std::string session(trim(token->body));
  if (token->status != 200 || session.empty()) co_return std::optional<Credential>();

  const std::string roles_url = base + "/latest/meta-data/iam/security-credentials/";
  http::Request roles_request =
      imds_request("GET", roles_url, {{"X-aws-ec2-metadata-token", session}});
  Result<Answer> roles = co_await exchange(std::move(roles_request));
  if (!roles.ok()) co_return roles.error();
  if (roles->status == 404) co_return std::optional<Credential>();
  if (roles->status != 200) co_return endpoint_error(who, *roles);
  const std::string_view listing = roles->body;
  const std::string role(trim(listing.substr(0, listing.find('\n'))));
  if (role.empty()) co_return std::optional<Credential>();

  http::Request keys_request = imds_request("GET", roles_url + encode_path_segment(role),
                                            {{"X-aws-ec2-metadata-token", session}});
  Result<Answer> keys = co_await exchange(std::move(keys_request));
  if (!keys.ok()) co_return keys.error();
  if (keys->status != 200) co_return endpoint_error(who, *keys);
  Result<json::object> object = json_object_of(keys->body, who, StatusCode::kProtocolError);
  if (!object.ok()) co_return object.error();
  if (const json::value* code = object->if_contains("Code");
      code != nullptr && code->is_string() && code->get_string() != "Success") {
    co_return Status(StatusCode::kUnavailable,
                     who + " returned Code " + one_line(truncate_utf8(code->get_string(), 100)));
  }
  Result<Credential> credential =
      credential_from_json(*object, who, StatusCode::kProtocolError, "Token");
  if (!credential.ok()) co_return credential.error();
  co_return std::optional<Credential>(std::move(*credential));
}

// ---- credential_process ----

struct ProcessOutput {
  int wait_status = 0;
  std::string output;
  bool too_large = false;
};

// Runs `command` through /bin/sh -c with stdout captured (stdin and stderr inherited: the
// command may ask the user something, as the AWS CLI lets it), and waits for it. Blocking.
Result<ProcessOutput> run_command(const std::string& command, const std::string& who) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Status(StatusCode::kInternal, "cannot start " + who + ": " + error_text(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // The copy on fd 1 loses O_CLOEXEC; both pipe ends close at exec.
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::string sh = "sh", dash_c = "-c", text = command;
  char* argv[] = {sh.data(), dash_c.data(), text.data(), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (spawned != 0) {
    ::close(fds[0]);
    return Status(StatusCode::kInternal, "cannot start " + who + ": " + error_text(spawned));
  }
  ProcessOutput result;
  char buffer[16384];
  while (true) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (result.output.size() + static_cast<std::size_t>(n) > kMaxProcessOutput) {
      result.too_large = true;
      ::kill(pid, SIGKILL);
      break;
    }
    result.output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.wait_status = status;
  return result;
}

// run_command() on a thread of its own, so the io_context keeps serving other requests while
// the command runs (it may take seconds: a hardware token, a browser login).
Task<Result<ProcessOutput>> run_command_async(std::string command, std::string who) {
  // Shared by the waiting coroutine and the thread. The timer lives in the coroutine's frame;
  // when the frame goes away first (its io_context stopped or destroyed), `abandoned` tells the
  // thread to leave the executor alone.
  struct Pending {
    std::mutex mutex;  // guards everything below
    std::optional<Result<ProcessOutput>> result;
    asio::steady_timer* timer = nullptr;
    bool abandoned = false;
  };
  struct Abandon {
    Pending& pending;
    ~Abandon() {
      std::lock_guard lock(pending.mutex);
      pending.abandoned = true;
      pending.timer = nullptr;
    }
  };
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, asio::steady_timer::time_point::max());
  auto pending = std::make_shared<Pending>();
  pending->timer = &timer;
  Abandon abandon{*pending};
  try {
    std::thread([pending, executor, command = std::move(command), who] {
      Result<ProcessOutput> output = run_command(command, who);
      std::lock_guard lock(pending->mutex);
      pending->result.emplace(std::move(output));
      if (pending->abandoned) return;
      asio::post(executor, [pending] {
        std::lock_guard lock(pending->mutex);
        if (pending->timer != nullptr) pending->timer->cancel();
      });
    }).detach();
  } catch (const std::system_error& error) {
    co_return Status(StatusCode::kInternal, "cannot start " + who + ": " + error.what());
  }
  // The pending wait keeps the io_context running; the post above ends it. Nothing else runs
  // on this executor between starting the thread and here (one thread per io_context, as the
  // HTTP engine requires), so the cancel cannot come first.
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  std::lock_guard lock(pending->mutex);
  if (pending->result) co_return std::move(*pending->result);
  co_return Status(StatusCode::kCancelled, "cancelled while " + who + " ran");
}

Task<Result<Credential>> credential_process(std::string command, std::string profile) {
  const std::string who = "credential_process of " + profile_label(profile);
  Result<ProcessOutput> ran = co_await run_command_async(std::move(command), who);
  if (!ran.ok()) co_return ran.error();
  // Only the exit status is named: the output may hold half a secret.
  if (ran->too_large)
    co_return Status(StatusCode::kUnauthenticated, who + " wrote more than 1 MiB");
  const int status = ran->wait_status;
  if (WIFSIGNALED(status)) {
    co_return Status(StatusCode::kUnauthenticated,
                     who + " was killed by signal " + std::to_string(WTERMSIG(status)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    co_return Status(StatusCode::kUnauthenticated,
                     who + " exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  Result<json::object> object = json_object_of(ran->output, who, StatusCode::kUnauthenticated);
  if (!object.ok()) co_return object.error();
  const json::value* version = object->if_contains("Version");
  if (version == nullptr || !version->is_int64() || version->as_int64() != 1) {
    co_return Status(StatusCode::kUnauthenticated, who + " returned no \"Version\": 1");
  }
  co_return credential_from_json(*object, who, StatusCode::kUnauthenticated, "SessionToken");
}

// ---- profiles of the shared files (step 2) ----

Task<MaybeCredential> profile_credentials(const Walk& walk, const std::string& name,
                                          const Section& section, std::vector<std::string> visited);

MaybeCredential static_profile_keys(const std::string& name, const Section& section) {
  std::optional<std::string> id = value_of(section, "aws_access_key_id");
  std::optional<std::string> secret = value_of(section, "aws_secret_access_key");
  if (!id && !secret) return std::optional<Credential>();
  if (!secret) {
    return Status(StatusCode::kUnauthenticated,
                  profile_label(name) + " has aws_access_key_id but no aws_secret_access_key");
  }
  if (!id) {
    return Status(StatusCode::kUnauthenticated,
                  profile_label(name) + " has aws_secret_access_key but no aws_access_key_id");
  }
  return std::optional<Credential>(Credential::aws_keys(
      std::move(*id), std::move(*secret), value_of(section, "aws_session_token").value_or("")));
}

// The keys a role profile assumes its role with: its source_profile's (its own static keys
// when it names itself, as botocore allows) or its credential_source's.
Task<Result<Credential>> role_source_keys(const Walk& walk, const std::string& name,
                                          const Section& section,
                                          std::vector<std::string> visited) {
  const std::string label = profile_label(name);
  MaybeCredential source = std::optional<Credential>();
  std::string described;
  if (std::optional<std::string> source_profile = value_of(section, "source_profile")) {
    described = "source_profile '" + *source_profile + "'";
    if (*source_profile == name) {
      source = static_profile_keys(name, section);
    } else if (std::find(visited.begin(), visited.end(), *source_profile) != visited.end()) {
      std::string cycle;
      for (const std::string& step : visited) cycle += "'" + step + "' -> ";
      co_return Status(
          StatusCode::kUnauthenticated,
          "AWS profiles " + cycle + "'" + *source_profile + "' form a source_profile cycle");
    } else {
      std::optional<Section> source_section = walk.files.profile(*source_profile);
      if (!source_section) {
        co_return Status(StatusCode::kUnauthenticated,
                         label + ": " + described + " is not in the shared files");
      }
      visited.push_back(*source_profile);
      source =
          co_await profile_credentials(walk, *source_profile, *source_section, std::move(visited));
    }
  } else if (std::optional<std::string> kind = value_of(section, "credential_source")) {
    described = "credential_source '" + *kind + "'";
    if (*kind == "Environment") {
      source = environment_keys(walk.env());
    } else if (*kind == "Ec2InstanceMetadata") {
      source = co_await instance_metadata(walk);
    } else if (*kind == "EcsContainer") {
      source = co_await container_credentials(walk);
    } else {
      co_return Status(
          StatusCode::kUnauthenticated,
          label + ": " + described + " is not Environment, Ec2InstanceMetadata or EcsContainer");
    }
  } else {
    co_return Status(StatusCode::kUnauthenticated,
                     label +
                         " has role_arn but no source_profile, credential_source or "
                         "web_identity_token_file");
  }
  if (!source.ok()) co_return source.error();
  if (!*source) {
    co_return Status(StatusCode::kUnauthenticated,
                     label + ": " + described + " provides no credentials");
  }
  co_return std::move(**source);
}

Task<Result<Credential>> assume_role_profile(const Walk& walk, const std::string& name,
                                             const Section& section,
                                             std::vector<std::string> visited) {
  const std::string label = profile_label(name);
  const std::string role_arn = *value_of(section, "role_arn");
  const std::string session = value_of(section, "role_session_name").value_or(walk.session_name());
  if (std::optional<std::string> token_file = value_of(section, "web_identity_token_file")) {
    co_return co_await assume_role_with_web_identity(
        walk, expand_home(std::move(*token_file), walk.env()),
        "web_identity_token_file of " + label, role_arn, session, label);
  }
  if (value_of(section, "mfa_serial")) {
    co_return Status(StatusCode::kUnauthenticated,
                     label + " needs an MFA code (mfa_serial), which aisopod cannot ask for");
  }
  std::string form = "&RoleArn=" + form_value(role_arn) + "&RoleSessionName=" + form_value(session);
  if (std::optional<std::string> external_id = value_of(section, "external_id")) {
    form += "&ExternalId=" + form_value(*external_id);
  }
  if (std::optional<std::string> duration = value_of(section, "duration_seconds")) {
    if (duration->size() > 6 || duration->find_first_not_of("0123456789") != std::string::npos) {
      co_return Status(StatusCode::kUnauthenticated,
                       label + ": duration_seconds is not a number of seconds");
    }
    form += "&DurationSeconds=" + *duration;
  }
  Result<Credential> source = co_await role_source_keys(walk, name, section, std::move(visited));
  if (!source.ok()) co_return source.error();
  std::string action = "AssumeRole";
  co_return co_await call_sts(walk, std::move(action), std::move(form), label, std::move(*source));
}

// What one profile provides, in botocore's order: a role, static keys, a process. `visited`
// is the source_profile path that led here (cycle detection).
Task<MaybeCredential> profile_credentials(const Walk& walk, const std::string& name,
                                          const Section& section,
                                          std::vector<std::string> visited) {
  if (value_of(section, "role_arn")) {
    Result<Credential> assumed =
        co_await assume_role_profile(walk, name, section, std::move(visited));
    if (!assumed.ok()) co_return assumed.error();
    co_return std::optional<Credential>(std::move(*assumed));
  }
  MaybeCredential keys = static_profile_keys(name, section);
  if (!keys.ok() || *keys) co_return keys;
  if (std::optional<std::string> command = value_of(section, "credential_process")) {
    Result<Credential> processed = co_await credential_process(std::move(*command), name);
    if (!processed.ok()) co_return processed.error();
    co_return std::optional<Credential>(std::move(*processed));
  }
  if (value_of(section, "sso_session") || value_of(section, "sso_start_url")) {
    co_return Status(StatusCode::kUnauthenticated,
                     profile_label(name) +
                         " uses IAM Identity Center (sso_*), which aisopod does not support: set "
                         "credential_process = aws configure export-credentials --profile " +
                         name + " --format process");
  }
  co_return std::optional<Credential>();
}

// ---- the walk ----

Task<Result<Credential>> walk_chain(std::shared_ptr<const AwsChainOptions> options,
                                    ProfileChoice profile) {
  // A profile the configuration names is what the user asked for: keys in the environment do
  // not override it (botocore drops its environment step for an explicit profile too).
  // AWS_PROFILE does not count: the environment's own keys still win over it.
  const bool tries_environment = profile.origin != kProfileOption;
  if (tries_environment) {
    MaybeCredential from_env = environment_keys(options->env);
    if (!from_env.ok()) co_return from_env.error();
    if (*from_env) co_return std::move(**from_env);
  }

  Result<SharedFiles> files = load_shared_files(options->env);
  if (!files.ok()) co_return files.error();
  Walk walk{*options, profile, std::move(*files), {}};
  walk.sts_region = region_of(options->env, options->region, walk.files.config, profile.name);
  if (walk.sts_region.empty()) walk.sts_region = "us-east-1";

  if (std::optional<Section> section = walk.files.profile(profile.name)) {
    std::vector<std::string> visited = {profile.name};
    MaybeCredential found =
        co_await profile_credentials(walk, profile.name, *section, std::move(visited));
    if (!found.ok()) co_return found.error();
    if (*found) co_return std::move(**found);
  } else if (!profile.origin.empty()) {
    co_return Status(StatusCode::kUnauthenticated, profile_label(profile.name) + " (" +
                                                       profile.origin + ") is not in " +
                                                       walk.files.listed(" or "));
  }

  // Steps 3 to 5, one after the other (g++ 12 cannot keep an initializer list of them in a
  // coroutine frame).
  using Step = Task<MaybeCredential> (*)(const Walk&);
  const std::vector<Step> steps = {&environment_web_identity, &container_credentials,
                                   &instance_metadata};
  for (const Step step : steps) {
    MaybeCredential found = co_await step(walk);
    if (!found.ok()) co_return found.error();
    if (*found) co_return std::move(**found);
  }

  std::string message = "no AWS credentials: tried ";
  if (tries_environment) message += "the environment (AWS_ACCESS_KEY_ID), ";
  message += "the shared files for profile '" + profile.name + "' (" + walk.files.listed(", ") +
             "), web identity";
  message += imds_enabled(*options) ? ", container and instance metadata"
                                    : " and container (instance metadata is disabled)";
  co_return Status(StatusCode::kUnauthenticated, std::move(message));
}

// The last keys a profile's source handed out, for a refresh that fails.
struct Kept {
  std::mutex mutex;  // guards credential
  std::optional<Credential> credential;
};

Task<Result<Credential>> fetch(std::shared_ptr<const AwsChainOptions> options,
                               ProfileChoice profile, std::shared_ptr<Kept> kept) {
  Result<Credential> fetched = co_await walk_chain(options, profile);
  std::lock_guard lock(kept->mutex);
  if (fetched.ok()) {
    kept->credential = *fetched;
  } else if (kept->credential && kept->credential->expires_at &&
             options->clock->now() + kStillUsable < *kept->credential->expires_at) {
    co_return *kept->credential;
  }
  co_return fetched;
}

class AwsChainSource final : public CredentialSource {
 public:
  explicit AwsChainSource(AwsChainOptions options)
      : options_(std::make_shared<const AwsChainOptions>(std::move(options))) {}

  Task<Result<Credential>> get() override {
    std::shared_ptr<CredentialSource> source = source_for(choose_profile(*options_));
    co_return co_await source->get();
  }

  Result<std::string> identity() override { return "aws:" + choose_profile(*options_).name; }

  void invalidate() override {
    std::shared_ptr<CredentialSource> current;
    {
      std::lock_guard lock(mutex_);
      current = current_;
    }
    if (current) current->invalidate();
  }

 private:
  std::shared_ptr<CredentialSource> source_for(const ProfileChoice& profile) {
    std::lock_guard lock(mutex_);
    if (!current_ || profile != current_profile_) {
      current_profile_ = profile;
      current_ = make_caching_credential_source(
          "aws:" + profile.name,
          [options = options_, profile, kept = std::make_shared<Kept>()] {
            return fetch(options, profile, kept);
          },
          kRefreshMargin, options_->clock);
    }
    return current_;
  }

  const std::shared_ptr<const AwsChainOptions> options_;
  std::mutex mutex_;  // guards the two below
  ProfileChoice current_profile_;
  std::shared_ptr<CredentialSource> current_;
};

}  // namespace

std::shared_ptr<CredentialSource> make_aws_chain_source(AwsChainOptions options) {
  if (!options.clock) options.clock = system_clock();
  return std::make_shared<AwsChainSource>(std::move(options));
}

std::string resolve_aws_region(const EnvLookup& env, std::string_view configured,
                               std::string_view profile) {
  AwsChainOptions options;
  options.env = env;
  options.profile = std::string(profile);
  const ProfileChoice choice = choose_profile(options);
  Result<Sections> config = Sections{};
  if (configured.empty() && !non_empty(env, "AWS_REGION") &&
      !non_empty(env, "AWS_DEFAULT_REGION")) {
    config = load_sections(shared_file_paths(env).config, FileKind::kConfig);
  }
  return region_of(env, configured, config.ok() ? *config : Sections{}, choice.name);
}

}  // namespace aisopod::bedrock
