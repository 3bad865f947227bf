#!/usr/bin/env bash
# Makes sure the bench's PyTorch peer exists: Debian's python3-torch on /usr/bin/python3, with
# OpenBLAS's pthread build. Installs only when missing and we are root; otherwise the bench
# reports the peer as skipped (with this reason) and runs the rest.
set -euo pipefail

/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null && [[ -f /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0 ]] && exit 0

pkgs=(python3-torch libopenblas0-pthread)
if [[ "$(id -u)" -ne 0 ]]; then
  echo "ensure-bench-peers: PyTorch is missing; as root: apt-get install -y ${pkgs[*]} (the bench skips it meanwhile)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! apt-get install -y -q --no-install-recommends "${pkgs[@]}" >"$log" 2>&1; then
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${pkgs[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "ensure-bench-peers: apt-get install -y ${pkgs[*]} failed; the bench skips PyTorch" >&2
  fi
fi
exit 0
