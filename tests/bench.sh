#!/usr/bin/env bash
# Run the benchmarks: prints `BENCH <name> <value> <unit>` lines (see README "Benchmarks").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash tests/setup.sh
export EDGE_TEST_PYTHON="$root/.venv/bin/python"
cargo build --release --locked -p edge-daemon
EDGE_DAEMON_BIN="$root/target/release/edge-daemon" cargo bench --locked -p tests --bench edge
