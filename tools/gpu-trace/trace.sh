#!/usr/bin/env bash
# Runs a command with every GPU kernel, copy and CUDA call of its process recorded (CUPTI activity API; see
# cupti_trace.c), then compresses the trace:
#   tools/gpu-trace/trace.sh OUT.txt command args...
# Needs libcupti_trace.so (built by build.sh) and CUPTI's libcupti.so.13 in $CUPTI_TRACE_LIB (default: this folder).
# Summarise with: python3 tools/gpu-trace/analyze.py OUT.txt.gz
set -euo pipefail
lib="${CUPTI_TRACE_LIB:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
out="${1:?output file}"; shift
CUDA_INJECTION64_PATH="$lib/libcupti_trace.so" LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}" CUPTI_TRACE_OUT="$out" "$@"
gzip -f "$out"
