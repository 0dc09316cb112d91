#!/usr/bin/env bash
# Prepares the admin UI's tests (ui-ext/): Debian's chromium (Playwright's playwright-core drives it; no browser is
# downloaded), a font for its screenshots, Node.js and npm when absent (Debian's, Node 18 or newer is enough),
# then the UI's npm packages exactly as its lockfile pins them (npm ci). Idempotent: installs only what is missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
ui="$(cd "$(dirname "$0")/../ui-ext" && pwd)"
log() { echo "setup-ui: $*" >&2; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-liberation 2>/dev/null | grep -q "install ok installed" || missing+=(fonts-liberation)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then log "must run as root to install ${missing[*]}"; exit 1; fi
  log "installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 18 ]; then log "Node.js $(node -v) is too old: the UI's build needs 18 or newer"; exit 1; fi

if [ -f "$ui/node_modules/.package-lock.json" ] && [ "$ui/node_modules/.package-lock.json" -nt "$ui/package-lock.json" ]; then
  log "npm packages already installed"
else
  log "npm ci (from ui-ext/package-lock.json)"
  (cd "$ui" && npm ci --no-audit --no-fund --loglevel=error)
fi
log "ready: node $(node -v), npm $(npm -v), $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium ?')"
