#include "request_inputs.hpp"

#include "providers/common/json_writing.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

namespace aisopod::cli {
namespace {
namespace json = boost::json;

// JSON schemas nest deeper than Boost.JSON's default limit of 32 allows for real tools.
constexpr std::size_t kMaxJsonDepth = 128;
// --tools and --schema files are small; the limit only stops a wrong path (a disk image, a log)
// from being read whole.
constexpr std::size_t kMaxJsonFileBytes = std::size_t{16} * 1024 * 1024;
constexpr std::size_t kMaxToolNameLength = 64;

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && lower_ascii(text.substr(0, prefix.size())) == prefix;
}

// ---- Files ---------------------------------------------------------------------------------

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string os_error(std::string_view what, std::string_view path, int error) {
  return "cannot read " + std::string(what) + " " + std::string(path) + ": " + std::strerror(error);
}

// Reads the whole file at `path`, refusing one larger than `limit` bytes. Reads in a loop rather
// than trusting st_size alone, so pipes and process substitution (<(cmd)) work and a file that
// grows while being read still meets the limit. `what` names the input in messages.
Result<std::string> read_file(std::string_view what, std::string_view path, std::size_t limit,
                              std::string_view limit_text) {
  const std::string path_string(path);
  FileDescriptor fd(::open(path_string.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return invalid(os_error(what, path, errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return invalid(os_error(what, path, errno));
  if (S_ISDIR(info.st_mode)) return invalid(os_error(what, path, EISDIR));
  const std::string limit_phrase =
      std::string(limit_text) + " (" + std::to_string(limit) + " bytes)";
  if (S_ISREG(info.st_mode) && static_cast<std::uintmax_t>(info.st_size) > limit) {
    return invalid(std::string(what) + " " + path_string + " is " + std::to_string(info.st_size) +
                   " bytes; the limit is " + limit_phrase);
  }

  std::string content;
  if (S_ISREG(info.st_mode)) content.reserve(static_cast<std::size_t>(info.st_size));
  std::array<char, 64 * 1024> buffer;
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return invalid(os_error(what, path, errno));
    }
    if (n == 0) break;
    if (content.size() + static_cast<std::size_t>(n) > limit) {
      return invalid(std::string(what) + " " + path_string + " is larger than the limit of " +
                     limit_phrase);
    }
    content.append(buffer.data(), static_cast<std::size_t>(n));
  }
  return content;
}

// ---- Base64 and media types ----------------------------------------------------------------

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto byte = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kAlphabet[group >> 18 & 0x3F];
    out += kAlphabet[group >> 12 & 0x3F];
    out += kAlphabet[group >> 6 & 0x3F];
    out += kAlphabet[group & 0x3F];
  }
  const std::size_t tail = bytes.size() - i;
  if (tail > 0) {
    const std::uint32_t group = byte(i) << 16 | (tail == 2 ? byte(i + 1) << 8 : 0);
    out += kAlphabet[group >> 18 & 0x3F];
    out += kAlphabet[group >> 12 & 0x3F];
    out += tail == 2 ? kAlphabet[group >> 6 & 0x3F] : '=';
    out += '=';
  }
  return out;
}

// The media type a file's first bytes announce; empty when they match no known format.
std::string_view sniff_media_type(std::string_view bytes) {
  const auto at = [&](std::size_t offset, std::string_view magic) {
    return bytes.size() >= offset + magic.size() && bytes.substr(offset, magic.size()) == magic;
  };
  const auto byte = [&](std::size_t offset) {
    return offset < bytes.size() ? static_cast<unsigned char>(bytes[offset]) : 0;
  };
  if (at(0, "\x89PNG")) return "image/png";
  if (at(0, "\xFF\xD8\xFF")) return "image/jpeg";
  if (at(0, "GIF87a") || at(0, "GIF89a")) return "image/gif";
  if (at(0, "RIFF") && at(8, "WEBP")) return "image/webp";
  if (at(0, "RIFF") && at(8, "WAVE")) return "audio/wav";
  if (at(0, "%PDF-")) return "application/pdf";
  if (at(0, "ID3")) return "audio/mpeg";
  // An MPEG audio frame starts with 11 set bits. Layer bits 00 are reserved in MPEG audio and
  // mean AAC in ADTS streams (FF F1, FF F9), which are not MP3, so those are left out.
  if (byte(0) == 0xFF && (byte(1) & 0xF0) == 0xF0 && (byte(1) & 0x06) != 0) return "audio/mpeg";
  if (at(0, "OggS")) return "audio/ogg";
  if (at(0, "fLaC")) return "audio/flac";
  if (at(4, "ftyp")) return at(8, "qt  ") ? "video/quicktime" : "video/mp4";
  if (at(0, "\x1A\x45\xDF\xA3")) return "video/webm";
  return {};
}

// The media type for a file name extension (without the dot, lower case); empty if unknown.
std::string_view media_type_for_extension(std::string_view extension) {
  struct Entry {
    std::string_view extension;
    std::string_view media_type;
  };
  static constexpr Entry kTypes[] = {
      {"png", "image/png"},       {"jpg", "image/jpeg"},  {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},       {"webp", "image/webp"}, {"pdf", "application/pdf"},
      {"mp3", "audio/mpeg"},      {"wav", "audio/wav"},   {"ogg", "audio/ogg"},
      {"flac", "audio/flac"},     {"mp4", "video/mp4"},   {"webm", "video/webm"},
      {"mov", "video/quicktime"},
  };
  for (const Entry& entry : kTypes) {
    if (entry.extension == extension) return entry.media_type;
  }
  return {};
}

// The lower-case extension of the last segment of a '/'-separated path; empty if none.
std::string extension_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return lower_ascii(name.substr(dot + 1));
}

// The path of a URL without its scheme, authority, query and fragment.
std::string_view url_path(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  std::string_view rest = scheme_end == std::string_view::npos ? url : url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const std::size_t slash = rest.find('/');
  return slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
}

// "scheme" of "scheme://..." when the text starts with a syntactically valid URL scheme.
std::optional<std::string_view> url_scheme(std::string_view text) {
  const std::size_t end = text.find("://");
  if (end == std::string_view::npos || end == 0) return std::nullopt;
  const std::string_view scheme = text.substr(0, end);
  const auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!is_alpha(scheme[0])) return std::nullopt;
  for (char c : scheme) {
    if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') {
      return std::nullopt;
    }
  }
  return scheme;
}

Result<ContentPart> data_url_part(std::string_view url) {
  // data:[<media type>][;base64],<data>  (RFC 2397)
  const std::string_view header = url.substr(5);
  const std::size_t comma = header.find(',');
  if (comma == std::string_view::npos) {
    return invalid("-a/--attach: the data: URL has no ',' before its data");
  }
  const std::string_view parameters = header.substr(0, comma);
  std::string media_type = lower_ascii(parameters.substr(0, parameters.find(';')));
  if (media_type.empty()) media_type = "text/plain";  // RFC 2397's default
  return ContentPart::make_media_url(std::move(media_type), std::string(url));
}

// ---- JSON ----------------------------------------------------------------------------------

std::string_view json_kind_name(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

// Parses `text` as exactly one JSON value. On failure, the error message is "invalid JSON at
// line L, column C: reason", with 1-based line and byte column of the first bad byte.
Result<json::value> parse_json(std::string_view text) {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  json::stream_parser parser({}, options);
  json::error_code error;
  std::size_t offset = parser.write_some(text.data(), text.size(), error);
  if (!error && offset < text.size()) {
    error = json::error::extra_data;
  } else if (!error) {
    parser.finish(error);
  }
  if (error) {
    const std::string_view before = text.substr(0, offset);
    const std::size_t line_start = before.rfind('\n');
    const std::size_t line =
        1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
    const std::size_t column =
        1 + (line_start == std::string_view::npos ? offset : offset - line_start - 1);
    return invalid("invalid JSON at line " + std::to_string(line) + ", column " +
                   std::to_string(column) + ": " + error.message());
  }
  return parser.release();
}

std::string to_json_text(const json::value& value) {
  std::string out;
  json_writing::write_compact(value, out);
  return out;
}

// Checks a function or schema name against the rules OpenAI enforces (the strictest of the
// providers): 1 to 64 characters from A-Z a-z 0-9 _ -. Returns the problem, or empty.
std::string name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxToolNameLength) {
    return "is " + std::to_string(name.size()) + " characters; the limit is " +
           std::to_string(kMaxToolNameLength);
  }
  for (char c : name) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!allowed) return "has characters outside A-Z, a-z, 0-9, _ and -";
  }
  return {};
}

// Reads a JSON document from a file for a flag; `label` ("--tools t.json") prefixes errors.
Result<json::value> read_json_file(std::string_view flag, std::string_view path,
                                   const std::string& label) {
  AISOPOD_ASSIGN_OR_RETURN(std::string text, read_file(flag, path, kMaxJsonFileBytes, "16 MiB"));
  Result<json::value> value = parse_json(text);
  if (!value) return invalid(label + ": " + value.error().message());
  return value;
}

Result<Tool> tool_from_json(const json::value& element, const std::string& where) {
  if (!element.is_object()) {
    return invalid(where + ": expected an object, got " + std::string(json_kind_name(element)));
  }
  const json::object* fields = &element.get_object();
  if (const json::value* type = fields->if_contains("type")) {
    if (!type->is_string() || type->get_string() != "function") {
      return invalid(where + ": \"type\" is " + to_json_text(*type) +
                     "; only \"function\" tools are supported");
    }
  }
  if (const json::value* function = fields->if_contains("function")) {
    if (!function->is_object()) {
      return invalid(where + ": \"function\" must be an object, got " +
                     std::string(json_kind_name(*function)));
    }
    fields = &function->get_object();
  }

  Tool tool;
  const json::value* name = fields->if_contains("name");
  if (name == nullptr) return invalid(where + ": missing \"name\"");
  if (!name->is_string()) {
    return invalid(where + ": \"name\" must be a string, got " +
                   std::string(json_kind_name(*name)));
  }
  tool.name = std::string(name->get_string());
  if (std::string problem = name_problem(tool.name); !problem.empty()) {
    return invalid(where + ": name \"" + tool.name + "\" " + problem);
  }
  if (const json::value* description = fields->if_contains("description")) {
    if (!description->is_string()) {
      return invalid(where + ": \"description\" must be a string, got " +
                     std::string(json_kind_name(*description)));
    }
    tool.description = std::string(description->get_string());
  }
  const char* schema_key = fields->contains("parameters") ? "parameters" : "input_schema";
  if (const json::value* schema = fields->if_contains(schema_key)) {
    if (!schema->is_object()) {
      return invalid(where + ": \"" + schema_key + "\" must be an object, got " +
                     std::string(json_kind_name(*schema)));
    }
    tool.parameters_schema = to_json_text(*schema);
  }
  if (const json::value* strict = fields->if_contains("strict")) {
    if (!strict->is_bool()) {
      return invalid(where + ": \"strict\" must be true or false, got " +
                     std::string(json_kind_name(*strict)));
    }
    tool.strict = strict->get_bool();
  }
  return tool;
}

std::string_view trim_left(std::string_view text) {
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  return start == std::string_view::npos ? std::string_view() : text.substr(start);
}

}  // namespace

Result<ContentPart> load_attachment(std::string_view file_or_url) {
  if (starts_with_ignoring_case(file_or_url, "data:")) return data_url_part(file_or_url);
  if (const auto scheme = url_scheme(file_or_url)) {
    const std::string name = lower_ascii(*scheme);
    if (name != "http" && name != "https" && name != "gs") {
      return invalid("-a/--attach: unsupported URL scheme '" + std::string(*scheme) + "://' in " +
                     std::string(file_or_url) +
                     "; use http://, https://, gs:// or data:, or a file path");
    }
    std::string_view media_type = media_type_for_extension(extension_of(url_path(file_or_url)));
    if (media_type.empty()) media_type = "application/octet-stream";
    return ContentPart::make_media_url(std::string(media_type), std::string(file_or_url));
  }

  AISOPOD_ASSIGN_OR_RETURN(std::string bytes,
                           read_file("attachment", file_or_url, kMaxAttachmentBytes, "20 MiB"));
  if (bytes.empty()) return invalid("attachment " + std::string(file_or_url) + " is empty");
  std::string_view media_type = sniff_media_type(bytes);
  if (media_type.empty()) media_type = media_type_for_extension(extension_of(file_or_url));
  if (media_type.empty()) {
    return invalid("cannot tell the media type of " + std::string(file_or_url) +
                   ": neither its content nor its extension is a known image, audio, video or "
                   "PDF format (png, jpeg, gif, webp, pdf, mp3, wav, ogg, flac, mp4, webm, mov)");
  }
  return ContentPart::make_media_data(std::string(media_type), base64_encode(bytes));
}

Result<std::vector<Tool>> load_tools(std::string_view path) {
  const std::string label = "--tools " + std::string(path);
  AISOPOD_ASSIGN_OR_RETURN(json::value document, read_json_file("--tools", path, label));
  if (!document.is_array()) {
    return invalid(label + ": expected a JSON array of tools, got " +
                   std::string(json_kind_name(document)));
  }
  std::vector<Tool> tools;
  const json::array& elements = document.get_array();
  for (std::size_t index = 0; index < elements.size(); ++index) {
    const std::string where = label + ": tool " + std::to_string(index);
    AISOPOD_ASSIGN_OR_RETURN(Tool tool, tool_from_json(elements[index], where));
    for (std::size_t earlier = 0; earlier < tools.size(); ++earlier) {
      if (tools[earlier].name == tool.name) {
        return invalid(where + ": name \"" + tool.name + "\" is already used by tool " +
                       std::to_string(earlier));
      }
    }
    tools.push_back(std::move(tool));
  }
  return tools;
}

Result<ResponseFormat> load_schema(std::string_view file_or_json) {
  const std::string_view trimmed = trim_left(file_or_json);
  const bool inline_json = !trimmed.empty() && trimmed.front() == '{';
  const std::string label =
      inline_json ? std::string("--schema argument") : "--schema " + std::string(file_or_json);
  json::value document;
  if (inline_json) {
    Result<json::value> parsed = parse_json(file_or_json);
    if (!parsed) return invalid(label + ": " + parsed.error().message());
    document = std::move(*parsed);
  } else {
    AISOPOD_ASSIGN_OR_RETURN(document, read_json_file("--schema", file_or_json, label));
  }
  if (!document.is_object()) {
    return invalid(label + ": expected a JSON object (a JSON schema), got " +
                   std::string(json_kind_name(document)));
  }

  const json::object* object = &document.get_object();
  // A whole OpenAI response_format: {"type": "json_schema", "json_schema": {name, schema, ...}}.
  if (const json::value* type = object->if_contains("type");
      type != nullptr && type->is_string() && type->get_string() == "json_schema") {
    if (const json::value* inner = object->if_contains("json_schema");
        inner && inner->is_object()) {
      object = &inner->get_object();
    }
  }

  ResponseFormat format;
  format.kind = ResponseFormat::Kind::kJsonSchema;
  format.name = "response";
  const json::value* schema = object->if_contains("schema");
  if (schema == nullptr || !schema->is_object()) {
    format.schema = to_json_text(document);
    return format;
  }
  format.schema = to_json_text(*schema);
  if (const json::value* name = object->if_contains("name")) {
    if (!name->is_string()) {
      return invalid(label + ": \"name\" must be a string, got " +
                     std::string(json_kind_name(*name)));
    }
    format.name = std::string(name->get_string());
    if (std::string problem = name_problem(format.name); !problem.empty()) {
      return invalid(label + ": name \"" + format.name + "\" " + problem);
    }
  }
  if (const json::value* strict = object->if_contains("strict")) {
    if (!strict->is_bool()) {
      return invalid(label + ": \"strict\" must be true or false, got " +
                     std::string(json_kind_name(*strict)));
    }
    format.strict = strict->get_bool();
  }
  return format;
}

Status apply_provider_option(std::string_view key_equals_value, std::string& extra_body_json) {
  const std::size_t equals = key_equals_value.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    return invalid("-o expects key=value, got '" + std::string(key_equals_value) + "'");
  }
  const std::string_view key = key_equals_value.substr(0, equals);
  const std::string_view value_text = key_equals_value.substr(equals + 1);

  std::vector<std::string_view> path;
  for (std::size_t start = 0;;) {
    const std::size_t dot = key.find('.', start);
    path.push_back(key.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (path.back().empty()) {
      return invalid("-o key '" + std::string(key) + "' has an empty part between dots");
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }

  json::value body = json::object();
  if (!extra_body_json.empty()) {
    Result<json::value> parsed = parse_json(extra_body_json);
    if (!parsed) return invalid("extra body JSON: " + parsed.error().message());
    if (!parsed->is_object()) {
      return invalid("extra body JSON must be an object, got " +
                     std::string(json_kind_name(*parsed)));
    }
    body = std::move(*parsed);
  }

  Result<json::value> parsed_value = parse_json(value_text);
  json::value value =
      parsed_value ? std::move(*parsed_value) : json::value(json::string(value_text));

  json::object* target = &body.get_object();
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    json::value& member = (*target)[path[i]];
    // operator[] inserts null for a new key; an explicit null is replaced the same way.
    if (member.is_null()) member = json::object();
    if (!member.is_object()) {
      std::string prefix;
      for (std::size_t j = 0; j <= i; ++j) prefix += (j ? "." : "") + std::string(path[j]);
      return invalid("-o " + std::string(key) + ": '" + prefix + "' is already set to " +
                     std::string(json_kind_name(member)) + ", not an object");
    }
    target = &member.get_object();
  }
  (*target)[path.back()] = std::move(value);
  extra_body_json = to_json_text(body);
  return Status::ok_status();
}

}  // namespace aisopod::cli
