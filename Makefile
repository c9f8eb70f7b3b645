# The two commands of the README:
#   go run ./cmd/extension-registry serve --demo
#   make test
TOOLS_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/extension-registry-tools
export TOOLS_DIR

.PHONY: test tools build lint bench fuzz soak

## test: install the real servers the tests need (cached outside the repo), then run every test with the race detector
test: tools
	. "$(TOOLS_DIR)/env" && go test -race -count=1 -timeout 40m ./...
	FUZZTIME=20000x bash scripts/fuzz.sh
	. "$(TOOLS_DIR)/env" && EXTREG_SOAK=30s go test -count=1 -run '^TestSoak$$' -v ./app/

## fuzz: run every fuzz target for FUZZTIME (default 300000x: executions, not seconds) each
fuzz:
	bash scripts/fuzz.sh

## soak: 128 connections of mixed requests for SOAK (default 60s) against a real registry, restarted at half time
soak: tools
	. "$(TOOLS_DIR)/env" && EXTREG_SOAK=$(or $(SOAK),60s) go test -count=1 -timeout 30m -run '^TestSoak$$' -v ./app/

## tools: install the distribution registry, the oras CLI and Gitea and helm into $(TOOLS_DIR), and Chromium for the page tests, and redis-server
tools:
	bash scripts/install-tools.sh
	bash scripts/install-browser.sh
	bash scripts/install-redis.sh

## build: build the binary into ./bin
build:
	go build -ldflags "-X main.commit=$$(git rev-parse HEAD 2>/dev/null || echo unknown)" -o bin/extension-registry ./cmd/extension-registry

## lint: gofmt and go vet
lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	go vet ./...

## bench: install the registry if needed, seed it, and measure the service against a bare handler (bench/README.md)
bench: tools
	. "$(TOOLS_DIR)/env" && go run ./bench
