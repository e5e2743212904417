#!/usr/bin/env bash
# Fan-out on the multi-thread runtime with 1 or 2 workers (PERF-2 item 5, BENCHMARKS.md).
#
#   scripts/bench-workers.sh WORKERS CORES [WINDOW] [CLIENTS]
#   scripts/bench-workers.sh 1 0 4        # one worker on core 0, 4 broadcasts in flight
#   scripts/bench-workers.sh 2 0,1 4      # two workers on cores 0-1
#
# Runs the `conformance` example (BENCH_RUNTIME=tokio-main: the multi-thread runtime as
# #[tokio::main] builds it, TOKIO_WORKER_THREADS=WORKERS) under `taskset -c CORES`, and
# `loadgen run --scenario fanout` pinned to core 1; prints the load generator's summary line
# and each server thread's CPU (utime + stime ticks from /proc) over 4 s of the run. Loopback
# only; the run is bounded by --duration.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
workers="${1:?workers}"
cores="${2:?cores}"
window="${3:-4}"
clients="${4:-10000}"
port=3913
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --quiet -p loadgen --bin loadgen
cargo build --release --quiet -p examples --example conformance
BENCH_RUNTIME=tokio-main TOKIO_WORKER_THREADS="$workers" taskset -c "$cores" \
    "$target_dir/release/examples/conformance" --port "$port" --ping-interval 25000 \
    --ping-timeout 20000 > /dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
snap() {
    for t in /proc/"$server"/task/*; do
        echo "$(basename "$t")_$(tr ' ' _ < "$t/comm") $(awk '{print $14 + $15}' "$t/stat")"
    done | sort
}
a="$(mktemp)" b="$(mktemp)"
( sleep 4; snap > "$a"; sleep 4; snap > "$b" ) &
sampler=$!
taskset -c 1 "$target_dir/release/loadgen" run --scenario fanout --clients "$clients" \
    --window "$window" --duration 6 --url "http://127.0.0.1:$port" --server-pid "$server" \
    2>&1 >/dev/null | tail -n 1
wait "$sampler"
join "$a" "$b" | awk -v hz="$(getconf CLK_TCK)" \
    '{ d = $3 - $2; if (d > 0) printf "  thread %s: %.0f%% of a core\n", $1, 100 * d / hz / 4 }'
rm -f "$a" "$b"
