#!/usr/bin/env bash
# What the CUDA backend costs the host, measured on any Linux machine, GPU or not: builds a stand-in
# for the NVIDIA driver (scripts/stub-cuda/libcuda_stub.c: every call succeeds at once, kernels do
# nothing, results are garbage) and runs bench-dit --device cuda against it, so each "forward" time
# is the Java side's work alone: preparing the call on the host and issuing its ~900 operations.
# A real driver adds its own few microseconds per launch. --profile's host lines (docs/cuda-performance.md,
# "Reading a profile") then show the host's timeline; the stub's events hold host times.
#   scripts/host-overhead.sh [--weights FILE] [--runs N] [bench-dit options...]
# Without --weights it makes a full-size random DiT in /tmp/livetalk-dit (2.8 GB, about a minute) once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
weights=/tmp/livetalk-dit/model.safetensors runs=30 rest=()
while [ $# -gt 0 ]; do
  case "$1" in
    --weights) weights="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) rest+=("$1"); shift ;;
  esac
done
CC="${CC:-$(command -v gcc || command -v cc || true)}"
[ -n "$CC" ] || { echo "host-overhead: needs a C compiler (gcc or cc) to build the stub driver" >&2; exit 2; }
stub="$(mktemp -d)"
trap 'rm -rf "$stub"' EXIT
"$CC" -shared -fPIC -O2 -o "$stub/libcuda.so.1" "$ROOT/scripts/stub-cuda/libcuda_stub.c"
if [ ! -f "$weights" ]; then
  [ "$weights" = /tmp/livetalk-dit/model.safetensors ] || { echo "host-overhead: no such file: $weights" >&2; exit 2; }
  "$ROOT/livetalk" make-random-dit --dtype bf16 --out /tmp/livetalk-dit
fi
echo "host-overhead: bench-dit on the stub driver (no GPU work: host cost only), $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
LD_LIBRARY_PATH="$stub${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$ROOT/livetalk" bench-dit --device cuda --weights "$weights" --runs "$runs" "${rest[@]}"
