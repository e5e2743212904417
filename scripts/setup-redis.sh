#!/usr/bin/env bash
# Installs Debian's redis-server for the Redis adapter tests (examples/tests/redis_*.rs) when it
# is missing. The tests start their own instances on free loopback ports and stop them by pid;
# the package's own service is not used.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-redis.sh: redis-server missing and no root/apt-get; the redis tests will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq redis-server >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    apt-get install -y -qq redis-server >/dev/null
}
# Debian's package may start its service on 6379; the tests do not need it.
if command -v service >/dev/null 2>&1; then
    service redis-server stop >/dev/null 2>&1 || true
fi
redis-server --version
