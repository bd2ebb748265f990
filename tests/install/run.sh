#!/usr/bin/env bash
# The installed package, used the way a user's project uses it:
#   1. installs an aisopod build into a temp prefix (`cmake --install`, nothing is rebuilt);
#   2. checks the prefix: exactly the public headers (nothing of src/), each compiling with the
#      prefix's include/ alone; the CMake package; aisopod.pc; bin/aisopod;
#   3. builds tests/install/consumer with find_package(aisopod) (CMAKE_PREFIX_PATH=prefix), and
#      its main.cpp once more with `c++ main.cpp $(pkg-config --cflags --libs aisopod)`;
#   4. runs both programs and the installed `aisopod chat` against aisopod_fake_upstream: each
#      must print exactly the answer the fake serves.
# Every temp file is under one directory, removed on exit.
#
#   tests/install/run.sh
#       configures and builds build/install-check (the libraries, the command and the fake
#       upstream only), then tests it
#   tests/install/run.sh --build-dir DIR [--fake-upstream PATH] [--cxx CXX] [--generator GEN]
#                        [--targets "aisopod types ..."]
#       tests an existing, built build directory (CTest runs this on its own build, label
#       "install"); --targets lists the aisopod::<name> targets the package must define
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)

build_dir=""
fake_upstream=""
cxx="${CXX:-c++}"
generator="Ninja"
targets="aisopod types provider provider_openai provider_anthropic provider_ollama"
while (($#)); do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --fake-upstream) fake_upstream=$2; shift 2 ;;
    --cxx) cxx=$2; shift 2 ;;
    --generator) generator=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# Runs a command quietly; on failure shows its output and stops.
quiet() {
  local log="$work/last.log"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    fail "$*"
  fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/aisopod-install.XXXXXX")
fake_pid=""
cleanup() {
  if [ -n "$fake_pid" ]; then
    kill "$fake_pid" 2>/dev/null || true
    wait "$fake_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$build_dir" ]; then
  build_dir="$repo/build/install-check"
  echo "== configuring and building $build_dir"
  quiet cmake -S "$repo" -B "$build_dir" -G "$generator" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DAISOPOD_BUILD_BENCH=OFF
  quiet cmake --build "$build_dir" --target aisopod aisopod_fake_upstream
fi
build_dir=$(cd "$build_dir" && pwd)
[ -n "$fake_upstream" ] || fake_upstream="$build_dir/testing/aisopod_fake_upstream"
[ -x "$fake_upstream" ] || fail "no fake upstream at $fake_upstream"

# 1. Install.
prefix="$work/prefix"
echo "== cmake --install $build_dir --prefix $prefix"
quiet cmake --install "$build_dir" --prefix "$prefix"

# 2. What was installed.
expected_headers=$(cd "$repo/include" && find . -type f -name '*.hpp' | sort)
installed_headers=$(cd "$prefix/include" && find . -type f | sort)
[ "$installed_headers" == "$expected_headers" ] ||
  fail "installed headers differ from include/**.hpp:
$(diff <(echo "$expected_headers") <(echo "$installed_headers") || true)"
pc_file=$(find "$prefix" -name aisopod.pc -path '*/pkgconfig/*')
[ -n "$pc_file" ] || fail "no aisopod.pc under $prefix"
libdir=$(dirname "$(dirname "$pc_file")")
for f in "$libdir/libaisopod.a" "$libdir/libaisopod_types.a" "$libdir/cmake/aisopod/aisopodConfig.cmake"; do
  [ -f "$f" ] || fail "missing $f"
done
[ -x "$prefix/bin/aisopod" ] || fail "missing $prefix/bin/aisopod"
quiet "$prefix/bin/aisopod" --version

# Every public header compiles with the prefix's include/ as the only project include path, so
# none of them needs an internal header.
all_headers="$work/all_headers.cpp"
for h in $installed_headers; do echo "#include <aisopod/${h#./aisopod/}>"; done >"$all_headers"
quiet "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -I "$prefix/include" \
  "$all_headers"

# 3. A user's project, with find_package.
warnings="-Wall -Wextra -Wpedantic -Werror"
echo "== consumer with find_package(aisopod)"
quiet cmake -S "$repo/tests/install/consumer" -B "$work/consumer" -G "$generator" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$warnings" \
  -DAISOPOD_EXPECTED_TARGETS="${targets// /;}"
grep -qx "aisopod_DIR:PATH=$libdir/cmake/aisopod" "$work/consumer/CMakeCache.txt" ||
  fail "the consumer found another aisopod package: $(grep '^aisopod_DIR' "$work/consumer/CMakeCache.txt")"
quiet cmake --build "$work/consumer"

# The same main.cpp with pkg-config.
echo "== consumer with pkg-config"
pc_flags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs aisopod)
[[ " $pc_flags " == *" -I$prefix/include "* ]] || fail "pkg-config flags lack -I$prefix/include: $pc_flags"
# shellcheck disable=SC2086  # the flags are words
quiet "$cxx" $warnings "$repo/tests/install/consumer/main.cpp" $pc_flags -o "$work/consumer_pc"

# 4. Run them against the fake upstream. It prints its port, then serves until its stdin (the
# coprocess pipe) closes or it is killed.
answer="Installed, found and linked: hello from the fake upstream."
coproc FAKE { exec "$fake_upstream" "$answer"; }
# shellcheck disable=SC2153  # FAKE_PID is set by coproc
fake_pid=$FAKE_PID
read -r -t 20 port <&"${FAKE[0]}" || fail "the fake upstream did not print its port"
base_url="http://127.0.0.1:$port/v1"

# Exact output: the answer and one newline, nothing else.
check_output() {
  local name=$1
  shift
  local out
  out=$(cd "$work" && TMPDIR="$work" "$@" 2>"$work/stderr"; echo "exit=$?") || true
  if [ "$out" != "$answer"$'\n'"exit=0" ]; then
    cat "$work/stderr" >&2
    fail "$name printed [${out%$'\n'exit=*}] and exited ${out##*exit=}; expected [$answer] and 0"
  fi
  echo "ok: $name"
}
check_output "consumer (find_package)" "$work/consumer/aisopod_consumer" "$base_url" "$answer"
check_output "consumer (pkg-config)" "$work/consumer_pc" "$base_url" "$answer"
# The installed command, in an empty home: no configuration file, auth state under $work.
in_empty_home=(env -u AISOPOD_CONFIG -u OPENAI_API_KEY -u OPENAI_BASE_URL HOME="$work/home"
  XDG_CONFIG_HOME="$work/home/.config" XDG_STATE_HOME="$work/home/.state")
check_output "installed aisopod chat" "${in_empty_home[@]}" \
  "$prefix/bin/aisopod" chat -m local/fake-model --base-url "$base_url" "Say something."
check_output "installed aisopod chat --no-stream" "${in_empty_home[@]}" \
  "$prefix/bin/aisopod" chat --no-stream -m local/fake-model --base-url "$base_url" "Say something."
echo "PASS: installed package usable with find_package and pkg-config"
