// The step every SSE-based stream decoder repeats, for a decoder that holds its own SseDecoder
// and ChunkAssembler (a FramedDecoder, stream_decoding.hpp, holds both).
#pragma once

#include "codec/sse.hpp"
#include "core/chunk_assembler.hpp"
#include "providers/common/stream_decoding.hpp"

namespace aisopod::providers {

// decode_one_event() for an SSE decoder: one SSE event through `process`, one chunk.
template <class Process>
bool decode_one_sse_event(codec::SseDecoder& sse, ChunkAssembler& assembler, Process&& process) {
  return decode_one_event(sse, assembler, process);
}

}  // namespace aisopod::providers
