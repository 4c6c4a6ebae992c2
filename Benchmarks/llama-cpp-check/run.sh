#!/usr/bin/env bash
# canrun's memory and speed predictions beside llama.cpp's own figures on this machine.
# Builds llama-cpp-python 0.3.36 (CPU) in a venv the first time (about 15 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${CANRUN_LLAMA_VENV:-/tmp/llenv}"
if ! "$VENV/bin/python" -c "import llama_cpp, gguf, numpy" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet numpy gguf==0.19.0 llama-cpp-python==0.3.36
fi
swift build -c release --product canrun
# canrun's own bandwidth measurement is what its CPU decode prediction divides by: the full run
# (several passes, about 3 s). On the shared development VM the host's other tenants move it:
# 33-35 GB/s most runs, 50-64 GB/s at times, with base or huge pages alike; check.py writes the
# rate each run used into its rows file, and RESULTS.md keeps the runs.
.build/release/canrun bench > /dev/null
CANRUN="$PWD/.build/release/canrun" exec "$VENV/bin/python" Benchmarks/llama-cpp-check/check.py
