#!/usr/bin/env bash
# Writes third_party/compute: GoMLX's compute module (the version go.mod requires) with
# every partial SIMD load routed through internal/safesimd, and go.mod's replace points
# there. Why: Go 1.27.3's simd.Load<T>sPart (simd/archsimd Load<T>x<N>Part) loads a
# whole vector and masks it afterwards, so a short tail that ends where mapped memory
# ends faults (SIGSEGV, "fatal error: fault") in the pure-Go backend; see
# third_party/compute-patch/README.md. Run it again after changing compute's version
# in go.mod, then `go mod tidy`. Needs the module in the Go module cache (go mod download).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODPATH=github.com/gomlx/compute
VER="$(go mod edit -json | sed -n '/"Require"/,/]/p' | grep -A1 "\"Path\": \"$MODPATH\"" | sed -n 's/.*"Version": "\(.*\)".*/\1/p')"
[ -n "$VER" ] || { echo "vendor-compute: go.mod does not require $MODPATH" >&2; exit 1; }
SRC="$(go mod download -json "$MODPATH@$VER" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
[ -d "$SRC" ] || { echo "vendor-compute: $MODPATH@$VER is not in the module cache (go mod download $MODPATH@$VER)" >&2; exit 1; }
DST=third_party/compute
rm -rf "$DST"
cp -r "$SRC" "$DST"
chmod -R u+w "$DST"
# Only what builds: upstream tests, test data and docs stay upstream.
find "$DST" -name '*_test.go' -delete
find "$DST" -type d -name testdata -prune -exec rm -rf {} +
rm -rf "$DST/docs"
mkdir -p "$DST/internal/safesimd"
cp third_party/compute-patch/safesimd.go third_party/compute-patch/safesimd_test.go "$DST/internal/safesimd/"
NOTE='// Changed by gofm (third_party/compute-patch/README.md): partial SIMD loads use internal/safesimd.'
n=0
for f in $(grep -rlE 'simd\.Load[A-Za-z0-9]+sPart\(' --include='*.go' "$DST" | grep -v internal/safesimd); do
  sed -i -E 's/\bsimd\.Load([A-Za-z0-9]+)sPart\(/safesimd.Load\1sPart(/g' "$f"
  sed -i -E '0,/^\t"simd"$/s//\t"simd"\n\n\t"github.com\/gomlx\/compute\/internal\/safesimd"/' "$f"
  sed -i "1i $NOTE" "$f"
  grep -q 'compute/internal/safesimd"' "$f" || { echo "vendor-compute: could not add the import to $f" >&2; exit 1; }
  n=$((n + 1))
done
gofmt -w "$DST"
if grep -rqE '(^|[^e])simd\.Load[A-Za-z0-9]+sPart\(' --include="*.go" --exclude-dir=safesimd "$DST"; then
  echo "vendor-compute: unpatched partial loads remain:" >&2
  grep -rnE '(^|[^e])simd\.Load[A-Za-z0-9]+sPart\(' --include="*.go" --exclude-dir=safesimd "$DST" >&2
  exit 1
fi
go mod edit -replace="$MODPATH=./$DST"
echo "vendor-compute: $MODPATH@$VER in $DST, $n files patched"
