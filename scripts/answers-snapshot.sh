#!/usr/bin/env bash
# Writes canrun's answers (fit over machines × models × options, recommend over recorded
# machines; JSON and text) into one folder, so a refactoring can be shown to change nothing:
#   scripts/answers-snapshot.sh /tmp/before   # on the old commit
#   scripts/answers-snapshot.sh /tmp/after    # on the new one
#   diff -r /tmp/before /tmp/after
# Machines: every preset; two profiles made from recordings (one with two GPUs, one CPU-only
# with two NUMA nodes) given as --machine files; recordings given to --replay. Nothing here reads
# this machine's own facts or its bandwidth cache, so the answers depend on the code only.
set -euo pipefail
out=${1:?usage: scripts/answers-snapshot.sh OUT_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
canrun=${CANRUN:-$root/.build/debug/canrun}
fixtures=$root/Tests/Fixtures
mkdir -p "$out"
export CANRUN_SOCKET=/nonexistent/canrun.sock

run() { # NAME ARGS...: stdout, stderr and the exit status, all three compared
    local name=$1; shift
    local status=0
    "$canrun" "$@" --no-daemon > "$out/$name.out" 2> "$out/$name.err" || status=$?
    echo "$status" > "$out/$name.status"
}

replays=(
    "dual-a5000:$fixtures/gpu/nvidia-smi-q-x.dual_a5000-v13.xml"
    "rtx-3090:$fixtures/gpu/nvidia-smi-q-x.rtx-3090-v12.xml"
    "tesla-t4:$fixtures/gpu/nvidia-smi-q-x.tesla-t4.xml"
    "mi100:$fixtures/gpu/rocm-smi-json.mi100_rocm602.json"
    "two-nodes:$fixtures/hwloc-fsroot/32em64t-2n8c+dax+nvme+mic+dimms.xml"
    "ddr5-desktop:$fixtures/dmi/desktop-msi-z790-i9-14900kf-2x32g-ddr5-6400.dmidecode.txt"
)
machines=()
for entry in "${replays[@]}"; do
    name=${entry%%:*}; path=${entry#*:}
    "$canrun" probe --replay "$path" --json --no-daemon > "$out/machine-$name.json" 2>/dev/null || true
    machines+=("--machine=$out/machine-$name.json")
    run "recommend-$name" recommend --replay "$path" --json
    run "recommend-$name-32k" recommend --replay "$path" --ctx 32768
done
# Recordings hold parts of a machine; three whole ones are made from them, with a fixed
# measured bandwidth, so that every placement (CPU only on two NUMA nodes, two GPUs, MoE experts
# and layers in RAM beside a GPU) gets a speed.
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def load(name):
    with open(f"{out}/machine-{name}.json") as f:
        return json.load(f)
bandwidth = {"buffer_bytes": 268435456, "cross_node": None, "duration_s": 0.8, "earlier_reads": None,
    "fingerprint": "0000000000000000", "fraction_of_peak": None, "kernel_isa": "avx2",
    "measured_at": "2026-12-01T00:00:00Z", "nodes": [], "notes": [], "runs": [], "schema_version": 1,
    "stable": True, "theoretical_peak_bytes_per_s": None, "threads": 16,
    "total": {"copy_bytes_per_s": 60000000000, "read_bytes_per_s": 70000000000,
        "triad_bytes_per_s": 62000000000}}
def host(base):
    machine = load(base)
    machine["bandwidth"] = bandwidth
    machine["cpu"]["frequency_max_mhz"] = 3500
    machine["cpu"]["isa"] = ["avx", "avx2", "fma", "f16c"]
    machine["memory"]["total_bytes"] = 68719476736
    return machine
made = {"numa-host": host("two-nodes"), "dual-a5000-host": host("two-nodes"), "mi100-host": host("ddr5-desktop")}
made["dual-a5000-host"]["gpus"] = load("dual-a5000")["gpus"]
made["mi100-host"]["gpus"] = load("mi100")["gpus"]
for name, machine in made.items():
    with open(f"{out}/machine-{name}.json", "w") as f:
        json.dump(machine, f, indent=1, sort_keys=True)
PY
machines+=("--machine=$out/machine-numa-host.json" "--machine=$out/machine-dual-a5000-host.json"
    "--machine=$out/machine-mi100-host.json")
for preset in $(grep -h '^name = ' "$root/config/presets.toml" | sed 's/name = //; s/"//g'); do
    machines+=("--preset=$preset")
done

models=(llama-3.1-8b qwen3-30b-a3b llama-3.3-70b gpt-oss-20b deepseek-r1 tinyllama-1.1b gemma-3-27b
    mixtral-8x7b qwen3-235b-a22b)
for machine in "${machines[@]}"; do
    tag=$(basename "${machine#*=}" .json)
    for model in "${models[@]}"; do
        run "fit-$model-$tag" fit "$model" "$machine" --json
        run "fit-$model-$tag-32k-q8" fit "$model" "$machine" --ctx 32768 --kv q8_0 --json
    done
    run "fit-text-qwen3-30b-a3b-$tag" fit qwen3-30b-a3b "$machine"
    run "fit-text-llama-3.3-70b-$tag-Q4_K_M-fa-off" fit llama-3.3-70b "$machine" --quant Q4_K_M --flash-attn off
done
echo "$(ls "$out" | wc -l) files in $out" >&2
