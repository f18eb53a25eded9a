#!/usr/bin/env bash
# Builds the libavdevice stand-in (see avdevice_stub.c) into udfs' resources. Needs gcc.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../resources/dev/omniscribe/udfs/audio/libavdevice.so.61"
mkdir -p "$(dirname "$out")"
gcc -shared -fPIC -O2 -nostdlib -ffreestanding \
    -Wl,-soname,libavdevice.so.61 \
    -Wl,--version-script="$here/libavdevice.map" \
    -Wl,--build-id=none -Wl,--hash-style=both \
    -o "$out" "$here/avdevice_stub.c"
strip --strip-unneeded "$out"
echo "built $out ($(stat -c %s "$out") bytes)"
