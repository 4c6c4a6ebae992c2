#!/usr/bin/env python3
"""canrun's fit against llama.cpp itself, on this machine.

For synthetic Llama models (random weights written with the reference `gguf` writer, quantized
with llama.cpp's own quantizer) it loads each file with llama-cpp-python (CPU build), reads the
buffer sizes llama.cpp prints, times a 512-token prompt and 32 decoded tokens, and prints canrun's
prediction (`canrun fit CONFIG.json --json`) beside each figure with the ratio.

    Benchmarks/llama-cpp-check/run.sh          # sets up the venv, builds canrun, runs this

Targets (issue 5): weights and KV within 2%, compute buffer within 15%, decode and prefill within 15%.
"""
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

WORK = os.environ.get("CANRUN_CHECK_DIR", "/tmp/canrun-llama-check")
CANRUN = os.environ.get("CANRUN", "canrun")
THREADS = int(os.environ.get("CANRUN_CHECK_THREADS", str(os.cpu_count() or 1)))
PROMPT = 512
DECODE = 32

# Llama shapes with a 32000-token vocabulary and an untied output head: TinyLlama-1.1B's and
# Llama-3.2-3B's layers (1.10 B and 3.02 B weights).
SHAPES = {
    "llama-1.1b": dict(hidden=2048, layers=22, heads=32, kv=4, ff=5632),
    "llama-3b": dict(hidden=3072, layers=28, heads=24, kv=8, ff=8192),
}
MODELS = [m for m in os.environ.get("CANRUN_CHECK_MODELS", ",".join(SHAPES)).split(",") if m in SHAPES]
VOCAB = 32000
QUANTS = [q for q in os.environ.get("CANRUN_CHECK_QUANTS", "F16,Q8_0,Q4_0").split(",") if q]
FTYPES = {"F16": 1, "Q8_0": 7, "Q4_0": 2}  # llama_ftype
# llama.cpp's own default (-fa auto) turns flash attention on for the CPU backend.
FLASH = os.environ.get("CANRUN_CHECK_FLASH_ATTN", "on")
# Raw decode rows for Benchmarks/llama-cpp-check/fit-cpu-decode.py.
ROWS_CSV = os.environ.get("CANRUN_CHECK_ROWS", os.path.join(WORK, "decode-rows.csv"))


def config(name, s):
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": s["hidden"],
        "num_hidden_layers": s["layers"], "num_attention_heads": s["heads"], "num_key_value_heads": s["kv"],
        "intermediate_size": s["ff"], "vocab_size": VOCAB, "max_position_embeddings": 4096,
        "tie_word_embeddings": False, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "torch_dtype": "float16",
        "_name_or_path": name,
    }


def write_f16(path, name, s, vocab=VOCAB):
    import gguf
    rng = np.random.default_rng(1)
    w = gguf.GGUFWriter(path, "llama")
    h, ff, heads, kv = s["hidden"], s["ff"], s["heads"], s["kv"]
    d = h // heads
    w.add_name(name)
    w.add_context_length(4096)
    w.add_embedding_length(h)
    w.add_block_count(s["layers"])
    w.add_feed_forward_length(ff)
    w.add_head_count(heads)
    w.add_head_count_kv(kv)
    w.add_rope_dimension_count(d)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(1)
    w.add_tokenizer_model("llama")
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(256)]
    tokens += [f"t{i}" for i in range(vocab - len(tokens))]
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * vocab)
    w.add_token_types([2, 3, 3] + [6] * 256 + [1] * (vocab - 259))
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)

    def t(n, shape, dtype=np.float16):
        # numpy order is the reverse of ggml's; small values keep activations finite.
        w.add_tensor(n, (rng.standard_normal(tuple(reversed(shape)), dtype=np.float32) * 0.02).astype(dtype))

    t("token_embd.weight", [h, vocab])
    for i in range(s["layers"]):
        p = f"blk.{i}."
        t(p + "attn_norm.weight", [h], np.float32)
        t(p + "attn_q.weight", [h, h])
        t(p + "attn_k.weight", [h, kv * d])
        t(p + "attn_v.weight", [h, kv * d])
        t(p + "attn_output.weight", [h, h])
        t(p + "ffn_norm.weight", [h], np.float32)
        t(p + "ffn_gate.weight", [h, ff])
        t(p + "ffn_up.weight", [h, ff])
        t(p + "ffn_down.weight", [ff, h])
    t("output_norm.weight", [h], np.float32)
    t("output.weight", [h, vocab])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def quantize(src, dst, quant):
    """llama.cpp's own quantizer (llama-quantize's recipe), in a child: it logs every tensor."""
    code = f"""
import llama_cpp
p = llama_cpp.llama_model_quantize_default_params()
p.ftype = {FTYPES[quant]}
p.nthread = {THREADS}
raise SystemExit(llama_cpp.llama_model_quantize({src!r}.encode(), {dst!r}.encode(), p))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"llama_model_quantize({quant}) failed ({r.returncode}):\n{r.stderr[-2000:]}")


def measure(path):
    """Runs in a child so llama.cpp's log (fd 2) can be read back."""
    code = f"""
import json, time, llama_cpp
llm = llama_cpp.Llama(model_path={path!r}, n_ctx={PROMPT + DECODE + 64}, n_batch={PROMPT}, n_ubatch={PROMPT},
                      n_threads={THREADS}, n_threads_batch={THREADS}, verbose=True, use_mmap=True,
                      flash_attn={FLASH == 'on'})
prompt = [1] + [300 + (i * 7919) % 30000 for i in range({PROMPT - 1})]
llm.eval(prompt[:32]); llm.reset()                      # warm-up
t0 = time.perf_counter(); llm.eval(prompt); t1 = time.perf_counter()
times = []
tok = 500
for i in range({DECODE}):
    s = time.perf_counter(); llm.eval([tok]); times.append(time.perf_counter() - s); tok = 300 + (tok * 31) % 30000
times.sort()
print(json.dumps({{"prefill": {PROMPT} / (t1 - t0), "decode": 1 / times[len(times) // 2]}}))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"llama-cpp-python failed on {path}:\n{r.stderr[-3000:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    log = r.stderr

    def mib(pattern):
        found = re.findall(pattern, log)
        return sum(float(x) for x in found) * 2**20 if found else None

    out["weights"] = mib(r"CPU_Mapped model buffer size =\s*([\d.]+) MiB") or mib(r"CPU model buffer size =\s*([\d.]+) MiB")
    out["repack"] = mib(r"CPU_REPACK model buffer size =\s*([\d.]+) MiB")
    out["kv"] = mib(r"KV buffer size =\s*([\d.]+) MiB")
    out["compute"] = mib(r"CPU compute buffer size =\s*([\d.]+) MiB")
    return out


def predict(config_path, quant):
    r = subprocess.run(
        [CANRUN, "fit", config_path, "--quant", quant, "--ctx", str(PROMPT + DECODE + 64), "--flash-attn", FLASH,
         "--json"],
        capture_output=True, text=True,
    )
    if r.returncode != 0:
        sys.exit(f"canrun fit failed: {r.stderr}")
    data = json.loads(r.stdout)
    report = data[0] if isinstance(data, list) else data
    return report


def params_active(config_path):
    r = subprocess.run([CANRUN, "models", "show", config_path, "--json"], capture_output=True, text=True)
    return json.loads(r.stdout)["params_active"] if r.returncode == 0 else 0


def main():
    os.makedirs(WORK, exist_ok=True)
    print(f"llama-cpp-python on {THREADS} threads; prompt {PROMPT} tokens, {DECODE} decoded")
    print(f"{'model':<11}{'quant':<6}{'what':<9}{'llama.cpp':>14}{'canrun':>14}{'ratio':>8}")
    ratios = {}
    raw = ["model,quant,threads,read_bytes_per_s,bytes_per_token,params_active,decode_tps,prefill_tps"]
    for name in MODELS:
        shape = SHAPES[name]
        cfg = os.path.join(WORK, f"{name}.config.json")
        with open(cfg, "w") as f:
            json.dump(config(name, shape), f)
        f16 = os.path.join(WORK, f"{name}-F16.gguf")
        if not os.path.exists(f16):
            write_f16(f16, name, shape)
        for quant in QUANTS:
            path = f16 if quant == "F16" else os.path.join(WORK, f"{name}-{quant}.gguf")
            if not os.path.exists(path):
                quantize(f16, path, quant)
            got = measure(path)
            want = predict(cfg, quant)
            mem = want["memory"]
            rows = [
                ("weights", got["weights"], mem["weights_bytes"]),
                ("kv", got["kv"], mem["kv_cache_bytes"]),
                ("compute", got["compute"], mem["compute_buffer_bytes"]),
                ("decode", got["decode"], want.get("decode_tokens_per_s")),
                ("prefill", got["prefill"], want.get("prefill_tokens_per_s")),
                ("repack", got["repack"], mem.get("cpu_repack_bytes") or None),
            ]
            basis = want["basis"]
            read = basis["effective_bandwidth_bytes_per_s"] / basis["efficiency"] if basis.get("efficiency") else 0
            active = params_active(cfg)
            raw.append(f"{name},{quant},{THREADS},{read:.0f},{basis['bytes_per_token']},{active},"
                       f"{got['decode']:.3f},{got['prefill']:.3f}")
            for what, measured, predicted in rows:
                if measured is None and predicted is None:
                    continue
                ratio = predicted / measured if measured and predicted else None
                ratios.setdefault(what, []).append(ratio)
                fmt = (lambda v: f"{v / 2**20:11.1f} MiB") if what in ("weights", "kv", "compute", "repack") else (lambda v: f"{v:10.2f} t/s")
                print(
                    f"{name:<11}{quant:<6}{what:<9}{fmt(measured) if measured else '?':>14}"
                    f"{fmt(predicted) if predicted else '?':>14}{(f'{ratio:.3f}' if ratio else '?'):>8}"
                )
    with open(ROWS_CSV, "w") as f:
        f.write("\n".join(raw) + "\n")
    print()
    for what, values in ratios.items():
        known = sorted(abs(v - 1) for v in values if v)
        if known:
            print(f"{what}: {len(known)} pairs, median |ratio-1| {known[len(known) // 2] * 100:.1f}%, worst {known[-1] * 100:.1f}%")


if __name__ == "__main__":
    main()
