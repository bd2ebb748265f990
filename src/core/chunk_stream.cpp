#include <utility>

#include "aisopod/provider.hpp"

namespace aisopod {
namespace {

// Yields a fixed list of chunks; used for non-streaming answers and tests.
class VectorChunkSource final : public ChunkSource {
 public:
  explicit VectorChunkSource(std::vector<ChatCompletionChunk> chunks)
      : chunks_(std::move(chunks)) {}

  Task<Result<std::optional<ChatCompletionChunk>>> next() override {
    if (cancelled_) co_return Status(StatusCode::kCancelled, "stream cancelled");
    if (pos_ >= chunks_.size()) co_return std::optional<ChatCompletionChunk>();
    co_return std::optional<ChatCompletionChunk>(std::move(chunks_[pos_++]));
  }
  void cancel() override { cancelled_ = true; }

 private:
  std::vector<ChatCompletionChunk> chunks_;
  std::size_t pos_ = 0;
  bool cancelled_ = false;
};

// Replays the chunks read ahead while looking for the first content chunk, then continues with
// the rest of the stream. One per request, not thread-safe.
class CommittedChunkSource final : public ChunkSource {
 public:
  CommittedChunkSource(std::vector<ChatCompletionChunk> held, ChunkStream rest)
      : held_(std::move(held)), rest_(std::move(rest)) {}

  Task<Result<std::optional<ChatCompletionChunk>>> next() override {
    if (cancelled_) co_return Status(StatusCode::kCancelled, "stream cancelled");
    if (pos_ < held_.size()) co_return std::optional<ChatCompletionChunk>(std::move(held_[pos_++]));
    Result<std::optional<ChatCompletionChunk>> result = co_await rest_.next();
    if (result.ok() || result.error().code() == StatusCode::kCancelled) co_return result;
    const Status& error = result.error();
    Status out(error.code(),
               "the answer had already started, so no retry or failover: " + error.message());
    out.set_http_status(error.http_status());
    out.set_provider(error.provider());
    out.set_retry_after(error.retry_after());
    co_return out;
  }

  void cancel() override {
    cancelled_ = true;
    rest_.cancel();
  }

 private:
  std::vector<ChatCompletionChunk> held_;
  std::size_t pos_ = 0;
  ChunkStream rest_;
  bool cancelled_ = false;
};

}  // namespace

Task<Result<ChunkStream>> read_to_first_content(ChunkStream stream) {
  // Read ahead once: a second level (a FailoverProvider over a provider that has already read
  // ahead) would otherwise wrap the stream again and say "already started" twice.
  if (stream.committed_) co_return std::move(stream);
  std::vector<ChatCompletionChunk> held;
  ChunkStream committed;
  for (;;) {
    Result<std::optional<ChatCompletionChunk>> chunk = co_await stream.next();
    if (!chunk.ok()) co_return chunk.error();
    if (!chunk->has_value()) {
      committed = ChunkStream::from_chunks(std::move(held));
      break;
    }
    const bool content = (*chunk)->has_content();
    held.push_back(std::move(**chunk));
    if (content) {
      committed =
          ChunkStream(std::make_unique<CommittedChunkSource>(std::move(held), std::move(stream)));
      break;
    }
  }
  committed.committed_ = true;
  co_return std::move(committed);
}

ChunkStream::ChunkStream(std::unique_ptr<ChunkSource> source) : source_(std::move(source)) {}

ChunkStream ChunkStream::from_chunks(std::vector<ChatCompletionChunk> chunks) {
  return ChunkStream(std::make_unique<VectorChunkSource>(std::move(chunks)));
}

ChunkStream::~ChunkStream() {
  if (source_ && !final_) source_->cancel();
}

Task<Result<std::optional<ChatCompletionChunk>>> ChunkStream::next() {
  if (final_) {
    if (final_->ok()) co_return std::optional<ChatCompletionChunk>();
    co_return *final_;
  }
  if (!source_) {
    final_ = Status();
    co_return std::optional<ChatCompletionChunk>();
  }
  Result<std::optional<ChatCompletionChunk>> result = co_await source_->next();
  if (!result.ok()) {
    final_ = result.error();
  } else if (!result->has_value()) {
    final_ = Status();
  }
  co_return result;
}

void ChunkStream::cancel() {
  if (final_) return;
  if (source_) source_->cancel();
  final_ = Status(StatusCode::kCancelled, "stream cancelled");
}

}  // namespace aisopod
