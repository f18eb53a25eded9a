#!/usr/bin/env bash
# Peak memory of the exporter on a full-width Qwen2.5-Omni-7B-AWQ checkpoint (random weights in the published
# layout, full_mimic.py): /usr/bin/time -v's maximum resident set size, int4 and float16 weights.
#
#   models/export/measure_memory.sh WORKDIR [LAYERS]
#
# LAYERS: text and audio layers (default: all, 28 text / 32 audio, the real size). Disk in WORKDIR for all layers:
# ~8.6 GB checkpoint + ~15 GB int4 folder + ~32 GB float16 folder (each folder is removed once measured).
# Needs /usr/bin/time (Debian: apt-get install time) and the exporter's environment (venv.sh makes it).
# Prints one line per export: weights, layers, peak RSS (GiB), wall time; the full reports stay in WORKDIR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="${1:?usage: measure_memory.sh WORKDIR [LAYERS]}"
layers="${2:-}"
python="${PYTHON:-$("$here/venv.sh")}"
[ -x /usr/bin/time ] || { echo "measure_memory.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }
mkdir -p "$work"
ckpt="$work/checkpoint${layers:+-$layers}"
[ -f "$ckpt/model.safetensors.index.json" ] || "$python" "$here/full_mimic.py" --out "$ckpt" ${layers:+--layers "$layers"}
for weights in int4 float16; do
  out="$work/out-$weights"
  report="$work/time-$weights${layers:+-$layers}.txt"
  /usr/bin/time -v "$python" "$here/export.py" --checkpoint "$ckpt" --out "$out" --weights "$weights" \
    >"$work/log-$weights.txt" 2>"$report"
  kb="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$report")"
  wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$report")"
  size="$(du -sh "$out" | cut -f1)"
  printf 'weights %-7s layers %-4s peak RSS %6.2f GiB  wall %s  folder %s\n' \
    "$weights" "${layers:-all}" "$(echo "$kb / 1048576" | bc -l)" "$wall" "$size"
  rm -rf "$out"
done
