#!/usr/bin/env bash
# Sets up the Python environment of `make bench`'s PyTorch comparison: a venv of its
# own (nothing else uses it) at ${GOFM_BENCH_VENV:-$HOME/.local/share/gofm/bench-venv}
# with the pinned PyTorch and NumPy from PyPI.
#
# Output: exactly one line on stdout, for the Makefile to hand to `fmbench -python`:
#   - the venv's interpreter (an absolute path) when it is ready, or
#   - "skip: <reason>" when it cannot be set up (no Python with the venv module, no
#     network, pip failed); the full message, with how to fix it, goes to stderr and the
#     script still exits 0, so that `make bench` runs the Go side alone and fmbench
#     prints "PyTorch comparison skipped: <reason>".
# Messages go to stderr.
#
# Idempotent: the venv holds a stamp file with the pins it was installed with; when it
# matches the pins below (and the interpreter runs), the script does nothing else and
# prints the interpreter's path, in well under a second. A venv with the pins but no stamp
# (made by hand) is checked and adopted in a few seconds. When the pins change, the next
# run installs the new ones into the same venv.
set -euo pipefail

# The pins, in one place. torch 2.11.0 is the version on the project's GPU machine, so
# the CPU comparison here and the GPU one there measure the same PyTorch. NumPy 2.4.6
# (torch warns without NumPy) needs Python >= 3.11, hence MIN_PYTHON.
PINS=(torch==2.11.0 numpy==2.4.6)
MIN_PYTHON=3.11
# PyPI's Linux torch wheel is the CUDA build: it pulls about 3 GB of NVIDIA CUDA
# library wheels (cuBLAS, cuDNN, NCCL, ...; about 5 GB once installed), needed or not
# on a CPU-only machine. Installed once, then reused.

VENV="${GOFM_BENCH_VENV:-$HOME/.local/share/gofm/bench-venv}"
STAMP="$VENV/.gofm-bench-pins"
LOG="$VENV/.gofm-bench-pip.log"
PY="$VENV/bin/python3"
WANT="${PINS[*]}"

say() { printf 'bench-venv: %s\n' "$*" >&2; }
# skip REASON FIX: say why PyTorch is skipped and how to fix it; hand over "skip: REASON".
skip() {
  say "PyTorch comparison skipped: $1"
  say "to fix: $2; then run make bench again (this script: scripts/bench-venv.sh)"
  printf 'skip: %s\n' "$1"
  exit 0
}

# Fast path: the venv is there with these pins.
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && "$PY" -c '' 2>/dev/null; then
  printf '%s\n' "$PY"
  exit 0
fi

# A Python that can make venvs: python3 on PATH, then Debian's.
usable() { # usable PYTHON: new enough, with the venv module and ensurepip (Debian: python3-venv)
  "$1" -c "import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= tuple(map(int, '$MIN_PYTHON'.split('.'))) else 1)" 2>/dev/null
}
if ! "$PY" -c '' 2>/dev/null; then
  if [ -e "$VENV" ] && [ ! -f "$VENV/pyvenv.cfg" ] && [ -n "$(ls -A "$VENV" 2>/dev/null)" ]; then
    skip "$VENV exists and is not a venv" "move it away or set GOFM_BENCH_VENV to another folder"
  fi
  base=""
  tried=()
  for c in "$(command -v python3 || true)" /usr/bin/python3; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    tried+=("$c")
    if usable "$c"; then base="$c"; break; fi
  done
  if [ -z "$base" ]; then
    skip "no Python >= $MIN_PYTHON with the venv module (tried: ${tried[*]:-no python3 found})" \
      "install one, e.g. apt-get install python3-venv (Debian/Ubuntu)"
  fi
  say "creating $VENV with $base"
  mkdir -p "$(dirname "$VENV")" 2>/dev/null || skip "cannot create $(dirname "$VENV")" "set GOFM_BENCH_VENV to a writable folder"
  if ! out="$("$base" -m venv --clear "$VENV" 2>&1)"; then
    printf '%s\n' "$out" >&2
    skip "$base -m venv $VENV failed (output above)" "install the venv module (apt-get install python3-venv) or set GOFM_BENCH_VENV to a writable folder"
  fi
fi

# A venv made before the stamp existed (or by hand) that already has the pins: adopt it.
has_pins() {
  "$PY" - "${PINS[@]}" <<'EOF' 2>/dev/null
import sys
from importlib import metadata
try:
    ok = all(metadata.version(p.split("==")[0]) == p.split("==")[1] for p in sys.argv[1:])
except metadata.PackageNotFoundError:
    ok = False
if ok:
    import numpy, torch  # noqa: F401 (it must import, too)
sys.exit(0 if ok else 1)
EOF
}
if has_pins; then
  printf '%s\n' "$WANT" >"$STAMP"
  say "found ${PINS[*]} already installed in $VENV"
  printf '%s\n' "$PY"
  exit 0
fi

say "installing ${PINS[*]} from PyPI into $VENV: PyPI's Linux torch wheel pulls ~3 GB of NVIDIA CUDA library wheels (~5 GB on disk), a few minutes, once (progress: tail -f $LOG)"
rm -f "$STAMP"
if ! "$PY" -m pip install --disable-pip-version-check --no-input "${PINS[@]}" >"$LOG" 2>&1; then
  tail -n 5 "$LOG" | sed 's/^/  pip: /' >&2
  reason="pip could not install ${PINS[*]}"
  if grep -qiE 'network|connection|resolve|timed out|proxy|temporary failure' "$LOG"; then
    reason="$reason (PyPI unreachable: no network?)"
  elif grep -q 'from versions: none' "$LOG"; then
    reason="$reason (no such wheel found: PyPI unreachable, or none for this Python and platform)"
  elif grep -qi 'no space left' "$LOG"; then
    reason="$reason (disk full: it needs about 5 GB)"
  fi
  skip "$reason; log: $LOG" "check the network (or PIP_INDEX_URL / HTTPS_PROXY) and disk space"
fi
if ! "$PY" -c 'import torch, numpy' 2>>"$LOG"; then
  tail -n 3 "$LOG" | sed 's/^/  python: /' >&2
  skip "torch was installed into $VENV but does not import; log: $LOG" "remove $VENV and run make bench again"
fi
printf '%s\n' "$WANT" >"$STAMP"
say "ready: $("$PY" -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__)')"
printf '%s\n' "$PY"
