#!/usr/bin/env python3
"""A full-width Qwen2.5-Omni-7B-AWQ checkpoint with random seeded weights, in the published layout, on disk.

  full_mimic.py --out DIR [--layers N] [--seed S] [--shard-gb G]

For measuring the exporter on the real reading path (safetensors shards through model.safetensors.index.json,
"thinker." keys, AWQ tensors), at full width: the weights are random_full.py's (AutoAWQ GEMM decoder linears with
seeded zero points, float16 elsewhere), written one tensor at a time (the writer never holds more than one tensor),
in shards of about --shard-gb GB. --layers N gives N text and N audio layers (default: all, 28 and 32: 6.85 GB).
measure_memory.sh uses it.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import omni_export  # noqa: E402
import random_full  # noqa: E402


def dtype_of(name: str):
    return np.int32 if name.endswith((".qweight", ".qzeros")) else np.float16


def write_shard(path: str, weights, names):
    """A safetensors file written tensor by tensor: header from the known shapes, then each tensor's bytes."""
    header, offset = {}, 0
    for name in names:
        dt = np.dtype(dtype_of(name))
        shape = list(weights.shapes[name])
        size = int(np.prod(shape)) * dt.itemsize
        header["thinker." + name] = {"dtype": "I32" if dt == np.int32 else "F16", "shape": shape,
                                     "data_offsets": [offset, offset + size]}
        offset += size
    header["__metadata__"] = {"format": "pt"}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(len(raw).to_bytes(8, "little"))
        f.write(raw)
        for name in names:
            a = np.ascontiguousarray(weights.get(name), dtype=dtype_of(name))
            a.tofile(f)
    return offset


def build(out: str, layers: int = None, seed: int = 0, shard_gb: float = 4.0):
    random_full.write_checkpoint_files(out, layers)
    with open(os.path.join(out, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    thinker = cfg["thinker_config"]
    thinker.pop("quantization_config", None)
    cfg = {"architectures": ["Qwen2_5OmniModel"], "enable_audio_output": True, "model_type": "qwen2_5_omni",
           "quantization_config": dict(random_full.QUANT, modules_to_not_convert=["visual"]),
           "thinker_config": thinker, "torch_dtype": "float16"}
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
    weights = random_full.RandomAwqWeights(seed, layers)
    names = list(weights.shapes)
    limit = shard_gb * 1e9
    groups, current, size = [], [], 0
    for name in names:
        n = int(np.prod(weights.shapes[name])) * np.dtype(dtype_of(name)).itemsize
        if current and size + n > limit:
            groups.append(current)
            current, size = [], 0
        current.append(name)
        size += n
    groups.append(current)
    weight_map, total = {}, 0
    for i, group in enumerate(groups):
        file = f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors"
        print(f"{file}: {len(group)} tensors", flush=True)
        total += write_shard(os.path.join(out, file), weights, group)
        weight_map.update({"thinker." + n: file for n in group})
    with open(os.path.join(out, omni_export.INDEX_FILE), "w", encoding="utf-8") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=1)
    print(f"wrote {out} ({total / 1e9:.2f} GB of weights)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--layers", type=int, help="text and audio layers (default: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shard-gb", type=float, default=4.0)
    args = ap.parse_args(argv)
    build(args.out, args.layers, args.seed, args.shard_gb)


if __name__ == "__main__":
    main()
