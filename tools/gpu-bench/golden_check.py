#!/usr/bin/env python3
"""Compares greedy token ids of the tiny model on CUDA and on the CPU with the reference's.

    python3 tools/gpu-bench/golden_check.py models/tiny/golden/golden.json DIR

DIR holds KIND.gpuDEV.jsonl (KIND fp32 or int4, DEV -1 for the CPU or a CUDA device): the output
of EngineCli (`bin/engine`) over models/tiny/golden/audio/*.wav with --temperature 0
--repetition-penalty 1.0 --max-new-tokens 24. Golden ids include the stop id; the engine reports it
as the finish reason instead (as OnnxSpeechEngineGoldenTest compares them).
"""

import glob
import json
import os
import re
import sys


def main():
    golden = json.load(open(sys.argv[1]))
    folder = sys.argv[2]
    stop = golden["tokens"]["im_end"]
    fixtures = {f["name"]: f for f in golden["fixtures"]}
    ok = True
    runs = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.jsonl"))):
        kind, dev = os.path.basename(path)[: -len(".jsonl")].split(".")
        rows = {}
        for line in open(path):
            if line.startswith("{"):
                o = json.loads(line)
                rows[os.path.basename(o["file"])[: -len(".wav")]] = o
        runs[(kind, dev)] = rows
        where = "CPU" if dev == "gpu-1" else "CUDA " + dev[3:]
        # The engine falls back to the CPU when CUDA is not usable: its log says where it ran.
        err = open(path[: -len(".jsonl")] + ".err", errors="replace").read()
        ran = re.search(r"OnnxSpeechEngine - loaded .* on (CUDA device \d+|CPU)", err)
        ran = ran.group(1) if ran else "unknown (no load message)"
        if where.startswith("CUDA") and not ran.startswith("CUDA"):
            ok = False
            print(f"{kind}: asked for {where}, ran on {ran}")
        if len(rows) != len(fixtures):
            ok = False
            err = open(path[: -len(".jsonl")] + ".err").read().strip().splitlines()[-5:]
            print(f"{kind} on {where}: {len(rows)} of {len(fixtures)} results; stderr ends: {err}")
            continue
        equal = 0
        for name, o in rows.items():
            want = fixtures[name]["outputs"][kind]["rp1.0"]["ids"]
            stopped = bool(want) and want[-1] == stop
            text = want[:-1] if stopped else want
            reason = "STOP_TOKEN" if stopped else "MAX_TOKENS"
            if o["token_ids"] == text and o["finish_reason"] == reason:
                equal += 1
            else:
                ok = False
                print(f"  {kind} {where} {name}: got {o['token_ids']} ({o['finish_reason']}), want {text} ({reason})")
        print(f"{kind} on {where} (ran on {ran}): {equal}/{len(rows)} fixtures give the reference's greedy ids")
    for kind in ("fp32", "int4"):
        cpu, gpu = runs.get((kind, "gpu-1")), runs.get((kind, "gpu0"))
        if cpu and gpu:
            same = sum(1 for n in cpu if n in gpu and cpu[n]["token_ids"] == gpu[n]["token_ids"])
            print(f"{kind}: CUDA ids = CPU ids for {same}/{len(cpu)} fixtures")
            ok &= same == len(cpu)
    print("GOLDEN: " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
