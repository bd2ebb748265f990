// The AWS credential chain for the Bedrock provider: where AWS keys come from when a profile
// of the configuration does not spell them out, found in the order the AWS SDKs use, and the
// region the same way.
//
// Explicit keys in the configuration (an auth profile of kind "aws" with aws_access_key_id and
// aws_secret_access_key) come first and are not this file's business: the provider wraps them
// in make_static_credential_source(). When a bedrock provider has no profile, it asks
// make_aws_chain_source(), which tries, at each fetch, first match wins:
//   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (skipped when
//      AwsChainOptions::profile names a profile: what the configuration asks for is not
//      overridden by the shell, as botocore does for an explicit profile; AWS_PROFILE is no
//      such reason);
//   2. the shared files (AWS_SHARED_CREDENTIALS_FILE, else $HOME/.aws/credentials; AWS_CONFIG_FILE,
//      else $HOME/.aws/config) for the profile, as botocore reads it: role_arn (with
//      source_profile, credential_source or web_identity_token_file), then static keys, then
//      credential_process;
//   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (AWS_ROLE_SESSION_NAME) through
//      STS AssumeRoleWithWebIdentity;
//   4. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with
//      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN;
//   5. EC2 instance metadata (IMDSv2: a session token first, then the role's credentials).
// A step that is configured but fails (a refused AssumeRole, a credential_process that exits
// with an error, a container endpoint that answers 500) ends the walk with its error: a
// lower-priority identity is never used in its place. Only instance metadata that cannot be
// reached (or has no role) counts as "not configured", since every machine is a candidate.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "aisopod/auth.hpp"
#include "aisopod/config.hpp"
#include "aisopod/credential.hpp"

namespace aisopod::bedrock {

// How the chain is walked. Plain values; every endpoint can point at a fake server (tests).
struct AwsChainOptions {
  // Where every AWS_* and HOME variable is read, at each fetch (so a changed variable counts
  // from the next refresh of temporary keys, or when the profile changes). An empty function
  // is an empty environment.
  EnvLookup env;
  // The profile of the shared files. "": $AWS_PROFILE, else "default". A profile that is named
  // (here or by AWS_PROFILE) and is in neither file is an error; a missing "default" is not.
  std::string profile;
  // The STS endpoint (for role_arn and web identity), e.g. "https://sts.us-west-2.amazonaws.com".
  // "": $AWS_ENDPOINT_URL_STS, else https://sts.{region}.amazonaws.com (.amazonaws.com.cn in
  // cn-* regions), with the region of resolve_aws_region(env, region, profile), or us-east-1
  // when that is empty. AssumeRole is signed for that region.
  std::string sts_endpoint;
  // The instance metadata service. "": $AWS_EC2_METADATA_SERVICE_ENDPOINT, else
  // http://[fd00:ec2::254] when AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is IPv6, else
  // http://169.254.169.254.
  std::string imds_endpoint;
  // What AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is appended to. "": http://169.254.170.2.
  std::string container_host;
  // The configured region (the provider's `region` option), for resolve_aws_region().
  std::string region;
  // False skips instance metadata; so does AWS_EC2_METADATA_DISABLED=true (any case).
  bool imds_enabled = true;
  // Decides when temporary credentials are refreshed, and the time in RoleSessionName and in
  // AssumeRole's signature (tests pass a FakeClock). Null means system_clock().
  std::shared_ptr<Clock> clock = system_clock();
};

// The AWS credential chain as a CredentialSource (thread-safe, like every one).
//
// get() walks the chain (see the top of this file) when it has no credential or the one it has
// expires within 5 minutes, and returns what the first configured step gives: a
// Credential::aws_keys. Keys from the environment and from the shared files have no expires_at
// and are kept for the life of the source; temporary keys (STS, web identity, container,
// instance metadata, a credential_process answer with an Expiration) carry expires_at and are
// fetched again 5 minutes before it, once for any number of concurrent callers
// (make_caching_credential_source). When such a refresh fails while the keys it replaces are
// still valid for more than a minute, those keys are returned (and the next get() tries again),
// so a passing STS or metadata outage does not fail requests.
//
// get() must be awaited on an io_context run by one thread at a time (the HTTP engine's rule).
// It reads the shared files and token files synchronously (a few kilobytes each) and runs a
// credential_process on a thread of its own, so that the io_context keeps serving others.
//
// identity() is "aws:" + the profile name (options.profile, else $AWS_PROFILE, else "default");
// it reads one variable and never waits. A changed profile starts a clean state: get() then
// walks the chain again with nothing kept from the previous profile.
//
// Errors of get(), none of which quotes a secret, a token or a process's output:
//  - unauthenticated "no AWS credentials: tried the environment (AWS_ACCESS_KEY_ID), the shared
//    files for profile 'x' (/home/u/.aws/credentials, /home/u/.aws/config), web identity,
//    container and instance metadata" when no step is configured. With instance metadata off,
//    the end reads "web identity and container (instance metadata is disabled)"; with no file
//    path known, the parenthesis reads "(none: HOME is not set)"; when options.profile skipped
//    the environment, "the environment (AWS_ACCESS_KEY_ID), " is not there.
//  - unauthenticated "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not" (and the
//    reverse), "AWS profile 'x' has aws_access_key_id but no aws_secret_access_key" (and the
//    reverse), "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not" (and the reverse).
//  - unauthenticated "AWS profile 'x' (AWS_PROFILE) is not in <credentials path> or <config
//    path>" ("(profile option)" when options.profile named it).
//  - unauthenticated "AWS profile 'x' has role_arn but no source_profile, credential_source or
//    web_identity_token_file"; "AWS profile 'x': source_profile 'y' is not in the shared files";
//    "AWS profile 'x': source_profile 'y' provides no credentials"; "AWS profiles 'x' -> 'a' ->
//    'b' -> 'a' form a source_profile cycle"; "AWS profile 'x': credential_source 'Foo' is not
//    Environment, Ec2InstanceMetadata or EcsContainer" (and "AWS profile 'x': credential_source
//    'EcsContainer' provides no credentials"); "AWS profile 'x' needs an MFA code (mfa_serial),
//    which aisopod cannot ask for"; "AWS profile 'x': duration_seconds is not a number of
//    seconds". (external_id and role_session_name are sent as ExternalId and RoleSessionName.)
//  - unauthenticated "AWS profile 'x' uses IAM Identity Center (sso_*), which aisopod does not
//    support: set credential_process = aws configure export-credentials --profile x --format
//    process" for an SSO profile with nothing else.
//  - invalid_argument "AWS shared file <path>:<line>: expected [section] or key = value" and
//    "cannot read AWS shared file <path>: Is a directory" (a missing file is no error).
//  - STS: "STS AssumeRole at <host> for AWS profile 'x' failed: <Code>: <Message>" (web
//    identity: "STS AssumeRoleWithWebIdentity at <host> for AWS_ROLE_ARN failed: ..." or "...
//    for AWS profile 'x' failed: ..."), carrying the HTTP status and Retry-After:
//    permission_denied for AccessDenied (and any other 403 whose Code says nothing else),
//    unauthenticated for InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken,
//    InvalidIdentityToken and the other 4xx, rate_limited for Throttling and 429, unavailable
//    for 5xx, protocol_error for a redirect. The Message is cut to 500 bytes; a body that is no
//    STS error is quoted as error_text.hpp's excerpt ("HTTP 500 with an empty body").
//    protocol_error "STS AssumeRole at <host> returned no AccessKeyId" (SecretAccessKey,
//    SessionToken) and "... returned no valid Expiration".
//  - credential_process (unauthenticated): "credential_process of AWS profile 'x' exited with
//    status 3", "... was killed by signal 9", "... wrote more than 1 MiB", "... returned no JSON
//    object", "... returned no \"Version\": 1", "... returned no AccessKeyId" (SecretAccessKey),
//    "... returned an invalid Expiration"; internal "cannot start credential_process of ..."
//    when no process can be started.
//  - web identity (unauthenticated): "cannot read the web identity token file <path>
//    (AWS_WEB_IDENTITY_TOKEN_FILE): No such file or directory" (or "(web_identity_token_file of
//    AWS profile 'x')"), and "the web identity token file <path> (...) is empty".
//  - container: unauthenticated "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https or a
//    loopback, ECS or EKS host, not 10.0.0.5"; "cannot read
//    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE <path>: <reason>"; "container credentials endpoint
//    <host> failed: <message> (code: <code>)" from the agent's {"code", "message"} (else an
//    excerpt of the body), with the code of the HTTP status (unavailable for 5xx, rate_limited
//    for 429, permission_denied for 403, unauthenticated for other 4xx); protocol_error
//    "container credentials endpoint <host> returned no JSON object" (no AccessKeyId, no
//    SecretAccessKey, an invalid Expiration).
//  - instance metadata that answered the token request but then failed: "instance metadata at
//    <host> failed: ..." as for the container; unavailable "instance metadata at <host>
//    returned Code AssumeRoleUnauthorizedAccess" (a Code other than Success); protocol_error
//    "... returned no AccessKeyId" and the others as for the container.
//  - transport errors of STS and the container endpoint (and of instance metadata after its
//    token) as http::send reports them.
std::shared_ptr<CredentialSource> make_aws_chain_source(AwsChainOptions options);

// The region requests are signed for: `configured` when not empty, else $AWS_REGION, else
// $AWS_DEFAULT_REGION, else the `region` of the profile (`profile`, else $AWS_PROFILE, else
// "default") in the config file (AWS_CONFIG_FILE, else $HOME/.aws/config), else "". Reads that
// file; never fails (an unreadable or malformed file counts as no region there).
std::string resolve_aws_region(const EnvLookup& env, std::string_view configured,
                               std::string_view profile);

}  // namespace aisopod::bedrock
