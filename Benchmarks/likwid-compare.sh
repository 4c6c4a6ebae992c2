#!/usr/bin/env bash
# canrun's bandwidth kernels against likwid-bench's hand-written assembly, side by side.
#
# For 1 thread and one thread per core, and the same working set, it alternates likwid and
# canrun (A B A B ...) ROUNDS times per kernel and prints the best of each and the ratio
# canrun / likwid (target: >= 0.95). likwid kernels: read = load_avx512 (load_avx without
# AVX-512); copy = the better of copy_avx512 and copy_mem_avx512; triad = the better of
# stream_avx512_fma and stream_mem_avx512 (the _avx / _avx_fma ones without AVX-512).
#
#   Benchmarks/likwid-compare.sh            # needs likwid (apt-get install likwid) and a release build
#   ROUNDS=5 ARRAY_MIB=2048 Benchmarks/likwid-compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
ARRAY_MIB=${ARRAY_MIB:-1024}   # bytes of one array, all threads together

command -v likwid-bench >/dev/null || { echo "likwid-bench not found: apt-get install likwid" >&2; exit 2; }
swift build -c release --product canrun >/dev/null
canrun=.build/release/canrun

if grep -qw avx512f /proc/cpuinfo; then
    read_k=(load_avx512); copy_k=(copy_avx512 copy_mem_avx512); triad_k=(stream_avx512_fma stream_mem_avx512)
else
    read_k=(load_avx); copy_k=(copy_avx copy_mem_avx); triad_k=(stream_avx_fma stream_mem_avx_fma)
fi
cores=$(lscpu -p=core | grep -v '^#' | sort -u | wc -l)

likwid_rate() { # kernel threads arrays -> bytes/s
    local size=$(( ARRAY_MIB * $3 ))
    likwid-bench -t "$1" -W "N:${size}MB:$2" 2>/dev/null | awk '/^MByte\/s/ {printf "%.0f\n", $2 * 1e6}'
}
canrun_rate() { # kernel threads -> bytes/s
    "$canrun" bench --json --threads "$2" --buffer-mib $(( ARRAY_MIB / $2 )) --kernel "$1" --budget 2 |
        python3 -c "import json,sys; print(json.load(sys.stdin)['total']['$1_bytes_per_s'])"
}
best() { sort -n | tail -1; }

printf "%-6s %-8s %-22s %14s %14s %7s\n" kernel threads likwid-kernel "likwid GB/s" "canrun GB/s" ratio
for threads in 1 "$cores"; do
    for kernel in read copy triad; do
        case $kernel in read) ks=("${read_k[@]}"); arrays=1 ;; copy) ks=("${copy_k[@]}"); arrays=2 ;; triad) ks=("${triad_k[@]}"); arrays=3 ;; esac
        l_best=0; l_name=""; c_samples=()
        for _ in $(seq "$ROUNDS"); do
            for k in "${ks[@]}"; do
                r=$(likwid_rate "$k" "$threads" "$arrays")
                if [ "${r:-0}" -gt "$l_best" ]; then l_best=$r; l_name=$k; fi
            done
            c_samples+=("$(canrun_rate "$kernel" "$threads")")
        done
        c_best=$(printf "%s\n" "${c_samples[@]}" | best)
        python3 -c "print('%-6s %-8s %-22s %14.1f %14.1f %7.2f' % ('$kernel', '$threads', '$l_name', $l_best/1e9, $c_best/1e9, $c_best/$l_best))"
    done
done
