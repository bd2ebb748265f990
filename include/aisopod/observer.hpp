// Observer: a callback interface for what the retry loop, the auth profile manager and the
// failover provider decide. Used for logs (`aisopod chat --verbose`), metrics and tests.
// Standard-library types only.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "aisopod/status.hpp"

namespace aisopod {

// One try of one call: which provider, model and auth profile, and the how-manieth try of this
// call it is (1 for the first).
struct AttemptInfo {
  std::string provider;
  std::string model;
  std::string profile;  // empty when the provider has no profiles
  int attempt = 1;
};

// Every method has an empty default, so an observer overrides only what it needs. Methods may
// be called from any thread that runs a call; implementations must be thread-safe and quick
// (they run on the event loop), and must not call back into the library.
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_attempt_started(const AttemptInfo& /*attempt*/) {}
  // The attempt reached its first content chunk (or the complete answer): committed.
  virtual void on_attempt_succeeded(const AttemptInfo& /*attempt*/) {}
  virtual void on_attempt_failed(const AttemptInfo& /*attempt*/, const Status& /*error*/) {}
  // The retry loop moved from one profile to the next after a credential-rotating error.
  virtual void on_profile_rotated(std::string_view /*provider*/, std::string_view /*from*/,
                                  std::string_view /*to*/) {}
  // A profile was cooled down (for `model`, or for every model when `model` is empty) or
  // disabled, until `until`, because of `cause`.
  virtual void on_cooldown_set(std::string_view /*provider*/, std::string_view /*profile*/,
                               std::string_view /*model*/,
                               std::chrono::system_clock::time_point /*until*/,
                               const Status& /*cause*/) {}
  // The failover provider gave up on `from` ("provider/model") because of `cause` and moves
  // to `to`.
  virtual void on_failover(std::string_view /*from*/, std::string_view /*to*/,
                           const Status& /*cause*/) {}
  // The auth state store failed (`error`, the first error of the streak): the auth profile
  // manager goes on with what it knows in memory. Called from the manager's store thread, once
  // per failure streak (again only after the store has worked in between).
  virtual void on_state_store_error(const Status& /*error*/) {}
};

}  // namespace aisopod
