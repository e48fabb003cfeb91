#!/usr/bin/env bash
# Run the benchmarks: prints `BENCH <name> <value> <unit>` lines (see README "Benchmarks").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash tests/setup.sh
export EDGE_TEST_PYTHON="$root/.venv/bin/python"
cargo build --release --locked -p edge-daemon
# `bash tests/bench.sh` runs all; `bash tests/bench.sh edge|cloud|sensors|cases|face|console [sections…]` one of them.
which="${1:-all}"
[ $# -gt 0 ] && shift
if [ "$which" = all ] || [ "$which" = edge ]; then
    EDGE_DAEMON_BIN="$root/target/release/edge-daemon" cargo bench --locked -p tests --bench edge -- "$@"
fi
if [ "$which" = all ] || [ "$which" = cloud ]; then
    cargo bench --locked -p tests --bench cloud -- "$@"
fi
if [ "$which" = all ] || [ "$which" = sensors ]; then
    EDGE_DAEMON_BIN="$root/target/release/edge-daemon" cargo bench --locked -p tests --bench sensors -- "$@"
fi
if [ "$which" = all ] || [ "$which" = face ]; then
    cargo bench --locked -p edge-face --bench face -- "$@"
    EDGE_DAEMON_BIN="$root/target/release/edge-daemon" cargo bench --locked -p tests --bench face_e2e
fi
if [ "$which" = all ] || [ "$which" = cases ]; then
    (cd console && npm run build >/dev/null)
    cargo bench --locked -p tests --bench cases -- "$@"
fi
if [ "$which" = all ] || [ "$which" = console ]; then
    # What a browser downloads for each page's first load (gzip), and the budget.
    (cd console && npm run build >/dev/null && node scripts/bundle-size.mjs --budget-kb 300)
fi
