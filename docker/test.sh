#!/usr/bin/env bash
# make docker-test: builds docker/Dockerfile with podman (no Docker engine needed), then
# checks the image the way a user meets it:
#   1. the quick notebook run of `make test` inside the container, as the notebook user;
#   2. the JupyterLab browser test (kernel/e2e) against JupyterLab inside the container,
#      token on, listening on 127.0.0.1 only (the container shares the host's network,
#      so the test's loopback checks see its socket).
# It prints the build time and the image size, and removes its containers.
#
# The base image (debian:bookworm-slim cannot be pulled here) is made once from Debian's
# packages with debootstrap and kept as localhost/gofm-base:bookworm; DOCKER_BASE names
# another base image. Needs podman, runc and debootstrap (installed with
# scripts/apt-install.sh: as root, or with passwordless sudo) and, for the browser
# test, node and Debian's chromium (as make browser-test).
#
# Knobs: OUT (default out), DOCKER_BASE, DEBIAN_MIRROR (default http://deb.debian.org/debian),
# GOPROXY (passed to the build as a build argument when set).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUTDIR="$(mkdir -p "${OUT:-$ROOT/out}" && cd "${OUT:-$ROOT/out}" && pwd)"
IMAGE=localhost/gofm:docker-test
BASE="${DOCKER_BASE:-localhost/gofm-base:bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
RUNC=/usr/sbin/runc

say() { printf 'docker-test: %s\n' "$*"; }
die() { printf 'docker-test: error: %s\n' "$*" >&2; exit 1; }

# --- tools -----------------------------------------------------------------------------------
missing=()
command -v podman >/dev/null || missing+=(podman)
[ -x "$RUNC" ] || missing+=(runc)
if [ "$BASE" = localhost/gofm-base:bookworm ]; then command -v debootstrap >/dev/null || missing+=(debootstrap); fi
if [ "${#missing[@]}" -gt 0 ]; then
  bash "$ROOT/scripts/apt-install.sh" docker-test "${missing[@]}"
  for tool in "${missing[@]}"; do
    [ -x "/usr/sbin/$tool" ] || command -v "$tool" >/dev/null || die "$tool is still missing (GOFM_SKIP_APT=1?); install it with: sudo apt-get install -y $tool"
  done
fi
# podman's defaults set ulimits that this kind of machine refuses, and crun fails on its
# cgroup setup; runc with no default ulimits works. A containers.conf of our own, so the
# machine's /etc/containers stays as it is.
mkdir -p "$OUTDIR/docker"
printf '[containers]\ndefault_ulimits = []\n' > "$OUTDIR/docker/containers.conf"
export CONTAINERS_CONF="$OUTDIR/docker/containers.conf"
pm() { podman --runtime "$RUNC" "$@"; }

# --- base image (once) -------------------------------------------------------------------------
if ! podman image exists "$BASE"; then
  [ "$BASE" = localhost/gofm-base:bookworm ] || die "base image $BASE not found (podman images lists what is here)"
  [ "$(id -u)" = 0 ] || die "making the base image needs root (debootstrap); run as root once, or set DOCKER_BASE"
  rootfs="$(mktemp -d)"
  say "making the base image $BASE with debootstrap from $MIRROR (once; about a minute)"
  debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$OUTDIR/docker/debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $OUTDIR/docker/debootstrap.log"
  # The image's apt must find the same mirror (debian:bookworm-slim ships its sources).
  echo "deb $MIRROR bookworm main" > "$rootfs/etc/apt/sources.list"
  echo "deb $MIRROR bookworm-updates main" >> "$rootfs/etc/apt/sources.list"
  tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$BASE" >/dev/null 2>&1
  rm -rf "$rootfs"
fi

# --- build -----------------------------------------------------------------------------------------
# This machine's extra CAs (a TLS-intercepting egress proxy) go into the build context's
# docker/ca-certificates/ for the build (see its README), and are removed afterwards.
copied_cas=()
for ca in ${DOCKER_CA_CERTS:-/usr/local/share/ca-certificates/*.crt}; do
  [ -f "$ca" ] || continue
  cp "$ca" "$ROOT/docker/ca-certificates/" && copied_cas+=("$ROOT/docker/ca-certificates/$(basename "$ca")")
done
remove_cas() { [ "${#copied_cas[@]}" -eq 0 ] || rm -f "${copied_cas[@]}"; }
trap remove_cas EXIT
[ "${#copied_cas[@]}" -eq 0 ] || say "extra CA certificates for the build: ${copied_cas[*]##*/}"
build_args=(--build-arg "BASE_IMAGE=$BASE" --build-arg WARM_NOTEBOOKS=0)
[ -z "${GOPROXY:-}" ] || build_args+=(--build-arg "GOPROXY=$GOPROXY")
say "building docker/Dockerfile as $IMAGE (log: $OUTDIR/docker/build.log)"
t0=$(date +%s)
podman build --format docker --network=host --isolation=chroot -f "$ROOT/docker/Dockerfile" "${build_args[@]}" -t "$IMAGE" "$ROOT" \
  >"$OUTDIR/docker/build.log" 2>&1 || die "the build failed; the end of $OUTDIR/docker/build.log:
$(tail -25 "$OUTDIR/docker/build.log")"
build_s=$(( $(date +%s) - t0 ))
remove_cas
size="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
say "built in ${build_s} s; image size $(( size / 1000000 )) MB"

# --- 1. the quick notebook run, inside, as the notebook user ---------------------------------------
user="$(pm run --rm --network=host "$IMAGE" id -un)"
[ "$user" = gofm ] || die "the container runs as $user, want the notebook user gofm"
say "running every notebook in quick mode inside the container (as $user)"
t0=$(date +%s)
pm run --rm --network=host --name gofm-docker-test-nb "$IMAGE" make notebooks-quick OUT=/tmp/out 2>&1 \
  | tee "$OUTDIR/docker/notebooks.log" | grep -E '^(ok|FAIL|notebooks)' || true
grep -q '^notebooks: .* 0 failed' "$OUTDIR/docker/notebooks.log" \
  || die "the quick notebook run failed inside the container; see $OUTDIR/docker/notebooks.log"
nb_s=$(( $(date +%s) - t0 ))

# --- 2. the browser test against JupyterLab inside ---------------------------------------------------
# kernel/e2e/run.sh copies the notebooks to $OUTDIR/docker/e2e/notebooks; that folder is
# mounted at the same place in the container's checkout (so the notebooks' first cell
# finds the module) and made writable for the notebook user.
cleanup() { podman rm -f gofm-docker-test-lab >/dev/null 2>&1 || true; }
trap cleanup EXIT
export LAB_SERVER="chmod 0777 \"$ROOT/\$LAB_NOTEBOOK_DIR\" && chmod 0666 \"$ROOT/\$LAB_NOTEBOOK_DIR\"/* && \
exec podman --runtime $RUNC run --rm --name gofm-docker-test-lab --network=host -e GOFM_QUICK=1 \
  -v \"$ROOT/\$LAB_NOTEBOOK_DIR:/home/gofm/gofm/\$LAB_NOTEBOOK_DIR\" $IMAGE \
  jupyter lab --ip=127.0.0.1 --port=\$LAB_PORT --ServerApp.port_retries=0 --no-browser \
  --ServerApp.root_dir=/home/gofm/gofm/\$LAB_NOTEBOOK_DIR --IdentityProvider.token=\$LAB_TOKEN"
case "$OUTDIR" in "$ROOT"/*) ;; *) die "OUT must be inside the repository for the browser test";; esac
say "browser test against JupyterLab in the container"
OUT="$OUTDIR/docker" bash "$ROOT/kernel/e2e/run.sh"
say "passed: build ${build_s} s, image $(( size / 1000000 )) MB, quick notebooks ${nb_s} s inside, browser test inside"
