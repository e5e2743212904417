#!/usr/bin/env bash
# Installs what the integration tests drive: the npm clients and reference servers in
# tests/clients/node_modules (from the committed package-lock.json) and a Python venv in ./.venv
# (from tests/clients/requirements.txt). Idempotent: a stamp holding the hash of the lockfile (or
# requirements) and the interpreter version skips the install when nothing changed.
# Needs Node 20+/npm and Python 3.11+; reaches only the npm registry and PyPI.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
clients="$root/tests/clients"
venv="$root/.venv"

hash_of() {
    sha256sum "$@" | sha256sum | cut -d' ' -f1
}

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "setup-test-deps: '$1' not found: $2" >&2; exit 1; }
}

# --- npm -----------------------------------------------------------------------------------
need node "install Node.js 20 or newer"
need npm "install npm (comes with Node.js)"
npm_stamp="$clients/node_modules/.setup-stamp"
npm_want="$(hash_of "$clients/package.json" "$clients/package-lock.json")-$(node --version)"
if [[ -f "$npm_stamp" && "$(cat "$npm_stamp")" == "$npm_want" ]]; then
    echo "setup-test-deps: npm packages up to date"
else
    echo "setup-test-deps: npm ci in tests/clients"
    (cd "$clients" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$npm_want" >"$npm_stamp"
fi

# --- Python --------------------------------------------------------------------------------
python=""
for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then
        python="$candidate"
        break
    fi
done
[[ -n "$python" ]] || { echo "setup-test-deps: no python3 found" >&2; exit 1; }

py_stamp="$venv/.setup-stamp"
py_want="$(hash_of "$clients/requirements.txt")-$("$python" --version 2>&1)"
if [[ -x "$venv/bin/python" && -f "$py_stamp" && "$(cat "$py_stamp")" == "$py_want" ]]; then
    echo "setup-test-deps: Python venv up to date"
else
    echo "setup-test-deps: building $venv with $python"
    if ! "$python" -m venv --clear "$venv" 2>/dev/null; then
        # Debian ships venv's ensurepip separately.
        if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            "$python" -m venv --clear "$venv"
        else
            echo "setup-test-deps: '$python -m venv' failed; install python3-venv" >&2
            exit 1
        fi
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$clients/requirements.txt"
    echo "$py_want" >"$py_stamp"
fi

# --- The Admin UI's static files (.cache/admin-ui/dist) ------------------------------------
"$root/scripts/setup-admin-ui.sh"
