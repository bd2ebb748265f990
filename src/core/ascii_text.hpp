// ASCII case-insensitive text helpers, for protocol tokens (media types, URL schemes) and the
// phrases error mappers look for. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace aisopod {

// `text` with ASCII letters in lower case; other bytes unchanged.
std::string ascii_lower(std::string_view text);

// Whether `text` starts with `lower_prefix` (given in lower case), ASCII letters compared without
// case.
bool starts_with_ignoring_case(std::string_view text, std::string_view lower_prefix);

// Whether `haystack` contains `needle`, ASCII letters compared without case.
bool contains_ignoring_case(std::string_view haystack, std::string_view needle);

// Whether `text` holds only spaces, tabs, carriage returns and newlines (JSON's white space);
// true when empty.
bool is_blank(std::string_view text);

}  // namespace aisopod
