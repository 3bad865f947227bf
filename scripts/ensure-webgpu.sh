#!/usr/bin/env bash
# Makes sure Dawn (the optional `webgpu` package) can start for the WebGPU backend's tests: it
# needs Debian's Vulkan loader, libvulkan1; without a GPU it runs on the SwiftShader driver that
# chromium ships (scripts/ensure-chromium.sh, which runs before this). Nothing to do when the
# optional package is absent. Idempotent and quiet on success; installs only when missing and we are root.
set -euo pipefail

node -e "require.resolve('webgpu')" 2>/dev/null || exit 0
# grep reads the whole list (no -q): under pipefail, grep -q quitting early makes ldconfig die of
# SIGPIPE and the pipeline fail even when the loader is there.
has_loader() { ldconfig -p 2>/dev/null | grep 'libvulkan\.so\.1 ' >/dev/null; }
has_loader && exit 0

if [[ "$(id -u)" -ne 0 ]]; then
  echo "ensure-webgpu: libvulkan.so.1 is missing; install it as root with: apt-get install -y libvulkan1" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Try without refreshing package lists first: apt-get update is slow and often unnecessary.
if ! apt-get install -y -q --no-install-recommends libvulkan1 >"$log" 2>&1; then
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends libvulkan1; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "ensure-webgpu: apt-get install -y libvulkan1 failed" >&2
    exit 1
  fi
fi

if ! has_loader; then
  echo "ensure-webgpu: libvulkan1 installed but libvulkan.so.1 is still not found" >&2
  exit 1
fi
