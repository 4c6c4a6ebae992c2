#!/usr/bin/env python3
"""Writes the GGUF test fixtures of Tests/Fixtures/gguf with the reference `gguf` writer (PyPI,
llama.cpp's gguf-py), so canrun's reader is checked against the writer it must agree with.

Each NAME.gguf comes with NAME.expected.json: what the writer put in (version, metadata, tensor
names, shapes in ggml order, types, byte sizes, data offsets). Tensors are tiny; quantized ones
hold random bytes of the right size (the reader never decodes weights).

    pip install gguf==0.19.0 numpy && scripts/make-gguf-fixtures.py
"""
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import GGML_QUANT_SIZES

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "gguf")
rng = np.random.default_rng(20261129)


def tensor_bytes(shape, qtype):
    block, size = GGML_QUANT_SIZES[qtype]
    n = int(np.prod(shape))
    assert shape[0] % block == 0
    return n // block * size


def add(writer, expected, name, shape, qtype):
    """shape is ggml order (ne0 first); numpy arrays are the reverse."""
    nbytes = tensor_bytes(shape, qtype)
    if qtype == T.F32:
        data = rng.standard_normal(tuple(reversed(shape))).astype(np.float32)
        writer.add_tensor(name, data)
    elif qtype == T.F16:
        data = rng.standard_normal(tuple(reversed(shape))).astype(np.float16)
        writer.add_tensor(name, data)
    else:
        block, size = GGML_QUANT_SIZES[qtype]
        byte_shape = tuple(reversed(shape[1:])) + (shape[0] // block * size,)
        raw = rng.integers(0, 255, size=byte_shape, dtype=np.uint8)
        writer.add_tensor(name, raw, raw_dtype=qtype)
    expected["tensors"].append({"name": name, "shape": list(shape), "type": qtype.name, "bytes": nbytes})


FILE_TYPES = {T.F16: gguf.LlamaFileType.MOSTLY_F16, T.Q8_0: gguf.LlamaFileType.MOSTLY_Q8_0,
              T.Q4_K: gguf.LlamaFileType.MOSTLY_Q4_K_M}


def finish(writer):
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def llama(path, matrix_type, hidden=64, ff=128, vocab=256, layers=2, extras=False, split=None):
    heads, kv, head_dim = 4, 2, hidden // 4
    writer = gguf.GGUFWriter(path, "llama", split_max_tensors=split or 0)
    expected = {"architecture": "llama", "tensors": [], "metadata": {}}
    meta = {
        "llama.block_count": layers, "llama.context_length": 2048, "llama.embedding_length": hidden,
        "llama.feed_forward_length": ff, "llama.attention.head_count": heads,
        "llama.attention.head_count_kv": kv, "llama.rope.dimension_count": head_dim,
    }
    writer.add_block_count(layers)
    writer.add_context_length(2048)
    writer.add_embedding_length(hidden)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv)
    writer.add_rope_dimension_count(head_dim)
    writer.add_name("tiny-llama-test")
    writer.add_file_type(FILE_TYPES[matrix_type])
    writer.add_tokenizer_model("llama")
    writer.add_token_list([f"tok{i}" for i in range(vocab)])
    meta["general.name"] = "tiny-llama-test"
    if extras:
        # every metadata value type, nested arrays included
        writer.add_uint8("test.u8", 200)
        writer.add_int8("test.i8", -100)
        writer.add_uint16("test.u16", 60000)
        writer.add_int16("test.i16", -30000)
        writer.add_uint32("test.u32", 4000000000)
        writer.add_int32("test.i32", -2000000000)
        writer.add_float32("test.f32", 1.5)
        writer.add_bool("test.bool", True)
        writer.add_string("test.string", "ünïcödé ✓")
        writer.add_uint64("test.u64", 2**63 + 5)
        writer.add_int64("test.i64", -(2**62))
        writer.add_float64("test.f64", 2.25)
        writer.add_array("test.array_i32", [1, -2, 3])
        writer.add_array("test.array_nested", [[1, 2], [3]])
        writer.add_array("test.array_strings", ["a", "bc", ""])
        meta.update({
            "test.u8": 200, "test.i8": -100, "test.u16": 60000, "test.i16": -30000, "test.u32": 4000000000,
            "test.i32": -2000000000, "test.f32": 1.5, "test.bool": True, "test.string": "ünïcödé ✓",
            "test.u64": 2**63 + 5, "test.i64": -(2**62), "test.f64": 2.25, "test.array_i32": [1, -2, 3],
            "test.array_nested": [[1, 2], [3]], "test.array_strings": ["a", "bc", ""],
        })
    add(writer, expected, "token_embd.weight", [hidden, vocab], matrix_type)
    for i in range(layers):
        p = f"blk.{i}."
        add(writer, expected, p + "attn_norm.weight", [hidden], T.F32)
        add(writer, expected, p + "attn_q.weight", [hidden, heads * head_dim], matrix_type)
        add(writer, expected, p + "attn_k.weight", [hidden, kv * head_dim], matrix_type)
        add(writer, expected, p + "attn_v.weight", [hidden, kv * head_dim], matrix_type)
        add(writer, expected, p + "attn_output.weight", [heads * head_dim, hidden], matrix_type)
        add(writer, expected, p + "ffn_norm.weight", [hidden], T.F32)
        add(writer, expected, p + "ffn_gate.weight", [hidden, ff], matrix_type)
        add(writer, expected, p + "ffn_up.weight", [hidden, ff], matrix_type)
        add(writer, expected, p + "ffn_down.weight", [ff, hidden], matrix_type)
    add(writer, expected, "output_norm.weight", [hidden], T.F32)
    add(writer, expected, "output.weight", [hidden, vocab], T.Q6_K if hidden % 256 == 0 else matrix_type)
    expected["metadata"] = meta
    expected["vocab_size"] = vocab
    finish(writer)
    return expected


def moe(path):
    hidden, ff, experts, used, layers, vocab = 64, 32, 4, 2, 2, 128
    writer = gguf.GGUFWriter(path, "qwen3moe")
    expected = {"architecture": "qwen3moe", "tensors": [], "metadata": {
        "qwen3moe.expert_count": experts, "qwen3moe.expert_used_count": used}}
    writer.add_block_count(layers)
    writer.add_context_length(4096)
    writer.add_embedding_length(hidden)
    writer.add_feed_forward_length(128)
    writer.add_expert_feed_forward_length(ff)
    writer.add_head_count(4)
    writer.add_head_count_kv(1)
    writer.add_key_length(16)
    writer.add_value_length(16)
    writer.add_expert_count(experts)
    writer.add_expert_used_count(used)
    writer.add_tokenizer_model("gpt2")
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    writer.add_token_list([f"t{i}" for i in range(vocab)])
    add(writer, expected, "token_embd.weight", [hidden, vocab], T.Q8_0)
    for i in range(layers):
        p = f"blk.{i}."
        add(writer, expected, p + "attn_norm.weight", [hidden], T.F32)
        add(writer, expected, p + "attn_q.weight", [hidden, 64], T.Q8_0)
        add(writer, expected, p + "attn_k.weight", [hidden, 16], T.Q8_0)
        add(writer, expected, p + "attn_v.weight", [hidden, 16], T.Q8_0)
        add(writer, expected, p + "attn_output.weight", [64, hidden], T.Q8_0)
        add(writer, expected, p + "attn_q_norm.weight", [16], T.F32)
        add(writer, expected, p + "attn_k_norm.weight", [16], T.F32)
        add(writer, expected, p + "ffn_norm.weight", [hidden], T.F32)
        add(writer, expected, p + "ffn_gate_inp.weight", [hidden, experts], T.F32)
        add(writer, expected, p + "ffn_gate_exps.weight", [hidden, ff, experts], T.Q4_0)
        add(writer, expected, p + "ffn_up_exps.weight", [hidden, ff, experts], T.Q4_0)
        add(writer, expected, p + "ffn_down_exps.weight", [ff, hidden, experts], T.Q8_0)
    add(writer, expected, "output_norm.weight", [hidden], T.F32)
    add(writer, expected, "output.weight", [hidden, vocab], T.Q8_0)
    expected["vocab_size"] = vocab
    finish(writer)
    return expected


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = {
        "tiny-llama-f16": lambda p: llama(p, T.F16, extras=True),
        "tiny-llama-q8_0": lambda p: llama(p, T.Q8_0),
        "tiny-llama-q4_k": lambda p: llama(p, T.Q4_K, hidden=256, ff=512, vocab=256),
        "tiny-qwen3moe-q8_0": moe,
    }
    for name, make in cases.items():
        path = os.path.join(OUT, name + ".gguf")
        expected = make(path)
        expected["file_bytes"] = os.path.getsize(path)
        reader = gguf.GGUFReader(path)
        expected["version"] = int(reader.fields["GGUF.version"].parts[-1][0])
        offsets = {t.name: int(t.data_offset) for t in reader.tensors}
        for t in expected["tensors"]:
            t["data_offset"] = offsets[t["name"]]
        with open(os.path.join(OUT, name + ".expected.json"), "w") as f:
            json.dump(expected, f, indent=1, ensure_ascii=False)
    # A model split in two files, as gguf-split writes them (split.no / split.count / split.tensors.count).
    base = os.path.join(OUT, "tiny-llama-split")
    expected = llama(base + ".gguf", T.Q8_0, split=10)
    for part in sorted(os.listdir(OUT)):
        if part.startswith("tiny-llama-split-") and part.endswith(".gguf"):
            print("split part", part, os.path.getsize(os.path.join(OUT, part)))
    with open(base + ".expected.json", "w") as f:
        json.dump(expected, f, indent=1)
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    sys.exit(main())
