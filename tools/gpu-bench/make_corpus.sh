#!/usr/bin/env bash
# Makes the benchmark corpus of bin/pipeline-bench-gpu: speech with pauses in many files, formats and
# lengths, small enough to travel (~15 MB for ~3.5 h of audio).
#
#   tools/gpu-bench/make_corpus.sh OUT_DIR
#
# The speech is the espeak-ng samples (samples/en/meeting.m4a cut in four, samples/en/welcome.mp3,
# samples/zh/greeting.ogg) strung together with pauses of 0.25-2 s of silence, in a seeded order;
# each file is cut to its length. 212 files, 5 s to 20 min, ~3.5 h in all:
#   ogg/opus and mp3 at 8 kb/s, m4a (AAC) at ~15 kb/s for most (lengths from 5 s to 20 min),
#   12 FLAC and 8 WAV (8 kHz, 16 bit) of 5-30 s, one MP4 video (black 64x64 picture + AAC audio).
# Deterministic: the same ffmpeg gives the same bytes (bit-exact flags, no metadata, a fixed LCG).
# ffmpeg: $FFMPEG, else the job's bundled copy (unpacked to /tmp/omniscribe-ffmpeg-*/ by any run
# of the job on this machine), else ffmpeg on the PATH. The lavfi input is not needed (the bundled
# ffmpeg has none): silence and the picture come from source filters in -filter_complex.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:?output folder}"

ffmpeg="${FFMPEG:-}"
if [ -z "$ffmpeg" ]; then
  ffmpeg="$(ls -t /tmp/omniscribe-ffmpeg-*/bin/ffmpeg 2>/dev/null | head -n 1 || true)"
fi
[ -n "$ffmpeg" ] || ffmpeg="$(command -v ffmpeg || true)"
[ -n "$ffmpeg" ] || { echo "no ffmpeg: set FFMPEG, or run bin/transcribe once to unpack the bundled one" >&2; exit 2; }

ff() { "$ffmpeg" -nostdin -hide_banner -loglevel error -y "$@"; }
exact=(-fflags +bitexact -flags:a +bitexact -map_metadata -1)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$out"
mkdir -p "$out"/{opus,mp3,m4a,flac,wav,video}

# 1. Clips: 16 kHz mono PCM.
pcm=(-ac 1 -ar 16000 -c:a pcm_s16le "${exact[@]}")
ff -i "$root/samples/en/welcome.mp3" "${pcm[@]}" "$tmp/c0.wav"
ff -i "$root/samples/zh/greeting.ogg" "${pcm[@]}" "$tmp/c1.wav"
cuts=(0 13.5 27 40 53.6)
for i in 0 1 2 3; do
  ff -i "$root/samples/en/meeting.m4a" -ss "${cuts[i]}" -to "${cuts[i+1]}" "${pcm[@]}" "$tmp/c$((i + 2)).wav"
done
clips=6
gaps=(0.25 0.4 0.6 0.9 1.3 2.0)
for i in "${!gaps[@]}"; do
  ff -filter_complex "aevalsrc=0:d=${gaps[i]}:s=16000:c=mono" "${pcm[@]}" "$tmp/g$i.wav"
done

# 2. A fixed LCG (bash arithmetic is 64-bit): rand N -> 0..N-1 in $r.
seed=20261204
rand() { seed=$(((seed * 1103515245 + 12345) % 2147483648)); r=$(((seed / 65536) % $1)); }

# Speech with pauses, at least $1 seconds: a concat list of clips and gaps in $tmp/list.txt.
# (Clip lengths are rounded down, so the list runs a little past the file's length, which -t cuts.)
speech() {
  local want_ms=$(($1 * 1000)) have=0 clip_ms=(10500 15500 13500 13500 13000 13600)
  local gap_ms=(250 400 600 900 1300 2000)
  : > "$tmp/list.txt"
  while [ "$have" -le "$want_ms" ]; do
    rand "$clips"; echo "file 'c$r.wav'" >> "$tmp/list.txt"; have=$((have + clip_ms[r]))
    rand "${#gaps[@]}"; echo "file 'g$r.wav'" >> "$tmp/list.txt"; have=$((have + gap_ms[r]))
  done
}

# encode NAME SECONDS KIND
encode() {
  local name="$1" secs="$2" kind="$3"
  speech "$secs"
  local in=(-f concat -safe 0 -i "$tmp/list.txt" -t "$secs")
  case "$kind" in
    opus) ff "${in[@]}" -c:a libopus -b:a 8k -application voip "${exact[@]}" "$out/opus/$name.ogg" ;;
    mp3) ff "${in[@]}" -c:a libmp3lame -b:a 8k "${exact[@]}" "$out/mp3/$name.mp3" ;;
    m4a) ff "${in[@]}" -c:a aac -b:a 8k "${exact[@]}" "$out/m4a/$name.m4a" ;;
    flac) ff "${in[@]}" -ar 8000 -c:a flac "${exact[@]}" "$out/flac/$name.flac" ;;
    wav) ff "${in[@]}" -ar 8000 -c:a pcm_s16le "${exact[@]}" "$out/wav/$name.wav" ;;
    mp4) ff "${in[@]}" -filter_complex "color=c=black:s=64x64:r=2:d=$secs[v]" -map '[v]' -map 0:a \
           -c:v mpeg4 -q:v 31 -c:a aac -b:a 16k -flags +bitexact "${exact[@]}" "$out/video/$name.mp4" ;;
  esac
}

# 3. Lengths and formats.
lossy=(opus opus opus opus mp3 mp3 mp3 m4a)   # half Opus, 3/8 MP3, 1/8 AAC (which needs ~15 kb/s)
n=0
add() { # count min_s max_s [kind]
  local i secs kind
  for ((i = 0; i < $1; i++)); do
    rand $(($3 - $2 + 1)); secs=$(($2 + r))
    if [ -n "${4:-}" ]; then kind="$4"; else rand ${#lossy[@]}; kind="${lossy[r]}"; fi
    n=$((n + 1))
    encode "$(printf 'f%03d-%ds' "$n" "$secs")" "$secs" "$kind"
  done
}
add 2 900 1200    # 15-20 min
add 4 300 600     # 5-10 min
add 22 60 240     # 1-4 min
add 163 5 60      # 5 s - 1 min
add 12 5 30 flac
add 8 5 15 wav
add 1 90 90 mp4

files=$(find "$out" -type f | wc -l)
hours=$(find "$out" -type f | sed -E 's/.*-([0-9]+)s\.[a-z0-9]+$/\1/' | awk '{s += $1} END {printf "%.2f", s / 3600}')
echo "$files files, $hours h of audio, $(du -sh "$out" | cut -f1) in $out"
