#!/usr/bin/env bash
# Installs the real servers and clients the tests run against into a cache
# directory outside the repository (TOOLS_DIR, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/extension-registry-tools). Each tool is
# keyed by its version, so a second run costs nothing.
set -euo pipefail

REGISTRY_VERSION=${REGISTRY_VERSION:-v3.1.2}
ORAS_VERSION=${ORAS_VERSION:-v1.3.6}
GITEA_VERSION=${GITEA_VERSION:-v1.26.0}
HELM_VERSION=${HELM_VERSION:-v3.22.0}
TOOLS_DIR=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/extension-registry-tools}

mkdir -p "$TOOLS_DIR"
log() { echo "install-tools: $*" >&2; }

install_go_tool() { # name module version
  local name=$1 module=$2 version=$3
  local dir="$TOOLS_DIR/$name-$version"
  if [ -x "$dir/$name" ]; then return; fi
  log "installing $module@$version"
  GOBIN="$dir" GOFLAGS=-mod=mod go install "$module@$version"
}

install_gitea() {
  local dir="$TOOLS_DIR/gitea-$GITEA_VERSION"
  if [ -x "$dir/gitea" ] && [ -d "$dir/options" ] && [ -d "$dir/templates" ]; then return; fi
  log "building gitea $GITEA_VERSION from the Go module proxy (several minutes the first time)"
  local src
  src=$(cd "$TOOLS_DIR" && go mod download -json "code.gitea.io/gitea@$GITEA_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { log "gitea module directory not found"; exit 1; }
  local work="$TOOLS_DIR/gitea-src-$GITEA_VERSION"
  rm -rf "$work" "$dir.tmp"
  cp -r "$src" "$work"
  chmod -R u+w "$work"
  (cd "$work" && CGO_ENABLED=1 go build -trimpath -tags 'sqlite sqlite_unlock_notify' -o "$dir.tmp/gitea" .)
  cp -r "$work/options" "$work/templates" "$dir.tmp/"
  rm -rf "$dir" "$work"
  mv "$dir.tmp" "$dir"
}

install_go_tool registry github.com/distribution/distribution/v3/cmd/registry "$REGISTRY_VERSION"
install_go_tool oras oras.land/oras/cmd/oras "$ORAS_VERSION"
install_gitea
install_go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"

# The tests find the tools through these variables.
cat > "$TOOLS_DIR/env" <<ENV
export EXTREG_TEST_REGISTRY=$TOOLS_DIR/registry-$REGISTRY_VERSION/registry
export EXTREG_TEST_ORAS=$TOOLS_DIR/oras-$ORAS_VERSION/oras
export EXTREG_TEST_GITEA=$TOOLS_DIR/gitea-$GITEA_VERSION/gitea
export EXTREG_TEST_HELM=$TOOLS_DIR/helm-$HELM_VERSION/helm
ENV
log "tools ready in $TOOLS_DIR"
