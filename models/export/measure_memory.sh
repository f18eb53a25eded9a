#!/usr/bin/env bash
# Peak memory of the exporter on a full-width Qwen2.5-Omni-7B-AWQ checkpoint (random weights in the published
# layout, full_mimic.py): /usr/bin/time -v's maximum resident set size, int4 and float16 weights.
#
#   models/export/measure_memory.sh WORKDIR [LAYERS]
#
# LAYERS: text and audio layers (default: all, 28 text / 32 audio, the real size). Disk in WORKDIR for all layers:
# ~6.9 GB checkpoint + ~13 GB int4 folder + ~34 GB float16 folder (each folder is removed once measured).
# Peak RSS from /usr/bin/time -v (Debian: apt-get install time), or where it is missing from the same kernel counter
# through Python (getrusage of the child). The exporter's environment comes from venv.sh unless PYTHON names a
# Python that has its packages. EXPORT_ARGS: more export.py arguments (e.g. --no-step-decoder: the peak is the same,
# generate.onnx being the larger graph, in half the time and disk). Prints one line per export: weights, layers,
# peak RSS (GiB), wall time, folder size; the full reports stay in WORKDIR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="${1:?usage: measure_memory.sh WORKDIR [LAYERS]}"
layers="${2:-}"
python="${PYTHON:-$("$here/venv.sh")}"
mkdir -p "$work"
ckpt="$work/checkpoint${layers:+-$layers}"
[ -f "$ckpt/model.safetensors.index.json" ] || "$python" "$here/full_mimic.py" --out "$ckpt" ${layers:+--layers "$layers"}
peak() {  # REPORT COMMAND...: runs COMMAND, writes "Maximum resident set size (kbytes)" and the wall time to REPORT
  local report="$1"
  shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$@" 2>"$report"
  else
    "$python" -c '
import resource, subprocess, sys, time
start = time.time()
rc = subprocess.call(sys.argv[2:])
kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
s = time.time() - start
with open(sys.argv[1], "w") as f:
    f.write(f"\tMaximum resident set size (kbytes): {kb}\n")
    f.write(f"\tElapsed (wall clock) time (h:mm:ss or m:ss): {int(s // 60)}:{s % 60:05.2f}\n")
sys.exit(rc)' "$report" "$@"
  fi
}

for weights in int4 float16; do
  out="$work/out-$weights"
  report="$work/time-$weights${layers:+-$layers}.txt"
  # shellcheck disable=SC2086  # EXPORT_ARGS is split on purpose
  peak "$report" "$python" "$here/export.py" --checkpoint "$ckpt" --out "$out" --weights "$weights" \
    ${EXPORT_ARGS:-} >"$work/log-$weights.txt"
  kb="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$report")"
  wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$report")"
  size="$(du -sh "$out" | cut -f1)"
  printf 'weights %-7s layers %-4s peak RSS %6.2f GiB  wall %s  folder %s\n' \
    "$weights" "${layers:-all}" "$(awk -v kb="$kb" 'BEGIN { print kb / 1048576 }')" "$wall" "$size"
  rm -rf "$out"
done
