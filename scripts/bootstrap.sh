#!/usr/bin/env bash
# Installs the Debian packages canrun builds and tests against. Idempotent; uses sudo when not root.
#   libhwloc-dev  NUMA/CPU topology (hwloc 2.x)      libpci-dev  PCI enumeration (libpci)
#   pci.ids       PCI names for devices canrun's own GPU table does not list
#   libxml2       FoundationXML's parser (hwloc XML, nvidia-smi XML)
#   bzip2         unpacks the recorded machines under Tests/Fixtures
#   pkgconf       lets SwiftPM find hwloc and libpci flags (optional: the defaults also work)
#   dmidecode     tests cross-check canrun's SMBIOS decoder against the reference decoder
#   hwloc-nox     lstopo-no-graphics: hwloc reads a recorded /sys tree in a process of its own
set -euo pipefail

packages=(libhwloc-dev libpci-dev pci.ids libxml2 bzip2 tar dmidecode pkgconf hwloc-nox)

# `--packages` prints the list, so CI installs exactly these with apt-get itself.
if [ "${1:-}" = "--packages" ]; then
    echo "${packages[*]}"
    exit 0
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "bootstrap: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
