"""Summary of a GPU trace (trace.sh) of a generation run: per decode step, the wall time, the GPU's busy time,
the kernels by time, the host's CUDA calls and the copies.

  python3 tools/gpu-trace/analyze.py TRACE.txt.gz [MARKER]

Decode steps are found by a kernel that runs once per step (MARKER, a substring of its name; default the
TopK that ONNX Runtime runs by radix select, once per step in the sampler). Steps closer than 30 ms form a run (one generate call); each run of more than
10 steps is summarised over its steps after the fifth.
"""
import collections
import gzip
import sys


def load(path):
    kernels, copies, calls = [], [], []
    with gzip.open(path, "rt") as f:
        for line in f:
            p = line.rstrip("\n").split(" ", 7)
            if p[0] == "K":  # start end stream correlation grid block name
                kernels.append((int(p[1]), int(p[2]), p[7]))
            elif p[0] == "M":  # start end stream correlation bytes kind
                copies.append((int(p[1]), int(p[2]), int(p[5]), int(p[6])))
            elif p[0] == "R":  # start end thread correlation name
                calls.append((int(p[1]), int(p[2]), p[5]))
    return sorted(kernels), sorted(copies), sorted(calls)


def runs_of(kernels, marker):
    idx = [i for i, k in enumerate(kernels) if marker in k[2]]
    runs, cur = [], idx[:1]
    for a, b in zip(idx, idx[1:]):
        if kernels[b][0] - kernels[a][1] > 30e6:
            runs.append(cur)
            cur = [b]
        else:
            cur.append(b)
    return runs + [cur] if cur else runs


def summarise(kernels, copies, calls, run, top=15):
    a, b = run[5], run[-1]
    n = len(run) - 6
    t0, t1 = kernels[a][1], kernels[b][1]
    time, count = collections.Counter(), collections.Counter()
    busy, last = 0, t0
    for start, end, name in kernels[a + 1:b + 1]:
        time[name[:100]] += end - start
        count[name[:100]] += 1
        s = max(start, last)
        if end > s:
            busy += end - s
            last = end
    print(f"  {n} steps: {(t1 - t0) / 1e6 / n:.3f} ms/step wall, GPU busy {busy / 1e6 / n:.3f} ms/step, "
          f"{sum(count.values()) / n:.0f} kernels/step")
    for name, t in time.most_common(top):
        print(f"    {t / 1e6 / n:8.3f} ms {count[name] / n:6.1f}x {name}")
    ctime, ccount = collections.Counter(), collections.Counter()
    for start, end, name in calls:
        if t0 <= start < t1:
            ctime[name] += end - start
            ccount[name] += 1
    for name, t in ctime.most_common(6):
        print(f"    host {t / 1e6 / n:7.3f} ms {ccount[name] / n:6.1f}x {name}")
    kinds = collections.Counter()
    for start, end, nbytes, kind in copies:
        if t0 <= start < t1:
            kinds[{1: "host->GPU", 2: "GPU->host", 8: "GPU->GPU"}.get(kind, kind)] += 1
    print("    copies per step: " + ", ".join(f"{k} {v / n:.1f}" for k, v in kinds.items()))


def main():
    kernels, copies, calls = load(sys.argv[1])
    marker = sys.argv[2] if len(sys.argv) > 2 else "RadixTopK"
    for run in runs_of(kernels, marker):
        if len(run) > 10:
            print(f"run of {len(run)} steps")
            summarise(kernels, copies, calls, run)


if __name__ == "__main__":
    main()
