#include "providers/bedrock/error_mapper.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstdint>
#include <string>

#include "core/ascii_text.hpp"
#include "core/error_mapping.hpp"
#include "core/error_text.hpp"

namespace aisopod::bedrock {
namespace {

namespace json = boost::json;

struct ErrorFields {
  std::string type;  // __type, else code
  std::string message;
  std::string original_message;
  std::int64_t original_status = 0;
  bool parsed = false;  // the body was a JSON object
};

std::string string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return {};
  if (const json::string* s = value->if_string()) return std::string(*s);
  return {};
}

ErrorFields parse_error_body(std::string_view body) {
  ErrorFields fields;
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) return fields;
  fields.parsed = true;
  const json::object& object = root.get_object();
  fields.type = string_at(object, "__type");
  if (fields.type.empty()) fields.type = string_at(object, "code");
  fields.message = string_at(object, "message");
  if (fields.message.empty()) fields.message = string_at(object, "Message");
  fields.original_message = string_at(object, "originalMessage");
  if (const json::value* status = object.if_contains("originalStatusCode")) {
    if (status->is_int64()) fields.original_status = status->get_int64();
    if (status->is_uint64())
      fields.original_status = static_cast<std::int64_t>(status->get_uint64());
  }
  return fields;
}

// The bare type name of any of its spellings (see code_for_error_type), in lower case.
std::string normalize_type(std::string_view type) {
  type = type.substr(0, type.find(':'));
  if (const std::size_t hash = type.rfind('#'); hash != std::string_view::npos) {
    type.remove_prefix(hash + 1);
  }
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.front()))) {
    type.remove_prefix(1);
  }
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) {
    type.remove_suffix(1);
  }
  return ascii_lower(type);
}

bool says_too_long(std::string_view message) {
  for (std::string_view phrase :
       {"input is too long", "too many input tokens", "prompt is too long", "too many tokens",
        "context length", "context window"}) {
    if (contains_ignoring_case(message, phrase)) return true;
  }
  return false;
}

StatusCode invalid_or_too_long(std::string_view message) {
  return says_too_long(message) ? StatusCode::kContextLengthExceeded : StatusCode::kInvalidArgument;
}

StatusCode code_from_http(int status, std::string_view message) {
  if (status == 400) return invalid_or_too_long(message);
  // 424: the model's own endpoint failed. Bedrock gives 402 and 409 no meaning of their own,
  // and any 5xx (529 too) is a failure of the service.
  if (status == 424 || status >= 500 || status < 400) return StatusCode::kUnavailable;
  if (status == 402 || status == 409) return StatusCode::kInvalidArgument;
  return code_for_http_status(status);
}

// The request id AWS puts on every response, for the message.
std::string_view request_id(const http::Headers& headers) {
  if (auto id = http::find_header(headers, "x-amzn-RequestId")) return *id;
  return {};
}

}  // namespace

StatusCode code_for_error_type(std::string_view type, std::string_view message, int http_status,
                               int original_status) {
  const std::string t = normalize_type(type);
  if (t == "throttlingexception") return StatusCode::kRateLimited;
  if (t == "servicequotaexceededexception") return StatusCode::kBilling;
  if (t == "accessdeniedexception") return StatusCode::kPermissionDenied;
  if (t == "unrecognizedclientexception" || t == "invalidsignatureexception" ||
      t == "signaturedoesnotmatch" || t == "incompletesignatureexception" ||
      t == "expiredtokenexception" || t == "expiredtoken" || t == "invalidclienttokenid" ||
      t == "missingauthenticationtokenexception") {
    return StatusCode::kUnauthenticated;
  }
  if (t == "validationexception" || t == "conflictexception") return invalid_or_too_long(message);
  if (t == "resourcenotfoundexception") return StatusCode::kNotFound;
  if (t == "modeltimeoutexception") return StatusCode::kTimeout;
  if (t == "serviceunavailableexception" || t == "modelnotreadyexception" ||
      t == "internalserverexception") {
    return StatusCode::kUnavailable;
  }
  if (t == "modelerrorexception" || t == "modelstreamerrorexception") {
    return original_status == 529 || contains_ignoring_case(message, "overloaded")
               ? StatusCode::kOverloaded
               : StatusCode::kUnavailable;
  }
  return code_from_http(http_status, message);
}

Status status_from_response(int http_status, const http::Headers& headers, std::string_view body,
                            std::string_view provider_id) {
  const ErrorFields fields = parse_error_body(body);
  std::string type;
  if (auto header = http::find_header(headers, "x-amzn-ErrorType")) {
    type = std::string(header->substr(0, header->find(':')));
  }
  if (type.empty()) type = fields.type;
  const std::string& message = fields.message.empty() ? fields.original_message : fields.message;
  const StatusCode code =
      code_for_error_type(type, message, http_status, static_cast<int>(fields.original_status));
  return upstream_error(
      code,
      upstream_error_message(message, fields.parsed, http_status, body,
                             {{"type", type}, {"request_id", request_id(headers)}}),
      http_status, &headers, provider_id);
}

Status status_from_exception(std::string_view exception_type, std::string_view payload,
                             std::string_view provider_id) {
  const ErrorFields fields = parse_error_body(payload);
  const std::string& message = fields.message.empty() ? fields.original_message : fields.message;
  const std::string original =
      fields.original_status != 0 ? std::to_string(fields.original_status) : std::string();
  const StatusCode code =
      code_for_error_type(exception_type, message, 0, static_cast<int>(fields.original_status));
  return upstream_error(
      code,
      upstream_error_message(message, fields.parsed, 0, payload,
                             {{"type", exception_type}, {"original_status", original}}),
      0, nullptr, provider_id);
}

Status status_from_error_frame(std::string_view error_code, std::string_view error_message,
                               std::string_view provider_id) {
  return upstream_error(code_for_error_type(error_code, error_message, 0),
                        upstream_error_message(error_message, true, 0, {}, {{"type", error_code}}),
                        0, nullptr, provider_id);
}

}  // namespace aisopod::bedrock
