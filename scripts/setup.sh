#!/usr/bin/env bash
# Installs what aisopod needs on Debian 12 (idempotent; as root or through sudo), configures and
# builds it, then runs the aisopod command once to show that it works.
#   scripts/setup.sh            install + build (preset "default") + run
#   scripts/setup.sh --no-run   install + build only
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache: paths relative to the checkout, so that another clone (CI's) reuses the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libcurl4-openssl-dev libsimdjson-dev libssl-dev
  zlib1g-dev libsqlite3-dev libtomlplusplus-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install packages" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi

cmake --preset default
cmake --build --preset default

if [ "${1:-}" != "--no-run" ]; then
  echo
  echo "setup: built build/default/apps/aisopod/aisopod"
  build/default/apps/aisopod/aisopod --version
  echo "setup: providers configured from the environment or aisopod.toml, and their health:"
  build/default/apps/aisopod/aisopod health || echo "setup: (health exit code $?: see 'aisopod --help')"
fi
