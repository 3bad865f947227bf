#!/usr/bin/env bash
# Makes sure Debian's Chromium exists at /usr/bin/chromium for the report's browser test.
# Idempotent and quiet on success; installs only when missing and we are root.
set -euo pipefail

bin=/usr/bin/chromium
[[ -x "$bin" ]] && exit 0

if [[ "$(id -u)" -ne 0 ]]; then
  echo "ensure-chromium: $bin is missing; install it as root with: apt-get install -y chromium" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Try without refreshing package lists first: apt-get update is slow and often unnecessary.
if ! apt-get install -y -q --no-install-recommends chromium >"$log" 2>&1; then
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends chromium; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "ensure-chromium: apt-get install -y chromium failed" >&2
    exit 1
  fi
fi

if [[ ! -x "$bin" ]]; then
  echo "ensure-chromium: chromium installed but $bin is still missing" >&2
  exit 1
fi
