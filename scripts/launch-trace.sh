#!/usr/bin/env bash
# Every CUDA kernel launch of a fixed set of commands, recorded on the stub driver (scripts/stub-cuda:
# no GPU needed), to check that a change to the CUDA backend's Java side launches the same kernels
# with the same grids and arguments (docs/cuda-performance.md#checking-a-change-without-a-gpu):
#   scripts/launch-trace.sh record DIR          the traces of this tree, one file per command
#   scripts/launch-trace.sh compare DIR1 DIR2   exit 0 when every trace is the same
# Typical use: record at the commit before (a git worktree), record after, compare. The commands:
# bench-dit on a full-size random DiT (made once in /tmp/livetalk-dit, about a minute) with the
# defaults and with each speed switch, bench-vae in every convolution layout, and the demo (its
# decode thread interleaves with the DiT's, so its trace is compared sorted, device addresses left out).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { echo "usage: $0 record DIR | compare DIR1 DIR2" >&2; exit 2; }
[ $# -ge 2 ] || usage

if [ "$1" = compare ]; then
  [ $# -eq 3 ] || usage
  status=0
  for f in "$2"/*.trace; do
    name="$(basename "$f")"
    [ -f "$3/$name" ] || { echo "launch-trace: $name: missing in $3"; status=1; continue; }
    if cmp -s "$f" "$3/$name"; then
      echo "same      $name ($(wc -l < "$f") launches)"
    else
      echo "DIFFERENT $name: first difference at line $(cmp "$f" "$3/$name" 2>/dev/null | sed -n 's/.* line \([0-9]*\).*/\1/p')"
      status=1
    fi
  done
  exit $status
fi
[ "$1" = record ] && [ $# -eq 2 ] || usage
out="$(mkdir -p "$2" && cd "$2" && pwd)"

CC="${CC:-$(command -v gcc || command -v cc || true)}"
[ -n "$CC" ] || { echo "launch-trace: needs a C compiler (gcc or cc) to build the stub driver" >&2; exit 2; }
stub="$(mktemp -d)"
trap 'rm -rf "$stub"' EXIT
"$CC" -shared -fPIC -O2 -o "$stub/libcuda.so.1" "$ROOT/scripts/stub-cuda/libcuda_stub.c"
dit=/tmp/livetalk-dit/model.safetensors
[ -f "$dit" ] || "$ROOT/livetalk" make-random-dit --dtype bf16 --out /tmp/livetalk-dit

# name, then the environment and command (each switch the stub can take)
run() {
  local name="$1"; shift
  if ! env -u LIVETALK_CUDA_GEMM -u LIVETALK_CUDA_ATTN -u LIVETALK_CUDA_CONV -u LIVETALK_CUDA_FUSE -u LIVETALK_CUDA_STREAMS \
      -u LIVETALK_CUDA_ATTN_SPLIT -u LIVETALK_CUDA_VAE_FUSE -u LIVETALK_CUDA_NORM_ROPE -u LIVETALK_CUDA_NORM_MOD -u LIVETALK_CUDA_RESIDUAL -u LIVETALK_CUDA_GEMM_PERSISTENT \
      LD_LIBRARY_PATH="$stub" LIVETALK_CUDA_TRACE="$out/$name.trace" "$@" > "$out/$name.log" 2>&1; then
    echo "launch-trace: $name failed: see $out/$name.log" >&2; exit 1
  fi
  echo "recorded  $name.trace ($(wc -l < "$out/$name.trace") launches)"
}
L="$ROOT/livetalk"
run dit-default "$L" bench-dit --device cuda --weights "$dit" --runs 2
run dit-off env LIVETALK_CUDA_FUSE=0 LIVETALK_CUDA_GEMM=mma_sync LIVETALK_CUDA_ATTN=mma_sync "$L" bench-dit --device cuda --weights "$dit" --runs 2
run dit-wgmma env LIVETALK_CUDA_GEMM=wgmma LIVETALK_CUDA_ATTN=wgmma "$L" bench-dit --device cuda --weights "$dit" --runs 2
run dit-switches env LIVETALK_CUDA_ATTN_SPLIT=auto LIVETALK_CUDA_NORM_ROPE=1 LIVETALK_CUDA_GEMM=tma_waves "$L" bench-dit --device cuda --weights "$dit" --runs 2
run dit-n96 env LIVETALK_CUDA_GEMM=tma_n96 LIVETALK_CUDA_ATTN_SPLIT=3 "$L" bench-dit --device cuda --weights "$dit" --runs 2
run dit-norm-mod env LIVETALK_CUDA_NORM_MOD=1 "$L" bench-dit --device cuda --weights "$dit" --runs 2
run dit-residual env LIVETALK_CUDA_RESIDUAL=1 "$L" bench-dit --device cuda --weights "$dit" --runs 2
run dit-persistent env LIVETALK_CUDA_GEMM_PERSISTENT=1 LIVETALK_CUDA_RESIDUAL=1 "$L" bench-dit --device cuda --weights "$dit" --runs 2
run dit-gemm-pingpong env LIVETALK_CUDA_GEMM_PERSISTENT=pingpong LIVETALK_CUDA_RESIDUAL=1 LIVETALK_CUDA_GEMM=tma_waves "$L" bench-dit --device cuda --weights "$dit" --runs 2
run dit-pingpong env LIVETALK_CUDA_ATTN=tma_pingpong LIVETALK_CUDA_NORM_ROPE=1 "$L" bench-dit --device cuda --weights "$dit" --runs 2
run vae-default "$L" bench-vae --device cuda --frames 1
run vae-fuse env LIVETALK_CUDA_VAE_FUSE=1 "$L" bench-vae --device cuda --frames 1
run vae-fast env LIVETALK_CUDA_CONV=fast LIVETALK_CUDA_VAE_FUSE=1 "$L" bench-vae --device cuda --frames 1
run vae-tma env LIVETALK_CUDA_CONV=tma LIVETALK_CUDA_VAE_FUSE=1 "$L" bench-vae --device cuda --frames 1
run vae-tma-persistent env LIVETALK_CUDA_CONV=tma_persistent "$L" bench-vae --device cuda --frames 1
run vae-tma-pingpong env LIVETALK_CUDA_CONV=tma_pingpong LIVETALK_CUDA_VAE_FUSE=1 "$L" bench-vae --device cuda --frames 1
run vae-implicit env LIVETALK_CUDA_CONV=implicit LIVETALK_CUDA_FUSE=0 "$L" bench-vae --device cuda --frames 1
run vae-kmajor env LIVETALK_CUDA_CONV=k_major "$L" bench-vae --device cuda --frames 1
run demo-threads "$L" demo --device cuda --size 64 --seconds 1 --out "$out/demo.mp4"
# two threads allocate in either order: the demo's launches compared as a set, stub addresses (2^40 and up) left out
sed -E 's/ 1[0-9a-f]{10}\b/ addr/g' "$out/demo-threads.trace" | sort > "$out/demo.trace"
rm "$out/demo-threads.trace" "$out/demo.mp4"
