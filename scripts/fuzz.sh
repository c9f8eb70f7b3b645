#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each (default 300000x): `make fuzz`.
# `make test` runs them with FUZZTIME=20000x (a second or a few each here).
# FUZZTIME is a count of executions ("Nx"), not a duration: with a duration,
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" at the end of the time on a loaded machine, without any failing
# input (golang/go#75804, fixed in Go 1.27). A failure leaves its input in the
# package's testdata/fuzz/<Target>/, where `go test` replays it from then on.
set -euo pipefail
FUZZTIME="${FUZZTIME:-300000x}"
targets=(
	".:FuzzParseVersion"
	".:FuzzQuote"
	"./connector:FuzzParseTarget"
	"./internal/edge:FuzzCheckQuery"
	"./internal/edge:FuzzCheckPath"
	"./internal/httpkit:FuzzInt"
	"./gitea:FuzzParseChecksum"
	"./gitea:FuzzChooseAssets"
	"./gitea:FuzzValidName"
	"./oci:FuzzIdentify"
	"./oci:FuzzFileName"
	"./oci:FuzzSplitTags"
	"./config:FuzzLoad"
)
for t in "${targets[@]}"; do
	pkg="${t%%:*}" name="${t##*:}"
	echo "fuzz: $pkg $name for $FUZZTIME"
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -parallel 1 "$pkg"
done
