// Settings shared by the Ollama translators and the Ollama provider. Plain values; safe to copy
// and to share between threads.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace aisopod::ollama {

// Where the Ollama server is and how to talk to it. The optional bearer token (Ollama behind an
// authenticating proxy, or ollama.com) is not here: the provider adds
// `Authorization: Bearer <token>` as the last step before sending, when its secret source
// yields a non-empty token.
struct OllamaOptions {
  // The server root (OLLAMA_HOST, normalized by the config layer); requests go to
  // {base_url}/api/chat, /api/tags, /api/version and /api/pull. A trailing slash is ignored.
  std::string base_url = "http://127.0.0.1:11434";
  // The id this provider is configured under ("ollama", or a user-chosen one): named in error
  // messages and set on every Status the translators return.
  std::string provider_id = "ollama";
  // Each chat attempt's total deadline (the configuration's `timeout`): one HTTP exchange from
  // sending to the end of its body, streamed or not. Unset or zero: none. The other deadlines
  // are the defaults of chat_timeouts() (core/http_provider.hpp); CallOptions override them all.
  std::optional<std::chrono::milliseconds> timeout;
  // Sent as "keep_alive" with every chat request when not empty: how long the server keeps the
  // model loaded after the request. A number of seconds ("-1" forever, "0", "300", "1.5") is
  // sent as a JSON number, anything else as a Go duration string ("5m", "1h"). The config layer
  // stores a TOML integer (keep_alive = -1) as its decimal text.
  std::string keep_alive;
};

}  // namespace aisopod::ollama
