#!/usr/bin/env bash
# The whole stack on one machine: a simulated 8-channel relay module (pymodbus over Modbus TCP)
# and the edge daemon on a demo config. Opens the east gate once with a signed one-tap command
# and shows the pass in the log, then keeps running (Ctrl-C stops everything).
#   DEMO_EXIT=1 bash edge-daemon/demo/run.sh   # stop after the first open (smoke test)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bash tests/setup.sh                       # socat + pymodbus (.venv), from the registries
cargo build --locked -p edge-daemon
bin="$root/target/debug/edge-daemon"

run="$root/demo-run"
rm -rf "$run" && mkdir -p "$run"
sim_port="${DEMO_SIM_PORT:-15020}"
api_port="${DEMO_API_PORT:-8480}"
public_key="$("$bin" keygen --secret-out "$run/onetap.key")"
cat > "$run/edge.toml" <<TOML
# Demo config written by edge-daemon/demo/run.sh (see edge-daemon/edge-daemon.example.toml).
profiles_dir = "$root/device-profiles"
seed_file = "$root/edge-daemon/demo/people.json"
[box]
id = "demo-box"
community = "huayuan"
name = "Demo box"
[store]
path = "$run/store"
[api]
listen = "127.0.0.1:$api_port"
onetap_public_key = "$public_key"
admin_token = "demo-admin-token-0001"
[[devices]]
id = "relay-sim"
profile = "waveshare-relay-8ch"
slave_id = 1
[devices.tcp]
address = "127.0.0.1:$sim_port"
[[doors]]
id = "east-gate"
name = "East gate"
estate = "huayuan-east"
device = "relay-sim"
channel = 1
pulse_ms = 800
held_open_seconds = 30
[[doors]]
id = "north-gate"
name = "North gate"
estate = "huayuan-north"
device = "relay-sim"
channel = 2
pulse_ms = 800
held_open_seconds = 30
TOML
"$bin" check-config "$run/edge.toml"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# The simulated relay module: pymodbus; it prints every coil change ("change co DEV ADDR VALUE
# T_US"). It exits when its stdin closes, i.e. when this script ends.
mkfifo "$run/sim.stdin"
"$root/.venv/bin/python" -u tests/peers/modbus_peer.py --tcp "127.0.0.1:$sim_port" --device 1 <"$run/sim.stdin" &
pids+=($!)
exec 3>"$run/sim.stdin"
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$sim_port") 2>/dev/null && break; sleep 0.1; done
(exec 3<>"/dev/tcp/127.0.0.1/$sim_port") 2>/dev/null || { echo "simulated relay module did not start" >&2; exit 1; }
RUST_LOG="${RUST_LOG:-info}" "$bin" run --config "$run/edge.toml" &
pids+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$api_port/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$api_port/v1/health" >/dev/null || { echo "daemon did not start" >&2; exit 1; }
# Wait until the daemon has read the door contacts (the relay module is online).
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$api_port/v1/status" | grep -q '"contact":"closed"' && break; sleep 0.1
done

open_cmd="$bin sign-onetap --key $run/onetap.key --community huayuan --door east-gate --person res-1001 | curl -sS -H 'content-type: application/json' -d @- http://127.0.0.1:$api_port/v1/onetap"
echo; echo "== one-tap: Li Wei opens the east gate"
reply="$(sh -c "$open_cmd")"; echo "$reply"
sleep 1.2
echo "== the pass log (newest first)"
curl -sS -H "Authorization: Bearer demo-admin-token-0001" "http://127.0.0.1:$api_port/v1/passes?limit=5"; echo
echo "== box status"
curl -sS "http://127.0.0.1:$api_port/v1/status"; echo
echo
echo "Open again:  $open_cmd"
echo "Refused (wrong estate): same with --door north-gate"
if [ "${DEMO_EXIT:-0}" = "1" ]; then
  # As a smoke test: the gate must really have opened.
  case "$reply" in *'"actuated":true'*) exit 0 ;; *) echo "demo: the gate did not open" >&2; exit 1 ;; esac
fi
echo "Running; Ctrl-C to stop."
wait
