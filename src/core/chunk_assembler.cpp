#include "core/chunk_assembler.hpp"

#include <utility>

namespace aisopod {
namespace {

// Builds a chunk in place by default-initialization, which (unlike the value-initialization
// of emplace()) does not zero the whole object first: a `rep stos` per chunk that showed up
// in the OpenAI decoder's profiles.
struct FreshChunk {
  operator ChatCompletionChunk() const {  // NOLINT(google-explicit-constructor)
    ChatCompletionChunk chunk;            // default-initialized: members take their initializers
    return chunk;
  }
};

}  // namespace

ChunkAssembler::ChunkAssembler(std::string provider_id) : provider_id_(std::move(provider_id)) {}

ChatCompletionChunk& ChunkAssembler::open_new_chunk() {
  if (done_) {
    sink_ = ChatCompletionChunk();
    open_ = &sink_;
  } else if (out_ != nullptr && !out_->has_value()) {
    // The common case: the chunk is built where next() returns it from.
    open_ = &out_->emplace(FreshChunk{});
  } else {
    open_ = &ready_.emplace_back(FreshChunk{});
  }
  return *open_;
}

void ChunkAssembler::change_id_model(std::string_view id, std::string_view model) {
  if (!id.empty()) id_.assign(id);
  if (!model.empty()) model_.assign(model);
  announce_ = true;
}

void ChunkAssembler::tool_call(std::int64_t wire_key, std::string_view id, std::string_view name,
                               std::string_view arguments) {
  if (done_) return;
  std::size_t slot = 0;
  while (slot < calls_.size() && calls_[slot].wire_key != wire_key) ++slot;
  if (slot == calls_.size()) calls_.push_back(ToolCallSlot{wire_key, false, false});
  ToolCallSlot& call = calls_[slot];
  const bool new_id = !call.id_known && !id.empty();
  const bool new_name = !call.name_known && !name.empty();
  if (!new_id && !new_name && arguments.empty()) return;
  ToolCallDelta delta;
  delta.index = static_cast<int>(slot);
  if (new_id) {
    call.id_known = true;
    delta.id.assign(id);
  }
  if (new_name) {
    call.name_known = true;
    delta.name.assign(name);
  }
  delta.arguments.assign(arguments);
  open_chunk().delta.tool_calls.push_back(std::move(delta));
}

void ChunkAssembler::finish(FinishReason reason, std::string_view raw_reason) {
  if (finish_seen_ || done_) return;
  finish_seen_ = true;
  finish_in_event_ = true;
  ChatCompletionChunk& chunk = open_chunk();
  chunk.finish_reason = reason;
  chunk.raw_finish_reason.assign(raw_reason);
}

void ChunkAssembler::end_event_slow() {
  ChatCompletionChunk* chunk = open_;
  open_ = nullptr;
  const bool finish_in_event = finish_in_event_;
  const bool usage_in_event = usage_in_event_;
  finish_in_event_ = false;
  usage_in_event_ = false;
  if (done_) {
    if (chunk != nullptr) discard(chunk);
    return;
  }
  if (chunk != nullptr && announce_) {
    // id and model go out on the first chunk and again only when they change: copying them
    // into every chunk cost two allocations per chunk.
    chunk->id = id_;
    chunk->model = model_;
    announce_ = false;
  }
  if (finish_in_event) {
    // finish() opened `chunk`.
    if (usage_in_event) {
      chunk->usage = usage_;
      usage_reported_ = true;
    } else {
      // Held back until usage arrives or the stream ends, so that usage is in the last chunk
      // and reported once.
      held_.emplace(std::move(*chunk));
      discard(chunk);
    }
    return;
  }
  if (usage_in_event && held_) {
    held_->usage = usage_;
    usage_reported_ = true;
    emit(std::move(*held_));
    held_.reset();
  }
}

void ChunkAssembler::end_of_stream() {
  if (done_) return;
  end_event();
  if (held_) {
    if (usage_ && !usage_reported_) held_->usage = usage_;
    usage_reported_ = true;
    emit(std::move(*held_));
    held_.reset();
  }
  done_ = true;
}

void ChunkAssembler::fail(Status status) {
  if (done_) return;
  if (status.provider().empty()) status.set_provider(provider_id_);
  error_ = std::move(status);
  if (open_ != nullptr) discard(open_);  // a wire event that fails adds nothing
  open_ = nullptr;
  held_.reset();
  finish_in_event_ = false;
  usage_in_event_ = false;
  done_ = true;
}

void ChunkAssembler::discard(const ChatCompletionChunk* chunk) {
  if (chunk == &sink_) return;
  if (out_ != nullptr && out_->has_value() && &**out_ == chunk) {
    out_->reset();
  } else {
    ready_.pop_back();  // open_new_chunk() put it last
  }
}

void ChunkAssembler::emit(ChatCompletionChunk&& chunk) {
  if (out_ != nullptr && !out_->has_value()) {
    out_->emplace(std::move(chunk));
  } else {
    ready_.push_back(std::move(chunk));
  }
}

void ChunkAssembler::take_ready(std::optional<ChatCompletionChunk>& out) {
  out.emplace(std::move(ready_[ready_head_++]));
  if (ready_head_ == ready_.size()) {
    ready_.clear();
    ready_head_ = 0;
  }
}

}  // namespace aisopod
