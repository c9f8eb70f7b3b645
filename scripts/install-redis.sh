#!/usr/bin/env bash
# Installs the Redis server the shared-index tests run (contract §11):
# Debian's redis-server package. A no-op when redis-server is already on
# the PATH (or named by EXTREG_TEST_REDIS). Installing needs root and
# apt-get; without them it says what to do and leaves the Redis tests to
# skip (they fail under CI=true instead). The tests start their own server
# on a loopback port; the package's own service is not needed.
set -euo pipefail
log() { echo "install-redis: $*" >&2; }

if [ -n "${EXTREG_TEST_REDIS:-}" ] && [ -x "$EXTREG_TEST_REDIS" ]; then exit 0; fi
if command -v redis-server >/dev/null 2>&1; then exit 0; fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  log "no redis-server found; install it (Debian/Ubuntu: sudo apt-get install -y redis-server) to run the Redis tests"
  exit 0
fi
log "installing redis-server with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends redis-server
log "redis-server ready: $(command -v redis-server)"
