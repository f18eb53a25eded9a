#!/usr/bin/env python3
"""From a Hugging Face model id (or a checkpoint folder) to the ONNX model folder, in one command (bin/export).

  bin/export MODEL_ID_OR_DIR --out DIR [--revision REV] [exporter options: --weights, --dtype, --int4, --name,
                                                        --no-step-decoder, --no-loop]

A model id (e.g. Qwen/Qwen2.5-Omni-7B-AWQ) is downloaded with huggingface_hub into the Hugging Face cache: it
honours HF_ENDPOINT (a mirror), HF_TOKEN (gated or private repositories), HF_HOME / HF_HUB_CACHE (where the cache
lies) and HF_HUB_OFFLINE, shows progress, resumes a transfer cut off mid-file and downloads nothing the cache
already holds. Only what the exporter reads is fetched: the json files (config, index, tokenizer, preprocessor,
chat template), tokenizer.json, and the shards model.safetensors.index.json names (every *.safetensors when there
is no index); talker and token2wav weights share those shards, so they come too. Downloaded files are verified:
each LFS file's SHA-256 against the hash the hub gave for it. Then the exporter runs (omni_export.py) and the
command prints the --model argument for bin/transcribe and bin/serve.
"""

import argparse
import hashlib
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import omni_export  # noqa: E402

METADATA = ["*.json", "chat_template.jinja"]  # config, index, tokenizer(.json, _config), preprocessor, template
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class DownloadError(Exception):
    """The hub could not give the checkpoint: the message says what to check."""


def download(repo_id: str, revision: str = None) -> str:
    """The checkpoint's files in the Hugging Face cache; returns its snapshot folder."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (GatedRepoError, HfHubHTTPError, LocalEntryNotFoundError,
                                        RepositoryNotFoundError, RevisionNotFoundError)

    try:
        print(f"bin/export: {repo_id}: configuration and tokenizer", file=sys.stderr, flush=True)
        folder = snapshot_download(repo_id, revision=revision, allow_patterns=METADATA)
        index = os.path.join(folder, omni_export.INDEX_FILE)
        if os.path.exists(index):
            with open(index, encoding="utf-8") as f:
                shards = sorted(set(json.load(f)["weight_map"].values()))
        else:
            shards = ["*.safetensors"]
        print(f"bin/export: {repo_id}: weights ({', '.join(shards)})", file=sys.stderr, flush=True)
        folder = snapshot_download(repo_id, revision=revision, allow_patterns=shards)
    except GatedRepoError as e:
        raise DownloadError(f"{repo_id} is gated: accept its terms on the hub and set HF_TOKEN ({e})") from None
    except RepositoryNotFoundError as e:
        raise DownloadError(f"{repo_id}: no such repository at {endpoint()} (or it is private: set HF_TOKEN) "
                            f"({type(e).__name__})") from None
    except RevisionNotFoundError:
        raise DownloadError(f"{repo_id}: no revision {revision}") from None
    except LocalEntryNotFoundError as e:
        raise DownloadError(f"{repo_id}: the hub at {endpoint()} cannot be reached and the cache does not hold it "
                            f"({e.__cause__ or e})") from None
    except (HfHubHTTPError, OSError) as e:
        raise DownloadError(f"{repo_id}: download failed: {e}") from None
    return folder


def endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def verify(folder: str) -> int:
    """Checks every file of a cache snapshot whose blob is named by a SHA-256 (LFS files: the weights) against it.
    Returns the number of files checked; raises DownloadError on a mismatch (the blob is then removed, so the next
    run downloads it again)."""
    checked = 0
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        blob = os.path.realpath(path)
        digest = os.path.basename(blob)
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            continue  # a small git file: its blob is named by a git hash (the hub checked its size)
        h = hashlib.sha256()
        with open(blob, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 24), b""):
                h.update(chunk)
        if h.hexdigest() != digest:
            os.remove(blob)
            raise DownloadError(f"{name}: SHA-256 {h.hexdigest()} differs from the hub's {digest} (removed from the "
                                f"cache; run again to download it anew)")
        checked += 1
    return checked


def main(argv=None):
    ap = argparse.ArgumentParser(prog="bin/export", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="Hugging Face model id (Qwen/Qwen2.5-Omni-7B-AWQ) or a checkpoint folder")
    ap.add_argument("--out", required=True, help="the ONNX model folder to write")
    ap.add_argument("--revision", help="model id: branch, tag or commit (default: main)")
    omni_export.add_output_options(ap)
    ap.add_argument("--name", help="model_name for model.json (default: the id's or folder's last part)")
    args = ap.parse_args(argv)

    try:
        if os.path.isdir(args.model):
            checkpoint, source = args.model, os.path.basename(os.path.normpath(args.model))
        elif REPO_ID.match(args.model):
            checkpoint = download(args.model, args.revision)
            print(f"bin/export: verified {verify(checkpoint)} LFS files (SHA-256)", file=sys.stderr, flush=True)
            source = args.model + (f"@{args.revision}" if args.revision else "")
        else:
            raise DownloadError(f"{args.model}: neither a folder nor a model id (owner/name)")
        weights = args.weights or ("int4" if args.int4 else None)
        omni_export.export(checkpoint, args.out, weights, args.dtype, force_rtn=args.int4,
                           model_name=args.name or os.path.basename(args.model.rstrip("/")), source=source,
                           step_decoder=not args.no_step_decoder, loop=not args.no_loop)
    except (DownloadError, omni_export.CheckpointError) as e:
        print(f"bin/export: {e}", file=sys.stderr)
        return 2
    out = os.path.abspath(args.out)
    print(f"bin/export: done. Use it with --model {out}", file=sys.stderr)
    print(f"--model {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
