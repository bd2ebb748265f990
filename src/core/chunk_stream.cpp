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

}  // namespace

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
