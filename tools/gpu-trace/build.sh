#!/usr/bin/env bash
# Builds libcupti_trace.so next to this script and copies CUPTI's libcupti.so.13 beside it.
#   tools/gpu-trace/build.sh CUPTI_DIR      CUPTI_DIR: an unpacked nvidia-cuda-cupti 13 wheel's nvidia/cu13
# Needs gcc and CUDA 13's cuda.h ($CUDA_HOME/include, default /usr/local/cuda).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cupti="${1:?CUPTI dir (with include/ and lib/)}"
gcc -O2 -shared -fPIC -o "$here/libcupti_trace.so" "$here/cupti_trace.c" -I"$cupti/include" \
  -I"${CUDA_HOME:-/usr/local/cuda}/include" -L"$cupti/lib" -l:libcupti.so.13 -Wl,-rpath,'$ORIGIN'
cp "$cupti/lib/libcupti.so.13" "$here/"
echo "built $here/libcupti_trace.so"
