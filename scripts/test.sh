#!/usr/bin/env bash
# Builds and runs the whole test suite: once in the default build, once under
# AddressSanitizer + UndefinedBehaviorSanitizer; then checks that an -O3 Release build compiles
# without warnings.
#   scripts/test.sh          all three
#   scripts/test.sh --quick  the default build only
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache: paths relative to the checkout, so that another clone (CI's) reuses the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

status=0
summary=()
run_suite() {
  local preset=$1
  echo "== test suite: preset '$preset'"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  local log
  log=$(mktemp)
  ctest --preset "$preset" 2>&1 | tee "$log" || true
  if ! grep -q "100% tests passed" "$log"; then status=1; fi
  summary+=("$preset: $(grep -E 'tests passed' "$log" | tail -1)")
  rm -f "$log"
}

# A plain optimized build, as a user types it (-O3), with warnings as errors: g++ 12 has false
# warnings at -O3 that the -O2 presets never see.
release_build() {
  echo "== release build (-O3, warnings as errors)"
  cmake -S . -B build/release-check -G Ninja -DCMAKE_BUILD_TYPE=Release -DAISOPOD_WERROR=ON \
    -DAISOPOD_BUILD_TESTS=OFF -DAISOPOD_BUILD_BENCH=OFF >/dev/null
  if cmake --build build/release-check; then
    summary+=("release: -O3 build with warnings as errors: ok")
  else
    summary+=("release: -O3 build with warnings as errors: FAILED")
    status=1
  fi
}

run_suite default
if [ "${1:-}" != "--quick" ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite asan
  release_build
fi
echo
echo "== summary"
printf '  %s\n' "${summary[@]}"
exit $status
