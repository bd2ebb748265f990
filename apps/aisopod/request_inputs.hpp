// Turns the chat command's file and option inputs (-a/--attach, --tools, --schema, -o) into
// request fields. Each function reads at most one local file and does no network I/O; each is
// safe to call from several threads at once. Errors are invalid_argument Statuses whose message
// names the flag, the file or argument and the reason, ready to show to the user.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"

namespace aisopod::cli {

// The largest file -a/--attach accepts: 20 MiB.
inline constexpr std::size_t kMaxAttachmentBytes = std::size_t{20} * 1024 * 1024;

// `-a/--attach FILE|URL`: one media content part.
//
// An http://, https:// or gs:// URL becomes a media URL part, with the media type guessed from
// the extension of the URL's path (query and fragment ignored; "application/octet-stream" when
// the extension is not known). A data: URL becomes a media URL part holding the URL unchanged,
// with the media type it declares ("text/plain" when it declares none).
// Anything else is a file path: the file is read and becomes a base64 media data part. Its media
// type comes from its first bytes (PNG, JPEG, GIF, WEBP, PDF, WAV, MP3, OGG, FLAC, MP4,
// QuickTime, WEBM) and, when they match no known format, from its extension.
//
// Errors (invalid_argument): the file cannot be read (the message has the OS reason), is empty,
// is larger than kMaxAttachmentBytes, or has a media type known neither by content nor by
// extension; a data: URL without ',' before its data; a URL with another scheme.
Result<ContentPart> load_attachment(std::string_view file_or_url);

// `--tools FILE`: the function tools in a JSON file holding an array of tools, each either in
// OpenAI's shape {"type": "function", "function": {"name", "description", "parameters",
// "strict"}} or flat {"name", "description", "parameters" (or Anthropic's "input_schema"),
// "strict"}. Only "name" is required; parameters are kept as compact JSON text.
//
// Errors (invalid_argument, naming the file and, where it applies, the tool's index from 0): the
// file cannot be read; it is not valid JSON (with line and column); it is not an array; a tool
// is not an object, has a "type" other than "function", has no name, a name longer than 64
// characters or with characters outside A-Z a-z 0-9 _ -, a name used by an earlier tool, or a
// field of the wrong JSON type ("parameters" not an object, "description" not a string,
// "strict" not a boolean).
Result<std::vector<Tool>> load_tools(std::string_view path);

// `--schema FILE|JSON`: a JSON-schema response format. An argument whose first non-blank
// character is '{' is JSON text; anything else is a file path. The JSON is either a bare JSON
// schema (named "response", strict) or a wrapper {"name", "schema", "strict"} as in OpenAI's
// json_schema response format (a wrapper is recognised by a "schema" member that is an object;
// a whole {"type": "json_schema", "json_schema": {...}} response_format is accepted too). The
// schema is kept as compact JSON text.
//
// Errors (invalid_argument, naming the file or "--schema argument"): the file cannot be read;
// invalid JSON (with line and column); not an object; a wrapper's "name" that is not a string
// or breaks the tool-name rules of load_tools, or a "strict" that is not a boolean.
Result<ResponseFormat> load_schema(std::string_view file_or_json);

// `-o key=value`: sets one provider option in `extra_body_json`, a JSON object as text (empty
// means {}), and writes it back compactly. The value is taken as JSON when it is valid JSON
// (40, true, null, "quoted", {"a":1}, [1]) and as a JSON string otherwise (flex -> "flex"). A
// dotted key "a.b=1" sets {"a": {"b": 1}}, keeping the other members of an existing "a"
// object. A key that is already set is replaced.
//
// Errors (invalid_argument; `extra_body_json` is left unchanged): no '=' or an empty key
// ("-o expects key=value, got 'X'"); a dotted key with an empty part; a dotted key passing
// through a member that holds something other than an object; `extra_body_json` that is not
// a JSON object.
Status apply_provider_option(std::string_view key_equals_value, std::string& extra_body_json);

}  // namespace aisopod::cli
