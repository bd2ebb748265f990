// The core pipeline as a provider sees it: a SpecProvider (a tiny line protocol stands in for a
// provider's wire format) with auth profiles whose credentials come from CredentialSources and
// an Authorizer that may await and may fail. Every request goes to the in-process fake upstream.
#include "core/spec_provider.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aisopod/credential.hpp"
#include "testing/collect_stream.hpp"
#include "testing/fake_upstream.hpp"
#include "testing/run_task.hpp"

namespace aisopod {
namespace {

using testing::collect;
using testing::FakeUpstream;
using testing::RecordedRequest;
using testing::run_task;
using testing::ScriptedResponse;

// One text chunk per line.
class TextLines {
 public:
  void feed(std::string_view bytes) { buffer_ += bytes; }
  Result<std::optional<ChatCompletionChunk>> next() {
    const std::size_t end = buffer_.find('\n');
    if (end == std::string::npos) return std::optional<ChatCompletionChunk>();
    ChatCompletionChunk chunk;
    chunk.delta.content = buffer_.substr(0, end);
    buffer_.erase(0, end + 1);
    return std::optional<ChatCompletionChunk>(std::move(chunk));
  }
  Status finish() { return Status(); }

 private:
  std::string buffer_;
};

// 401 unauthenticated, 429 rate_limited, anything else unavailable; the message is the body.
Status map_line_error(int http_status, const http::Headers&, std::string_view body) {
  StatusCode code = StatusCode::kUnavailable;
  if (http_status == 401) code = StatusCode::kUnauthenticated;
  if (http_status == 429) code = StatusCode::kRateLimited;
  return Status(code, std::string(body));
}

// The spec of the line provider: POST {base}/chat, GET {base}/models?page=<cursor> answering
// "id1,id2[;next]".
ProviderSpec line_spec(const std::string& base_url, std::shared_ptr<Authorizer> authorizer) {
  ProviderSpec spec;
  spec.provider_id = "lines";
  spec.authorizer = std::move(authorizer);
  spec.map_error = map_line_error;
  spec.encode_chat =
      [base_url](const ChatCompletionRequest& request) -> Result<ProviderSpec::EncodedChat> {
    ProviderSpec::EncodedChat encoded;
    encoded.request.method = "POST";
    encoded.request.url = base_url + "/chat";
    encoded.request.body = request.model;
    encoded.make_decoder = [] { return make_chunk_decoder(TextLines()); };
    return encoded;
  };
  spec.encode_models = [base_url](std::string_view cursor) -> Result<http::Request> {
    http::Request request;
    request.url = base_url + "/models?page=" + std::string(cursor);
    return request;
  };
  spec.decode_models = [](std::string_view body) -> Result<ModelsPageResult> {
    ModelsPageResult page;
    const std::size_t semicolon = body.find(';');
    std::string_view ids = body.substr(0, semicolon);
    if (semicolon != std::string_view::npos) page.next_cursor = body.substr(semicolon + 1);
    while (!ids.empty()) {
      const std::size_t comma = ids.find(',');
      ModelInfo model;
      model.id = std::string(ids.substr(0, comma));
      page.models.push_back(std::move(model));
      ids = comma == std::string_view::npos ? std::string_view() : ids.substr(comma + 1);
    }
    return page;
  };
  return spec;
}

ChatCompletionRequest request_for(std::string model) {
  ChatCompletionRequest request;
  request.model = std::move(model);
  request.messages.push_back(Message::user("hi"));
  return request;
}

// A source whose token exchange is refused (unauthenticated) until `refuse` is cleared.
class RefusingSource final : public CredentialSource {
 public:
  boost::asio::awaitable<Result<Credential>> get() override {
    ++calls;
    co_return Status(StatusCode::kUnauthenticated, "token exchange refused: invalid_grant");
  }
  Result<std::string> identity() override { return std::string("service-account-1"); }
  int calls = 0;
};

// An authorizer that waits before adding its header (as a signer that hashes a large body on
// another thread would), and refuses AWS keys.
class SlowAuthorizer final : public Authorizer {
 public:
  Task<Status> authorize(http::Request& request, const Credential& credential) override {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor,
                                    std::chrono::milliseconds(20));
    co_await timer.async_wait(boost::asio::use_awaitable);
    if (credential.kind == Credential::Kind::kAwsKeys) {
      co_return Status(StatusCode::kInvalidArgument,
                       "cannot sign for key id " + credential.access_key_id);
    }
    request.headers.push_back({"X-Signed", "sig(" + credential.secret + ")"});
    co_return Status();
  }
};

TEST(SpecProviderTest, ACredentialSourceThatRefusesRotatesToTheNextProfileAndIsReported) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "text/plain", "hello\n");
  });
  auto auth = std::make_shared<AuthProfileManager>(make_memory_auth_store());
  auto refusing = std::make_shared<RefusingSource>();
  auth->add_profile("lines", "sa", refusing);
  auth->add_profile("lines", "key",
                    make_static_credential_source(Credential::api_key("sk-second-key")));
  auto provider = make_spec_provider(
      line_spec(upstream.base_url(), make_header_authorizer("lines", "x-key")), auth);

  testing::StreamOutcome out = run_task(collect(provider, request_for("m1"), CallOptions()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  ASSERT_TRUE(out.end.ok()) << out.end.to_string();
  ASSERT_EQ(out.completion.message.content.size(), 1u);
  EXPECT_EQ(out.completion.message.content[0].text, "hello");
  EXPECT_EQ(refusing->calls, 1);
  // Only the second profile's request reached the server, with its key in the header.
  const std::vector<RecordedRequest> requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("x-key"), "sk-second-key");
  // The refused profile is disabled like a rejected key, with the source's message.
  const std::vector<ProfileState> states = auth->snapshot();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].profile, "sa");
  EXPECT_EQ(states[0].last_error, "unauthenticated");
  EXPECT_EQ(states[0].last_error_message, "token exchange refused: invalid_grant");
  EXPECT_TRUE(states[0].disabled_until.has_value());
  EXPECT_TRUE(states[1].marked_good());
}

TEST(SpecProviderTest, AnAuthorizerMayAwaitAndItsHeaderIsSent) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "text/plain", "ok\n");
  });
  auto auth = AuthProfileManager::single(
      "lines", [] { return Result<std::string>("tok-1"); }, SecretKind::kBearerToken);
  auto provider =
      make_spec_provider(line_spec(upstream.base_url(), std::make_shared<SlowAuthorizer>()), auth);
  testing::StreamOutcome out = run_task(collect(provider, request_for("m1"), CallOptions()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  const std::vector<RecordedRequest> requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("X-Signed"), "sig(tok-1)");
}

TEST(SpecProviderTest, AnAuthorizerThatFailsEndsTheCallBeforeAnythingIsSentWithoutTheSecret) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "text/plain", "ok\n");
  });
  auto auth = std::make_shared<AuthProfileManager>(make_memory_auth_store());
  auth->add_profile("lines", "aws",
                    make_static_credential_source(
                        Credential::aws_keys("AKIDEXAMPLEKEYID0001", "wJalrXUtnFEMI/K7MDENG")));
  auto provider =
      make_spec_provider(line_spec(upstream.base_url(), std::make_shared<SlowAuthorizer>()), auth);
  Result<ChunkStream> stream = run_task(provider->chat_completion(request_for("m1")));
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.error().code(), StatusCode::kInvalidArgument);
  // The access key id is part of the credential: redacted like the secret.
  EXPECT_EQ(stream.error().message(), "cannot sign for key id [redacted]");
  EXPECT_EQ(stream.error().provider(), "lines");
  EXPECT_EQ(stream.error().profile(), "aws");
  EXPECT_TRUE(upstream.requests().empty());
}

TEST(SpecProviderTest, TheHeaderFollowsEachProfilesCredentialKind) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "text/plain", "ok\n");
  });
  auto auth = std::make_shared<AuthProfileManager>(make_memory_auth_store());
  auth->add_profile("lines", "token",
                    make_static_credential_source(Credential::bearer_token("oauth-token-1")));
  auth->add_profile("lines", "key", make_static_credential_source(Credential::api_key("key-2")));
  auth->add_profile("lines", "none", make_static_credential_source(Credential{}));
  auto provider = make_spec_provider(
      line_spec(upstream.base_url(), make_header_authorizer("lines", "x-key")), auth);
  for (int i = 0; i < 3; ++i) {
    testing::StreamOutcome out = run_task(collect(provider, request_for("m1"), CallOptions()));
    ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  }
  const std::vector<RecordedRequest> requests = upstream.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer oauth-token-1");
  EXPECT_EQ(requests[0].header("x-key"), "");
  EXPECT_EQ(requests[1].header("Authorization"), "");
  EXPECT_EQ(requests[1].header("x-key"), "key-2");
  EXPECT_EQ(requests[2].header("Authorization"), "");
  EXPECT_EQ(requests[2].header("x-key"), "");
}

TEST(SpecProviderTest, HeaderAuthorizerRefusesAwsKeys) {
  FakeUpstream upstream([](const RecordedRequest&) {
    return ScriptedResponse::with_body(200, "text/plain", "ok\n");
  });
  auto auth = std::make_shared<AuthProfileManager>(make_memory_auth_store());
  auth->add_profile("lines", "aws",
                    make_static_credential_source(Credential::aws_keys("AKID", "secret-key-1")));
  auto provider = make_spec_provider(
      line_spec(upstream.base_url(), make_header_authorizer("lines", "x-key")), auth);
  Result<ChunkStream> stream = run_task(provider->chat_completion(request_for("m1")));
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(stream.error().message(),
            "provider 'lines' cannot sign requests with AWS keys; give the profile an api_key");
  EXPECT_TRUE(upstream.requests().empty());
}

TEST(SpecProviderTest, ARefreshedTokenKeepsTheProfilesState) {
  auto clock = std::make_shared<FakeClock>();
  auto auth =
      std::make_shared<AuthProfileManager>(make_memory_auth_store(), CooldownPolicy{}, clock);
  int fetches = 0;
  auto source = make_caching_credential_source(
      "client@example.iam:key-1",
      [&fetches, clock]() -> boost::asio::awaitable<Result<Credential>> {
        ++fetches;
        co_return Credential::bearer_token("access-" + std::to_string(fetches),
                                           clock->now() + std::chrono::minutes(60));
      },
      std::chrono::minutes(5), clock);
  auth->add_profile("lines", "sa", source);
  ASSERT_TRUE(run_task(source->get()).ok());
  Result<AuthLease> lease = auth->acquire("lines", "m1");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->secret, "client@example.iam:key-1");
  auth->report(
      *lease, "m1",
      Status(StatusCode::kRateLimited, "slow down").set_retry_after(std::chrono::minutes(2)));
  // The token expires and is fetched again; the cooldown belongs to the account, not the token.
  clock->advance(std::chrono::minutes(54));
  Result<Credential> first = run_task(source->get());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->secret, "access-1");
  clock->advance(std::chrono::minutes(2));
  Result<Credential> refreshed = run_task(source->get());
  ASSERT_TRUE(refreshed.ok());
  EXPECT_EQ(refreshed->secret, "access-2");
  Result<AuthLease> again = auth->acquire("lines", "m1");
  ASSERT_TRUE(again.ok());
  auth->report(*again, "m1", Status(StatusCode::kRateLimited, "slow down"));
  const std::vector<ProfileState> states = auth->snapshot();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].failure_count, 2);
}

// A token refused before its expiry (revoked, clock skew) is fetched again once and the attempt
// repeated; the profile is not blamed when the new token works. A key without an expiry is not
// fetched again.
TEST(SpecProviderTest, ARefusedTemporaryCredentialIsFetchedAgainOnceBeforeTheProfileIsBlamed) {
  FakeUpstream upstream([](const RecordedRequest& request) {
    if (request.header("x-key") == "" && request.header("Authorization") == "Bearer access-1") {
      return ScriptedResponse::with_body(401, "text/plain", "token expired");
    }
    return ScriptedResponse::with_body(200, "text/plain", "ok\n");
  });
  auto clock = std::make_shared<FakeClock>();
  int fetches = 0;
  auto source = make_caching_credential_source(
      "account-1",
      [&fetches, clock]() -> boost::asio::awaitable<Result<Credential>> {
        ++fetches;
        co_return Credential::bearer_token("access-" + std::to_string(fetches),
                                           clock->now() + std::chrono::minutes(60));
      },
      std::chrono::minutes(5), clock);
  auto auth = std::make_shared<AuthProfileManager>(make_memory_auth_store());
  auth->add_profile("lines", "sa", source);
  auto provider = make_spec_provider(
      line_spec(upstream.base_url(), make_header_authorizer("lines", "x-key")), auth);
  testing::StreamOutcome out = run_task(collect(provider, request_for("m1"), CallOptions()));
  ASSERT_TRUE(out.start.ok()) << out.start.to_string();
  EXPECT_EQ(fetches, 2);
  const std::vector<RecordedRequest> requests = upstream.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].header("Authorization"), "Bearer access-2");
  const std::vector<ProfileState> states = auth->snapshot();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_TRUE(states[0].marked_good());

  // A key that does not expire is refused once and the profile blamed: no second request.
  FakeUpstream refusing([](const RecordedRequest&) {
    return ScriptedResponse::with_body(401, "text/plain", "invalid key");
  });
  auto key_auth = std::make_shared<AuthProfileManager>(make_memory_auth_store());
  key_auth->add_profile("lines", "key",
                        make_static_credential_source(Credential::api_key("static-key-1")));
  auto key_provider = make_spec_provider(
      line_spec(refusing.base_url(), make_header_authorizer("lines", "x-key")), key_auth);
  Result<ChunkStream> refused = run_task(key_provider->chat_completion(request_for("m1")));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(refusing.requests().size(), 1u);
}

TEST(SpecProviderTest, ListModelsFollowsCursorsAndStopsAtARepeatedOne) {
  FakeUpstream upstream([](const RecordedRequest& request) {
    if (request.target == "/models?page=")
      return ScriptedResponse::with_body(200, "text/plain", "a,b;p2");
    if (request.target == "/models?page=p2")
      return ScriptedResponse::with_body(200, "text/plain", "c;p3");
    return ScriptedResponse::with_body(200, "text/plain", "d;p3");
  });
  auto provider = make_spec_provider(line_spec(upstream.base_url(), nullptr), nullptr);
  Result<std::vector<ModelInfo>> models = run_task(provider->list_models());
  ASSERT_TRUE(models.ok()) << models.error().to_string();
  std::vector<std::string> ids;
  for (const ModelInfo& model : *models) ids.push_back(model.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(upstream.requests().size(), 3u);
}

TEST(SpecProviderTest, ListModelsWithARejectedFirstKeyRotatesAndCoolsIt) {
  FakeUpstream upstream([](const RecordedRequest& request) {
    if (request.header("x-key") == "bad-key-1") {
      return ScriptedResponse::with_body(401, "text/plain", "invalid key");
    }
    return ScriptedResponse::with_body(200, "text/plain", "m1");
  });
  auto auth = std::make_shared<AuthProfileManager>(make_memory_auth_store());
  auth->add_profile("lines", "first",
                    make_static_credential_source(Credential::api_key("bad-key-1")));
  auth->add_profile("lines", "second",
                    make_static_credential_source(Credential::api_key("good-key-2")));
  auto provider = make_spec_provider(
      line_spec(upstream.base_url(), make_header_authorizer("lines", "x-key")), auth);
  Result<std::vector<ModelInfo>> models = run_task(provider->list_models());
  ASSERT_TRUE(models.ok()) << models.error().to_string();
  ASSERT_EQ(models->size(), 1u);
  const std::vector<ProfileState> states = auth->snapshot();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].last_error, "unauthenticated");
  EXPECT_EQ(states[0].last_error_message, "invalid key");
  EXPECT_TRUE(states[0].disabled_until.has_value());
  EXPECT_TRUE(states[1].marked_good());
}

TEST(SpecProviderTest, HealthIsHealthyWithTheDecodersMessageAndDegradedOnARejectedKey) {
  std::atomic<bool> reject{false};
  FakeUpstream upstream([&reject](const RecordedRequest&) {
    if (reject) return ScriptedResponse::with_body(401, "text/plain", "invalid key");
    return ScriptedResponse::with_body(200, "text/plain", "v1.2.3");
  });
  ProviderSpec spec = line_spec(upstream.base_url(), nullptr);
  const std::string base = upstream.base_url();
  spec.encode_health = [base]() -> Result<http::Request> {
    http::Request request;
    request.url = base + "/version";
    return request;
  };
  spec.decode_health = [](std::string_view body) -> Result<std::string> {
    return "version " + std::string(body);
  };
  auto provider = make_spec_provider(std::move(spec), nullptr);
  HealthStatus healthy = run_task(provider->health_check());
  EXPECT_EQ(healthy.state, HealthStatus::State::kHealthy);
  EXPECT_EQ(healthy.message, "version v1.2.3");
  reject = true;
  HealthStatus degraded = run_task(provider->health_check());
  EXPECT_EQ(degraded.state, HealthStatus::State::kDegraded);
  EXPECT_EQ(degraded.message, "unauthenticated (HTTP 401, lines): invalid key");
}

}  // namespace
}  // namespace aisopod
