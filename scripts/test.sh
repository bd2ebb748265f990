#!/usr/bin/env bash
# Builds and runs the whole test suite: once in the default build, once under
# AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh          both
#   scripts/test.sh --quick  the default build only
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
run_suite() {
  local preset=$1
  echo "== test suite: preset '$preset'"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset" || status=1
}

run_suite default
if [ "${1:-}" != "--quick" ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite asan
fi
exit $status
