#!/usr/bin/env bash
# Speech detection against known speech times:
#
#   tools/speech-bench/run.sh [DIR]          (default DIR: target/speech-benchmark)
#
# Makes the corpus once in DIR (espeak-ng utterances in eight languages at known offsets between
# silence, noise and music-like tones; a stereo call; ten minutes of music and noise; truth in
# DIR/truth.tsv), runs the job on it with --vad off (the old cuts) and --vad on, and with
# --channels split on the call, and prints segment boundary error p90, the most non-speech inside
# one segment, the music file's segments and engine use, SRT cue start error p90 and the VAD's
# speed. Then the VAD's speed again with the whole JVM pinned to one core (taskset).
# Needs Debian's espeak-ng; uses the tiny test model (its text is meaningless; times are not).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${1:-$home/target/speech-benchmark}"
command -v espeak-ng >/dev/null || {
  echo "tools/speech-bench/run.sh: needs espeak-ng (Debian: apt-get install espeak-ng)" >&2
  exit 2
}
"$home/bin/transcribe" speech-benchmark --dir "$dir"
if command -v taskset >/dev/null; then
  echo "== pinned to one core (taskset -c 0)"
  taskset -c 0 "$home/bin/transcribe" speech-benchmark --dir "$dir" --speed-only
fi
