#!/usr/bin/env bash
# On the GPU host, from the checkout root, in every transfer of a size-limited copy: keeps what
# arrived in a stage folder outside the checkout (which the next transfer replaces).
#
#   bash STAGE/bench/tools/gpu-bench/receive.sh STAGE
#
#   the checkout           -> $HOME/src (copied when absent), with STAGE/bench/ laid over it (this
#                             branch's bin/pipeline-bench-gpu and tools/gpu-bench/ if the checkout lacks them)
#   STAGE/jobjars/*        -> $HOME/jobjars-in/ (pieces of pack_jars.py, checked against its MANIFEST);
#                             unpacked to $HOME/jobjars/ once every piece is there
#   STAGE/corpus/          -> $WORK/corpus (make_corpus.sh's output)
# WORK: as bin/pipeline-bench-gpu ($HOME/omniscribe-bench).
set -euo pipefail
stage="${1:?stage folder}"
WORK="${WORK:-$HOME/omniscribe-bench}"
src="$HOME/src"

if [ ! -f "$src/.copied" ]; then
  rm -rf "$src" && mkdir -p "$src"
  tar -c --exclude="./${stage#./}" -f - . | tar -x -f - -C "$src"   # the stage folder stays out
  touch "$src/.copied"
  echo "checkout copied to $src"
fi
if [ -d "$stage/bench" ]; then
  cp -a "$stage/bench/." "$src/"
  echo "bench scripts laid over $src"
fi

if [ -d "$stage/jobjars" ]; then
  in="$HOME/jobjars-in"
  mkdir -p "$in"
  cp -f "$stage/jobjars/MANIFEST.sha256" "$in/"
  for f in "$stage"/jobjars/jobjars.tar.zst.*; do
    [ -e "$f" ] || continue
    n="${f##*/}"
    want="$(awk -v n="$n" '$2 == n {print $1}' "$in/MANIFEST.sha256")"
    [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$want" ] || { echo "ERROR: $n does not match the manifest" >&2; exit 1; }
    cp -f "$f" "$in/$n"
    echo "received $n"
  done
  missing=0
  while read -r sha n; do
    [ "$n" = jobjars.tar.zst ] && continue
    [ -f "$in/$n" ] || { echo "still missing $n"; missing=1; }
  done < "$in/MANIFEST.sha256"
  if [ "$missing" = 0 ]; then
    whole="$(awk '$2 == "jobjars.tar.zst" {print $1}' "$in/MANIFEST.sha256")"
    if [ "$(cat "$HOME/jobjars/.sha256" 2>/dev/null)" != "$whole" ]; then
      [ "$(cat "$in"/jobjars.tar.zst.* | sha256sum | cut -d' ' -f1)" = "$whole" ] \
        || { echo "ERROR: the reassembled jar archive does not match the manifest" >&2; exit 1; }
      if command -v zstd > /dev/null; then zstd=(zstd)
      else
        t="${ORTCUDA_STAGE:-$HOME/stage}/tools"   # the ONNX Runtime bundle's transfers keep a zstd there
        zstd=(env "LD_LIBRARY_PATH=$t/lib" "$t/zstd")
      fi
      rm -rf "$HOME/jobjars"
      cat "$in"/jobjars.tar.zst.* | "${zstd[@]}" -q -d -c | tar -x -f - -C "$HOME"
      echo "$whole" > "$HOME/jobjars/.sha256"
      echo "jars unpacked: $HOME/jobjars ($(wc -l < "$HOME/jobjars/CLASSPATH") jars, $(du -sh "$HOME/jobjars" | cut -f1))"
    fi
  fi
fi

if [ -d "$stage/corpus" ]; then
  mkdir -p "$WORK"
  rm -rf "$WORK/corpus" && cp -a "$stage/corpus" "$WORK/corpus"
  echo "corpus: $(find "$WORK/corpus" -type f | wc -l) files, $(du -sh "$WORK/corpus" | cut -f1) in $WORK/corpus"
fi
