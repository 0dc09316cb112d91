#!/usr/bin/env bash
# Installs lz4 and zstd, which `./vmqsc bench engine --image FILE` runs next to the engine (and its test, which
# leaves the comparison out when they are absent). Idempotent; needs root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
missing=()
for tool in lz4 zstd; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup-bench: ${missing[*]} missing (apt-get install -y ${missing[*]} as root)" >&2
  exit 1
fi
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
