// Small helpers for reading provider payloads with simdjson on-demand, shared by the stream
// decoders of every provider: the walks over an object's members or an array's elements, and
// the getters that read one value (header-only; providers are the only users of simdjson).
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
using simdjson::error_code;

// A string value into `out` (a view into the parser's buffer); null or any other type leaves
// `out` unchanged and is not an error.
inline simdjson::error_code get_string_or_null(od::value& value, std::string_view& out) {
  const simdjson::error_code error = value.get_string().get(out);
  return error == simdjson::INCORRECT_TYPE ? simdjson::SUCCESS : error;
}
inline simdjson::error_code get_string_or_null(od::value&& value, std::string_view& out) {
  return get_string_or_null(value, out);
}

// A string value copied into `out`; null or any other type makes `out` empty.
inline simdjson::error_code get_string_or_null(od::value& value, std::string& out) {
  std::string_view text;
  AISOPOD_SJ_TRY(get_string_or_null(value, text));
  out.assign(text);
  return simdjson::SUCCESS;
}
inline simdjson::error_code get_string_or_null(od::value&& value, std::string& out) {
  return get_string_or_null(value, out);
}

// An integer into `out`, with `present` set; null or any other type (a fraction too) sets `out`
// to 0 and leaves `present` unchanged, and is not an error.
inline simdjson::error_code get_index(od::value& value, std::int64_t& out, bool& present) {
  const simdjson::error_code error = value.get_int64().get(out);
  if (error == simdjson::SUCCESS) {
    present = true;
    return error;
  }
  out = 0;
  return error == simdjson::INCORRECT_TYPE || error == simdjson::NUMBER_ERROR ? simdjson::SUCCESS
                                                                              : error;
}
inline simdjson::error_code get_index(od::value&& value, std::int64_t& out, bool& present) {
  return get_index(value, out, present);
}

// The raw JSON text of an object value into `out` (a view into the payload); any other type
// leaves `out` unchanged and is not an error.
inline simdjson::error_code get_raw_object(od::value& value, std::string_view& out) {
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  if (type != od::json_type::object) return simdjson::SUCCESS;
  auto object_result = value.get_object();
  AISOPOD_SJ_TRY(object_result.error());
  return object_result.value_unsafe().raw_json().get(out);
}
inline simdjson::error_code get_raw_object(od::value&& value, std::string_view& out) {
  return get_raw_object(value, out);
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

// Returned by the callback of a walk below to end the walk early without an error: the rest of
// the object or array is left unread.
inline constexpr simdjson::error_code kStopWalk = simdjson::NUM_ERROR_CODES;

// The walks below use each simdjson_result in place (error(), then value_unsafe()): copying
// the results into locals with get() made g++ store and reload the iterators, a stall that
// cost the OpenAI decoder a third of its parse time (BENCHMARKS.md).

// Put on a walk callback (a lambda) that must be inlined into the walk's loop, as a loop body
// would be: g++ 12 leaves a large callback out of line (max-inline-insns-single), a call per
// member that made the OpenAI decoder ~5% slower.
#define AISOPOD_SJ_INLINE __attribute__((always_inline))

namespace internal {

// Calls `fn` with each element of `range` (an od::object or od::array) in place, in order; the
// first error of the walk or of `fn` ends it (kStopWalk with SUCCESS).
template <class Range, class Fn>
simdjson_inline simdjson::error_code walk(Range& range, Fn& fn) {
  for (auto item_result : range) {
    AISOPOD_SJ_TRY(item_result.error());
    if (const simdjson::error_code error = fn(item_result.value_unsafe());
        error != simdjson::SUCCESS) {
      return error == kStopWalk ? simdjson::SUCCESS : error;
    }
  }
  return simdjson::SUCCESS;
}

}  // namespace internal

// Calls `fn(od::field&)` for each member of the object `object_result` (what get_object()
// returned), in order; returns the first error of the walk or of `fn` (kStopWalk ends it with
// SUCCESS). Not an object is INCORRECT_TYPE.
template <class Fn>
simdjson_inline simdjson::error_code for_each_field(
    simdjson::simdjson_result<od::object> object_result, Fn&& fn) {
  AISOPOD_SJ_TRY(object_result.error());
  return internal::walk(object_result.value_unsafe(), fn);
}

// for_each_field over `value` when it is an object; null or any other type is skipped (not an
// error). `is_object`, when given, is set to true for an object.
template <class Fn>
simdjson_inline simdjson::error_code for_each_member(od::value& value, Fn&& fn,
                                                     bool* is_object = nullptr) {
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  if (type != od::json_type::object) return simdjson::SUCCESS;
  if (is_object != nullptr) *is_object = true;
  return for_each_field(value.get_object(), fn);
}
template <class Fn>
simdjson_inline simdjson::error_code for_each_member(od::value&& value, Fn&& fn,
                                                     bool* is_object = nullptr) {
  return for_each_member(value, fn, is_object);
}

// Calls `fn(od::value&)` for each element of `value` when it is an array, in order (null or any
// other type is skipped); returns the first error of the walk or of `fn` (kStopWalk ends it
// with SUCCESS).
template <class Fn>
simdjson_inline simdjson::error_code for_each_element(od::value& value, Fn&& fn) {
  od::json_type type;
  AISOPOD_SJ_TRY(value.type().get(type));
  if (type != od::json_type::array) return simdjson::SUCCESS;
  auto array_result = value.get_array();
  AISOPOD_SJ_TRY(array_result.error());
  return internal::walk(array_result.value_unsafe(), fn);
}
template <class Fn>
simdjson_inline simdjson::error_code for_each_element(od::value&& value, Fn&& fn) {
  return for_each_element(value, fn);
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
