#!/usr/bin/env bash
# Starts JupyterLab for the notebooks (`make lab` runs this after `make install`).
#
# JupyterLab from the project's venv (GOFM_VENV, default ~/.local/share/gofm/venv) on
# 127.0.0.1 only, with token authentication on, opening notebooks/. The URL with the
# token is printed before the server starts. Where kernel/install.sh could not install
# JupyterLab, Debian's classic Notebook 6 starts instead, with a message saying why.
#
# Knobs: LAB_PORT (default 8888; when taken, a free port is chosen and printed),
# JUPYTER_TOKEN (default: a new random token each start).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GOFM_VENV:-$HOME/.local/share/gofm/venv}"
PORT="${LAB_PORT:-8888}"

say() { printf 'lab: %s\n' "$*"; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

if [ -x "$VENV/bin/jupyter-lab" ]; then
  PY="$VENV/bin/python"
  app=(lab)
  name="JupyterLab $("$VENV/bin/jupyter-lab" --version)"
  JUPYTER="$VENV/bin/jupyter"
  token_flag=--IdentityProvider.token
  url_path=lab
elif [ -x /usr/bin/jupyter ] && /usr/bin/jupyter notebook --version >/dev/null 2>&1; then
  PY=/usr/bin/python3
  app=(notebook)
  name="the classic Notebook $(/usr/bin/jupyter notebook --version)"
  JUPYTER=/usr/bin/jupyter
  token_flag=--NotebookApp.token
  url_path=tree
  say "JupyterLab is not installed in $VENV (make install says why when it cannot install it);"
  say "starting Debian's classic Notebook instead. Fix the cause and run make install for JupyterLab."
else
  die "no Jupyter found: run make install first"
fi

# The port: LAB_PORT if free, else one the system picks (printed below).
free="$("$PY" - "$PORT" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
)"
[ "$free" = "$PORT" ] || say "port $PORT is taken; using $free (set LAB_PORT to choose)"
PORT="$free"

# A token the server requires on every request; never empty (that would turn
# authentication off).
TOKEN="${JUPYTER_TOKEN:-$("$PY" -c 'import secrets; print(secrets.token_hex(24))')}"
[ -n "$TOKEN" ] || die "JUPYTER_TOKEN is empty; token authentication stays on: unset it or give a token"

root_flag=()
[ "$(id -u)" = 0 ] && root_flag=(--allow-root)
say "starting $name with the Go kernel \"Go (gofm)\" at notebooks/"
say "open this URL in your browser (it holds the token; the server listens on 127.0.0.1 only):"
printf '\n    http://127.0.0.1:%s/%s?token=%s\n\n' "$PORT" "$url_path" "$TOKEN"
say "stop it with Control-C"
cd "$ROOT/notebooks"
exec env -u JUPYTER_TOKEN "$JUPYTER" "${app[@]}" --ip=127.0.0.1 --port="$PORT" --port-retries=0 --no-browser \
  "${root_flag[@]}" "$token_flag=$TOKEN" --notebook-dir="$ROOT/notebooks"
