// The step every SSE-based stream decoder repeats: take the next event from the SSE decoder and
// hand it to the provider's mapping, one event per chunk (ChunkAssembler::end_event).
#pragma once

#include "codec/sse.hpp"
#include "core/chunk_assembler.hpp"

namespace aisopod::providers {

// Decodes one SSE event through `process` (which maps it to `assembler` calls). Returns false
// when `sse` needs more bytes; a framing error fails the assembler (sticky) and returns true.
// For ChunkAssembler::next(pump).
template <class Process>
bool decode_one_sse_event(codec::SseDecoder& sse, ChunkAssembler& assembler, Process&& process) {
  auto event = sse.next();
  if (!event.ok()) {
    assembler.fail(event.error());
    return true;
  }
  if (!event->has_value()) return false;
  process(**event);
  assembler.end_event();
  return true;
}

}  // namespace aisopod::providers
