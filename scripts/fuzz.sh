#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/fuzz_targets for SECONDS each (default 30), starting from
# the committed seed corpus in fuzz/corpus/<target>/. Fails if any target finds a crash, a timeout
# or a leak (libFuzzer writes the input to fuzz/artifacts/<target>/), or does not build.
#
# cargo-fuzz needs nightly compiler flags (-Zsanitizer); RUSTC_BOOTSTRAP=1 lets the stable
# toolchain accept them, since no nightly toolchain can be fetched here.
#
# usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail

seconds="${1:-30}"
cd "$(dirname "$0")/.."

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1

failed=()
ran=0
for source in fuzz/fuzz_targets/*.rs; do
    target="$(basename "$source" .rs)"
    echo "== fuzz $target for ${seconds}s"
    mkdir -p "fuzz/corpus/$target"
    if cargo fuzz run --fuzz-dir fuzz "$target" -- -max_total_time="$seconds"; then
        ran=$((ran + 1))
    else
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "== fuzz: FAILED: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "== fuzz: $ran targets ran ${seconds}s each, no findings"
