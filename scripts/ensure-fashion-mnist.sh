#!/usr/bin/env bash
# Makes sure the Fashion-MNIST IDX files exist (Debian package dataset-fashion-mnist).
# Idempotent and quiet on success; installs only when files are missing and we are root.
set -euo pipefail

default_dir=/usr/share/datasets/fashion-mnist
dir="${RULEBENCH_FASHION_MNIST_DIR:-$default_dir}"
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

have_all() {
  local f
  for f in "${files[@]}"; do
    [[ -f "$dir/$f.gz" || -f "$dir/$f" ]] || return 1
  done
}

have_all && exit 0

if [[ "$dir" != "$default_dir" ]]; then
  echo "ensure-fashion-mnist: files missing in RULEBENCH_FASHION_MNIST_DIR=$dir; the Debian package installs to $default_dir" >&2
  exit 1
fi
if [[ "$(id -u)" -ne 0 ]]; then
  echo "ensure-fashion-mnist: $dir is missing; install it as root with: apt-get install -y dataset-fashion-mnist" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Try without refreshing package lists first: apt-get update is slow and often unnecessary.
if ! apt-get install -y -q dataset-fashion-mnist >"$log" 2>&1; then
  if ! { apt-get update -q && apt-get install -y -q dataset-fashion-mnist; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "ensure-fashion-mnist: apt-get install -y dataset-fashion-mnist failed" >&2
    exit 1
  fi
fi

if ! have_all; then
  echo "ensure-fashion-mnist: dataset-fashion-mnist installed but files are still missing in $dir" >&2
  exit 1
fi
