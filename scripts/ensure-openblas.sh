#!/usr/bin/env bash
# Makes sure Debian's OpenBLAS (headers and the pthread build) is installed, for the optional
# native backend. Idempotent and quiet on success; installs only when missing and we are root.
set -euo pipefail

header=/usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h
lib=/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0
[[ -f "$header" && -f "$lib" ]] && exit 0

pkgs=(libopenblas-dev libopenblas0-pthread)
if [[ "$(id -u)" -ne 0 ]]; then
  echo "ensure-openblas: OpenBLAS is missing; install it as root with: apt-get install -y ${pkgs[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Try without refreshing package lists first: apt-get update is slow and often unnecessary.
if ! apt-get install -y -q --no-install-recommends "${pkgs[@]}" >"$log" 2>&1; then
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${pkgs[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "ensure-openblas: apt-get install -y ${pkgs[*]} failed" >&2
    exit 1
  fi
fi

if [[ ! -f "$header" || ! -f "$lib" ]]; then
  echo "ensure-openblas: ${pkgs[*]} installed but $header or $lib is still missing" >&2
  exit 1
fi
