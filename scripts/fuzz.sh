#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each (default 10s): `make fuzz`.
# `make test` runs them with FUZZTIME=3s. A failure leaves its input in the
# package's testdata/fuzz/<Target>/, where `go test` replays it from then on.
set -euo pipefail
FUZZTIME="${FUZZTIME:-10s}"
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
