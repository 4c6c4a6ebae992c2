#!/usr/bin/env bash
# Checks the systemd units and snippets in systemd/ without a running systemd (CI containers):
#   1. `systemd-analyze verify --man=no` on canrund.service + canrund.socket must print NOTHING
#      (verify exits 0 on unknown keys and unparseable values, so any output is a failure);
#   2. `systemd-analyze security --offline=yes` on canrund.service must report exposure <= 1.0;
#   3. the sysusers.d and tmpfiles.d snippets must parse (applied to a scratch root, never to /).
# Usage: scripts/verify-units.sh [UNIT_DIR]   (default: systemd/ in this repository)
# verify needs ExecStart='s binary to exist, and --root= is no way around that (it moves the unit
# search path too), so the units are checked as a temporary copy with ExecStart= pointed at
# $CANRUND (a freshly built canrund) or, by default, /bin/true. See notes/daemon-and-systemd.md §2.6.
set -euo pipefail

max_exposure=1.0
unit_dir=${1:-}
if [ -n "$unit_dir" ]; then unit_dir=$(cd "$unit_dir" && pwd); fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
unit_dir=${unit_dir:-$PWD/systemd}
canrund=${CANRUND:-/bin/true}
case $canrund in /*) ;; *) canrund=$PWD/$canrund ;; esac

fail() { echo "verify-units: FAIL: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found (apt-get install systemd)"
[ -x "$canrund" ] || fail "CANRUND=$canrund is not executable"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "--- systemd-analyze verify ($unit_dir, ExecStart -> $canrund)"
cp "$unit_dir/canrund.socket" "$tmp/canrund.socket"
sed -E -e "s#^ExecStart=[^ ]+#ExecStart=$canrund#" -e "s#^ExecReload=[^ ]+#ExecReload=$canrund#" "$unit_dir/canrund.service" > "$tmp/canrund.service"
grep -qx "ExecStart=$canrund" "$tmp/canrund.service" || fail "no plain ExecStart= line to substitute in canrund.service"
set +e
out=$(systemd-analyze verify --man=no "$tmp/canrund.service" "$tmp/canrund.socket" 2>&1)
rc=$?
set -e
if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
    printf '%s\n' "$out" | sed "s#$tmp/#$unit_dir/#g" >&2
    fail "systemd-analyze verify: exit $rc, $(printf '%s' "$out" | grep -c '') line(s) of output (must be 0 and none)"
fi
echo "ok: no output, exit 0"

echo "--- systemd-analyze security --offline=yes canrund.service"
set +e
sec=$(systemd-analyze security --offline=yes "$tmp/canrund.service" 2>&1)
rc=$?
set -e
summary=$(printf '%s\n' "$sec" | grep 'Overall exposure level for canrund.service' || true)
[ "$rc" -eq 0 ] && [ -n "$summary" ] || { printf '%s\n' "$sec" >&2; fail "systemd-analyze security: exit $rc, no overall exposure line"; }
# The findings that cost points (✗ lines), then the summary.
printf '%s\n' "$sec" | grep '✗' | sed -E 's/ {2,}/  /g' || true
echo "$summary"
exposure=$(printf '%s\n' "$summary" | sed -E 's/.*: ([0-9]+(\.[0-9]+)?) .*/\1/')
[[ $exposure =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "cannot read the exposure from: $summary"
awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }' \
    || fail "exposure $exposure > $max_exposure"
echo "ok: exposure $exposure <= $max_exposure"

echo "--- sysusers.d / tmpfiles.d (scratch root)"
# Both tools print parse problems as "FILE:LINE: ..."; some are only warnings with exit 0.
check_snippet() {
    local file=$1; shift
    set +e
    out=$("$@" 2>&1)
    rc=$?
    set -e
    if [ "$rc" -ne 0 ] || printf '%s\n' "$out" | grep -q "^$file:"; then
        printf '%s\n' "$out" >&2
        fail "$file: exit $rc"
    fi
    echo "ok: $file"
}
mkdir -p "$tmp/root-sysusers" "$tmp/root-tmpfiles"
sysusers=$unit_dir/sysusers.d/canrun.conf
tmpfiles=$unit_dir/tmpfiles.d/canrun.conf
check_snippet "$sysusers" systemd-sysusers --dry-run --root="$tmp/root-sysusers" "$sysusers"
printf '%s\n' "$out" | grep -q "Creating user 'canrun'" || fail "$sysusers does not create user canrun"
check_snippet "$tmpfiles" systemd-tmpfiles --root="$tmp/root-tmpfiles" --create "$tmpfiles"

echo "verify-units: all checks passed (exposure $exposure)"
