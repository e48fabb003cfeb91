#!/usr/bin/env bash
# Fuzz every parser that takes outside bytes on the box, for a bounded time each:
#   bash fuzz/run.sh [SECONDS_PER_TARGET]     (default 20; CI runs it)
# cargo-fuzz (libFuzzer) on the stable toolchain: RUSTC_BOOTSTRAP lets cargo-fuzz pass its
# coverage flags; without a sanitizer (the address sanitizer's runtime needs nightly), a panic,
# an overflow check (debug assertions are on) or a runaway allocation is what fails a run.
# Each target starts from fuzz/seeds/<target> plus what earlier runs kept in fuzz/corpus/<target>
# (the TOML target's seeds are the shipped profiles and the example config, copied in).
# A crash stops the script with the input in fuzz/artifacts/<target>/: turn it into a regression
# test next to the parser, then fix.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="${1:-20}"
version="0.13.2"
if ! cargo fuzz --version 2>/dev/null | grep -q "$version"; then
    cargo install --locked "cargo-fuzz@$version"
fi
cd "$here"
export RUSTC_BOOTSTRAP=1
cargo fuzz build --sanitizer none
# The profiles and the example config are this target's seeds, taken from where they live.
mkdir -p seeds/profiles_and_config corpus/profiles_and_config
cp ../device-profiles/*.toml ../device-profiles/mqtt/*.toml ../edge-daemon/edge-daemon.example.toml \
    corpus/profiles_and_config/
for target in onetap_command sync_delta profiles_and_config mqtt_payload image_header; do
    mkdir -p "corpus/$target" "seeds/$target"
    echo "fuzz: $target for ${seconds}s"
    log="$(mktemp)"
    if ! cargo fuzz run --sanitizer none "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "fuzz: $target found a crash: see fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E "^stat::(number_of_executed_units|peak_rss_mb|new_units_added)" "$log" | sed "s/^/  /"
    rm -f "$log"
done
echo "fuzz: all targets ran ${seconds}s without a crash"
