#!/usr/bin/env bash
# Regenerates the console screenshots in docs/screenshots/ (shown in the README): runs the
# browser tests (tests/tests/console_browser.rs) with CONSOLE_SHOTS set, so that each spec saves
# its screens in Chinese as it passes them, and keeps the ones the README shows. All of them
# (dialogs, each step of a case) stay in $SHOTS_ALL (default target/screenshots) to look at.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
all="${SHOTS_ALL:-$root/target/screenshots}"
keep=(login home passes visits face-review alarms alarm-drawer devices device-detail boxes box-code doors
  grids estates people person applications case-list case-form case-detail-history
  case-alarm-to-case accounts)
bash tests/setup.sh
export EDGE_TEST_PYTHON="$root/.venv/bin/python"
cargo build --locked --workspace --bins
(cd console && npm run build)
rm -rf "$all" && mkdir -p "$all" docs/screenshots
rm -f docs/screenshots/*.png
CONSOLE_SHOTS="$all" cargo test --locked -p tests --test console_browser -- --nocapture
for name in "${keep[@]}"; do
  [ -f "$all/$name.png" ] || { echo "the browser tests saved no $name.png" >&2; exit 1; }
  cp "$all/$name.png" docs/screenshots/
done
ls -l docs/screenshots
echo "all screens: $all"
