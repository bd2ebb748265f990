// Bedrock error mapping: HTTP error responses (before a stream starts, and every Converse error)
// and the exception frames of a converse-stream body -> Status. Pure; safe from any thread.
#pragma once

#include <string_view>

#include "aisopod/status.hpp"
#include "http/http.hpp"

namespace aisopod::bedrock {

// The code for a Bedrock error type, whatever its spelling: the header form
// ("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", the part before
// ':' counts), the shape-id form ("com.amazonaws.bedrock#ThrottlingException", the part after
// '#'), or the stream's lower-camel union member ("throttlingException"); compared ignoring
// case. `message` refines the code; `http_status` decides for a type this table does not know
// (0: unavailable).
//   ThrottlingException -> rate_limited
//   ServiceQuotaExceededException -> billing: an account quota (tokens per day, ...) that
//     waiting a few seconds does not lift, so it is not retried but rotates to another profile
//   AccessDeniedException -> permission_denied
//   UnrecognizedClientException, InvalidSignatureException, SignatureDoesNotMatch,
//   IncompleteSignatureException, ExpiredTokenException, ExpiredToken,
//   InvalidClientTokenId, MissingAuthenticationTokenException -> unauthenticated
//   ValidationException, ConflictException -> invalid_argument, or context_length_exceeded when
//     the message says the input is too long ("Input is too long for requested model.", "too
//     many input tokens", "prompt is too long", "too many tokens", "context length", "context
//     window")
//   ResourceNotFoundException -> not_found
//   ModelTimeoutException -> timeout
//   ServiceUnavailableException, ModelNotReadyException, InternalServerException (a server
//   error: unavailable, as the other providers map HTTP 500) -> unavailable
//   ModelErrorException, ModelStreamErrorException (the model behind Bedrock failed) ->
//     unavailable, or overloaded when the model's own status (`original_status`) was 529 or the
//     message says "overloaded" (Claude's overloaded_error comes through this way)
//   anything else by HTTP status: 400 invalid_argument (or context_length_exceeded as above),
//   401 unauthenticated, 403 permission_denied, 404 not_found, 408 timeout, 424 unavailable,
//   429 rate_limited, 5xx unavailable, other 4xx invalid_argument, anything else unavailable.
StatusCode code_for_error_type(std::string_view type, std::string_view message, int http_status,
                               int original_status = 0);

// Maps a Bedrock HTTP error response to a Status; never fails, and never returns an ok Status.
// The error type comes from the x-amzn-ErrorType header, else the body's "__type", else its
// "code"; the message from the body's "message" (or "Message"). The body may also be an HTML
// or empty page from a proxy, in which case only the HTTP status decides. The Status message is
// the error message (cut to about 500 bytes, one line) followed by "(type: <type>, request_id:
// <x-amzn-RequestId>)" for the parts that are known; a body that is not JSON contributes an
// excerpt, an empty one "HTTP <status> with an empty body" (core/error_text.hpp). The
// x-amzn-RequestId is no secret and is what AWS support asks for; no other header value appears.
// Retry-After / retry-after-ms set Status::retry_after (Bedrock itself sends none). The Status
// carries `http_status` and `provider_id`.
Status status_from_response(int http_status, const http::Headers& headers, std::string_view body,
                            std::string_view provider_id);

// Maps an exception frame of a converse-stream body (`:message-type` exception): its
// `:exception-type` header (throttlingException, serviceUnavailableException,
// modelStreamErrorException, validationException, internalServerException; see
// code_for_error_type) and its JSON payload {"message": ..., and for modelStreamErrorException
// "originalStatusCode", "originalMessage"}. The message is the payload's message (its
// originalMessage when it has none), then "(type: <exception type>, original_status: <n>)". No
// HTTP status is set; the Status carries `provider_id`.
Status status_from_exception(std::string_view exception_type, std::string_view payload,
                             std::string_view provider_id);

// Maps an error frame of a converse-stream body (`:message-type` error, with the headers
// `:error-code` and `:error-message` and no payload), by the code as code_for_error_type() does.
// The message is `error_message`, then "(type: <error_code>)".
Status status_from_error_frame(std::string_view error_code, std::string_view error_message,
                               std::string_view provider_id);

}  // namespace aisopod::bedrock
