#!/usr/bin/env bash
# Run every test: installs the real peers the tests need (socat, pymodbus in .venv, Chromium) from the
# registries, then runs the whole workspace's tests. Fails loudly if a peer cannot be installed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash tests/setup.sh
export EDGE_TEST_PYTHON="$root/.venv/bin/python"
# The end-to-end tests run the real binaries (cloud-core, edge-daemon) as processes.
cargo build --workspace --bins --locked
# The console: its generated API client must match the cloud's contract, and the browser tests
# (tests/tests/console_browser.rs) run against its build.
(cd console && CLOUD_CORE_BIN="$root/target/debug/cloud-core" npm run --silent check:api && npm run --silent build)
cargo test --workspace --locked "$@"
