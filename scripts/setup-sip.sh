#!/usr/bin/env bash
# Sets up what the SIP path needs: Debian packages (redis-server, sip-tester, the cgo libraries)
# and livekit-sip built from its Go module at the pinned release into .bin/livekit-sip.
# Idempotent and quick when already done; the built binary is cached per version under ~/.cache.
set -euo pipefail

VERSION="v1.8.0"  # the newest tag the Go module proxy serves; works with livekit-server v1.9.12
MODULE="github.com/livekit/sip"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="$ROOT/.bin/livekit-sip"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/voice-agent/livekit-sip-$VERSION"
# redis-server links livekit-server and livekit-sip; SIPp is the tests' SIP user agent;
# pkg-config and the opus/soxr headers are livekit-sip's cgo dependencies
PACKAGES=(redis-server sip-tester pkg-config libopus-dev libopusfile-dev libsoxr-dev)

missing_packages() {
  local pkg
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

install_packages() {
  local missing
  missing="$(missing_packages | tr '\n' ' ')"
  [ -z "${missing// /}" ] && return 0
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "setup: SIP needs these Debian packages, install them as root: $missing" >&2
    exit 1
  fi
  local as_root=()
  [ "$(id -u)" -ne 0 ] && as_root=(sudo)
  echo "setup: installing Debian packages for SIP: $missing"
  # update only when a package is unknown to the local index: a warm machine skips the network
  if ! apt-cache show $missing >/dev/null 2>&1; then
    "${as_root[@]}" apt-get update -qq
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

built() { [ -x "$1" ] && [ -f "$1.version" ] && [ "$(cat "$1.version")" = "$VERSION" ]; }

build_sip() {
  if ! command -v go >/dev/null 2>&1; then
    echo "setup: the Go toolchain is needed to build livekit-sip (install Go 1.23 or newer)" >&2
    exit 1
  fi
  echo "setup: building livekit-sip $VERSION from its Go module (about 2 minutes the first time)..."
  local log src work
  log="$(mktemp)"
  # `go install MODULE@VERSION` fails on the proxy's retracted/refused version list; downloading
  # the exact version and building a writable copy of it works
  if ! src="$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "$MODULE@$VERSION" 2>"$log" \
      | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')" || [ -z "$src" ]; then
    echo "setup: downloading livekit-sip $VERSION failed: $(tail -n 1 "$log")" >&2
    exit 1
  fi
  work="$(mktemp -d)"
  cp -r "$src/." "$work/" && chmod -R u+w "$work"
  mkdir -p "$CACHE_DIR"
  if ! (cd "$work" && CGO_ENABLED=1 go build -trimpath -o "$CACHE_DIR/livekit-sip" ./cmd/livekit-sip) >"$log" 2>&1; then
    echo "setup: building livekit-sip $VERSION failed: $(tail -n 3 "$log")" >&2
    exit 1
  fi
  echo "$VERSION" >"$CACHE_DIR/livekit-sip.version"
  rm -rf "$work" "$log"
}

install_packages
if built "$TARGET"; then
  echo "setup: livekit-sip $VERSION already built"
  exit 0
fi
built "$CACHE_DIR/livekit-sip" || build_sip
mkdir -p "$ROOT/.bin"
cp "$CACHE_DIR/livekit-sip" "$TARGET.tmp" && mv "$TARGET.tmp" "$TARGET"
echo "$VERSION" >"$TARGET.version"
echo "setup: livekit-sip $VERSION ready at .bin/livekit-sip"
