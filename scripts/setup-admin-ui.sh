#!/usr/bin/env bash
# Puts the static files of the Socket.IO Admin UI (the `ui/dist` folder of the npm package
# @socket.io/admin-ui@0.5.1: index.html, favicon.png, js/, css/, img/) into .cache/admin-ui/dist
# (ignored by git), for the browser tests of the admin instrumentation (tests/browser/admin_ui.js).
# Reuses tests/clients/node_modules/@socket.io/admin-ui when it is that version (no network);
# otherwise `npm pack` fetches the tarball from the npm registry and checks its sha512 against
# the registry's dist.integrity pinned below. Idempotent.
set -euo pipefail

version="0.5.1"
integrity="sha512-1dlGL2FGm6T+uL1e6iDvbo2eCINwvW7iVbjIblwh5kPPRM1SP8lmZrbFZf4QNJ/cqQ+JLcx49eXGM9WAB4TK7w=="
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache/admin-ui"
target="$cache/dist"

mkdir -p "$cache"
# Tests may run this concurrently: one at a time.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/.lock"
    flock 9
fi

if [[ -f "$target/index.html" && -d "$target/js" && -f "$cache/VERSION" && "$(cat "$cache/VERSION")" == "$version" ]]; then
    echo "setup-admin-ui: @socket.io/admin-ui $version present in .cache/admin-ui/dist"
    exit 0
fi

rm -rf "$target.tmp"
local_copy="$root/tests/clients/node_modules/@socket.io/admin-ui"
if [[ -f "$local_copy/package.json" && -f "$local_copy/ui/dist/index.html" ]] &&
    node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
        "$local_copy/package.json" "$version" 2>/dev/null; then
    echo "setup-admin-ui: copying @socket.io/admin-ui $version ui/dist from tests/clients/node_modules"
    cp -r "$local_copy/ui/dist" "$target.tmp"
else
    command -v npm >/dev/null 2>&1 || { echo "setup-admin-ui: npm not found" >&2; exit 1; }
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    echo "setup-admin-ui: npm pack @socket.io/admin-ui@$version"
    tarball="$(cd "$tmp" && npm pack "@socket.io/admin-ui@$version" --silent | tail -n1)"
    got="sha512-$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tmp/$tarball")"
    if [[ "$got" != "$integrity" ]]; then
        echo "setup-admin-ui: $tarball has integrity $got, expected $integrity" >&2
        exit 1
    fi
    tar -xzf "$tmp/$tarball" -C "$tmp" package/ui/dist
    mv "$tmp/package/ui/dist" "$target.tmp"
fi
[[ -f "$target.tmp/index.html" ]] || { echo "setup-admin-ui: no index.html in ui/dist" >&2; exit 1; }
rm -rf "$target"
mv "$target.tmp" "$target"
echo "$version" >"$cache/VERSION"
echo "setup-admin-ui: @socket.io/admin-ui $version in .cache/admin-ui/dist"
