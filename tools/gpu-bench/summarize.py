#!/usr/bin/env python3
"""The table of bin/pipeline-bench-gpu: the job's runs against engine-bench (markdown on stdout).

    python3 tools/gpu-bench/summarize.py RESULTS

Reads RESULTS/engine.log (engine-bench) and every RESULTS/job-*/ (run.txt, job.log, smi.csv,
rss_kb, and the run's output folder: each transcript's .json for durations and segments).

"after load" counts from the moment the first engine of the run was ready (its warm-up done,
from the job's log) to the end of the command, so it leaves out the JVM's start and the model's
load (~18 GB of fp16 weights per engine), as engine-bench does; "whole" is the command's wall
time. GPU busy = mean of nvidia-smi's utilization.gpu samples (every 500 ms) after load.
"""

import datetime
import glob
import json
import os
import re
import sys


def engine_figures(results, name="engine.log"):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None
    text = open(path).read()
    m = re.search(
        r"engine batch (\d+) .*?: ([\d.]+) audio s/s, ([\d.]+) generated tokens/s \((\d+) segments,"
        r" ([\d.]+) s audio per pass, (\d+) ms per pass; first token alone (\d+) ms per batch; decode"
        r" ([\d.]+) ms per step\)(?:; GPU memory: process ([\d.]+) GiB)?",
        text,
    )
    if not m:
        return None
    load = re.search(r"engine loaded on (.*) in ([\d.]+) s", text)
    return {
        "batch": int(m.group(1)),
        "audio_per_s": float(m.group(2)),
        "segments": int(m.group(4)),
        "audio_per_pass": float(m.group(5)),
        "ms_per_pass": int(m.group(6)),
        "first_token_ms": int(m.group(7)),
        "step_ms": float(m.group(8)),
        "gpu_gib": float(m.group(9)) if m.group(9) else None,
        "load_s": float(load.group(2)) if load else None,
        "device": load.group(1) if load else "unknown",
    }


def smi_samples(path):
    out = []
    if not os.path.exists(path):
        return out
    for line in open(path):
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 5:
            continue
        try:
            t = datetime.datetime.strptime(parts[0], "%Y/%m/%d %H:%M:%S.%f").timestamp() * 1000
            out.append((t, int(parts[1]), float(parts[2]), float(parts[3]), float(parts[4])))
        except ValueError:
            continue
    return out


def job_figures(d):
    run = dict(line.strip().split("=", 1) for line in open(os.path.join(d, "run.txt")) if "=" in line)
    start, end = int(run["start_ms"]), int(run["end_ms"])
    log = open(os.path.join(d, "job.log"), errors="replace").read()
    # An engine on a GPU is ready after its warm-up; one on the CPU (no warm-up) once loaded.
    ready = sorted(int(m) for m in re.findall(r"^(\d{13}) INFO .*warm-up took", log, re.M))
    if not ready:
        ready = sorted(int(m) for m in re.findall(r"^(\d{13}) INFO +OnnxSpeechEngine - loaded ", log, re.M))
    where = re.findall(r"OnnxSpeechEngine - loaded .* on (CUDA device \d+|CPU)", log)
    done = re.search(r"done in ([\d.]+) s: (\d+) files transcribed, (\d+) failed", log)
    audio = 0.0
    segments = []
    out = run["output"]
    if not os.path.isdir(out):  # results copied elsewhere with the outputs beside them
        out = os.path.join(os.path.dirname(os.path.abspath(d)), "..", os.path.basename(out))
    for j in glob.glob(os.path.join(out, "**", "*.json"), recursive=True):
        try:
            o = json.load(open(j))
        except (OSError, ValueError):
            continue
        audio += float(o.get("duration") or 0)
        segments += [s["end"] - s["start"] for s in o.get("segments", [])]
    failures = 0
    fpath = os.path.join(out, "_failures.jsonl")
    if os.path.exists(fpath):
        failures = sum(1 for line in open(fpath) if line.strip())
    gpus = int(run["gpus"])
    first = ready[0] if ready else None
    samples = smi_samples(os.path.join(d, "smi.csv"))
    per_device = {}
    for t, idx, util, mem, total in samples:
        if idx >= max(gpus, 1):
            continue
        e = per_device.setdefault(idx, {"busy": [], "peak": 0.0, "total": total})
        e["peak"] = max(e["peak"], mem)
        if first is not None and first <= t <= end:
            e["busy"].append(util)
    rss = None
    rpath = os.path.join(d, "rss_kb")
    if os.path.exists(rpath):
        rss = int(open(rpath).read().strip() or 0) / 1048576
    return {
        "name": os.path.basename(d),
        "parallelism": int(run["parallelism"]),
        "gpus": gpus,
        "exit": int(run["exit"]),
        "decoders": run.get("decoders"),
        "batch_wait_ms": run.get("batch_wait_ms"),
        "wall": (end - start) / 1000,
        "after_load": (end - first) / 1000 if first else None,
        "load": (first - start) / 1000 if first else None,
        "engines_ready": len(ready),
        "engines_on": ", ".join(sorted(set(where))) or "unknown",
        "ready_spread": (ready[-1] - ready[0]) / 1000 if ready else None,
        "audio": audio,
        "segments": segments,
        "done": int(done.group(2)) if done else None,
        "failed": int(done.group(3)) if done else failures,
        "devices": per_device,
        "rss_gib": rss,
    }


TOKENS_NOTE = "same tokens (the job's batch shape),"


def main():
    results = sys.argv[1]
    eng = engine_figures(results)
    jobs = [job_figures(d) for d in sorted(glob.glob(os.path.join(results, "job-*"))) if os.path.exists(os.path.join(d, "run.txt"))]
    rows = []
    head = ("| run | audio | wall s (whole / after load) | × real time (whole / after load) | audio s/s vs"
            " engine-bench | GPU busy | peak GPU memory per device | peak host RSS | files done / failed |")
    rows.append(head)
    rows.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    if eng:
        audio = eng["audio_per_pass"]
        mem = f"{eng['gpu_gib']:.1f} GiB (process)" if eng["gpu_gib"] is not None else "—"
        rows.append(
            f"| engine-bench on {eng['device']}, batch {eng['batch']}: {eng['segments']} × 30 s synthetic, {eng['step_ms']:.2f} ms"
            f" per decode step, first token {eng['first_token_ms']} ms | {audio:.0f} s per pass | {eng['ms_per_pass'] / 1000:.1f} per pass"
            f" (load {eng['load_s']:.0f}) | — / **{eng['audio_per_s']:.1f}×** | 100% | — |"
            f" {mem} | — | — |"
        )
    for extra in sorted(glob.glob(os.path.join(results, "engine-*s.log"))):
        e = engine_figures(results, os.path.basename(extra))
        if e:
            secs = e["audio_per_pass"] / e["segments"]
            rows.append(
                f"| engine-bench, batch {e['batch']}: {e['segments']} × {secs:g} s synthetic, {TOKENS_NOTE}"
                f" {e['step_ms']:.2f} ms per decode step, first token {e['first_token_ms']} ms | {e['audio_per_pass']:.0f} s per pass |"
                f" {e['ms_per_pass'] / 1000:.1f} per pass | — / {e['audio_per_s']:.1f}× |"
                f" {100 * e['audio_per_s'] / eng['audio_per_s']:.0f}% | — | — | — | — |"
            )
    for j in jobs:
        what = f"job, --parallelism {j['parallelism']} --gpus {j['gpus']}"
        if j["engines_ready"] and j["engines_ready"] < j["parallelism"]:
            what += f" ({j['parallelism']} slots share {j['engines_ready']} engine)"
        if j["decoders"] not in (None, "default"):
            what += f" --decode-parallelism {j['decoders']}"
        if j["batch_wait_ms"] not in (None, "default"):
            what += f" --batch-wait-ms {j['batch_wait_ms']}"
        if j["exit"] not in (0,):
            what += f" (exit {j['exit']})"
        after = j["after_load"]
        whole_x = j["audio"] / j["wall"] if j["wall"] else 0
        after_x = j["audio"] / after if after else None
        vs = f"{100 * after_x / eng['audio_per_s']:.0f}%" if (eng and after_x) else "—"
        busy = ", ".join(
            f"GPU {i}: {sum(e['busy']) / len(e['busy']):.0f}%" if e["busy"] else f"GPU {i}: —"
            for i, e in sorted(j["devices"].items())
        )
        mem = ", ".join(f"GPU {i}: {e['peak'] / 1024:.1f} GiB" for i, e in sorted(j["devices"].items()))
        rss = f"{j['rss_gib']:.1f} GiB" if j["rss_gib"] else "—"
        after_s = f"{after:.1f}" if after else "—"
        after_xs = f"**{after_x:.1f}×**" if after_x else "—"
        rows.append(
            f"| {what} | {j['audio'] / 3600:.2f} h | {j['wall']:.1f} / {after_s} (load {j['load'] or 0:.0f}) |"
            f" {whole_x:.1f}× / {after_xs} | {vs} | {busy} | {mem} | {rss} | {j['done']} / {j['failed']} |"
        )
    print("\n".join(rows))
    print()
    for j in jobs:
        s = sorted(j["segments"])
        if s:
            full = sum(1 for x in s if x >= 29.0)
            print(
                f"{j['name']}: {len(s)} segments, mean {sum(s) / len(s):.1f} s, median {s[len(s) // 2]:.1f} s,"
                f" {100 * full / len(s):.0f}% of them ≥ 29 s; {j['engines_ready']} engine(s) on {j['engines_on']} ready"
                f" {j['load'] or 0:.1f} s after the start (spread {j['ready_spread'] or 0:.1f} s)"
            )
    if len(jobs) >= 2 and jobs[0]["after_load"] and jobs[1]["after_load"]:
        a = jobs[0]["audio"] / jobs[0]["after_load"]
        b = jobs[1]["audio"] / jobs[1]["after_load"]
        print(f"{jobs[1]['name']} / {jobs[0]['name']} (after load): {b / a:.2f}×")


if __name__ == "__main__":
    main()
