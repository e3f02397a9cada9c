#!/usr/bin/env bash
# Installs the Debian packages named after WHO that are not installed yet: with apt-get
# as root, with passwordless sudo otherwise, else it stops with the command to run.
# WHO prefixes its messages (kernel/install, browser-test, docker-test).
# GOFM_SKIP_APT=1 installs nothing (images and machines known to have them); the caller
# then finds what is still missing and says so.
#
#   bash scripts/apt-install.sh WHO PKG...
set -euo pipefail
who="$1"
shift
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ "${#missing[@]}" -gt 0 ] || exit 0
if [ "${GOFM_SKIP_APT:-0}" = 1 ]; then
  printf '%s: GOFM_SKIP_APT=1: not installing %s\n' "$who" "${missing[*]}"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo"; else
  printf '%s: error: missing Debian packages: %s; install them with: sudo apt-get install -y %s   (then run this again)\n' \
    "$who" "${missing[*]}" "${missing[*]}" >&2
  exit 1
fi
printf '%s: installing %s (apt)\n' "$who" "${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
