#!/usr/bin/env python3
"""Fits canrun's CPU decode model and prints the fit and every residual.

    decode seconds per token = max(bytes ÷ (read bandwidth × eta),
                                   weights ÷ (cores × clock × weights_per_cycle × lanes ÷ 8))

Memory side: eta is the median share of canrun's own read measurement that llama.cpp's F16 decode
reaches (F16 has the lightest arithmetic per byte) on the development VM
(Tests/Fixtures/llama-cpp/cpu-speeds.csv). Compute side: weights per core per cycle for each weight
family, from the 2-thread rows of that VM and of the Ryzen 9 7950X in reference/speeds.csv
(2 threads at 5.7 GHz, Llama 3.1 8B: 7.505 G multiplied weights per token). The VM's rows are
compute-bound by measurement: their bytes per second stay well under the read rate canrun measured
with the same two threads in the same run (the script prints the share). The 7950X's read rate with
two threads is not stated, so its rows give only a lower bound of a family's rate (a row that was
partly memory-bound understates it; BF16, which reads the most bytes, is left out): where both
machines measured a family, the VM's rows decide; the 7950X's fill in the families the VM lacks. Also prints the CPU prefill efficiency of F16 weights, which reference/
speeds.csv has no row for: measured pp512 × FLOPs per token ÷ the cores' FP32 peak (cores × clock ×
8 lanes × 2 FMA pipes × 2), the median over the VM's F16 rows (PrefillSpeedModel.swift's FLOPs).
Writes nothing: copy the printed values into config/efficiency.toml.

    python3 Benchmarks/llama-cpp-check/fit-cpu-decode.py
"""
import csv
import math
import os
import statistics

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
LANES = 8  # AVX2 on the EPYC; Zen 4 counts 8 (ComputePeak.fp32Lanes)


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def family(quant):
    return {"Q4_K_S": "Q4_K", "Q4_K_M": "Q4_K"}.get(quant, quant)


local = rows(os.path.join(ROOT, "Tests/Fixtures/llama-cpp/cpu-speeds.csv"))
for r in local:
    for k in ("threads", "mhz"):
        r[k] = int(r[k])
    for k in ("read_bytes_per_s", "bytes_per_token", "weights_per_token", "decode_tps", "prefill_tps",
              "layers", "attention_width"):
        r[k] = float(r[k])

eta = statistics.median(
    r["decode_tps"] * r["bytes_per_token"] / r["read_bytes_per_s"] for r in local if r["quant"] == "F16"
)
per_machine = {}
for r in local:
    if r["quant"] == "F16":
        continue
    k = r["decode_tps"] * r["weights_per_token"] / (r["threads"] * r["mhz"] * 1e6)
    per_machine.setdefault(family(r["quant"]), {}).setdefault("epyc", []).append(k)
    share = r["decode_tps"] * r["bytes_per_token"] / r["read_bytes_per_s"]
    print(f"# EPYC s{r['session']} {r['model']} {r['quant']}: reads {share * 100:.0f}% of the measured rate")
desktop = []
for r in rows(os.path.join(ROOT, "Tests/Fixtures/reference/speeds.csv")):
    if r["hardware_cpu"] == "AMD Ryzen 9 7950X" and r["tg_tps"] and r["quant"] != "BF16":
        tps = float(r["tg_tps"])
        desktop.append((r["quant"], tps))
        per_machine.setdefault(family(r["quant"]), {}).setdefault("7950x", []).append(tps * 7.505e9 / (2 * 5.7e9))

kappa = {f: statistics.median(m["epyc"] if "epyc" in m else m["7950x"]) for f, m in per_machine.items()}
print(f"[backend.cpu] eta = {eta:.2f}")
print("[backend.cpu.weights_per_cycle]")
for f in sorted(kappa):
    print(f"{f} = {kappa[f]:.2f}    # " + ", ".join(f"{m} {statistics.median(v):.2f}" for m, v in per_machine[f].items()))


def predict(r):
    memory = r["bytes_per_token"] / (r["read_bytes_per_s"] * eta)
    k = kappa.get(family(r["quant"]))
    compute = r["weights_per_token"] / (r["threads"] * r["mhz"] * 1e6 * k) if k else 0
    return 1 / max(memory, compute)


print("\nresiduals (predicted ÷ measured - 1)")
errors = []
for r in local:
    e = predict(r) / r["decode_tps"] - 1
    errors.append(abs(e))
    print(f"  EPYC s{r['session']} {r['model']:<11}{r['quant']:<6}{r['decode_tps']:8.2f} t/s  {e * 100:+6.1f}%")
vm = sorted(errors)
print(f"  this VM, {len(vm)} rows: median |error| {statistics.median(vm) * 100:.1f}%, "
      f"{sum(e <= 0.15 for e in vm)} within 15%, worst {vm[-1] * 100:.1f}%")
for quant, tps in desktop:
    k = kappa[family(quant)]
    e = (2 * 5.7e9 * k / 7.505e9) / tps - 1
    errors.append(abs(e))
    print(f"  7950X 2T  Llama-3.1-8B {quant:<7}{tps:8.2f} t/s  {e * 100:+6.1f}%")
errors.sort()
print(f"\n{len(errors)} rows: median |error| {statistics.median(errors) * 100:.1f}%, worst {errors[-1] * 100:.1f}%"
      " (the 7950X rows of families the VM ran are out of sample: its 2-thread read rate is unknown)")


# Prefill: FLOPs per token of a 512-token prompt (mean depth 256) over the FP32 peak.
ratios = []
for r in local:
    if r["quant"] != "F16":
        continue
    flops = 2 * r["weights_per_token"] + 4 * r["layers"] * r["attention_width"] * 256
    peak = r["threads"] * r["mhz"] * 1e6 * LANES * 2 * 2
    ratios.append(r["prefill_tps"] * flops / peak)
print(f"\n[prefill.cpu.quant_family] F16 = {statistics.median(ratios):.4f}   # rows: "
      + ", ".join(f"{x:.3f}" for x in ratios))
