#!/usr/bin/env python3
"""The order of a CUDA kernel's memory instructions in its machine code, without a disassembler.

The build machines have nvcc and ptxas but no cuobjdump or nvdisasm. A cubin's code sits in the ELF
section `.text.<kernel>` as 16-byte instructions whose low 12 bits are the opcode; this prints, for
one kernel, a line of its global and shared loads and stores in program order and a count of a few
arithmetic opcodes. That was enough to see epilogues whose every store waited for its own loads
(docs/cuda-performance.md, "The epilogues load before they store").

  scripts/cubin-ops.py kernels/src/main/resources/livetalk/kernels/cuda/conv.ptx.gz conv_pad_cl_norm_hist16 [--arch sm_90a]

Letters: L global load, S global store, l shared load, s shared store, B barrier. The opcodes were
read from tiny kernels compiled for sm_90a (other architectures may number them otherwise).
"""
import argparse
import collections
import gzip
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile

LETTERS = {0x981: "L", 0x986: "S", 0x984: "l", 0x388: "s", 0xB1D: "B"}
COUNTED = {0x221: "FADD", 0x220: "FMUL", 0x223: "FFMA", 0x308: "MUFU", 0x947: "BRA"}


def text_sections(cubin):
    """{kernel name: bytes of its .text section} from an ELF64 cubin."""
    data = open(cubin, "rb").read()
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    entsize, count, names = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * entsize) for i in range(count)]
    strings = headers[names][4]
    out = {}
    for name, _type, _flags, _addr, offset, size in headers:
        end = data.index(b"\0", strings + name)
        section = data[strings + name:end].decode()
        if section.startswith(".text."):
            out[section[len(".text."):]] = data[offset:offset + size]
    return out


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # quietly, when its output goes to `head`
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ptx", help="a .ptx or .ptx.gz file (the committed resources are gzipped)")
    ap.add_argument("kernel", help="the entry's name")
    ap.add_argument("--arch", default="sm_90a", help="the real architecture ptxas assembles for (default sm_90a)")
    args = ap.parse_args()
    ptxas = shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas"
    if not os.path.exists(ptxas):
        sys.exit("cubin-ops: ptxas not found (put the CUDA toolkit's bin on PATH)")
    with tempfile.TemporaryDirectory() as tmp:
        ptx = os.path.join(tmp, "in.ptx")
        opener = gzip.open if args.ptx.endswith(".gz") else open
        try:
            with opener(args.ptx, "rb") as src, open(ptx, "wb") as dst:
                dst.write(src.read())
        except OSError as e:
            sys.exit("cubin-ops: cannot read %s: %s" % (args.ptx, e))
        cubin = os.path.join(tmp, "out.cubin")
        done = subprocess.run([ptxas, "-arch=" + args.arch, ptx, "-o", cubin], capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit("cubin-ops: ptxas -arch=%s rejects %s: %s" % (args.arch, args.ptx, (done.stderr.strip().splitlines() or ["?"])[0]))
        sections = text_sections(cubin)
    if args.kernel not in sections:
        sys.exit("cubin-ops: no kernel %s in %s (it has: %s)" % (args.kernel, args.ptx, ", ".join(sorted(sections))))
    code = sections[args.kernel]
    ops = [struct.unpack_from("<Q", code, i)[0] & 0xFFF for i in range(0, len(code), 16)]
    counts = collections.Counter(ops)
    print("%s: %d instructions" % (args.kernel, len(ops)))
    print("memory order: " + "".join(LETTERS.get(op, "") for op in ops))
    print("counts: " + ", ".join("%s %d" % (name, counts[op]) for op, name in COUNTED.items()))


if __name__ == "__main__":
    main()
