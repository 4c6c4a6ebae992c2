#!/usr/bin/env bash
# Fuzzes one of canrun's input pipelines with libFuzzer for SECONDS (default 600):
#   scripts/fuzz.sh TARGET [SECONDS] [extra libFuzzer flags]
# TARGET: gguf, config-json, probe, canrun-toml (Fuzz/Targets/FuzzTarget.swift).
# Builds CanrunFuzz with -sanitize=fuzzer (release, in .build-fuzz), seeds a corpus from the
# repository's fixtures and every saved finding (Tests/Fixtures/fuzz/TARGET), and runs with a
# per-input time limit (a hang), an RSS limit and a malloc limit (a runaway). A crash, a hang, a
# runaway or a broken invariant leaves its input in .build-fuzz/findings/TARGET and fails.
# The last lines are libFuzzer's final statistics and what became of the inputs.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${1:?usage: scripts/fuzz.sh TARGET [SECONDS] [libFuzzer flags]}"
seconds="${2:-600}"
shift $(( $# >= 2 ? 2 : 1 ))
case "$target" in gguf|config-json|probe|canrun-toml) ;; *)
    echo "unknown target $target: gguf, config-json, probe or canrun-toml" >&2; exit 2 ;;
esac

scratch=.build-fuzz
# Several targets may run at once: the first build serialises on SwiftPM's lock.
swift build -c release --sanitize=fuzzer -Xswiftc -DCANRUN_LIBFUZZER --product CanrunFuzz --scratch-path "$scratch" >&2
binary="$scratch/release/CanrunFuzz"

corpus="$scratch/corpus/$target"
findings="$scratch/findings/$target"
mkdir -p "$corpus" "$findings"

# Seeds: what canrun reads in real use. A prefix byte picks the probe's reader (ProbePipeline).
seed() { cp "$1" "$corpus/seed-$(basename "$1")"; }
prefixed() { { printf "\\x$1"; cat "$2"; } > "$corpus/seed-$1-$(basename "$2")"; }
case "$target" in
gguf)
    # The reader never reads tensor data: the first 64 KiB hold every fixture's header.
    for f in Tests/Fixtures/gguf/*.gguf; do head -c 65536 "$f" > "$corpus/seed-$(basename "$f")"; done ;;
config-json)
    for f in Tests/Fixtures/hf-config/*.json; do seed "$f"; done ;;
canrun-toml)
    seed config/canrun.toml
    printf '[server]\nmax_connections = 64\n#--- drop-in\n[server]\ntcp = "127.0.0.1:9105"\n[log]\nlevel = "debug"\n' \
        > "$corpus/seed-drop-in.toml" ;;
probe)
    for f in Tests/Fixtures/dmi/*.txt Tests/Fixtures/hand-made/*.txt; do prefixed 00 "$f"; done
    for f in Tests/Fixtures/hwloc-xml/*.xml Tests/Fixtures/hand-made/*.xml; do prefixed 02 "$f"; done
    tree=$(mktemp -d)
    trap 'rm -rf "$tree"' EXIT
    tar -xjf Tests/Fixtures/hwloc-fsroot/32em64t-2n8c+dax+nvme+mic+dimms.tar.bz2 -C "$tree"
    # The raw type-17 entries of a real machine, ended by type 127: a raw SMBIOS table.
    { for i in $(seq 0 23); do cat "$tree/32em64t-2n8c+1mic/sys/firmware/dmi/entries/17-$i/raw"; done
      printf '\x7f\x04\xff\xfe\x00\x00'; } > "$tree/smbios.bin"
    prefixed 01 "$tree/smbios.bin"
    # Recorded folders as ReplayTree records (`@@ PATH`, `@@ PATH -> TARGET`); `sed -n` rather
    # than `head`, which would close the pipe early (SIGPIPE fails the script under pipefail).
    for archive in 2arm-2c nvidiagpunumanodes; do
        mkdir -p "$tree/$archive"
        tar -xjf "Tests/Fixtures/hwloc-fsroot/$archive.tar.bz2" -C "$tree/$archive"
        top=$(find "$tree/$archive" -mindepth 1 -maxdepth 1 -type d | head -1)
        {
            printf '\x03'
            (cd "$top" && find . -type l -o -type f -size -8k | sed 's|^\./||' | sort | sed -n '1,250p' | while read -r path; do
                if [ -L "$path" ]; then printf '@@ %s -> %s\n' "$path" "$(readlink "$path")"
                else printf '@@ %s\n' "$path"; cat "$path"; printf '\n'; fi
            done)
            printf '@@ dmidecode.txt\n'; cat Tests/Fixtures/hand-made/gigabyte-epyc7003-8x64g-ddr4-3200-dimm-p0.dmidecode.txt
            printf '@@ nvidia-smi.xml\n'; cat Tests/Fixtures/gpu/nvidia-smi-q-x.rtx-3090-v12.xml
        } > "$corpus/seed-03-$archive.tree"
    done ;;
esac
if [ -d "Tests/Fixtures/fuzz/$target" ]; then
    find "Tests/Fixtures/fuzz/$target" -type f ! -name EXPECTED -exec cp {} "$corpus/" \;
fi

# A dictionary of the format's words: the keys canrun reads, so mutations form them.
dict="$scratch/$target.dict"
case "$target" in
config-json) grep -ho '"[a-z_]*":' Tests/Fixtures/hf-config/*.json | sort -u | sed 's/:$//; s/"/\\"/g; s/.*/"&"/' > "$dict" ;;
canrun-toml) grep -ho '^#\? *[a-z_]* *=' config/canrun.toml | tr -d '# =' | sort -u | sed 's/.*/"&"/' > "$dict"
    printf '"[server]"\n"[benchmark]"\n"[log]"\n"#--- drop-in"\n' >> "$dict" ;;
*) : > "$dict" ;;
esac
dict_flag=()
if [ -s "$dict" ]; then dict_flag=(-dict="$dict"); fi

# TOMLKit never frees a parse (about 2 KB an input here; canrun itself parses each distinct text
# once, TOMLDocument), so one process fuzzing canrun.toml for minutes passes any RSS limit without
# a bug. That target runs in 60-second sessions over the same corpus, each a fresh process: the
# limits keep their meaning (a runaway input still fails its session).
session=$(case "$target" in canrun-toml) echo 60 ;; *) echo "$seconds" ;; esac)

max_len=$(case "$target" in gguf) echo 65536 ;; config-json) echo 16384 ;; probe) echo 262144 ;; *) echo 8192 ;; esac)
echo "fuzzing $target for $seconds s ($(ls "$corpus" | wc -l) inputs to start from)" >&2
: > "$scratch/$target.log"
left=$seconds
while [ "$left" -gt 0 ]; do
    run=$((left < session ? left : session))
    left=$((left - run))
    # -timeout: one input may take 10 s (a hang past it); -rss_limit_mb / -malloc_limit_mb: a
    # runaway allocation; -use_value_profile: guides the fuzzer past magic numbers and bounds.
    # SWIFT_BACKTRACE: Swift's own crash handler would end the process before libFuzzer saves
    # the input; libFuzzer's handler prints the stack and keeps the input.
    SWIFT_BACKTRACE=enable=no CANRUN_FUZZ_TARGET="$target" "$binary" "$corpus" \
        -max_total_time="$run" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -max_len="$max_len" -use_value_profile=1 -print_final_stats=1 \
        -artifact_prefix="$findings/" "${dict_flag[@]}" "$@" 2>> "$scratch/$target.log" || {
        status=$?
        tail -40 "$scratch/$target.log" >&2
        echo "fuzz $target FAILED (exit $status): the input is in $findings/; keep it in Tests/Fixtures/fuzz/$target" >&2
        exit 1
    }
done
grep -E "^(stat::|Done )" "$scratch/$target.log" >&2 || true
awk -F: '/^stat::number_of_executed_units/ { n += $NF; s++ } /^stat::peak_rss_mb/ { if ($NF > p) p = $NF }
    END { printf "%s: %d inputs in %d session(s), peak RSS %d MB\n", "'"$target"'", n, s, p }' "$scratch/$target.log" >&2
