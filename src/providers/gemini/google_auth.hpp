// Google OAuth credentials for the Gemini provider: bearer tokens minted from a service-account
// JSON key (an RS256-signed JWT exchanged at the key file's token_uri) or refreshed from the
// gcloud user credentials, found the way Google's own libraries find "application default
// credentials". The token endpoint is always the one the file names, so tests point it at a
// fake server.
//
// Every source returned here is a caching source (make_caching_credential_source): a token is
// kept until 5 minutes before it expires, and one exchange serves every concurrent get().
// Thread-safe, like every CredentialSource. Error messages name the file and the field, never
// the value of private_key, client_secret or refresh_token.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "aisopod/auth.hpp"
#include "aisopod/config.hpp"
#include "aisopod/credential.hpp"
#include "aisopod/status.hpp"

namespace aisopod::gemini {

// The OAuth scopes a service-account token is asked for.
inline constexpr std::string_view kGoogleOAuthScopes =
    "https://www.googleapis.com/auth/cloud-platform "
    "https://www.googleapis.com/auth/generative-language";

// The token endpoint of an authorized_user file that names none.
inline constexpr std::string_view kGoogleDefaultTokenUri = "https://oauth2.googleapis.com/token";

// A source of bearer tokens for the service account whose JSON key is `credentials_file`
// ({"type": "service_account", "client_email", "private_key" (PEM, PKCS#8 or PKCS#1 RSA),
// "private_key_id", "token_uri"}; other members are ignored). The file is read once, here.
//
// Each fetch signs a JWT (RS256; header {"alg":"RS256","typ":"JWT","kid":private_key_id};
// claims iss = client_email, scope = kGoogleOAuthScopes, aud = token_uri, iat = now,
// exp = now + 1 h, times from `clock`) and posts it as a jwt-bearer grant to token_uri; the
// answer's access_token is a Credential::bearer_token expiring at now + expires_in (1 h when
// the answer has no expires_in). identity() is "service_account:<client_email>:<private_key_id>".
//
// Errors here, all invalid_argument naming the file: it cannot be read ("cannot read Google
// credentials file F: No such file or directory"), is not JSON or not an object, its "type" is
// not "service_account", a member above is missing or not a non-empty string, token_uri is
// not an http(s) URL, or private_key is not a PEM RSA private key.
// Errors of get(): the token endpoint's answer, as "token exchange at <host> failed: <error>:
// <error_description>" with unauthenticated (400, 401 and other 4xx), permission_denied (403),
// rate_limited (429) or unavailable (5xx), carrying the HTTP status; protocol_error for a
// redirect (never followed), and for a success without an access_token, with a token_type other
// than Bearer, an expires_in that is not a positive number, or not JSON; transport errors
// (unavailable, timeout, cancelled) as http::send reports them.
Result<std::shared_ptr<CredentialSource>> make_service_account_source(
    const std::string& credentials_file, std::shared_ptr<Clock> clock = system_clock());

// A source for any Google credentials file gcloud or the Cloud console writes: a service-account
// key (as make_service_account_source) or an "authorized_user" file ({"client_id",
// "client_secret", "refresh_token", optional "token_uri" (default kGoogleDefaultTokenUri)}),
// whose refresh token is exchanged (grant_type=refresh_token) for each new access token.
// identity() of an authorized_user source is "authorized_user:<client_id>:<refresh_token>", so
// that a new login starts with a clean profile state (AuthProfileManager keeps only a salted
// fingerprint of it). Errors: as make_service_account_source; a "type" other than these two is
// invalid_argument ("... has type \"external_account\", expected \"service_account\" or
// \"authorized_user\"").
Result<std::shared_ptr<CredentialSource>> make_google_credentials_source(
    const std::string& credentials_file, std::shared_ptr<Clock> clock = system_clock());

// Google application default credentials, first match wins: the file named by
// $GOOGLE_APPLICATION_CREDENTIALS (when set and not empty), else
// $CLOUDSDK_CONFIG/application_default_credentials.json (when CLOUDSDK_CONFIG is set and not
// empty), else $HOME/.config/gcloud/application_default_credentials.json; the file is loaded
// with make_google_credentials_source(). A file named by GOOGLE_APPLICATION_CREDENTIALS that
// is missing is an error, not a reason to look further; neither is a missing gcloud file in
// $CLOUDSDK_CONFIG a reason to look in $HOME (gcloud uses one directory). The metadata server
// of Google Cloud machines is not consulted.
// Errors: unauthenticated "no Google application default credentials: set
// GOOGLE_APPLICATION_CREDENTIALS or run `gcloud auth application-default login`" when no
// file is found; the file's errors (whose messages add "(GOOGLE_APPLICATION_CREDENTIALS)" after
// the path when the variable named it).
Result<std::shared_ptr<CredentialSource>> make_adc_source(
    const EnvLookup& env, std::shared_ptr<Clock> clock = system_clock());

}  // namespace aisopod::gemini
