// Output formatting for the aisopod command: JSON lines, tables, and secret redaction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aisopod/types.hpp"

namespace aisopod::cli {

// `text` as a JSON string literal, quotes included.
std::string json_string(std::string_view text);

// One chunk as one line of JSON (no newline), with exactly these keys where present: id,
// model, delta {role, content, reasoning, reasoning_signature, tool_calls [{index, id, name,
// arguments}]}, finish_reason, raw_finish_reason, usage {input_tokens, output_tokens,
// cache_read_tokens, cache_write_tokens, reasoning_tokens}.
std::string chunk_to_jsonl(const ChatCompletionChunk& chunk);

// A JSON array of model objects (id, provider, display_name, owned_by, created,
// context_window, max_output_tokens).
std::string models_to_json(const std::vector<ModelInfo>& models);

// A left-aligned text table with a header row.
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// Replaces every occurrence of each secret (of 4 or more characters) in `text` with "***".
std::string redact(std::string text, const std::vector<std::string>& secrets);

}  // namespace aisopod::cli
