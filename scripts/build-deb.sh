#!/usr/bin/env bash
# Builds canrun_VERSION_ARCH.deb with dpkg-deb, without a network (the Swift packages must have
# been fetched once: `swift build`). It carries:
#   /usr/bin/canrun, /usr/bin/canrund      release builds; Swift's runtime and Foundation linked in
#                                          statically (--static-swift-stdlib), so the package
#                                          depends on no Swift toolchain, only on the C libraries
#                                          the binaries name (found with dpkg -S, below)
#   /usr/share/canrun/                     the data (catalog, quants, GPU table, presets,
#                                          efficiencies) and a BUILD file naming the commit
#   /usr/lib/systemd/system/               canrund.socket and canrund.service
#   /usr/lib/sysusers.d/, /usr/lib/tmpfiles.d/   the canrun user and its folders
#   /etc/canrun/canrun.toml                the documented example, a conffile
#   /usr/share/man/man1/, man8/            manuals from swift-argument-parser's generate-manual
#   bash, zsh and fish completions         from canrun --generate-completion-script
# Usage: scripts/build-deb.sh [OUT_DIR]   (default .build/deb); prints the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-.build/deb}
version=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/CanrunCore/Profile/CanrunVersion.swift)
arch=$(dpkg --print-architecture)
[ -n "$version" ] || { echo "build-deb: no version in CanrunVersion.swift" >&2; exit 1; }

echo "--- release build (static Swift runtime)" >&2
swift build -c release --static-swift-stdlib --product canrun >&2
swift build -c release --static-swift-stdlib --product canrund >&2
swift build --product generate-manual >&2
bin=$(swift build -c release --show-bin-path)
tools=$(swift build --show-bin-path)

root="$out/root"
rm -rf "$root"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/canrun" "$root/usr/lib/systemd/system" \
    "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d" "$root/etc/canrun/canrun.toml.d" \
    "$root/usr/share/man/man1" "$root/usr/share/man/man8" "$root/usr/share/doc/canrun" \
    "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
    "$root/usr/share/fish/vendor_completions.d"
install -m 0755 -s "$bin/canrun" "$bin/canrund" "$root/usr/bin/"

# The data canrun reads from /usr/share/canrun (DataDirectory.swift); the example configuration
# goes to /etc, and the Prometheus files with the documentation.
cp -R config/. "$root/usr/share/canrun/"
rm "$root/usr/share/canrun/canrun.toml"
mv "$root/usr/share/canrun/prometheus" "$root/usr/share/doc/canrun/prometheus"
find "$root/usr/share/canrun" "$root/usr/share/doc/canrun" -type f -exec chmod 0644 {} +
if commit=$(git rev-parse HEAD 2>/dev/null); then
    echo "commit $commit" > "$root/usr/share/canrun/BUILD"
    chmod 0644 "$root/usr/share/canrun/BUILD"
fi
install -m 0644 config/canrun.toml "$root/etc/canrun/canrun.toml"

# The units, with the binaries where the package puts them.
for unit in canrund.service canrund.socket; do
    sed 's|/usr/local/bin/|/usr/bin/|g' "systemd/$unit" > "$root/usr/lib/systemd/system/$unit"
    chmod 0644 "$root/usr/lib/systemd/system/$unit"
done
install -m 0644 systemd/sysusers.d/canrun.conf "$root/usr/lib/sysusers.d/canrun.conf"
install -m 0644 systemd/tmpfiles.d/canrun.conf "$root/usr/lib/tmpfiles.d/canrun.conf"

# Manuals: canrun's, one page per subcommand (section 1); canrund's (section 8, a daemon).
"$tools/generate-manual" "$bin/canrun" --multi-page --section 1 --date "$(date -u +%Y-%m-%d)" \
    --output-directory "$root/usr/share/man/man1" >&2
"$tools/generate-manual" "$bin/canrund" --section 8 --date "$(date -u +%Y-%m-%d)" \
    --output-directory "$root/usr/share/man/man8" >&2
# mdoc wants no empty input lines (groff warns of each); the generator leaves some.
find "$root/usr/share/man" -type f -exec sed -i '/^$/d' {} + -exec chmod 0644 {} + -exec gzip -9n {} +

# bash-completion sources the script: no #! line.
"$bin/canrun" --generate-completion-script bash | sed '1{/^#!/d}' > "$root/usr/share/bash-completion/completions/canrun"
"$bin/canrun" --generate-completion-script zsh > "$root/usr/share/zsh/vendor-completions/_canrun"
"$bin/canrun" --generate-completion-script fish > "$root/usr/share/fish/vendor_completions.d/canrun.fish"
chmod 0644 "$root"/usr/share/*/completions/canrun "$root"/usr/share/zsh/vendor-completions/_canrun \
    "$root"/usr/share/fish/vendor_completions.d/canrun.fish

# Debian's documentation files.
cat > "$root/usr/share/doc/canrun/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: canrun
Source: the canrun repository

Files: *
Copyright: 2026 the canrun authors
License: proprietary
 canrun is distributed by its authors; no licence for redistribution is granted.
EOF
printf 'canrun (%s) unstable; urgency=medium\n\n  * Package built by scripts/build-deb.sh.\n\n -- canrun maintainers <canrun@example.org>  %s\n' \
    "$version" "$(date -u -R)" | gzip -9n > "$root/usr/share/doc/canrun/changelog.gz"
chmod 0644 "$root/usr/share/doc/canrun/copyright" "$root/usr/share/doc/canrun/changelog.gz"

# Depends: the packages holding the shared libraries the binaries name (no Swift library among
# them: the runtime is linked in).
# dpkg knows a library by the path its package shipped, /lib or /usr/lib (merged /usr).
package_of() {
    for path in "$1" "${1#/usr}" "/usr$1"; do
        if owner=$(dpkg -S "$path" 2>/dev/null); then
            echo "${owner%%:*}"
            return
        fi
    done
}
depends=$(for lib in $(objdump -p "$root/usr/bin/canrun" "$root/usr/bin/canrund" | awk '/NEEDED/ {print $2}' | sort -u); do
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|aarch64|\(libc6\)/ {print $NF; exit}')
    [ -n "$path" ] && package_of "$path"
done | sort -u | paste -sd, | sed 's/,/, /g')
[ -n "$depends" ] || { echo "build-deb: could not find the packages of the binaries' libraries" >&2; exit 1; }

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: canrun
Version: $version
Architecture: $arch
Maintainer: canrun maintainers <canrun@example.org>
Installed-Size: $size
Depends: $depends, systemd | systemd-standalone-sysusers
Recommends: pci.ids
Section: admin
Priority: optional
Description: which language models this machine can run, and how fast
 canrun reads the machine's memory, memory channels, NUMA layout, CPUs and
 GPUs, measures its memory bandwidth, and answers which language models
 fit, at which quantization and context, where they are placed and the
 decode and prefill speed to expect. canrund answers the same on a local
 Unix socket (HTTP/JSON), with Prometheus metrics and Kubernetes node labels.
EOF
echo /etc/canrun/canrun.toml > "$root/DEBIAN/conffiles"

# The user comes from sysusers.d, the folders from tmpfiles.d; the socket is enabled and started
# only where systemd runs (not in a chroot or a container without it).
cat > "$root/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    systemd-sysusers canrun.conf
    systemd-tmpfiles --create canrun.conf || true
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        systemctl enable --now canrund.socket
    fi
fi
EOF
cat > "$root/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
    systemctl disable --now canrund.socket canrund.service || true
fi
EOF
cat > "$root/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
# The measured bandwidth, calibration and verifications go with a purge; the canrun user stays
# (Debian does not remove system users: files it owned may remain elsewhere).
if [ "$1" = purge ]; then
    rm -rf /var/lib/canrun /var/cache/canrun
fi
EOF
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

deb="$out/canrun_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
