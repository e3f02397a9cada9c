#!/usr/bin/env bash
# Installs and registers the project's Go kernel ("Go (gofm)") for Jupyter.
#
# Idempotent: every step checks what is already there and does only what is missing,
# so a second run is quick and changes nothing. Works as root (apt-get directly) and
# as a normal user (sudo for apt when needed, or a message with the command to run).
#
# Steps:
#   1. Debian's Jupyter packages (classic Notebook, nbconvert, nbclient, kernelspec
#      tools, the kernel test suite). JupyterLab is offered through pip when pip can
#      reach an index (set GOFM_JUPYTERLAB=1); Debian has no JupyterLab package.
#   2. GoNB at the version pinned in go.mod (built inside this module, since
#      `go install pkg@version` is refused by some module proxies), goimports and
#      gopls (versions pinned in kernel/tools/go.mod; gopls v0.24 needs Go 1.27).
#   3. The kernelspec "gofm" with GOTOOLCHAIN (the Go go.mod names), GOEXPERIMENT=simd,
#      GODEBUG=cpu.fma=off (see fmlib/backend.MathSetting) and a PATH holding go,
#      goimports and gopls.
#   4. A warm build cache (go build ./... with the kernel's settings), so the first
#      notebook cell does not wait for GoMLX to compile.
#
# Environment knobs: GOFM_BIN (where tools go; default $(go env GOPATH)/bin),
# GOFM_SKIP_APT=1 (trust that the Jupyter packages are there), GOFM_JUPYTERLAB=1
# (JupyterLab into the venv GOFM_VENV, default ~/.local/share/gofm/venv).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GOEXPERIMENT=simd
export PATH="$PATH:/usr/local/go/bin"
# The Go toolchain go.mod names (e.g. go1.27.3). A machine's own Go (1.26 on a fresh
# Debian box, with GOTOOLCHAIN=local in its go.env) fetches it once from the module
# proxy and runs it for every go command below; the kernelspec passes it on to GoNB.
TOOLCHAIN="$(sed -n 's/^toolchain //p' "$ROOT/go.mod")"
[ -n "$TOOLCHAIN" ] || { printf 'kernel/install: error: no toolchain line in %s/go.mod\n' "$ROOT" >&2; exit 1; }
export GOTOOLCHAIN="$TOOLCHAIN"

say() { printf 'kernel/install: %s\n' "$*"; }
die() { printf 'kernel/install: error: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go not found: install Go (1.21 or newer; https://go.dev/doc/install) into /usr/local/go or put it on PATH"
GOVERSION="$(go env GOVERSION)" || die "the go command could not start $TOOLCHAIN (it is fetched from the module proxy, GOPROXY=$(GOTOOLCHAIN=local go env GOPROXY)); check that the proxy is reachable"
[ "$GOVERSION" = "$TOOLCHAIN" ] || die "go env GOVERSION says $GOVERSION with GOTOOLCHAIN=$TOOLCHAIN; the go on PATH ($(command -v go)) is too old to switch toolchains: install Go 1.21 or newer"

BIN="${GOFM_BIN:-$(go env GOPATH)/bin}"

# --- 1. Jupyter from Debian -------------------------------------------------------
APT_PKGS=(jupyter-notebook jupyter-nbconvert python3-nbclient jupyter-client jupyter-nbformat python3-jupyter-kernel-test)
if [ "${GOFM_JUPYTERLAB:-0}" = 1 ]; then APT_PKGS+=(python3-venv); fi
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] && [ "${GOFM_SKIP_APT:-0}" != 1 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo"; else
    die "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}   (then run this again)"
  fi
  say "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
  say "Jupyter packages present"
fi
# JupyterLab (GOFM_JUPYTERLAB=1): Debian has no package for it, and Debian 12's pip
# refuses to install into the system Python (PEP 668), so it goes into a virtual
# environment, GOFM_VENV (default ~/.local/share/gofm/venv), from the pip index.
# jupyter-lab is linked into $BIN, which the Makefile puts on PATH, so `make lab`
# starts JupyterLab. GOFM_JUPYTERLAB_SPEC overrides the pip requirement.
LAB_VENV="${GOFM_VENV:-$HOME/.local/share/gofm/venv}"
if [ "${GOFM_JUPYTERLAB:-0}" = 1 ]; then
  PY3=/usr/bin/python3
  [ -x "$PY3" ] || PY3=python3
  if [ -x "$LAB_VENV/bin/jupyter-lab" ]; then
    say "JupyterLab present in $LAB_VENV"
  elif "$PY3" -m venv "$LAB_VENV" && "$LAB_VENV/bin/python" -m pip install -q "${GOFM_JUPYTERLAB_SPEC:-jupyterlab>=4.2,<5}"; then
    say "JupyterLab installed with pip into $LAB_VENV"
  else
    say "JupyterLab could not be installed into $LAB_VENV (needs python3-venv and a reachable pip index); the classic Notebook is used"
  fi
  if [ -x "$LAB_VENV/bin/jupyter-lab" ]; then
    mkdir -p "$BIN"
    ln -sfn "$LAB_VENV/bin/jupyter-lab" "$BIN/jupyter-lab"
  fi
fi
JUPYTER=/usr/bin/jupyter
[ -x "$JUPYTER" ] || { [ -x "$LAB_VENV/bin/jupyter" ] && JUPYTER="$LAB_VENV/bin/jupyter"; } || JUPYTER="$(command -v jupyter)" \
  || die "jupyter not found after installing the packages"

# --- 2. GoNB, goimports, gopls ------------------------------------------------------
mkdir -p "$BIN"
GONB_VERSION="$(cd "$ROOT" && go list -m -f '{{.Version}}' github.com/janpfeifer/gonb)"
TOOLS_STAMP="$GONB_VERSION $(sha256sum "$ROOT/kernel/tools/go.mod" "$ROOT/go.mod" | sha256sum | cut -c1-16) $GOVERSION"
if [ -x "$BIN/gonb" ] && [ -x "$BIN/goimports" ] && [ -x "$BIN/gopls" ] && [ "$(cat "$BIN/.gofm-tools" 2>/dev/null)" = "$TOOLS_STAMP" ]; then
  say "gonb $GONB_VERSION, goimports, gopls present in $BIN"
else
  say "building gonb $GONB_VERSION (from go.mod), goimports and gopls into $BIN"
  (cd "$ROOT" && go build -o "$BIN/gonb" github.com/janpfeifer/gonb)
  (cd "$ROOT/kernel/tools" && go build -o "$BIN/" golang.org/x/tools/cmd/goimports golang.org/x/tools/gopls)
  echo "$TOOLS_STAMP" > "$BIN/.gofm-tools"
fi

# --- 3. kernelspec -------------------------------------------------------------------
GOBIN_DIR="$(dirname "$(command -v go)")"
KPATH="$BIN:$GOBIN_DIR:/usr/local/bin:/usr/bin:/bin"
spec="$(mktemp -d)"
trap 'rm -rf "$spec"' EXIT
cat > "$spec/kernel.json" <<JSON
{
  "argv": ["$BIN/gonb", "--kernel", "{connection_file}"],
  "display_name": "Go (gofm)",
  "language": "go",
  "interrupt_mode": "message",
  "env": {
    "GOTOOLCHAIN": "$TOOLCHAIN",
    "GOEXPERIMENT": "simd",
    "GODEBUG": "cpu.fma=off",
    "PATH": "$KPATH",
    "GOPATH": "$(go env GOPATH)",
    "GOCACHE": "$(go env GOCACHE)",
    "GOMODCACHE": "$(go env GOMODCACHE)",
    "GOFLAGS": "-buildvcs=false"
  }
}
JSON
KDIR="$("$JUPYTER" --data-dir)/kernels/gofm"
if [ -f "$KDIR/kernel.json" ] && cmp -s "$KDIR/kernel.json" "$spec/kernel.json"; then
  say "kernelspec gofm up to date ($KDIR)"
else
  "$JUPYTER" kernelspec install --user --replace --name gofm "$spec" >/dev/null 2>&1 \
    || die "jupyter kernelspec install failed; run: $JUPYTER kernelspec install --user --name gofm $spec"
  say "kernelspec gofm installed in $KDIR"
fi

# --- 4. warm the build cache -------------------------------------------------------------
say "warming the build cache (go build ./...)"
(cd "$ROOT" && go build ./... )
say "done: start Jupyter with 'make lab' and pick the kernel \"Go (gofm)\""
