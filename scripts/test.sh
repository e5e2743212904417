#!/usr/bin/env bash
# The README's test command: installs what the tests drive if it is missing (the npm clients,
# a Python venv, the socket.io-client bundle the server serves, Debian's redis-server for the
# Redis adapter tests, Debian's Chromium for the browser tests), then runs every test of the
# workspace: unit, property, integration with real clients, Redis and browsers, and doc tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/setup-test-deps.sh
bash scripts/fetch-client.sh
bash scripts/setup-redis.sh
# The browser tests print a notice and pass when Chromium cannot be installed (no root, no apt).
bash scripts/setup-browser.sh || echo "test.sh: Chromium unavailable; browser tests will be skipped"

if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --all-targets --no-fail-fast
else
    cargo test --workspace --all-targets --no-fail-fast
fi
cargo test --workspace --doc
