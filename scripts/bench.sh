#!/usr/bin/env bash
# BENCH-1: our Socket.IO server side by side with Node.js socket.io, socketioxide and a raw
# WebSocket floor, in one run on this machine.
#
#   scripts/bench.sh [--quick] [--rounds N] [--duration S] [--servers ours,socketioxide,node,floor]
#                    [--only echo,fanout,cluster,rooms,idle,polling]
#   servers: ours and socketioxide on the current-thread runtime; ours-mt and socketioxide-mt
#   on the multi-thread runtime as #[tokio::main] builds it (one worker: TOKIO_WORKER_THREADS=1);
#   ours-csr (not in the default list): ours with connection state recovery on (BENCH_RECOVERY=on)
#   ours-msgpack, socketioxide-msgpack, node-msgpack (not in the default list): the same
#   servers on socket.io-msgpack-parser (ours and socketioxide: BENCH_PARSER=msgpack; Node:
#   --parser msgpack), measured with `loadgen --parser msgpack`, the same payloads in binary
#   frames; they skip the cluster and polling scenarios. With ours-msgpack in the list, the
#   Markdown gets a second table with ours-msgpack as the baseline against the msgpack peers
#   (and ours: the cost of the codec), and the first table keeps to the text-parser servers.
#   OURS_BIN=/path/to/conformance [OURS_DESC="commit abc1234"] scripts/bench.sh ...
#       measures another build of ours (another commit, say) and records OURS_DESC beside it
#
# Builds everything in release mode, then for each round (the order of the servers rotates from
# round to round) and each scenario starts a fresh server pinned to core 0 (Rust servers with one
# tokio worker), runs bench/loadgen pinned to core 1 against it, and stops it. Every run appends
# one JSON line to bench/results/<date>.jsonl; the Markdown table (medians, ratios of ours against
# each peer) goes to bench/results/<date>.md and to stdout.
#
# The cluster scenario runs two nodes of ours (the Redis adapter) and two Node nodes
# (@socket.io/redis-adapter), both nodes pinned to core 0, on one redis-server of their own
# pinned to core 1 with the load generator; clients are split between the nodes, the sender is
# on the first (with --window 4, four senders alternate between the nodes, each with one
# broadcast in flight), and the bytes and commands Redis receives per broadcast come from its
# INFO.
# It needs redis-server (scripts/setup-redis.sh installs it) and is skipped without it.
#
# The fanout-deflate scenarios (`loadgen --deflate --payload 2048`: the clients offer
# permessage-deflate without context takeover, 2048-byte payloads of words) run on ours, ours-mt
# and node only, each started for them with deflate on (ours: BENCH_DEFLATE=on, engineio's
# PerMessageDeflate::default(), threshold 1024; Node: --deflate on, perMessageDeflate
# { threshold: 1024 }); every other scenario gets servers with deflate off (their defaults).
#
# --quick: each scenario once, tiny sizes, against ours only (and ours-msgpack on echo 10 and
# fanout 20): proves the harness and the server work (CI). It fails only when a scenario breaks
# (errors, lost deliveries), never on timing.
#
# --callgrind SCENARIO SIZE: runs ours under `valgrind --tool=callgrind` with instrumentation
# switched on only once every client is connected, for a short run of one scenario; writes
# bench/results/callgrind.SCENARIO-SIZE.<date>.out and prints the top functions. Instruction
# counts do not depend on the noise of a shared machine (but see nothing of the kernel).
# BENCH_PARSER=msgpack (read by the server) makes the load generator speak msgpack too.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

quick=0
callgrind=""
rounds=3
duration=5
warmup=1
servers="ours,ours-mt,socketioxide,socketioxide-mt,node,floor"
only=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --callgrind) callgrind="$2 $3"; shift 2 ;;
        --rounds) rounds="$2"; shift ;;
        --duration) duration="$2"; shift ;;
        --servers) servers="$2"; shift ;;
        --only) only="$2"; shift ;;
        *) echo "usage: scripts/bench.sh [--quick | --callgrind SCENARIO SIZE] [--rounds N] [--duration S] [--servers LIST] [--only SCENARIOS]" >&2; exit 2 ;;
    esac
    shift
done
if [ -n "$callgrind" ]; then
    servers="ours"
fi
if [ "$quick" = 1 ]; then
    rounds=1
    duration=1
    warmup=0.3
    servers="ours,ours-msgpack"
fi
IFS=',' read -r -a server_list <<< "$servers"

# scenario, size, extra loadgen flags
if [ "$quick" = 1 ]; then
    scenarios=(
        "echo 1"
        "echo 10"
        "fanout 20"
        "fanout 20 --window 4"
        "fanout 20 --deflate --payload 2048"
        "cluster 20"
        "rooms 40 --rooms 4 --window 2"
        "idle 50"
        "polling 4"
    )
else
    scenarios=(
        "echo 1"
        "echo 100"
        "echo 1000"
        "fanout 1000"
        "fanout 1000 --window 4"
        "fanout 1000 --window 16"
        "fanout 10000"
        "fanout 10000 --window 4"
        "fanout 1000 --deflate --payload 2048"
        "fanout 1000 --deflate --payload 2048 --window 4"
        "cluster 1000"
        "cluster 1000 --window 4"
        "cluster 10000"
        "rooms 10000 --rooms 100 --window 16"
        "idle 10000"
        "polling 100"
    )
fi

want() { [[ ",$servers," == *",$1,"* ]]; }

# Whether a scenario (its name, size and flags as listed above) is a permessage-deflate one.
is_deflate() { [[ " $1 " == *" --deflate "* ]]; }

# Whether `server` runs `scenario` (its name, size and flags as listed above).
runs() {
    local server="$1" scenario="$2" name="${2%% *}"
    # the floor has no long-polling; the msgpack clients speak WebSocket only
    if [ "$name" = polling ] && { [ "$server" = floor ] || [[ "$server" == *-msgpack ]]; }; then
        return 1
    fi
    # two nodes through Redis: ours and Node's adapter (socketioxide's Redis adapter has its
    # own wire format, the floor has no cluster)
    if [ "$name" = cluster ] && [ "$server" != ours ] && [ "$server" != node ]; then
        return 1
    fi
    # permessage-deflate: ours (both runtimes) against Node; socketioxide has none, the floor
    # neither, and the msgpack servers keep to their own table
    if is_deflate "$scenario" && [ "$server" != ours ] && [ "$server" != ours-mt ] &&
        [ "$server" != node ]; then
        return 1
    fi
    # quick mode keeps msgpack to one echo and one fan-out
    if [ "$quick" = 1 ] && [[ "$server" == *-msgpack ]] && [ "$scenario" != "echo 10" ] &&
        [ "$scenario" != "fanout 20" ]; then
        return 1
    fi
    return 0
}

echo "== build (release)" >&2
cargo build --release --quiet -p loadgen --bin loadgen
# OURS_BIN=path/to/conformance measures another build of ours (another commit, say)
if [ -z "${OURS_BIN:-}" ]; then
    cargo build --release --quiet -p examples --example conformance
fi
if want socketioxide || want socketioxide-mt || want socketioxide-msgpack; then
    (cd bench/peers/socketioxide && cargo build --release --quiet)
fi
if want floor; then
    (cd bench/peers/floor && cargo build --release --quiet)
fi
if want node || want node-msgpack; then
    (cd bench/peers/node && { [ -d node_modules/socket.io ] && [ -d node_modules/@socket.io/redis-adapter ] && [ -d node_modules/socket.io-msgpack-parser ] || npm install --no-audit --no-fund --silent; })
fi

target_dir="${CARGO_TARGET_DIR:-$root/target}"
# the peers are crates of their own: their binaries are in CARGO_TARGET_DIR when it is set
peer_bin() { echo "${CARGO_TARGET_DIR:-$root/bench/peers/$1/target}/release/peer-$1"; }
loadgen="$target_dir/release/loadgen"
ours="${OURS_BIN:-$target_dir/release/examples/conformance}"

# Pin the server to core 0 and the load generator to core 1 when there are two cores.
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pin_server=(taskset -c 0)
    pin_loadgen=(taskset -c 1)
else
    pin_server=()
    pin_loadgen=()
fi

mkdir -p bench/results
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results="bench/results/$stamp.jsonl"
: > "$results"
log="bench/results/$stamp.servers.log"
: > "$log"

server_pid=""
server_pids=()
port=3300
redis_pid=""
redis_port=""

# The Socket.IO parser of a server name: the -msgpack ones use socket.io-msgpack-parser.
parser_of() { [[ "$1" == *-msgpack ]] && echo msgpack || echo text; }

json_string() { python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))' 2>/dev/null || sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$/"/'; }

# start_server NAME [on|off]: the second argument turns permessage-deflate on (ours, node).
start_server() {
    local name="$1" deflate="${2:-off}"
    port=$((port + 1))
    [ "$port" -gt 3900 ] && port=3301
    case "$name" in
        ours | ours-mt | ours-csr | ours-msgpack)
            BENCH_RECOVERY="$( [ "$name" = ours-csr ] && echo on || echo off)" \
            BENCH_RUNTIME="$( [ "$name" = ours-mt ] && echo tokio-main || echo current)" \
            BENCH_PARSER="$(parser_of "$name")" \
            BENCH_DEFLATE="$deflate" \
            TOKIO_WORKER_THREADS=1 "${pin_server[@]}" "$ours" --port "$port" \
                --ping-interval 25000 --ping-timeout 20000 >> "$log" 2>&1 &
            ;;
        socketioxide | socketioxide-mt | socketioxide-msgpack)
            BENCH_RUNTIME="$( [ "$name" = socketioxide-mt ] && echo tokio-main || echo current)" \
            BENCH_PARSER="$(parser_of "$name")" \
            TOKIO_WORKER_THREADS=1 "${pin_server[@]}" \
                "$(peer_bin socketioxide)" --port "$port" \
                --max-buffer-size 65536 >> "$log" 2>&1 &
            ;;
        node | node-msgpack)
            "${pin_server[@]}" node bench/peers/node/server.js --port "$port" \
                --parser "$(parser_of "$name")" --deflate "$deflate" >> "$log" 2>&1 &
            ;;
        floor)
            "${pin_server[@]}" "$(peer_bin floor)" --port "$port" >> "$log" 2>&1 &
            ;;
    esac
    server_pid=$!
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "server $name exited at start" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "server $name did not listen on $port" >&2
    return 1
}

stop_server() {
    local pid
    for pid in ${server_pid:+"$server_pid"} "${server_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    server_pid=""
    server_pids=()
}
stop_all() {
    stop_server
    if [ -n "$redis_pid" ]; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
        redis_pid=""
    fi
}
trap stop_all EXIT

# The cluster's Redis, started once per run on a free port, pinned beside the load generator.
start_redis() {
    [ -n "$redis_pid" ] && return 0
    command -v redis-server >/dev/null || return 1
    redis_port=$((6400 + RANDOM % 1000))
    "${pin_loadgen[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
        --appendonly no --daemonize no >> "$log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 1 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "redis-server did not listen on $redis_port" >&2
    return 1
}

# Two nodes of `name` on the Redis adapter, each on the next port, each waited for.
start_cluster() {
    local name="$1" url="redis://127.0.0.1:$redis_port" ports=()
    server_pids=()
    for i in 1 2; do
        port=$((port + 1))
        [ "$port" -gt 3900 ] && port=3301
        case "$name" in
            ours)
                BENCH_PARSER=text TOKIO_WORKER_THREADS=1 "${pin_server[@]}" "$ours" --port "$port" \
                    --ping-interval 25000 --ping-timeout 20000 --redis "$url" >> "$log" 2>&1 &
                ;;
            node)
                "${pin_server[@]}" node bench/peers/node/server.js --port "$port" \
                    --parser text --redis "$url" >> "$log" 2>&1 &
                ;;
        esac
        server_pids+=("$!")
        ports+=("$port")
        for _ in $(seq 1 100); do
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
            if ! kill -0 "${server_pids[-1]}" 2>/dev/null; then
                echo "cluster node $name exited at start" >&2
                return 1
            fi
            sleep 0.1
        done
    done
    cluster_urls=(--url "http://127.0.0.1:${ports[0]}" --url "http://127.0.0.1:${ports[1]}")
    cluster_pids=(--server-pid "${server_pids[0]}" --server-pid "${server_pids[1]}")
}

# What each server runs with, recorded beside its figures.
record_config() {
    local name="$1" text threads banner
    sleep 0.3
    threads="$( (grep -l -E '^tokio-(runtime-w|rt-worker)' /proc/"$server_pid"/task/*/comm 2>/dev/null || true) | wc -l)"
    # the last banner of this kind of server: the one just started
    banner="$( (grep "^${name%-msgpack} " "$log" || true) | tail -n 1 | sed 's/ listening.*//')"
    case "$name" in
        ours-csr)
            text="ours as above, BENCH_RECOVERY=on: connection state recovery with its defaults (every broadcast kept with an offset)"
            ;;
        ours-mt)
            text="ours as above, BENCH_RUNTIME=tokio-main TOKIO_WORKER_THREADS=1: the multi-thread runtime as #[tokio::main] builds it ($threads worker(s) seen)"
            ;;
        socketioxide-mt)
            text="socketioxide as above, BENCH_RUNTIME=tokio-main TOKIO_WORKER_THREADS=1: the multi-thread runtime as #[tokio::main] builds it ($threads worker(s) seen)"
            ;;
        ours-msgpack)
            text="ours as above, BENCH_PARSER=msgpack: socket.io-msgpack-parser (socketio::Parser::MsgPack, the rmp crate $(grep -A1 '^name = "rmp"$' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p' | head -n 1)), loadgen --parser msgpack"
            ;;
        socketioxide-msgpack)
            text="socketioxide as above, BENCH_PARSER=msgpack: ParserConfig::msgpack() (socketioxide-parser-msgpack $(grep -A1 '^name = "socketioxide-parser-msgpack"$' bench/peers/socketioxide/Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')), loadgen --parser msgpack"
            ;;
        node-msgpack)
            text="${banner:-node}, as node above with --parser msgpack (the Server's parser option), loadgen --parser msgpack"
            ;;
        ours)
            if [ -n "${OURS_BIN:-}" ]; then
                text="${OURS_DESC:-$OURS_BIN}"
            else
                text="target/release/examples/conformance (git $(git rev-parse --short HEAD)$(git diff --quiet -- crates examples || echo ', work tree modified'))"
            fi
            text="$text, TOKIO_WORKER_THREADS=1: tokio current-thread runtime ($threads multi-thread worker(s) seen), ping 25 s / timeout 20 s, max_http_buffer_size 1 MB, in-memory adapter"
            ;;
        socketioxide)
            text="socketioxide $(grep -A1 '^name = "socketioxide"$' bench/peers/socketioxide/Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p') (crates.io, hyper 1 http1 standalone, release), TOKIO_WORKER_THREADS=1: tokio current-thread runtime as ours ($threads multi-thread worker(s) seen), ping 25 s / timeout 20 s, max_buffer_size 65536 packets per socket (default 128)"
            ;;
        node)
            text="${banner:-node}, default ws engine, perMessageDeflate off (default), ping 25 s / timeout 20 s"
            ;;
        floor)
            text="bench/peers/floor: raw WebSocket, current-thread tokio, one shared read and write buffer, no heartbeats sent, no long-polling"
            ;;
    esac
    echo "{\"config\":\"$name\",\"text\":$(printf '%s' "$text" | json_string)}" >> "$results"
}

record_deflate_config() {
    local text
    text="loadgen --deflate: every client offers permessage-deflate; client_no_context_takeover; \
server_no_context_takeover and inflates what the server compresses (its own frames stay uncompressed), \
payloads of 2048 bytes of words; for these runs only, ours and ours-mt start with BENCH_DEFLATE=on \
(engineio PerMessageDeflate::default(): threshold 1024 bytes, no context takeover, flate2 \
$(grep -A1 '^name = "flate2"$' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p' | head -n 1)) and node \
with --deflate on (perMessageDeflate { threshold: 1024 }, ws's defaults otherwise)"
    echo "{\"config\":\"fanout-deflate\",\"text\":$(printf '%s' "$text" | json_string)}" >> "$results"
}

record_cluster_config() {
    local text
    text="two nodes per server, both pinned to core 0 and measured together (CPU summed), each \
as in its single-node configuration; ours on socketio_redis::RedisAdapter (redis crate \
$(grep -A1 '^name = "redis"$' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p'), classic mode), Node on \
@socket.io/redis-adapter $(node -p 'require("./bench/peers/node/node_modules/@socket.io/redis-adapter/package.json").version' 2>/dev/null || echo '(not installed in this run)') \
(createAdapter(pub, sub), defaults) over node-redis $(node -p 'require("./bench/peers/node/node_modules/redis/package.json").version' 2>/dev/null || echo '(not installed)'); \
one $(redis-server --version | cut -d' ' -f1-3) of the bench's own (no persistence) pinned to core 1 with the load generator; \
clients alternate between the nodes, the sender is on the first"
    echo "{\"config\":\"cluster\",\"text\":$(printf '%s' "$text" | json_string)}" >> "$results"
}

machine="$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, Linux $(uname -r)"
echo "{\"machine\":$(printf '%s' "$machine" | json_string),\"date\":\"$stamp\",\"quick\":$quick}" >> "$results"
echo "== $machine" >&2

if [ -n "$callgrind" ]; then
    read -r name size <<< "$callgrind"
    command -v valgrind >/dev/null || { echo "bench: valgrind is not installed (apt-get install -y valgrind)" >&2; exit 2; }
    out="bench/results/callgrind.$name-$size.$stamp.out"
    port=3299
    TOKIO_WORKER_THREADS=1 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
        "$ours" --port "$port" --ping-interval 25000 --ping-timeout 20000 >> "$log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 150); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.2
    done
    extra=()
    [ "$name" = rooms ] && extra=(--rooms 100 --window 16)
    # a long warm-up leaves time to connect under valgrind; counting starts once all are in
    "$loadgen" run --url "http://127.0.0.1:$port" --scenario "$name" --clients "$size" \
        --duration "$duration" --warmup 10 --server-pid "$server_pid" --label ours-callgrind \
        --parser "${BENCH_PARSER:-text}" "${extra[@]}" >> "$results" &
    loadgen_pid=$!
    want_conns="$size"
    [ "$name" = polling ] && want_conns=$((2 * size))
    for _ in $(seq 1 300); do
        [ "$(ss -Htn state established "( sport = :$port )" | wc -l)" -ge "$want_conns" ] && break
        sleep 0.1
    done
    sleep 1
    callgrind_control -i on "$server_pid" >/dev/null
    instr_on=$(date +%s.%N)
    wait "$loadgen_pid" || failed_run=1
    callgrind_control -i off "$server_pid" >/dev/null
    instr_off=$(date +%s.%N)
    kill -INT "$server_pid"
    wait "$server_pid" || true
    server_pid=""
    annotated="$(callgrind_annotate --inclusive=no "$out" 2>/dev/null)"
    printf '%s\n' "$annotated" | sed -n '/^Ir/,$p' | head -40 | cut -c1-200 || true
    # Instructions per operation: the instrumented window runs at the load generator's steady
    # rate (it opens inside the warm-up, once every client is connected), so its operations are
    # that rate times the window.
    total_ir=$(printf '%s\n' "$annotated" | awk '/PROGRAM TOTALS/ && !done { gsub(",", "", $1); print $1; done = 1 }')
    ops_per_s=$(tail -n 1 "$results" | sed -n 's/.*"ops_per_s":\([0-9.]*\).*/\1/p')
    unit=$(tail -n 1 "$results" | sed -n 's/.*"unit":"\([^"]*\)".*/\1/p')
    if [ -n "$total_ir" ] && [ -n "$ops_per_s" ]; then
        awk -v ir="$total_ir" -v rate="$ops_per_s" -v on="$instr_on" -v off="$instr_off" -v unit="$unit" \
            'BEGIN { w = off - on; printf "callgrind: %d instructions in %.1f s at %.0f per second: about %.0f instructions per %s\n", ir, w, rate, ir / (rate * w), unit }'
    fi
    echo "profile: $out (callgrind_annotate --inclusive=yes $out; kcachegrind)" >&2
    exit "${failed_run:-0}"
fi

failed=0
configured=","
n=${#server_list[@]}
for round in $(seq 1 "$rounds"); do
    echo "== round $round of $rounds" >&2
    for scenario in "${scenarios[@]}"; do
        read -r -a parts <<< "$scenario"
        name="${parts[0]}"
        size="${parts[1]}"
        if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then
            continue
        fi
        extra=("${parts[@]:2}")
        for i in $(seq 0 $((n - 1))); do
            server="${server_list[$(((i + round - 1) % n))]}"
            if ! runs "$server" "$scenario"; then
                continue
            fi
            if [ "$name" = cluster ]; then
                if ! start_redis; then
                    [ "$round" = 1 ] && [ "$i" = 0 ] && echo "bench: no redis-server, cluster $size skipped" >&2
                    continue
                fi
                start_cluster "$server" || { failed=1; stop_server; continue; }
                if [[ "$configured" != *",cluster,"* ]]; then
                    record_cluster_config
                    configured="${configured}cluster,"
                fi
                if ! "${pin_loadgen[@]}" "$loadgen" run --scenario cluster "${cluster_urls[@]}" \
                    "${cluster_pids[@]}" --redis "127.0.0.1:$redis_port" --clients "$size" \
                    --duration "$duration" --warmup "$warmup" --label "$server" \
                    "${extra[@]}" >> "$results"; then
                    failed=1
                fi
                stop_server
                continue
            fi
            deflate=off
            is_deflate "$scenario" && deflate=on
            start_server "$server" "$deflate" || { failed=1; continue; }
            # a server's configuration as the other scenarios run it (deflate off); the
            # deflate runs have a configuration of their own
            if [ "$deflate" = off ] && [[ "$configured" != *",$server,"* ]]; then
                record_config "$server"
                configured="$configured$server,"
            fi
            if [ "$deflate" = on ] && [[ "$configured" != *",fanout-deflate,"* ]]; then
                record_deflate_config
                configured="${configured}fanout-deflate,"
            fi
            if ! "${pin_loadgen[@]}" "$loadgen" run --url "http://127.0.0.1:$port" \
                --scenario "$name" --clients "$size" --duration "$duration" --warmup "$warmup" \
                --server-pid "$server_pid" --label "$server" --parser "$(parser_of "$server")" \
                "${extra[@]}" >> "$results"; then
                failed=1
            fi
            stop_server
        done
    done
done

# ours against every peer; without ours in the list, the first server
baseline="${server_list[0]}"
want ours && baseline=ours
# with a msgpack table below, the first table keeps to the text-parser servers
main_servers=()
if want ours-msgpack && [[ "$baseline" != *-msgpack ]]; then
    text_servers=""
    for s in "${server_list[@]}"; do
        [[ "$s" == *-msgpack ]] || text_servers="${text_servers:+$text_servers,}$s"
    done
    main_servers=(--servers "$text_servers")
fi
"$loadgen" report "$results" --baseline "$baseline" "${main_servers[@]}" > "bench/results/$stamp.md"
# the msgpack parser: ours-msgpack against the msgpack peers and against ours (text)
if want ours-msgpack && [ "$baseline" != ours-msgpack ]; then
    msgpack_servers="ours-msgpack"
    for s in ours socketioxide-msgpack node-msgpack; do
        want "$s" && msgpack_servers="$msgpack_servers,$s"
    done
    {
        printf '\n### socket.io-msgpack-parser\n\n'
        "$loadgen" report "$results" --baseline ours-msgpack --servers "$msgpack_servers"
    } >> "bench/results/$stamp.md"
fi
echo
cat "bench/results/$stamp.md"
echo
echo "results: $results, table: bench/results/$stamp.md" >&2
if [ "$failed" != 0 ]; then
    echo "bench: a scenario broke (see FAIL lines above)" >&2
    exit 1
fi
