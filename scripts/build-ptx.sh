#!/usr/bin/env bash
# Compiles the CUDA C kernels (kernels/src/main/cuda/*.cu) to the PTX resources the CUDA backend
# loads (kernels/src/main/resources/livetalk/kernels/cuda/*.ptx.gz: the PTX text, gzipped with no
# name or time in it, so the same PTX always gives the same bytes; the text is a tenth of the size
# compressed, and the repository travels whole to GPU machines that take 64 MiB a call). The PTX is
# committed, so Maven never needs nvcc; run this after changing a .cu file, and commit both.
#   scripts/build-ptx.sh            rebuild the committed PTX
#   scripts/build-ptx.sh --check    compile into a temporary folder, fail if the committed PTX
#                                   (unzipped) differs, and assemble every PTX with ptxas for sm_80, sm_89
#                                   and sm_90a (exit 0 with a note when nvcc is absent); also run
#                                   the host-side layout tests (kernels/src/test/cuda/*_test.cpp: the
#                                   wgmma GEMM, the flash attention, the fast convolution)
# One PTX per family, for the virtual architecture compute_80: the driver JIT-compiles it for the
# GPU at hand (Ampere, Ada, Hopper), so one file serves every card the kernels support.
# Exception, by name: NAME_sm90.cu uses Hopper-only instructions (wgmma) and is compiled for
# sm_90a, checked by ptxas for sm_90a only, and must assemble with 0 spill bytes and without
# ptxas's "wgmma ... serialized" warning or its "warpgroup.arrive is injected" note (a pipeline
# that would silently lose its overlap);
# the backend loads it only on a compute capability 9.0 device.
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
# the PTX text goes to a temporary folder either way: compared from there, or zipped into $RES
OUT="$(mktemp -d)"; trap 'rm -rf "$OUT"' EXIT
# the virtual architecture a source is compiled for, and the real ones ptxas checks it against
arch_of() { case "$1" in *_sm90) echo sm_90a ;; *) echo compute_80 ;; esac; }
targets_of() { case "$1" in *_sm90) echo sm_90a ;; *) echo sm_80 sm_89 sm_90a ;; esac; }
for cu in "$SRC"/*.cu; do
  name="$(basename "$cu" .cu)"
  "$NVCC" -arch="$(arch_of "$name")" -ptx -O3 "$cu" -o "$OUT/$name.ptx"
done
if [ "$CHECK" = 1 ]; then
  status=0
  for ptx in "$OUT"/*.ptx; do
    name="$(basename "$ptx")"
    if [ ! -f "$RES/$name.gz" ] || ! gzip -dc "$RES/$name.gz" | cmp -s "$ptx" -; then
      echo "build-ptx: $name differs from a fresh compile of ${name%.ptx}.cu (run scripts/build-ptx.sh and commit)"
      status=1
    fi
    for arch in $(targets_of "${name%.ptx}"); do
      log="$("$PTXAS" -arch=$arch -v "$ptx" -o /dev/null 2>&1)" || { echo "$log"; echo "build-ptx: ptxas -arch=$arch rejects $name"; status=1; continue; }
      case "$name" in
        *_sm90.ptx)
          if echo "$log" | grep -E "[1-9][0-9]* bytes spill|serialized|is injected" >/dev/null; then
            echo "$log" | grep -E "spill|serialized|injected|Used"
            echo "build-ptx: $name spills registers or serializes its wgmma pipeline (ptxas -arch=$arch -v above)"
            status=1
          fi ;;
      esac
    done
  done
  # the index math and pipelines of the Hopper kernels against a model of the PTX ISA, and the fast
  # convolution's emulated against a direct convolution (no GPU needed): every
  # kernels/src/test/cuda/*_test.cpp, built with the host C++ compiler and run
  CXX="${CXX:-$(command -v g++ || command -v c++ || true)}"
  if [ -n "$CXX" ]; then
    for test in "$ROOT"/kernels/src/test/cuda/*_test.cpp; do
      [ -f "$test" ] || continue
      "$CXX" -std=c++17 -O2 -o "$OUT/layout-test" "$test" && "$OUT/layout-test" || { echo "build-ptx: $(basename "$test") failed"; status=1; }
      rm -f "$OUT/layout-test"
    done
  else
    echo "build-ptx: no host C++ compiler: the host layout tests were not run"
  fi
  for gz in "$RES"/*.ptx.gz; do
    [ -e "$OUT/$(basename "$gz" .gz)" ] || { echo "build-ptx: $(basename "$gz") has no source in $SRC"; status=1; }
  done
  for ptx in "$RES"/*.ptx; do
    [ -e "$ptx" ] && { echo "build-ptx: $(basename "$ptx") is PTX text; the resources are gzipped (run scripts/build-ptx.sh)"; status=1; }
  done
  [ "$status" = 0 ] && echo "build-ptx: $(ls "$OUT"/*.ptx | wc -l) PTX files match their sources and assemble (compute_80 ones for sm_80, sm_89, sm_90a; *_sm90 for sm_90a)"
  exit $status
fi
mkdir -p "$RES"
rm -f "$RES"/*.ptx "$RES"/*.ptx.gz
for ptx in "$OUT"/*.ptx; do gzip -n -9 -c "$ptx" > "$RES/$(basename "$ptx").gz"; done
echo "build-ptx: wrote $(ls "$RES"/*.ptx.gz | wc -l) gzipped PTX files to $RES"
