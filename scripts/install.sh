#!/usr/bin/env bash
# Builds canrun and canrund (release) and installs them with their data, units and an example
# configuration, then starts the socket (systemd activates canrund on the first request).
#   scripts/install.sh                    # PREFIX=/usr/local, as root (or with sudo)
#   PREFIX=/opt/canrun scripts/install.sh
#   DESTDIR=/tmp/stage scripts/install.sh # stage only: nothing enabled, nothing started
# Installed:
#   $PREFIX/bin/canrun, $PREFIX/bin/canrund
#   $PREFIX/share/canrun/            shipped data (config/: catalog, quants, GPU table, presets, efficiencies)
#   /etc/canrun/canrun.toml          the documented example, only when none exists
#   /etc/systemd/system/canrund.{socket,service}, /usr/lib/sysusers.d and tmpfiles.d snippets
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="${PREFIX:-/usr/local}"
dest="${DESTDIR:-}"
sudo=""
if [ -z "$dest" ] && [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

swift build -c release --product canrun
swift build -c release --product canrund
bin="$(swift build -c release --show-bin-path)"

$sudo install -d "$dest$prefix/bin" "$dest$prefix/share/canrun" "$dest/etc/canrun/canrun.toml.d" \
    "$dest/etc/systemd/system" "$dest/usr/lib/sysusers.d" "$dest/usr/lib/tmpfiles.d"
$sudo install -m 0755 "$bin/canrun" "$bin/canrund" "$dest$prefix/bin/"
# The data files canrun looks for in <prefix>/share/canrun (DataDirectory.swift).
$sudo cp -R config/. "$dest$prefix/share/canrun/"
# `canrun --version` names the commit it was built from (BuildInfoReader.swift).
if commit=$(git rev-parse HEAD 2>/dev/null); then
    echo "commit $commit" | $sudo tee "$dest$prefix/share/canrun/BUILD" >/dev/null
fi
if [ ! -e "$dest/etc/canrun/canrun.toml" ]; then
    $sudo install -m 0644 config/canrun.toml "$dest/etc/canrun/canrun.toml"
fi
for unit in canrund.socket canrund.service; do
    sed -e "s#/usr/local/bin/#$prefix/bin/#g" "systemd/$unit" | $sudo tee "$dest/etc/systemd/system/$unit" > /dev/null
done
$sudo install -m 0644 systemd/sysusers.d/canrun.conf "$dest/usr/lib/sysusers.d/canrun.conf"
$sudo install -m 0644 systemd/tmpfiles.d/canrun.conf "$dest/usr/lib/tmpfiles.d/canrun.conf"

if [ -n "$dest" ]; then
    echo "staged under $dest (nothing enabled)"
    exit 0
fi
$sudo systemd-sysusers /usr/lib/sysusers.d/canrun.conf
$sudo systemd-tmpfiles --create /usr/lib/tmpfiles.d/canrun.conf
if [ -d /run/systemd/system ]; then
    $sudo systemctl daemon-reload
    $sudo systemctl enable --now canrund.socket
    echo "canrund.socket is listening on /run/canrun/canrun.sock (members of group canrun may query it)"
else
    echo "installed; systemd is not running here, so start it by hand: $prefix/bin/canrund --socket PATH"
fi
