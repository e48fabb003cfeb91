#!/usr/bin/env bash
# Regenerates the console screenshots in docs/screenshots/ (shown in the README): runs the
# browser tests (tests/tests/console_browser.rs) with CONSOLE_SHOTS set, so that each spec saves
# its main screens in Chinese as it passes them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash tests/setup.sh
export EDGE_TEST_PYTHON="$root/.venv/bin/python"
cargo build --locked --workspace --bins
(cd console && npm run build)
mkdir -p docs/screenshots
rm -f docs/screenshots/*.png
CONSOLE_SHOTS="$root/docs/screenshots" cargo test --locked -p tests --test console_browser -- --nocapture
ls -l docs/screenshots
