#!/usr/bin/env python3
"""Which llama.cpp quantization types the CPU backend repacks into its CPU_REPACK buffer.

Quantizes the synthetic 1.1 B Llama of check.py with llama.cpp's own quantizer to each type,
loads it with llama-cpp-python (CPU build) and prints, per file, the bytes of each tensor type
(from the GGUF tensor table, excluding token_embd, which is only gathered, never multiplied) beside
the CPU_Mapped and CPU_REPACK buffer sizes llama.cpp reports.

    CANRUN_LLAMA_VENV=/tmp/llenv; $CANRUN_LLAMA_VENV/bin/python Benchmarks/llama-cpp-check/repack.py
"""
import os
import re
import subprocess
import sys
from collections import defaultdict

import gguf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import SHAPES, THREADS, WORK, write_f16  # noqa: E402

# llama_ftype values (llama.h)
FTYPES = {"Q4_0": 2, "Q4_1": 3, "Q5_0": 8, "Q8_0": 7, "Q2_K": 10, "Q3_K_M": 12, "Q4_K_S": 14,
          "Q4_K_M": 15, "Q5_K_M": 17, "Q6_K": 18, "IQ4_NL": 25, "IQ4_XS": 30}


def main():
    os.makedirs(WORK, exist_ok=True)
    f16 = os.path.join(WORK, "llama-1.1b-F16.gguf")
    if not os.path.exists(f16):
        write_f16(f16, "llama-1.1b", SHAPES["llama-1.1b"])
    print("quant   mapped_MiB repack_MiB  matmul MiB by type (no token_embd)")
    for quant, ftype in FTYPES.items():
        path = os.path.join(WORK, f"repack-{quant}.gguf")
        if not os.path.exists(path):
            code = (
                "import llama_cpp\n"
                "p = llama_cpp.llama_model_quantize_default_params()\n"
                f"p.ftype = {ftype}\np.nthread = {THREADS}\n"
                f"raise SystemExit(llama_cpp.llama_model_quantize({f16!r}.encode(), {path!r}.encode(), p))\n"
            )
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            if r.returncode != 0:
                print(quant, "quantize failed", r.stderr[-300:])
                continue
        by_type = defaultdict(int)
        for t in gguf.GGUFReader(path).tensors:
            if t.name != "token_embd.weight" and len(t.shape) >= 2:
                by_type[t.tensor_type.name] += int(t.n_bytes)
        code = f"import llama_cpp\nllama_cpp.Llama(model_path={path!r}, n_ctx=512, n_threads={THREADS}, verbose=True)\n"
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

        def mib(pattern):
            found = re.findall(pattern, r.stderr)
            return sum(float(x) for x in found) if found else 0.0

        types = " ".join(f"{k}={v / 2**20:.1f}" for k, v in sorted(by_type.items()))
        mapped = mib(r"CPU_Mapped model buffer size =\s*([\d.]+) MiB")
        repack = mib(r"CPU_REPACK model buffer size =\s*([\d.]+) MiB")
        print(f"{quant:7} {mapped:10.1f} {repack:10.1f}  {types}", flush=True)


if __name__ == "__main__":
    main()
