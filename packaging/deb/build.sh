#!/usr/bin/env bash
# Build a Debian package of edge-daemon or cloud-core with Debian's own dpkg-deb.
#
#   bash packaging/deb/build.sh edge-daemon [--bin PATH] [--arch ARCH] [--out DIR]
#   bash packaging/deb/build.sh cloud-core  [--bin PATH] [--arch ARCH] [--out DIR]
#
# --bin defaults to target/release/<name> (build it first: cargo build --release -p <name>;
# for ARM64 boxes: cargo build --release --target aarch64-unknown-linux-gnu -p edge-daemon and
# --arch arm64 --bin target/aarch64-unknown-linux-gnu/release/edge-daemon). --arch defaults to
# this machine's (dpkg --print-architecture).
#
# What a package installs:
#   /usr/bin/<name>, /lib/systemd/system/<name>.service (runs as the system user <name>),
#   /etc/<name>/<name>.toml (a conffile skeleton from the example config: fill it in, then
#   `<name> check-config`), /usr/share/<name>/ (edge-daemon: device-profiles; cloud-core: the
#   built console, if console/dist exists), /usr/share/doc/<name>/.
# postinst creates the system user and its state directory (/var/lib/<name>, 0750); for
# edge-daemon it adds the user to dialout, the group that owns /dev/ttyUSB*, /dev/ttyACM*,
# /dev/ttyS* and the ARM boards' /dev/ttyAMA*. The service is enabled but not started: it needs
# its config first. Removing keeps the config and /var/lib/<name>; purge removes the config
# only (the state directory holds the box's identity and the pass log — delete it by hand).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
name="${1:-}"
shift || true
case "$name" in
    edge-daemon|cloud-core) ;;
    *) echo "usage: $0 edge-daemon|cloud-core [--bin PATH] [--arch ARCH] [--out DIR]" >&2; exit 64 ;;
esac
bin="$root/target/release/$name"
arch="$(dpkg --print-architecture)"
out="$root/target/deb"
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin="$2"; shift 2 ;;
        --arch) arch="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        *) echo "$0: unknown argument $1" >&2; exit 64 ;;
    esac
done
[ -x "$bin" ] || { echo "$0: no executable at $bin (cargo build --release -p $name)" >&2; exit 1; }
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml")"
[ -n "$version" ] || { echo "$0: no version in Cargo.toml" >&2; exit 1; }

stage="$(mktemp -d)"
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT
install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/$name" \
    "$stage/usr/share/$name" "$stage/usr/share/doc/$name"
install -m 0755 "$bin" "$stage/usr/bin/$name"
strip --strip-debug "$stage/usr/bin/$name" 2>/dev/null || true

# The unit: the repository's, with the packaged paths and the static system user (so files the
# installer creates with `sudo -u <name>`, e.g. the box's identity, belong to the service).
sed -e "s#/usr/local/bin/#/usr/bin/#g" \
    -e "s#/usr/local/share/#/usr/share/#g" \
    -e "s#^DynamicUser=yes#User=$name\nGroup=$name#" \
    "$root/systemd/$name.service" > "$stage/lib/systemd/system/$name.service"

case "$name" in
    edge-daemon)
        cp -r "$root/device-profiles" "$stage/usr/share/$name/device-profiles"
        sed -e 's#^profiles_dir = .*#profiles_dir = "/usr/share/edge-daemon/device-profiles"#' \
            "$root/edge-daemon/edge-daemon.example.toml" > "$stage/etc/$name/$name.toml"
        cp "$root/firmware-notes/"*.md "$stage/usr/share/doc/$name/" 2>/dev/null || true
        description="Per-community edge daemon: gates, door alarms, durable pass log
 Opens gates locally (face, one-tap, visitor windows) even when the internet is
 down, watches smoke detectors and elevators over MQTT, and keeps every pass and
 alarm until the cloud core has taken it."
        ;;
    cloud-core)
        sed -e 's#^database_url = .*#database_url = "sqlite:///var/lib/cloud-core/cloud.db?mode=rwc"#' \
            -e 's#^data_dir = .*#data_dir = "/var/lib/cloud-core"#' \
            "$root/cloud-core/cloud-core.example.toml" > "$stage/etc/$name/$name.toml"
        if [ -d "$root/console/dist" ]; then
            cp -r "$root/console/dist" "$stage/usr/share/$name/console"
        fi
        description="Street cloud core: registry, cases, visitors, edge sync, one-tap
 Hosts case management, the registry and the admin APIs, receives every pass
 log and alarm from the community boxes, and serves the web back office."
        ;;
esac
cp "$root/README.md" "$stage/usr/share/doc/$name/README.md"
cat > "$stage/usr/share/doc/$name/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: $name
License: Apache-2.0
 On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.
EOF

echo "/etc/$name/$name.toml" > "$stage/DEBIAN/conffiles"
size_kb="$(du -sk "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<EOF
Package: $name
Version: $version
Architecture: $arch
Maintainer: Street platform team <platform@localhost>
Installed-Size: $size_kb
Depends: libc6, adduser, passwd
Section: net
Priority: optional
Description: $description
EOF

groups_line=""
if [ "$name" = edge-daemon ]; then
    groups_line="    # The serial ports: /dev/ttyUSB*, ttyACM*, ttyS* and the ARM boards' ttyAMA* are group dialout.
    getent group dialout >/dev/null || groupadd --system dialout
    usermod -a -G dialout $name"
fi
cat > "$stage/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
if [ "\$1" = configure ]; then
    if ! getent passwd $name >/dev/null; then
        adduser --system --group --home /var/lib/$name --no-create-home \\
            --shell /usr/sbin/nologin --gecos "$name service" $name >/dev/null
    fi
$groups_line
    install -d -m 0750 -o $name -g $name /var/lib/$name
    chown root:$name /etc/$name /etc/$name/$name.toml
    chmod 0750 /etc/$name
    chmod 0640 /etc/$name/$name.toml
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload >/dev/null || true
        systemctl enable $name.service >/dev/null || true
    fi
    echo "$name: fill in /etc/$name/$name.toml, check it with '$name check-config /etc/$name/$name.toml', then 'systemctl start $name'"
fi
EOF
cat > "$stage/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "\$1" = remove ]; then
    systemctl stop $name.service >/dev/null 2>&1 || true
    systemctl disable $name.service >/dev/null 2>&1 || true
fi
EOF
cat > "$stage/DEBIAN/postrm" <<EOF
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || true
fi
# /var/lib/$name (the box's identity, keys, the pass log) is kept even on purge: delete by hand.
EOF
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"

mkdir -p "$out"
deb="$out/${name}_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "$deb"
