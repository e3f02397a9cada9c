#!/usr/bin/env bash
# The JupyterLab browser test (make test runs it; `make browser-test` runs it alone).
#
# Starts the project's JupyterLab (from `make install`) on a free loopback port with a
# fresh token, serving a copy of two notebooks under $OUT/e2e (so the repository's
# notebooks are never written), and drives it with Debian's chromium through
# playwright-core (pinned in package.json; installed with npm ci, never a downloaded
# browser). lab_test.mjs says what is checked. Screenshots and a report land in
# $OUT/e2e; the server's log in $OUT/e2e/lab.log.
#
# Knobs: OUT (default out), GOFM_VENV (the JupyterLab venv), LAB_NOTEBOOKS (comma-
# separated notebook names; default notebooks 01 and 03), CHROMIUM (the browser;
# default /usr/bin/chromium, installed with apt when missing), LAB_SERVER (a bash
# command that runs the server in the foreground instead of the venv's JupyterLab, e.g.
# in a container: docker/test.sh; it gets LAB_PORT, LAB_TOKEN and LAB_NOTEBOOK_DIR,
# the served folder relative to the repository root, in its environment).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E="$ROOT/kernel/e2e"
OUTDIR="$(mkdir -p "${OUT:-$ROOT/out}" && cd "${OUT:-$ROOT/out}" && pwd)/e2e"
VENV="${GOFM_VENV:-$HOME/.local/share/gofm/venv}"
NOTEBOOKS="${LAB_NOTEBOOKS:-01_flows_and_vector_fields.ipynb,03_continuity_equation.ipynb}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

say() { printf 'browser-test: %s\n' "$*"; }
die() { printf 'browser-test: error: %s\n' "$*" >&2; exit 1; }

# --- what the test needs -----------------------------------------------------------------
[ -n "${LAB_SERVER:-}" ] || [ -x "$VENV/bin/jupyter-lab" ] \
  || die "JupyterLab is not installed in $VENV: run make install (kernel/install.sh) first; it says why when it cannot install JupyterLab"
[ -x "$CHROMIUM" ] || bash "$ROOT/scripts/apt-install.sh" browser-test chromium
[ -x "$CHROMIUM" ] || die "$CHROMIUM not found: install Debian's chromium (sudo apt-get install -y chromium) or set CHROMIUM to a Chromium executable"
command -v node >/dev/null || die "node not found: install Node.js 18 or newer (Debian: apt-get install nodejs npm)"
want="$(cd "$E2E" && node -p 'require("./package.json").dependencies["playwright-core"]')"
have="$(cd "$E2E" && node -p 'require("./node_modules/playwright-core/package.json").version' 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
  say "installing playwright-core $want (npm ci, from package-lock.json)"
  (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in kernel/e2e (its message is above); the npm registry must be reachable"
fi

# --- a copy of the notebooks, inside the repository (so their first cell finds go.mod) -------
case "$OUTDIR" in "$ROOT"/*) ;; *) die "OUT must be inside the repository ($ROOT), so the notebooks' first cell finds its go.mod";; esac
rm -rf "$OUTDIR"
mkdir -p "$OUTDIR/notebooks"
IFS=, read -r -a nbs <<<"$NOTEBOOKS"
for nb in "${nbs[@]}"; do
  [ -f "$ROOT/notebooks/$nb" ] || die "LAB_NOTEBOOKS names $nb, which is not in notebooks/"
  cp "$ROOT/notebooks/$nb" "$OUTDIR/notebooks/"
done

# --- the server ----------------------------------------------------------------------------------
PORT="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
TOKEN="$(node -p 'require("crypto").randomBytes(24).toString("hex")')"
say "starting JupyterLab on 127.0.0.1:$PORT (log: $OUTDIR/lab.log)"
# setsid: the server and its kernels get a process group of their own, stopped together below.
if [ -n "${LAB_SERVER:-}" ]; then
  LAB_PORT="$PORT" LAB_TOKEN="$TOKEN" LAB_NOTEBOOK_DIR="${OUTDIR#"$ROOT"/}/notebooks" \
    setsid bash -c "$LAB_SERVER" >"$OUTDIR/lab.log" 2>&1 &
else
  root_flag=()
  [ "$(id -u)" = 0 ] && root_flag=(--allow-root)
  # Fresh user settings and workspace, so nothing a person did in their own JupyterLab
  # changes what the test sees; the venv's site settings (kernel/install.sh) still apply.
  mkdir -p "$OUTDIR/lab-settings" "$OUTDIR/lab-workspaces"
  JUPYTERLAB_SETTINGS_DIR="$OUTDIR/lab-settings" JUPYTERLAB_WORKSPACES_DIR="$OUTDIR/lab-workspaces" GOFM_QUICK=1 \
    setsid "$VENV/bin/jupyter-lab" --ip=127.0.0.1 --port="$PORT" --ServerApp.port_retries=0 --no-browser "${root_flag[@]}" \
    --ServerApp.root_dir="$OUTDIR/notebooks" --IdentityProvider.token="$TOKEN" >"$OUTDIR/lab.log" 2>&1 &
fi
SERVER=$!
stop() {
  kill -TERM -- "-$SERVER" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SERVER" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL -- "-$SERVER" 2>/dev/null || true
}
trap stop EXIT
for i in $(seq 120); do
  curl -fsS -o /dev/null -H "Authorization: token $TOKEN" "http://127.0.0.1:$PORT/api/status" 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || die "JupyterLab exited while starting; the end of $OUTDIR/lab.log: $(tail -5 "$OUTDIR/lab.log")"
  [ "$i" -lt 120 ] || die "JupyterLab did not answer on port $PORT within 60 s; see $OUTDIR/lab.log"
  sleep 0.5
done

# --- the test ----------------------------------------------------------------------------------------
LAB_URL="http://127.0.0.1:$PORT/" LAB_TOKEN="$TOKEN" LAB_ROOT="$OUTDIR/notebooks" LAB_NOTEBOOKS="$NOTEBOOKS" \
  LAB_OUT="$OUTDIR" CHROMIUM="$CHROMIUM" node "$E2E/lab_test.mjs"
