#include <utility>

#include "aisopod/provider.hpp"
#include "aisopod/pull.hpp"

namespace aisopod {

PullStream::PullStream() = default;
PullStream::PullStream(std::unique_ptr<PullSource> source) : source_(std::move(source)) {}
PullStream::PullStream(PullStream&&) noexcept = default;
PullStream& PullStream::operator=(PullStream&&) noexcept = default;

PullStream::~PullStream() {
  if (source_ && !final_) source_->cancel();
}

Task<Result<std::optional<PullProgress>>> PullStream::next() {
  if (final_) {
    if (final_->ok()) co_return std::optional<PullProgress>();
    co_return *final_;
  }
  if (!source_) {
    final_ = Status();
    co_return std::optional<PullProgress>();
  }
  Result<std::optional<PullProgress>> result = co_await source_->next();
  if (!result.ok()) {
    final_ = result.error();
    source_->cancel();
  } else if (!result->has_value()) {
    final_ = Status();
  }
  co_return result;
}

void PullStream::cancel() {
  if (final_) return;
  if (source_) source_->cancel();
  final_ = Status(StatusCode::kCancelled, "the pull was cancelled");
}

Task<Result<PullStream>> ModelProvider::start_pull_model(std::string /*model*/,
                                                         CallOptions /*options*/) {
  co_return Status(StatusCode::kInvalidArgument,
                   "provider '" + std::string(id()) + "' cannot pull models (Ollama can)")
      .set_provider(std::string(id()));
}

}  // namespace aisopod
