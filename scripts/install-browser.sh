#!/usr/bin/env bash
# Installs the browser the web page tests drive: Debian's chromium package.
# A no-op when a chromium binary is already on the PATH (or named by
# EXTREG_TEST_CHROMIUM). Installing needs root and apt-get; without them it
# says what to do and leaves the browser tests to skip (they fail under
# CI=true instead).
set -euo pipefail
log() { echo "install-browser: $*" >&2; }

if [ -n "${EXTREG_TEST_CHROMIUM:-}" ] && [ -x "$EXTREG_TEST_CHROMIUM" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then exit 0; fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  log "no chromium found; install it (Debian/Ubuntu: sudo apt-get install -y chromium) to run the browser tests"
  exit 0
fi
log "installing chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium
log "chromium ready: $(command -v chromium)"
