// Small helpers for reading provider payloads with simdjson on-demand, shared by the stream
// decoders of every provider (header-only; providers are the only users of simdjson).
#pragma once

#include <simdjson.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// Returns the simdjson error of `expr` from the enclosing function when it is not SUCCESS.
#define AISOPOD_SJ_TRY(expr)                                                             \
  do {                                                                                   \
    if (const simdjson::error_code sj_error_ = (expr); sj_error_ != simdjson::SUCCESS) { \
      return sj_error_;                                                                  \
    }                                                                                    \
  } while (false)

namespace aisopod::json_reading {

namespace od = simdjson::ondemand;

// A string value into `out` (a view into the parser's buffer); null or any other type leaves
// `out` unchanged and is not an error.
inline simdjson::error_code get_string_or_null(od::value& value, std::string_view& out) {
  const simdjson::error_code error = value.get_string().get(out);
  return error == simdjson::INCORRECT_TYPE ? simdjson::SUCCESS : error;
}
inline simdjson::error_code get_string_or_null(od::value&& value, std::string_view& out) {
  return get_string_or_null(value, out);
}

// A token count (a JSON number, rounded) into `out`; null or any other type leaves it unchanged.
inline simdjson::error_code get_count(od::value& value, std::int64_t& out) {
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  if (type != od::json_type::number) return simdjson::SUCCESS;
  double number = 0;
  AISOPOD_SJ_TRY(value.get_double().get(number));
  out = static_cast<std::int64_t>(std::llround(number));
  return simdjson::SUCCESS;
}
inline simdjson::error_code get_count(od::value&& value, std::int64_t& out) {
  return get_count(value, out);
}

// At most `limit` bytes of `text` for an error message: cut on a UTF-8 boundary, line breaks
// turned into spaces, "..." when cut.
inline std::string excerpt(std::string_view text, std::size_t limit = 80) {
  std::size_t cut = text.size();
  if (cut > limit) {
    cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  }
  std::string out(text.substr(0, cut));
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (cut < text.size()) out += "...";
  return out;
}

}  // namespace aisopod::json_reading
