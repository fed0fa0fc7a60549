#!/usr/bin/env bash
# Packs what an OpenCL check needs on a machine without Java or Maven (the lent GPU machine):
# a jlink runtime, the built jars, the OpenCL ICD loader, the golden files, and run.sh.
# Usage: scripts/gpu-kit.sh [--golden] [OUT]   (default target/gpu-kit; build first with ./livetalk --help)
# On the GPU machine: target/gpu-kit/run.sh            (devices + self-check + timings at DiT shapes)
#                     target/gpu-kit/run.sh verify     (verify --device opencl; needs a kit made with --golden)
# The device tool carries at most 64 MiB: the runtime (java.base, java.logging, the Vector API) is
# ~44 MiB and the jars 3 MiB; the golden files (20 MiB) push it over, so --golden is opt-in (carry
# tests/golden separately, or pass --only to verify on a kit that fits).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/find-jdk.sh"
JDK="$(find_jdk)" || { echo "gpu-kit: no JDK 25 found" >&2; exit 2; }
GOLDEN=0
if [ "${1:-}" = --golden ]; then GOLDEN=1; shift; fi
OUT="${1:-$ROOT/target/gpu-kit}"
[ -f "$ROOT/cli/target/livetalk-cli.jar" ] || { echo "gpu-kit: build first (./livetalk --help)" >&2; exit 2; }

rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/native"
# Only what the OpenCL checks and verify load: java.desktop (ImageIO, for image input) alone
# would add ~19 MiB.
"$JDK/bin/jlink" --add-modules java.base,java.logging,jdk.incubator.vector --strip-debug --no-header-files --no-man-pages \
  --compress zip-9 --output "$OUT/jre" 2>&1 | grep -v 'incubator modules' || true
cp "$ROOT/cli/target/livetalk-cli.jar" "$ROOT"/cli/target/lib/*.jar "$OUT/lib/"
cp "$ROOT/cli/target/jvm.flags" "$OUT/"
# The ICD loader, in case the machine has a vendor driver (libnvidia-opencl) but no libOpenCL.so.1.
for l in /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 /usr/lib64/libOpenCL.so.1; do
  if [ -e "$l" ]; then cp -L "$l" "$OUT/native/libOpenCL.so.1"; ln -s libOpenCL.so.1 "$OUT/native/libOpenCL.so"; break; fi
done
if [ "$GOLDEN" = 1 ]; then cp -r "$ROOT/tests/golden" "$OUT/golden"; fi

cat > "$OUT/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the OpenCL self-check (default) or `verify --device opencl` (argument: verify) from this kit.
set -uo pipefail
KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
echo "== OpenCL on this machine"
ls /etc/OpenCL/vendors/ 2>/dev/null && cat /etc/OpenCL/vendors/*.icd 2>/dev/null
find / -xdev -name 'libnvidia-opencl.so*' 2>/dev/null | head -3
ldconfig -p 2>/dev/null | grep -i libOpenCL || echo "(no libOpenCL in ldconfig: using the kit's ICD loader)"
# With a vendor library but no ICD file, point the loader at it.
if [ ! -d /etc/OpenCL/vendors ] || [ -z "$(ls /etc/OpenCL/vendors 2>/dev/null)" ]; then
  NV="$(find / -xdev -name 'libnvidia-opencl.so.1' 2>/dev/null | head -1)"
  if [ -n "$NV" ]; then mkdir -p "$KIT/vendors"; echo "$NV" > "$KIT/vendors/nvidia.icd"; export OCL_ICD_VENDORS="$KIT/vendors"; fi
fi
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$KIT/native"
read -r -a FLAGS < "$KIT/jvm.flags"
if [ "${1:-}" = verify ]; then
  shift
  GOLD="$KIT/golden"; [ -d "$GOLD" ] || GOLD="$KIT/../../tests/golden" # a kit without --golden, inside a checkout
  exec "$KIT/jre/bin/java" "${FLAGS[@]}" -cp "$KIT/lib/*" livetalk.cli.Main verify --golden "$GOLD" --device opencl "$@"
fi
exec "$KIT/jre/bin/java" "${FLAGS[@]}" -cp "$KIT/lib/*" livetalk.kernels.opencl.OpenClSelfCheck "$@"
RUN
chmod +x "$OUT/run.sh"
du -sh "$OUT"
