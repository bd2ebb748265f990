// ChunkAssembler: the half of every stream decoder that is not about the wire. A provider's
// decoder maps its wire events (SSE events, NDJSON lines) to neutral events (text, reasoning,
// tool-call pieces, finish reason, usage, errors); the assembler turns them into
// ChatCompletionChunks that keep the chunk contract of aisopod/types.hpp, and queues them for
// the consumer. Sans-I/O; one per request; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"

namespace aisopod {

// What it owns, so that no decoder repeats it:
//   - Grouping: every event between two end_event() calls goes into one chunk (the chunk of
//     that wire event); a wire event that adds nothing gives no chunk. Nothing is merged
//     across wire events, and nothing within one is split.
//   - id and model: set on the first chunk and on the first chunk after either changes
//     (set_id_model); empty on the others.
//   - Role: the first role() is reported, later ones are ignored.
//   - Tool calls: the provider names each call by a wire key (an index, a content-block
//     number, a running count); calls get dense indexes 0, 1, 2 in order of first appearance.
//     A call's id and name are reported once, in the first delta that has them; empty pieces
//     are never reported.
//   - Finish and usage: the first finish reason counts. Usage pieces are merged field by field
//     (larger value wins) and reported once, in the last chunk: a chunk with the finish reason
//     is held back until usage arrives in a later wire event (then it is released after that
//     event's own chunk) or the stream ends; usage that arrives after it was reported is
//     ignored.
//   - Errors: fail() is sticky and terminal; chunks completed before it are still returned,
//     the chunk of the failing wire event and a held finish chunk are dropped.
//   - The ready queue, and building chunks in place inside the Result that next() returns.
//
// A decoder's loop, with `pump` decoding one wire event (false when it needs more bytes):
//
//   Result<std::optional<ChatCompletionChunk>> next() {
//     return assembler_.next([this] { return decode_one_event(); });
//   }
//   bool decode_one_event() {                  // one SSE event -> neutral events
//     ... assembler_.text(content); assembler_.usage(usage); ...
//     assembler_.end_event();
//     return true;
//   }
class ChunkAssembler {
 public:
  // `provider_id` is put on errors given to fail() that name no provider.
  explicit ChunkAssembler(std::string provider_id);
  ChunkAssembler(ChunkAssembler&&) noexcept = default;
  ChunkAssembler& operator=(ChunkAssembler&&) noexcept = default;
  ChunkAssembler(const ChunkAssembler&) = delete;
  ChunkAssembler& operator=(const ChunkAssembler&) = delete;

  // --- Neutral events, in wire order. All are ignored after end_of_stream() or fail(). ---

  // The response id and the model answering. An empty value leaves the current one as it is.
  // A change is announced on the next chunk that goes out (or is held back).
  void set_id_model(std::string_view id, std::string_view model) {
    if ((id.empty() || id == id_) && (model.empty() || model == model_)) return;
    change_id_model(id, model);
  }

  // The role of the answer; reported once, by the first call.
  void role(Role value) {
    if (role_sent_) return;
    role_sent_ = true;
    open_chunk().delta.role = value;
  }

  // Appends to the answer's text (delta.content) / reasoning / reasoning signature; empty
  // pieces add nothing.
  void text(std::string_view piece) {
    if (!piece.empty()) open_chunk().delta.content.append(piece);
  }
  void reasoning(std::string_view piece) {
    if (!piece.empty()) open_chunk().delta.reasoning.append(piece);
  }
  void reasoning_signature(std::string_view piece) {
    if (!piece.empty()) open_chunk().delta.reasoning_signature.append(piece);
  }
  // One block of opaque redacted reasoning (Anthropic redacted_thinking), whole. A wire event
  // should carry at most one: the consumer cannot tell two blocks in one chunk apart.
  void redacted_reasoning(std::string_view data) {
    if (!data.empty()) open_chunk().delta.redacted_reasoning.append(data);
  }

  // A piece of the tool call the provider names `wire_key`: a first appearance gives the call
  // the next dense index (even when the piece is empty, so indexes follow first appearance).
  // Adds one ToolCallDelta to this wire event's chunk holding the id and name if not reported
  // before for this call and not empty, and `arguments`; nothing when all three would be
  // empty.
  void tool_call(std::int64_t wire_key, std::string_view id, std::string_view name,
                 std::string_view arguments);
  // The start of a call (its id and name) / a fragment of its arguments JSON.
  void tool_call_start(std::int64_t wire_key, std::string_view id, std::string_view name) {
    tool_call(wire_key, id, name, {});
  }
  void tool_call_arguments(std::int64_t wire_key, std::string_view fragment) {
    tool_call(wire_key, {}, {}, fragment);
  }

  // Why the answer ended and the provider's own word for it; the first call counts, later
  // ones are ignored. The chunk goes out at end_event() if usage came in the same wire event,
  // else it is held back (see above).
  void finish(FinishReason reason, std::string_view raw_reason);

  // Token counts, whole or a piece: merged field by field (larger wins) into the stream's
  // usage. Ignored once the usage has been reported.
  void usage(const Usage& piece) {
    if (usage_reported_ || done_) return;
    if (usage_) {
      usage_->merge_max(piece);
    } else {
      usage_ = piece;
    }
    usage_in_event_ = true;
  }

  // Ends one wire event: its chunk (if it added anything) goes to the ready queue, or is held
  // back when it carries the finish reason without usage; a held chunk is released after it
  // when usage came in this event.
  void end_event() {
    if (!(finish_in_event_ || usage_in_event_ || announce_ || done_)) {
      open_ = nullptr;  // the chunk is complete where it stands
      return;
    }
    end_event_slow();
  }

  // The end of the answer (the protocol's end marker, or a body that ended after a finish
  // reason): ends the current wire event, releases a held finish chunk with the usage (if not
  // reported yet). next() returns std::nullopt once the queue is drained. A stream that had
  // no finish() ends without a finish chunk: a decoder that wants one calls finish() first.
  void end_of_stream();

  // Makes `status` the sticky error (its provider set to this assembler's when empty); no-op
  // after end_of_stream() or an earlier fail(). Chunks completed before it are returned by
  // next() first; then next() returns the error, forever.
  void fail(Status status);

  // --- State ---

  // A finish reason has been given.
  bool finish_seen() const { return finish_seen_; }
  // The number of tool calls seen (the next dense index).
  int tool_call_count() const { return static_cast<int>(calls_.size()); }
  // end_of_stream() or fail() has been called: no more events are taken.
  bool done() const { return done_; }
  // The sticky error, or ok.
  const Status& status() const { return error_; }

  // --- Consumer side ---

  // The next chunk: from the ready queue, else the sticky error, else std::nullopt (nothing
  // more now, or the end).
  Result<std::optional<ChatCompletionChunk>> next() {
    return next([] { return false; });
  }

  // As next(), but while nothing is ready and the stream is not done it calls `pump()` (a
  // `bool()` callable) that decodes one wire event into events on this assembler and returns
  // false when it needs more input. The first chunk a pumped event completes is built in place
  // inside the returned Result (no chunk is moved on that path); further ones queue.
  template <class Pump>
  Result<std::optional<ChatCompletionChunk>> next(Pump&& pump) {
    Result<std::optional<ChatCompletionChunk>> result{std::optional<ChatCompletionChunk>()};
    std::optional<ChatCompletionChunk>& out = *result;
    for (;;) {
      if (ready_head_ < ready_.size()) {
        take_ready(out);
        return result;
      }
      if (!error_.ok()) {
        result = Result<std::optional<ChatCompletionChunk>>(error_);
        return result;
      }
      if (done_) return result;
      out_ = &out;
      const bool progressed = pump();
      out_ = nullptr;
      if (out.has_value()) return result;
      if (!progressed && !done_) return result;
    }
  }

 private:
  struct ToolCallSlot {
    std::int64_t wire_key = 0;
    bool id_known = false;
    bool name_known = false;
  };

  ChatCompletionChunk& open_chunk() { return open_ != nullptr ? *open_ : open_new_chunk(); }
  // A new chunk for this wire event: in *out_ when that is free, else at the queue's end
  // (after the end, sink_: events then change nothing).
  ChatCompletionChunk& open_new_chunk();
  void change_id_model(std::string_view id, std::string_view model);
  void end_event_slow();
  // Removes `chunk`, which open_new_chunk() placed.
  void discard(const ChatCompletionChunk* chunk);
  void emit(ChatCompletionChunk&& chunk);
  void take_ready(std::optional<ChatCompletionChunk>& out);

  std::string provider_id_;
  std::string id_;
  std::string model_;
  Status error_;
  bool done_ = false;
  bool announce_ = false;  // id_ / model_ changed since a chunk last carried them
  bool role_sent_ = false;
  bool finish_seen_ = false;
  bool finish_in_event_ = false;
  bool usage_in_event_ = false;
  bool usage_reported_ = false;
  std::optional<Usage> usage_;                         // merged, not yet reported
  std::optional<ChatCompletionChunk> held_;            // the finish chunk, waiting for usage
  std::vector<ToolCallSlot> calls_;                    // by dense index
  ChatCompletionChunk* open_ = nullptr;                // this wire event's chunk, once it has one
  std::optional<ChatCompletionChunk>* out_ = nullptr;  // next()'s result, while pumping
  std::vector<ChatCompletionChunk> ready_;             // completed, not yet returned
  std::size_t ready_head_ = 0;
  ChatCompletionChunk sink_;  // takes the events that come after the end
};

}  // namespace aisopod
