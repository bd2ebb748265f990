// The step between the byte split points that replay tests try. Every split point (step 1) in
// normal builds; under the sanitizers, which make each replay 20-50 times slower, every 7th
// point, so that the sanitizer suite stays inside CI's time limit. The normal build runs the
// same tests at every point.
#pragma once

#include <cstddef>

namespace aisopod::testing {

#if defined(AISOPOD_SANITIZE_BUILD)
inline constexpr std::size_t kSplitStep = 7;
#else
inline constexpr std::size_t kSplitStep = 1;
#endif

}  // namespace aisopod::testing
