#!/usr/bin/env bash
# Installs lz4 and zstd, which `./vmqsc bench engine --image FILE` runs next to the engine (and its test, which
# leaves the comparison out when they are absent, so their absence never fails a run). Idempotent; needs root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
missing=()
for tool in lz4 zstd; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup-bench: ${missing[*]} missing (apt-get install -y ${missing[*]} as root); the comparison is left out" >&2
  exit 0
fi
if ! { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
  echo "setup-bench: could not install ${missing[*]}; the engine bench's comparison is left out" >&2
fi
