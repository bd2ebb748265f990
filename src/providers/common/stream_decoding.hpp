// What every provider's stream decoder (openai, anthropic, ollama, ... ::StreamDecoder) has in
// common: its contract, the framing decoder feeding a ChunkAssembler one wire event at a time,
// and the owner of its simdjson scratch space. Header-only; sans-I/O.
//
// The contract of a stream decoder (each decoder's header says only what is its own: the wire
// format, its end marker and its errors):
//
//   StreamDecoder decoder(provider_id, ...);
//   for each body read:  decoder.feed(bytes); while (chunk = decoder.next(), *chunk) emit(**chunk);
//   at the end of body:  Status s = decoder.finish();  then drain next() once more: chunks that
//                        finish() decoded (a last line without its newline, a finish chunk held
//                        for usage) are returned then.
//
//   - void feed(std::string_view bytes): appends body bytes (copied). Never fails; errors
//     surface from next(). Ignored once the stream has ended (its end marker seen), after
//     finish() and after an error.
//   - Result<std::optional<ChatCompletionChunk>> next(): the next chunk; std::nullopt when more
//     bytes are needed or, once the stream has ended, when every chunk has been returned; or
//     the sticky error, after the chunks decoded before it.
//   - Status finish(): the end of the body. Decodes what is still buffered, then returns ok when
//     the stream ended as the protocol says, the sticky error, or a protocol_error saying how
//     it ended early. Calling it again returns the same status.
//   - One per request; not thread-safe. Movable, not copyable. Every error carries the provider
//     id; the chunks keep the chunk contract of aisopod/types.hpp (ChunkAssembler).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "aisopod/status.hpp"
#include "aisopod/types.hpp"
#include "core/chunk_assembler.hpp"

namespace aisopod::providers {

// Owns a decoder's scratch space (its simdjson parser and reusable views), a type complete only
// in the decoder's .cpp: the deleter is bound where the scratch is made, so the decoder's
// destructor and moves need no out-of-line definition.
template <class T>
using ScratchPtr = std::unique_ptr<T, void (*)(T*)>;

template <class T>
ScratchPtr<T> make_scratch() {
  return ScratchPtr<T>(new T(), [](T* scratch) { delete scratch; });
}

// What every decoder's .cpp checks of its class (a static_assert): moves do not throw, copies do
// not compile.
template <class Decoder>
inline constexpr bool kMovableNotCopyable =
    std::conjunction_v<std::is_nothrow_move_constructible<Decoder>,
                       std::is_nothrow_move_assignable<Decoder>,
                       std::negation<std::is_copy_constructible<Decoder>>>;

// Takes the next event from `framing` and hands it to `process`, which maps it to `assembler`
// calls; the event is one chunk (ChunkAssembler::end_event). Returns false when `framing` needs
// more bytes; a framing error fails the assembler (sticky) and returns true. For
// ChunkAssembler::next(pump).
template <class Framing, class Process>
bool decode_one_event(Framing& framing, ChunkAssembler& assembler, Process&& process) {
  auto event = framing.next();
  if (!event.ok()) {
    assembler.fail(event.error());
    return true;
  }
  if (!event->has_value()) return false;
  process(**event);
  assembler.end_event();
  return true;
}

// A framing decoder (codec::SseDecoder: SSE events; codec::NdjsonDecoder: lines) whose wire
// events a provider maps, one at a time, onto a ChunkAssembler: each mapped event is one chunk
// (ChunkAssembler::end_event). `process` below is the provider's mapping, called with each
// event (`const codec::SseEvent&` or `std::string_view`); it reports through assembler().
template <class Framing>
class FramedDecoder {
 public:
  explicit FramedDecoder(std::string provider_id)
      : provider_id_(std::move(provider_id)), assembler_(provider_id_) {}

  // Buffers body bytes, unless the stream is over (ended or failed).
  void feed(std::string_view bytes) {
    if (assembler_.done()) return;
    framing_.feed(bytes);
  }

  // The next chunk, decoding buffered events with `process` until one completes a chunk.
  template <class Process>
  Result<std::optional<ChatCompletionChunk>> next(Process&& process) {
    return assembler_.next([this, &process] { return decode_one(process); });
  }

  // Decodes one buffered event with `process` (decode_one_event).
  template <class Process>
  bool decode_one(Process&& process) {
    return decode_one_event(framing_, assembler_, process);
  }

  // Decodes every complete event still buffered (for finish()); the chunks queue for next().
  template <class Process>
  void decode_buffered(Process&& process) {
    while (!assembler_.done() && decode_one(process)) {
    }
  }

  // Fails the stream with protocol_error `message`, followed by " (<framing error>)" when the
  // framing says the body ended inside an event (for finish(), when no end marker came).
  void fail_ended_early(std::string message) {
    const Status framing = framing_.finish();
    if (!framing.ok()) message += " (" + framing.message() + ")";
    assembler_.fail(Status(StatusCode::kProtocolError, std::move(message)));
  }

  ChunkAssembler& assembler() { return assembler_; }
  Framing& framing() { return framing_; }
  const std::string& provider_id() const { return provider_id_; }

 private:
  std::string provider_id_;
  Framing framing_;
  ChunkAssembler assembler_;
};

}  // namespace aisopod::providers
