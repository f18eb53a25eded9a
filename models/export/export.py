#!/usr/bin/env python3
"""Export the thinker of a Hugging Face Qwen2.5-Omni checkpoint to the ONNX model folder of MODEL_FORMAT.md.
The command line of the exporter (omni_export.py).

  export.py --checkpoint DIR --out DIR [--weights int4|float16|float32] [--int4] [--dtype float32|float16]
  export.py --tiny --out models/tiny        build the tiny random-weight model (HF, AWQ, both ONNX folders)
  export.py --random-full --out DIR [--weights int4|float16] [--no-step-decoder]
                                            full-size thinker, random seeded AWQ weights (benchmarks; no download)

Checkpoints: the full Qwen2.5-Omni (keys "thinker.*", talker and token2wav ignored), a thinker-only save, or an
AutoAWQ "GEMM" checkpoint (quantization_config.quant_method == "awq"). Only the thinker is exported: audio
tower, token embeddings and the text decoder with lm_head; no vision, no talker.
"""

import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import omni_export  # noqa: E402
import random_full  # noqa: E402
import tiny  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", help="Hugging Face checkpoint folder (Qwen2.5-Omni-7B or -AWQ)")
    ap.add_argument("--out", required=True, help="output model folder")
    omni_export.add_output_options(ap)
    ap.add_argument("--name", help="model_name for model.json (default: checkpoint folder name)")
    ap.add_argument("--tiny", action="store_true", help="build the tiny random-weight model under --out")
    ap.add_argument("--seed", type=int, default=None, help="--tiny / --random-full: weight seed")
    ap.add_argument("--random-full", action="store_true",
                    help="no checkpoint: the full-size thinker with random seeded AWQ weights (benchmarks)")
    ap.add_argument("--layers", type=int, help="--random-full: fewer layers (a quick check of the tool)")
    args = ap.parse_args(argv)
    parts = {"step_decoder": not args.no_step_decoder, "loop": not args.no_loop}

    if args.tiny:
        tiny.build_all(args.out, seed=args.seed)
        return
    if args.random_full:
        source = tempfile.mkdtemp(prefix="random-full-")
        cfg = random_full.write_checkpoint_files(source, args.layers)
        weights = random_full.RandomAwqWeights(args.seed or 0, args.layers)
        omni_export.export(source, args.out, args.weights or "int4", args.dtype,
                           model_name=args.name or "Qwen2.5-Omni-7B-random-awq", weights=weights, cfg=cfg,
                           source="random seeded AWQ weights (random_full.py)", **parts)
        shutil.rmtree(source)
        return
    if not args.checkpoint:
        ap.error("--checkpoint is required (or --tiny)")
    weights = args.weights or ("int4" if args.int4 else None)
    omni_export.export(args.checkpoint, args.out, weights, args.dtype, force_rtn=args.int4, model_name=args.name,
                       **parts)


if __name__ == "__main__":
    try:
        main()
    except omni_export.CheckpointError as e:
        print(f"export.py: {e}", file=sys.stderr)
        sys.exit(2)
