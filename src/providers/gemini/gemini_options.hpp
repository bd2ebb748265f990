// Settings shared by the Gemini translators and the Gemini provider. Plain values; safe to copy
// and to share between threads.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aisopod::gemini {

// The Gemini Developer API root (GOOGLE_GEMINI_BASE_URL overrides it).
inline constexpr std::string_view kDefaultBaseUrl = "https://generativelanguage.googleapis.com";

// One entry of the request's safetySettings, sent as given: category "HARM_CATEGORY_HATE_SPEECH",
// threshold "BLOCK_ONLY_HIGH" (or "BLOCK_NONE", "OFF", ...). The API validates the names.
struct SafetySetting {
  std::string category;
  std::string threshold;
  friend bool operator==(const SafetySetting&, const SafetySetting&) = default;
};

// Where and as whom the Gemini API is called: the Gemini Developer API
// (generativelanguage.googleapis.com) by default, or Vertex AI when both `project` and
// `location` are set. The secret itself is not here: the provider adds it (x-goog-api-key, or
// Authorization: Bearer for OAuth and Vertex AI) as the last step before sending; it never goes
// into a URL.
struct GeminiOptions {
  // The API root as the official SDKs take it. Developer API requests go to
  // {base_url}/{api_version}/models/{model}:generateContent (or
  // :streamGenerateContent?alt=sse) and {base_url}/{api_version}/models. A trailing slash is
  // ignored. With Vertex AI, the default value stands for the regional Vertex AI host
  // https://{location}-aiplatform.googleapis.com (https://aiplatform.googleapis.com for location
  // "global"); any other value is used as the host root as it is (a proxy, a private endpoint).
  std::string base_url = std::string(kDefaultBaseUrl);
  // The Developer API version in the path: "v1beta" (every feature) or "v1".
  std::string api_version = "v1beta";
  // Vertex AI: the Google Cloud project id and location ("us-central1", "global"). When both are
  // set, requests go to {host}/{vertex_api_version}/projects/{project}/locations/{location}/
  // publishers/google/models/{model}:generateContent (or :streamGenerateContent?alt=sse).
  // Setting only one of them is invalid_argument.
  std::string project;
  std::string location;
  // The Vertex AI API version in the path: "v1" or "v1beta1".
  std::string vertex_api_version = "v1";
  // Sent as the request's safetySettings, in order, when not empty.
  std::vector<SafetySetting> safety_settings;
  // The id this provider is configured under ("gemini", ...): named in error messages and set on
  // every Status the translators return.
  std::string provider_id = "gemini";
  // Each chat attempt's total deadline (the configuration's `timeout`): one HTTP exchange from
  // sending to the end of its body, streamed or not. Unset or zero: none. The other deadlines
  // are the defaults of chat_timeouts() (core/http_provider.hpp); CallOptions override them all.
  std::optional<std::chrono::milliseconds> timeout;
  // How the secret of a provider built from a bare SecretSource is sent. Profiles of an
  // AuthProfileManager carry their own kind (SecretKind), which wins.
  enum class AuthKind {
    // `x-goog-api-key: <key>` (Gemini Developer API keys, AIza...).
    kApiKey,
    // `Authorization: Bearer <token>` (OAuth access tokens; what Vertex AI takes).
    kBearer,
  };
  AuthKind auth = AuthKind::kApiKey;

  // True when both `project` and `location` are set: requests go to Vertex AI.
  bool vertex() const { return !project.empty() && !location.empty(); }
};

}  // namespace aisopod::gemini
