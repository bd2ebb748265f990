// Ollama error mapping: (HTTP status, headers, body) -> Status, errors inside a 200 stream, and
// the "is Ollama running?" message for a server that cannot be reached. Pure; safe from any
// thread.
#pragma once

#include <string_view>

#include "aisopod/status.hpp"
#include "http/http.hpp"

namespace aisopod::ollama {

// Maps an Ollama error response to a Status; never fails, and never returns an ok Status. The
// message is the body's "error" (a string, or an object's "message"), cut to about 500 bytes;
// a body that is not JSON contributes its first ~200 bytes. Codes:
//   400 invalid_argument (context_length_exceeded when the message says the context length is
//   exceeded); 401 unauthenticated; 403 permission_denied; 404 not_found; 408 timeout;
//   429 rate_limited (Retry-After in seconds sets retry_after); other 4xx invalid_argument;
//   503 overloaded when the message says the server is busy or overloaded, and 529;
//   other 5xx unavailable, or not_found when the message says the model or its manifest does
//   not exist ("pull model manifest: file does not exist").
// The Status carries `http_status` and `provider_id`; headers never appear in the message.
Status status_from_response(int http_status, const http::Headers& headers, std::string_view body,
                            std::string_view provider_id);

// Maps the text of an `{"error":"..."}` line that arrived inside a 200 stream (chat or pull),
// classified from the text alone: not_found (model or manifest missing), invalid_argument
// ("does not support"), context_length_exceeded, overloaded (busy), unauthenticated, and
// unavailable for anything else. No HTTP status is set. Never fails.
Status status_from_stream_error(std::string_view message, std::string_view provider_id);

// The Status for a transport error of a request to `base_url`: an unavailable error without an
// HTTP status (connection refused, host unreachable) becomes unavailable "cannot reach Ollama at
// <base_url>: is it running? (start it with `ollama serve`)" (user:password in the URL is left
// out); any other error is returned unchanged. Both carry `provider_id`.
Status status_from_transport_error(Status transport, std::string_view base_url,
                                   std::string_view provider_id);

}  // namespace aisopod::ollama
