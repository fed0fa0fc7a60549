#!/usr/bin/env bash
# Compiles the CUDA C kernels (kernels/src/main/cuda/*.cu) to the PTX resources the CUDA backend
# loads (kernels/src/main/resources/livetalk/kernels/cuda/*.ptx). The PTX is committed, so Maven
# never needs nvcc; run this after changing a .cu file, and commit both.
#   scripts/build-ptx.sh            rebuild the committed PTX
#   scripts/build-ptx.sh --check    compile into a temporary folder, fail if the committed PTX
#                                   differs, and assemble every PTX with ptxas for sm_80, sm_89
#                                   and sm_90a (exit 0 with a note when nvcc is absent)
# One PTX per family, for the virtual architecture compute_80: the driver JIT-compiles it for the
# GPU at hand (Ampere, Ada, Hopper), so one file serves every card the kernels support.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/kernels/src/main/cuda"
RES="$ROOT/kernels/src/main/resources/livetalk/kernels/cuda"
NVCC="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
PTXAS="${PTXAS:-$(command -v ptxas || echo /usr/local/cuda/bin/ptxas)}"
if [ ! -x "$NVCC" ]; then
  echo "build-ptx: nvcc not found: skipped (the committed PTX is used as it is)"
  exit 0
fi
CHECK=0
[ "${1:-}" = --check ] && CHECK=1
OUT="$RES"
if [ "$CHECK" = 1 ]; then OUT="$(mktemp -d)"; trap 'rm -rf "$OUT"' EXIT; fi
mkdir -p "$OUT"
for cu in "$SRC"/*.cu; do
  name="$(basename "$cu" .cu)"
  "$NVCC" -arch=compute_80 -ptx -O3 "$cu" -o "$OUT/$name.ptx"
done
if [ "$CHECK" = 1 ]; then
  status=0
  for ptx in "$OUT"/*.ptx; do
    name="$(basename "$ptx")"
    if ! cmp -s "$ptx" "$RES/$name"; then
      echo "build-ptx: $name differs from a fresh compile of ${name%.ptx}.cu (run scripts/build-ptx.sh and commit)"
      status=1
    fi
    for arch in sm_80 sm_89 sm_90a; do
      "$PTXAS" -arch=$arch "$ptx" -o /dev/null || { echo "build-ptx: ptxas -arch=$arch rejects $name"; status=1; }
    done
  done
  for ptx in "$RES"/*.ptx; do
    [ -e "$OUT/$(basename "$ptx")" ] || { echo "build-ptx: $(basename "$ptx") has no source in $SRC"; status=1; }
  done
  [ "$status" = 0 ] && echo "build-ptx: $(ls "$OUT" | wc -l) PTX files match their sources and assemble for sm_80, sm_89, sm_90a"
  exit $status
fi
echo "build-ptx: wrote $(ls "$OUT"/*.ptx | wc -l) PTX files to $OUT"
