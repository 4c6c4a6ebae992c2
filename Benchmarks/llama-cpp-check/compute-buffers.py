#!/usr/bin/env python3
"""llama.cpp's CPU compute buffer across model shapes, for fitting canrun's compute-buffer model.

Writes 2-layer synthetic Llama models (the buffer does not grow with depth) of varied hidden size,
FFN width, vocabulary, head count, context and micro-batch, loads each with llama-cpp-python and
prints the "CPU compute buffer size" llama.cpp reports.

    CANRUN_LLAMA_VENV=/tmp/llenv; $CANRUN_LLAMA_VENV/bin/python Benchmarks/llama-cpp-check/compute-buffers.py
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import write_f16  # noqa: E402

WORK = os.environ.get("CANRUN_CHECK_DIR", "/tmp/canrun-llama-check")
# hidden, ffn, vocab, heads, kv heads, ubatch, n_ctx
SHAPES = [
    (2048, 5632, 32000, 32, 4, 512, 608),
    (3072, 8192, 32000, 24, 8, 512, 608),
    (3072, 8192, 8000, 24, 8, 512, 608),
    (2048, 16384, 8000, 16, 4, 512, 608),
    (4096, 8192, 8000, 32, 8, 512, 608),
    (3072, 4096, 8000, 24, 8, 512, 608),
    (3072, 8192, 8000, 48, 8, 512, 608),
    (3072, 8192, 8000, 24, 8, 512, 2048),
    (3072, 8192, 8000, 24, 8, 256, 608),
    # Held out from the fit: real model shapes (Llama 3.2 1B, Llama 3.1 8B, Qwen2.5 0.5B-like,
    # Gemma-like wide vocabulary with few heads).
    (2048, 8192, 128256, 32, 8, 512, 4096),
    (4096, 14336, 32000, 32, 8, 512, 4096),
    (896, 4864, 151936, 14, 2, 512, 2048),
    (2304, 9216, 64000, 8, 4, 512, 1024),
]

os.makedirs(WORK, exist_ok=True)
print("hidden ffn vocab heads kv ubatch n_ctx flash_attn compute_MiB")
for (h, ff, vocab, heads, kv, ubatch, ctx), fa in [(s, fa) for fa in (False, True) for s in SHAPES]:
    path = os.path.join(WORK, f"shape-{h}-{ff}-{vocab}-{heads}-{kv}.gguf")
    if not os.path.exists(path):
        write_f16(path, "shape", dict(hidden=h, layers=2, heads=heads, kv=kv, ff=ff), vocab=vocab)
    code = (
        "import llama_cpp\n"
        f"llama_cpp.Llama(model_path={path!r}, n_ctx={ctx}, n_batch={ubatch}, n_ubatch={ubatch}, n_threads=2, flash_attn={fa}, verbose=True)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    buffer = re.findall(r"CPU compute buffer size =\s*([\d.]+) MiB", r.stderr)
    flash = re.findall(r"flash_attn\s*=\s*(\S+)", r.stderr)
    print(h, ff, vocab, heads, kv, ubatch, ctx, flash[0] if flash else "?", buffer[0] if buffer else "?", flush=True)
