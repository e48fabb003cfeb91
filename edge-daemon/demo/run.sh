#!/usr/bin/env bash
# The whole stack on one machine, on embedded defaults: the cloud core on a SQLite file, an edge
# box provisioned with a one-time code, and a simulated 8-channel relay module (pymodbus over
# Modbus TCP) standing in for the gate controller. A street admin registers the estate, its
# door and the box; the box is provisioned; a resident opens the east gate with one tap; a
# visitor asks, the host approves, and the visitor's tap opens it too; staff enrol the
# resident's face (consent, photo, review), the box enrols it through sync, and a frame of the
# resident opens the gate while a stranger's is refused; staff see the passes.
# Then it leaves something to look at in the web console (served by the cloud at /): a case
# worker's account, cases in several states, a face photo waiting for review, and an active
# smoke alarm (a detector on a mosquitto broker, registered in the cloud, learnt by the box).
# Then it keeps running (Ctrl-C stops everything).
#   DEMO_EXIT=1 bash edge-daemon/demo/run.sh   # stop after the checks (smoke test; CI runs it)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bash tests/setup.sh                       # socat, mosquitto, PostgreSQL binaries, pymodbus (.venv), npm ci
command -v mosquitto >/dev/null && command -v mosquitto_pub >/dev/null \
  || { echo "demo: mosquitto and mosquitto_pub are missing (apt-get install mosquitto mosquitto-clients)" >&2; exit 1; }
cargo build --locked -p edge-daemon -p cloud-core
# The web console (Vue): built into console/dist, which the cloud serves at /.
(cd console && npm run --silent build)
edge="$root/target/debug/edge-daemon"
cloud="$root/target/debug/cloud-core"

run="$root/demo-run"
rm -rf "$run" && mkdir -p "$run"
sim_port="${DEMO_SIM_PORT:-15020}"
api_port="${DEMO_API_PORT:-8480}"
cloud_port="${DEMO_CLOUD_PORT:-8080}"
mqtt_port="${DEMO_MQTT_PORT:-11883}"
C="http://127.0.0.1:$cloud_port"
export CLOUD_ADMIN_PASSWORD="demo-admin-password"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
die() { echo "demo: $*" >&2; exit 1; }
# json FIELD.PATH < json  — print one field (python3 is on every Debian machine with the tests).
json() { python3 -c 'import sys,json
d=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d=d[int(k)] if k.isdigit() else d[k]
print(d)' "$1"; }
# q EXPR < json  — a Python expression over the parsed body `d` (counts and filters).
q() { python3 -c 'import sys,json; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
# call METHOD PATH [BODY] [TOKEN]
call() {
  local args=(-sS -X "$1" "$C$2" -H 'content-type: application/json')
  [ -n "${3:-}" ] && args+=(-d "$3")
  [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
  curl "${args[@]}"
}
wait_http() { for _ in $(seq 150); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done; die "$2 did not start"; }

# --- the cloud core -------------------------------------------------------------------------
cat > "$run/cloud.toml" <<TOML
# Demo config written by edge-daemon/demo/run.sh (see cloud-core/cloud-core.example.toml).
listen = "127.0.0.1:$cloud_port"
database_url = "sqlite://$run/cloud.db?mode=rwc"
data_dir = "$run/cloud-keys"
[console]
dir = "$root/console/dist"
secure_cookie = false    # the demo serves the console over plain HTTP
TOML
"$cloud" check-config "$run/cloud.toml"
"$cloud" create-admin --config "$run/cloud.toml" --username admin
RUST_LOG="${RUST_LOG:-info,sqlx=warn}" "$cloud" run --config "$run/cloud.toml" &
pids+=($!)
wait_http "$C/v1/health" "cloud core"

echo; echo "== street admin registers the community, estate, room, resident, box and door"
admin="$(call POST /v1/auth/login '{"username":"admin","password":"demo-admin-password"}' | json token)"
cid="$(call POST /v1/street/communities '{"name":"Huayuan"}' "$admin" | json id)"
P="/v1/communities/$cid"
estate="$(call POST "$P/estates" '{"name":"Huayuan East","lat":31.2304,"lon":121.4737}' "$admin" | json id)"
building="$(call POST "$P/estates/$estate/buildings" '{"name":"Building 3"}' "$admin" | json id)"
unit="$(call POST "$P/buildings/$building/units" '{"name":"Unit 1"}' "$admin" | json id)"
room="$(call POST "$P/units/$unit/rooms" '{"name":"1001"}' "$admin" | json id)"
liwei="$(call POST "$P/people" '{"name":"Li Wei","kind":"local","phone":"13800001001","id_number":"110101199003071234"}' "$admin" | json id)"
call POST "$P/people/$liwei/addresses" "{\"room_id\":\"$room\"}" "$admin" >/dev/null
# Staff hand Li Wei a one-time code for the app (knowing a phone number is not enough).
li_code="$(call POST "$P/people/$liwei/activation" '{}' "$admin" | json activation_code)"
staff_id="$(call POST /v1/street/accounts "{\"username\":\"huayuan-staff\",\"password\":\"demo-staff-password\",\"role\":\"community_staff\",\"community_id\":\"$cid\"}" "$admin" | json id)"
box="$(call POST "$P/boxes" "{\"estate_id\":\"$estate\",\"name\":\"East gate box\"}" "$admin")"
box_id="$(echo "$box" | json id)"
code="$(echo "$box" | json provisioning_code)"
call POST "$P/doors" "{\"box_id\":\"$box_id\",\"code\":\"east-gate\",\"name\":\"East gate\",\"lat\":31.2305,\"lon\":121.4738}" "$admin" >/dev/null
echo "box $box_id, one-time code $code"

# --- the MQTT broker the box's sensors talk to ----------------------------------------------------
# mosquitto on its own port, no persistence; a smoke detector publishes to it (mosquitto_pub).
cat > "$run/mosquitto.conf" <<CONF
listener $mqtt_port 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
CONF
mosquitto -c "$run/mosquitto.conf" 2>"$run/mosquitto.log" &
pids+=($!)
for _ in $(seq 100); do (exec 4<>"/dev/tcp/127.0.0.1/$mqtt_port") 2>/dev/null && break; sleep 0.1; done
(exec 4<>"/dev/tcp/127.0.0.1/$mqtt_port") 2>/dev/null || die "mosquitto did not start: $(cat "$run/mosquitto.log")"

# --- the edge box -------------------------------------------------------------------------------
echo; echo "== the installer provisions the box with the code"
"$edge" provision --cloud "$C" --code "$code" --out "$run/edge-cloud"
cat > "$run/edge.toml" <<TOML
# Demo config written by edge-daemon/demo/run.sh (see edge-daemon/edge-daemon.example.toml).
profiles_dir = "$root/device-profiles"
[cloud]
identity_file = "$run/edge-cloud/cloud-identity.toml"
sync_interval_ms = 500
[store]
path = "$run/edge-store"
[mqtt]
host = "127.0.0.1"
port = $mqtt_port
client_id = "edge-demo-east"
keep_alive_seconds = 5
[api]
listen = "127.0.0.1:$api_port"
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
device = "relay-sim"
channel = 1
pulse_ms = 800
held_open_seconds = 30
[face]
library_path = "$root/models/runtime/libonnxruntime.so"
models_dir = "$root/models"
template_key_file = "$run/edge-secrets/face-template.key"
[[face.doors]]
door = "east-gate"
TOML
"$edge" check-config "$run/edge.toml"

# The simulated relay module: pymodbus; it prints every coil change ("change co DEV ADDR VALUE
# T_US"). It exits when its stdin closes, i.e. when this script ends.
mkfifo "$run/sim.stdin"
"$root/.venv/bin/python" -u tests/peers/modbus_peer.py --tcp "127.0.0.1:$sim_port" --device 1 <"$run/sim.stdin" &
pids+=($!)
exec 3>"$run/sim.stdin"
for _ in $(seq 100); do (exec 4<>"/dev/tcp/127.0.0.1/$sim_port") 2>/dev/null && break; sleep 0.1; done
(exec 4<>"/dev/tcp/127.0.0.1/$sim_port") 2>/dev/null || die "simulated relay module did not start"
RUST_LOG="${RUST_LOG:-info}" "$edge" run --config "$run/edge.toml" &
pids+=($!)
wait_http "http://127.0.0.1:$api_port/v1/health" "edge daemon"
# Wait until the directory has arrived from the cloud (Li Wei is known on the box).
for _ in $(seq 100); do
  [ "$(curl -fsS "http://127.0.0.1:$api_port/v1/status" | json people)" -ge 1 ] && break; sleep 0.2
done

# --- the app ---------------------------------------------------------------------------------
echo; echo "== Li Wei signs up in the app with the code from staff and opens the east gate with one tap"
call POST /v1/app/signup "{\"phone\":\"13800001001\",\"name\":\"Li Wei\",\"password\":\"li-wei-password\",\"role\":\"resident\",\"activation_code\":\"$li_code\"}" >/dev/null
li="$(call POST /v1/auth/login '{"username":"13800001001","password":"li-wei-password"}' | json token)"
tap() { call POST /v1/app/onetap '{"lat":31.2306,"lon":121.4737}' "$1"; }
first=""
for _ in $(seq 30); do first="$(tap "$li")"; case "$first" in *'"opened"'*) break ;; esac; sleep 0.5; done
echo "$first"

echo; echo "== a visitor asks to visit Li Wei in 30 minutes; Li Wei approves; the visitor taps"
call POST /v1/app/signup '{"phone":"13900002002","name":"Zhang Min","password":"zhang-min-password","role":"visitor"}' >/dev/null
zm="$(call POST /v1/auth/login '{"username":"13900002002","password":"zhang-min-password"}' | json token)"
at=$(( $(date +%s) * 1000 + 30 * 60 * 1000 ))
visit="$(call POST /v1/app/visits "{\"host_phone\":\"13800001001\",\"visit_at_ms\":$at,\"reason\":\"tea\"}" "$zm" | json id)"
call POST "/v1/app/visits/$visit/decide" '{"approve":true}' "$li"; echo
second=""
for _ in $(seq 30); do sleep 1.2; second="$(tap "$zm")"; case "$second" in *'"opened"'*) break ;; esac; done
echo "$second"

echo; echo "== staff enrol Li Wei's face (consent, photo, review); the box enrols it; Li Wei walks up"
# (The demo's face photos are public test photos from PyPI packages, fetched by models/fetch.sh.)
staff="$(call POST /v1/auth/login '{"username":"huayuan-staff","password":"demo-staff-password"}' | json token)"
call PUT "$P/people/$liwei/face-consent" '{"given":true,"note":"signed consent form"}' "$staff" >/dev/null
photo="$(curl -fsS -X POST -H "authorization: Bearer $staff" -H 'content-type: image/jpeg' \
  --data-binary @"$root/models/test-images/obama.jpg" "$C$P/people/$liwei/face-photos" | json id)"
call POST "$P/face-photos/$photo/approve" '{}' "$staff" >/dev/null
enrolment=""
for _ in $(seq 100); do
  enrolment="$(call GET "$P/face-photos/$photo" "" "$staff" | json enrolment)"
  [ "$enrolment" = enrolled ] && break; sleep 0.3
done
echo "face review: $enrolment"
frame() { curl -sS -X POST -H "authorization: Bearer demo-admin-token-0001" --data-binary @"$root/models/test-images/$1" \
  "http://127.0.0.1:$api_port/v1/doors/east-gate/face-frames"; }
face=""
for _ in 1 2 3; do face="$(frame obama2.jpg)"; done   # three frames confirm the match
echo "$face"
echo; echo "== a stranger walks up: refused, logged once, the gate stays shut"
stranger=""
for _ in 1 2 3; do stranger="$(frame biden.jpg)"; done
echo "$stranger"

echo; echo "== community staff see the passes in the cloud (uploaded by the box)"
sleep 1.5
call GET "$P/passes?limit=5" "" "$staff"; echo
echo; echo "== box status"
curl -sS "http://127.0.0.1:$api_port/v1/status"; echo
# --- something to look at in the web console ------------------------------------------------------
echo; echo "== the street admin adds a case worker: huayuan-cases, a dispatcher of Huayuan"
cases_id="$(call POST /v1/street/accounts "{\"username\":\"huayuan-cases\",\"password\":\"demo-cases-password\",\"role\":\"dispatcher\",\"community_id\":\"$cid\"}" "$admin" | json id)"
disp="$(call POST /v1/auth/login '{"username":"huayuan-cases","password":"demo-cases-password"}' | json token)"

echo; echo "== staff report four cases and move them along: pending, dispatched, handling, closed"
grid="$(call POST "$P/grids" '{"name":"Grid 1","level":1}' "$staff" | json id)"
# report_case MAJOR/MIDDLE/MINOR WHERE LAT LON SEVERITY PROBLEM [SELF_HANDLED] — staff report (case id)
report_case() {
  local major middle minor
  IFS=/ read -r major middle minor <<<"$1"
  call POST "$P/cases" "{\"kind\":\"event\",\"category\":{\"major\":\"$major\",\"middle\":\"$middle\",\"minor\":\"$minor\"},\"grid\":{\"level1\":\"$grid\"},\"source\":\"staff\",\"location\":{\"text\":\"$2\",\"point\":{\"lat\":$3,\"lon\":$4},\"building_id\":\"$building\"},\"severity\":\"$5\",\"problem\":\"$6\",\"self_handled\":${7:-false}}" "$staff" | json id
}
# op CASE BODY TOKEN — one workflow operation; prints the case's new status
op() { call POST "$P/cases/$1/ops" "$2" "$3" | json status; }
# 1. Just reported: waits for staff to file it.
report_case environment/sanitation/garbage_piled "Building 3, by the bins" 31.2301 121.4731 minor "Garbage piled up by the bins" >/dev/null
# 2. Filed and dispatched to huayuan-cases, who has to assign it (their task list).
c2="$(report_case facilities/road/street_light "East gate, path lamp" 31.2306 121.4740 moderate "Street light out at the east gate")"
[ "$(op "$c2" '{"op":"file"}' "$staff")" = filed ] || die "case 2 was not filed"
[ "$(op "$c2" "{\"op\":\"dispatch\",\"dispatcher\":\"$cases_id\",\"note\":\"Please find an electrician\"}" "$staff")" = filed ] \
  || die "case 2 was not dispatched"
# 3. Filed, dispatched, and assigned by the dispatcher to huayuan-staff: being handled.
c3="$(report_case safety/fire/fire_lane_blocked "Building 3, north side" 31.2310 121.4725 major "Fire lane blocked by parked cars")"
[ "$(op "$c3" '{"op":"file"}' "$staff")" = filed ] || die "case 3 was not filed"
op "$c3" "{\"op\":\"dispatch\",\"dispatcher\":\"$cases_id\"}" "$staff" >/dev/null
deadline=$(( $(date +%s) * 1000 + 48 * 3600 * 1000 ))
[ "$(op "$c3" "{\"op\":\"assign\",\"handler\":{\"kind\":\"community_worker\",\"unit\":\"Huayuan committee\",\"account_id\":\"$staff_id\"},\"deadline_ms\":$deadline,\"requirements\":\"Clear the lane, talk to the owners\"}" "$disp")" = handling ] \
  || die "case 3 was not assigned"
# 4. Self-handled by the reporting staff member, with a photo as material: closed.
c4="$(report_case facilities/road/manhole_cover "Building 3, unit 1 entrance" 31.2303 121.4735 moderate "Manhole cover loose" true)"
python3 -c 'import sys,binascii; sys.stdout.buffer.write(binascii.unhexlify(sys.argv[1]))' \
  89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082 \
  >"$run/fixed.png"
att="$(curl -fsS -X POST -H "authorization: Bearer $staff" -H 'content-type: image/png' \
  --data-binary @"$run/fixed.png" "$C$P/attachments?name=fixed.png" | json id)"
[ "$(op "$c4" "{\"op\":\"self_resolve\",\"materials\":[{\"id\":\"$att\"}],\"closing_note\":\"Cover reseated\"}" "$staff")" = closed ] \
  || die "case 4 was not closed"
call GET "$P/cases" "" "$staff" | q '" ".join(c["number"] + ":" + c["status"] for c in d["items"])'

echo; echo "== a face photo waits for review: Wang Fang (consent given), not approved"
wangfang="$(call POST "$P/people" '{"name":"Wang Fang","kind":"local","phone":"13800001002"}' "$staff" | json id)"
call POST "$P/people/$wangfang/addresses" "{\"room_id\":\"$room\"}" "$staff" >/dev/null
call PUT "$P/people/$wangfang/face-consent" '{"given":true,"note":"signed consent form"}' "$staff" >/dev/null
pending_photo="$(curl -fsS -X POST -H "authorization: Bearer $staff" -H 'content-type: image/jpeg' \
  --data-binary @"$root/models/test-images/grace_hopper.jpg" "$C$P/people/$wangfang/face-photos" | json id)"
echo "photo $pending_photo: $(call GET "$P/face-photos/$pending_photo" "" "$staff" | json status)"

echo; echo "== a smoke detector in Building 3 goes off: the box raises an alarm, the cloud lists it"
# Registered in the cloud; the box learns it on its next sync and listens on zigbee2mqtt/smoke-1.
call POST "$P/devices" "{\"box_id\":\"$box_id\",\"code\":\"smoke-1\",\"kind\":\"smoke_detector\",\"profile\":\"zigbee2mqtt-smoke\",\"name\":\"Stairwell smoke, floor 3\",\"building_id\":\"$building\",\"unit_id\":\"$unit\",\"floor\":3,\"heartbeat_seconds\":60}" "$staff" >/dev/null
sensors() { curl -fsS -H "authorization: Bearer demo-admin-token-0001" "http://127.0.0.1:$api_port/v1/sensors"; }
for _ in $(seq 100); do
  [ "$(sensors | q 'any(s["id"] == "smoke-1" for s in d["sensors"])')" = True ] && break; sleep 0.2
done
[ "$(sensors | q 'any(s["id"] == "smoke-1" for s in d["sensors"])')" = True ] || die "the box did not learn the smoke detector"
# Until the box's subscription is up a message may be missed: publish again until it alarms.
for _ in $(seq 50); do
  mosquitto_pub -h 127.0.0.1 -p "$mqtt_port" -q 1 -t zigbee2mqtt/smoke-1 -m '{"smoke": true, "battery": 88}'
  sleep 0.3
  [ "$(sensors | q 'len(d["alarms"])')" -ge 1 ] && break
done
[ "$(sensors | q 'len(d["alarms"])')" -ge 1 ] || die "the box raised no smoke alarm: $(cat "$run/mosquitto.log")"
alarms=""
for _ in $(seq 100); do
  alarms="$(call GET "$P/alarms" "" "$staff")"
  [ "$(echo "$alarms" | q 'len(d["items"])')" -ge 1 ] && break; sleep 0.2
done
echo "$alarms" | q '" ".join(a["kind"] + ":" + a["status"] + ":" + a["severity"] for a in d["items"])'

echo
echo "Cloud API: $C (OpenAPI at $C/openapi.json); box API: http://127.0.0.1:$api_port"
echo "Console: $C/"
echo "  admin          / demo-admin-password  street admin (every community, accounts)"
echo "  huayuan-staff  / demo-staff-password  community staff of Huayuan (people, doors, faces, alarms, cases)"
echo "  huayuan-cases  / demo-cases-password  case worker: dispatcher of Huayuan (assigns dispatched cases)"
if [ "${DEMO_EXIT:-0}" = "1" ]; then
  # As a smoke test: both taps must really have opened the gate.
  case "$first" in *'"opened"'*) ;; *) die "the resident's tap did not open the gate" ;; esac
  case "$second" in *'"opened"'*) ;; *) die "the visitor's tap did not open the gate" ;; esac
  case "$face" in *'"opened":true'*) ;; *) die "Li Wei's face did not open the gate: $face" ;; esac
  case "$stranger" in *'"reason":"face_unknown"'*) ;; *) die "the stranger was not refused: $stranger" ;; esac
  passes="$(call GET "$P/passes?method=one_tap" "" "$staff")"
  [ "$(echo "$passes" | python3 -c 'import sys,json; print(len(json.load(sys.stdin)["items"]))')" -ge 2 ] \
    || die "the passes did not reach the cloud: $passes"
  # The console is served at /, and what it shows is there: the cases, the photo, the alarm.
  index="$(curl -fsS "$C/")" || die "the console is not served at $C/"
  case "$index" in *'<div id="app">'*) ;; *) die "$C/ is not the console's index.html: $index" ;; esac
  [ "$(call GET "$P/cases" "" "$staff" | q '" ".join(sorted(c["status"] for c in d["items"]))')" = "closed filed handling pending" ] \
    || die "the cases are not there: $(call GET "$P/cases" "" "$staff")"
  [ "$(call GET "$P/cases?view=dispatch" "" "$disp" | q 'len(d["items"])')" -ge 1 ] \
    || die "huayuan-cases has no dispatched case to assign"
  [ "$(call GET "$P/face-photos/$pending_photo" "" "$staff" | json status)" = pending_review ] \
    || die "Wang Fang's photo is not waiting for review"
  [ "$(call GET "$P/alarms" "" "$staff" | q 'sum(a["kind"] == "smoke" and a["status"].startswith("active") for a in d["items"])')" -ge 1 ] \
    || die "the smoke alarm did not reach the cloud: $(call GET "$P/alarms" "" "$staff")"
  echo "demo: ok"
  exit 0
fi
echo "Running; Ctrl-C to stop."
wait
