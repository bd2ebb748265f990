// Settings shared by the Bedrock translators and the Bedrock provider. Plain values; safe to copy
// and to share between threads.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace aisopod::bedrock {

// Where the Bedrock Runtime API (Converse / ConverseStream) is called. The credentials are not
// here: the provider signs the finished request (SigV4, sigv4.hpp) or adds a bearer token as the
// last step before sending.
struct BedrockOptions {
  // The runtime endpoint as the AWS SDKs take it (AWS_ENDPOINT_URL_BEDROCK_RUNTIME), e.g.
  // "https://bedrock-runtime.us-east-1.amazonaws.com"; requests go to
  // {base_url}/model/{model id}/converse and .../converse-stream. A trailing slash is ignored.
  // Empty: "https://bedrock-runtime.{region}.amazonaws.com".
  std::string base_url;
  // The id this provider is configured under ("bedrock", ...): named in error messages and set
  // on every Status the translators and the provider return.
  std::string provider_id = "bedrock";
  // The AWS region requests are signed for (and, with an empty base_url, sent to).
  std::string region = "us-east-1";
  // Each chat attempt's total deadline (the configuration's `timeout`): one HTTP exchange from
  // sending to the end of its body, streamed or not. Unset or zero: none. The other deadlines
  // are the defaults of chat_timeouts() (core/http_provider.hpp); CallOptions override them all.
  std::optional<std::chrono::milliseconds> timeout;
};

}  // namespace aisopod::bedrock
