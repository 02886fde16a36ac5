#!/usr/bin/env bash
# Builds livekit-server from its Go module at the pinned release into .bin/livekit-server.
# The built binary is cached per version under ~/.cache, so fresh clones only copy it.
set -euo pipefail

VERSION="v1.9.12"
MODULE="github.com/livekit/livekit-server/cmd/server"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="$ROOT/.bin/livekit-server"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/voice-agent/livekit-server-$VERSION"

has_version() { [ -x "$1" ] && "$1" --version 2>/dev/null | grep -q "version ${VERSION#v}\$"; }

if has_version "$TARGET"; then
  echo "setup: livekit-server $VERSION already built"
  exit 0
fi
mkdir -p "$ROOT/.bin"
if ! has_version "$CACHE_DIR/server"; then
  if ! command -v go >/dev/null 2>&1; then
    echo "setup: the Go toolchain is needed to build livekit-server (install Go 1.23 or newer)" >&2
    exit 1
  fi
  echo "setup: building livekit-server $VERSION from its Go module (about 2 minutes the first time)..."
  mkdir -p "$CACHE_DIR"
  log="$(mktemp)"
  if ! GOBIN="$CACHE_DIR" GOFLAGS=-trimpath go install "$MODULE@$VERSION" >"$log" 2>&1; then
    if grep -qiE "sum\.golang|checksum|verifying .*: " "$log"; then
      echo "setup: checksum lookup for livekit-server $VERSION failed: $(grep -iE 'sum|verifying' "$log" | tail -n 1)" >&2
    else
      echo "setup: downloading or building livekit-server $VERSION failed: $(tail -n 1 "$log")" >&2
    fi
    exit 1
  fi
  rm -f "$log"
fi
cp "$CACHE_DIR/server" "$TARGET.tmp" && mv "$TARGET.tmp" "$TARGET"
echo "setup: livekit-server $VERSION ready at .bin/livekit-server"
