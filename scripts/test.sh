#!/usr/bin/env bash
# The README's test command: installs the test clients (npm, Python venv) if needed, then runs
# every test of the workspace: unit, property, integration with real clients, and doc tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/setup-test-deps.sh

if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --all-targets --no-fail-fast
else
    cargo test --workspace --all-targets --no-fail-fast
fi
cargo test --workspace --doc
