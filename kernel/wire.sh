#!/usr/bin/env bash
# Wires a GoNB cell module to this checkout. A notebook's first cell runs it:
#
#   !*bash "$(dirname "$(go env -C "$GONB_DIR" GOMOD)")/kernel/wire.sh"
#
# GoNB compiles each cell in a temporary module (the current directory of `!*`
# commands). This script makes that module require github.com/gofm/gofm, replaced by
# the checkout this script lives in (so an edit to fmlib is picked up by the next
# cell run, with no machine-specific path in the notebook), pins gonb to the version
# in the checkout's go.mod (GoNB's own `go get` of an unpinned gonb is refused by some
# module proxies), repeats the checkout's local replaces, and seeds go.sum from the checkout
# so nothing needs the network.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MOD="$(cd "$ROOT" && go list -m)"
[ -f go.mod ] || { echo "wire.sh: run me from the GoNB cell module (a !* command); no go.mod in $PWD" >&2; exit 1; }
GONB_VERSION="$(cd "$ROOT" && go list -m -f '{{.Version}}' github.com/janpfeifer/gonb)"
go mod edit -require="$MOD@v0.0.0-00010101000000-000000000000" -replace="$MOD=$ROOT" \
  -require="github.com/janpfeifer/gonb@$GONB_VERSION"
# The checkout's own replaces (github.com/gomlx/compute by third_party/compute, see
# third_party/compute-patch/README.md) bind only the checkout's module: repeat them here,
# with their folders made absolute.
REPLACES="$(cd "$ROOT" && go list -m -f '{{if .Replace}}{{if .Replace.Dir}}-replace={{.Path}}={{.Replace.Dir}}{{end}}{{end}}' all 2>/dev/null | grep -v '^$' | tr '\n' ' ')"
[ -z "$REPLACES" ] || go mod edit $REPLACES
touch go.sum
sort -u go.sum "$ROOT/go.sum" -o go.sum
# Take the checkout's versions of every dependency (gomlx, compute, gonum/plot, ...).
go mod edit $(cd "$ROOT" && go list -m -f '{{if not .Main}}-require={{.Path}}@{{.Version}}{{end}}' all 2>/dev/null | grep -v '^$' | tr '\n' ' ')
echo "gofm: cell module wired to $ROOT (gonb $GONB_VERSION)"
