#!/usr/bin/env bash
# Puts the socket.io-client bundle that the server serves at /socket.io/socket.io.js (Node's
# `serveClient`) into .cache/socket.io-client/package (ignored by git): the npm package
# socket.io-client@4.8.4, whose dist/ holds the files and package.json the version (the ETag).
# Reuses tests/clients/node_modules/socket.io-client when it is that version (no network);
# otherwise `npm pack` fetches it from the npm registry. Idempotent.
# The server finds it there by default; elsewhere set SOCKETIO_CLIENT_DIR or `client_dir`.
set -euo pipefail

version="4.8.4"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache/socket.io-client"
target="$cache/package"

have_version() {
    [[ -f "$1/package.json" && -f "$1/dist/socket.io.min.js" ]] &&
        node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
            "$1/package.json" "$version" 2>/dev/null
}

mkdir -p "$cache"
# Tests may run this concurrently: one at a time.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/.lock"
    flock 9
fi

if have_version "$target"; then
    echo "fetch-client: socket.io-client $version present in .cache/socket.io-client/package"
    exit 0
fi

rm -rf "$target.tmp"
mkdir -p "$target.tmp"
local_copy="$root/tests/clients/node_modules/socket.io-client"
if have_version "$local_copy"; then
    echo "fetch-client: copying socket.io-client $version from tests/clients/node_modules"
    cp "$local_copy/package.json" "$target.tmp/"
    cp -r "$local_copy/dist" "$target.tmp/dist"
else
    command -v npm >/dev/null 2>&1 || { echo "fetch-client: npm not found" >&2; exit 1; }
    echo "fetch-client: npm pack socket.io-client@$version"
    tarball="$(cd "$cache" && npm pack "socket.io-client@$version" --silent | tail -n1)"
    tar -xzf "$cache/$tarball" -C "$target.tmp" --strip-components=1 package/package.json package/dist
    rm -f "$cache/$tarball"
fi
rm -rf "$target"
mv "$target.tmp" "$target"
echo "fetch-client: socket.io-client $version in .cache/socket.io-client/package"
