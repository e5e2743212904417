#!/usr/bin/env bash
# Installs the headless browser the browser tests drive: Debian's Chromium at /usr/bin/chromium.
# Idempotent: does nothing when it is already there. Needs root (apt-get); reaches only Debian's
# package archive. The tests print a notice and pass without running when Chromium is missing.
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
    echo "setup-browser: chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo unknown version))"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-browser: no apt-get; install Chromium at /usr/bin/chromium by hand" >&2
    exit 1
fi
if [[ "$(id -u)" != 0 ]]; then
    echo "setup-browser: run as root to apt-get install chromium" >&2
    exit 1
fi
echo "setup-browser: installing chromium"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version || true
