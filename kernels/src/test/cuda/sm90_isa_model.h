// A model of what the Hopper tensor core reads and where it puts results, written from the PTX ISA
// (section "Asynchronous Warpgroup Level Matrix Multiply-Accumulate": "Register Fragments",
// "Shared Memory Matrix Layout", "Matrix Descriptor Format") and nothing else, so that the host
// layout tests (gemm_sm90_layout_test.cpp, attention_sm90_layout_test.cpp) can hold the kernels'
// own index functions against it. No kernel header is included here.
#pragma once
#include <cstdint>

namespace isa {

struct Desc {
    uint32_t start, lbo, sbo, baseOffset, swizzle;
};

// The descriptor's bit fields, per the ISA's "Matrix Descriptor Format" table: start address,
// leading dimension byte offset and stride dimension byte offset in bits 0-13, 16-29, 32-45 (each
// the byte value >> 4), base offset in bits 49-51, swizzle mode in bits 62-63 (1 = 128 bytes).
inline Desc decode(uint64_t d) {
    Desc r;
    r.start = (uint32_t)(d & 0x3FFF) << 4;
    r.lbo = (uint32_t)((d >> 16) & 0x3FFF) << 4;
    r.sbo = (uint32_t)((d >> 32) & 0x3FFF) << 4;
    r.baseOffset = (uint32_t)((d >> 49) & 0x7);
    r.swizzle = (uint32_t)(d >> 62);
    return r;
}

// The 128-byte swizzle (Swizzle<3,4,3> on byte addresses): bits 4-6 XOR bits 7-9. Applied to the
// absolute shared address, which is what the pattern is when every atom starts on a 1024-byte
// boundary (base offset 0).
inline uint32_t swizzle128(uint32_t addr) { return addr ^ ((addr >> 3) & 0x70); }

// The 64-byte swizzle (Swizzle<2,4,3>): bits 4-5 XOR bits 7-8. The ISA's table of swizzle atoms
// gives the K-major 64-byte atom as 8 rows × 4 16-byte units (8 rows of 64 bytes, 512 bytes) and
// the repeating pattern as starting on a 512-byte boundary (base offset 0 there); within it the
// 16-byte unit of a 64-byte row is XORed with the row's pair index (rows 2j and 2j + 1 share one
// 128-byte bank line, so the 4 pairs of an atom take the 4 patterns). Applied to the absolute
// address, as swizzle128, which is the pattern where every atom starts on a 512-byte boundary.
inline uint32_t swizzle64(uint32_t addr) { return addr ^ ((addr >> 3) & 0x30); }

// The byte a wgmma reads for element (row, k) of a K-major bf16 operand (row < 64 for A, < N for
// B; k < 16), from the descriptor's swizzle mode (bits 62-63: 1 = 128 bytes, 2 = 64 bytes; the
// others are not modelled and read as 0xFFFFFFFF, which no test's store matches). The canonical
// K-major layouts, T = 8 bf16 per 16 bytes (strides in elements):
//   128-byte: Swizzle<3,4,3> o ((8,m),(T,2k)):((8T,SBO),(1,T)): a row's 64 k fill 128 bytes,
//   64-byte:  Swizzle<2,4,3> o ((8,m),(T,2k)):((4T,SBO),(1,T)): a row's 32 k fill 64 bytes,
// 8 rows form an atom, atoms of 8 rows SBO bytes apart; LBO is not used by swizzled K-major
// layouts (the ISA: "not used, assumed to be 1"). A k16 slice is 2 of the row's 16-byte units, so
// the 64-byte row holds two slices: the descriptor of the second starts 32 bytes further.
inline uint32_t kMajorAddress(uint64_t d, uint32_t row, uint32_t k) {
    Desc s = decode(d);
    const uint32_t T = 8;
    const uint32_t units = s.swizzle == 1 ? 8 : s.swizzle == 2 ? 4 : 0;   // 16-byte units per row
    if (units == 0) return 0xFFFFFFFFu;
    uint32_t elem = (row % 8) * (units * T) + (k % T) * 1 + (k / T) * T;   // within an 8-row group
    uint32_t addr = s.start + elem * 2 + (row / 8) * s.sbo;
    return s.swizzle == 1 ? swizzle128(addr) : swizzle64(addr);
}

// Where a TMA copy (cp.async.bulk.tensor, a 2-D box, no interleave) puts box element (r, c) of a
// box whose rows are rowBytes (its inner extent in bytes) at shared address dst: the box packed
// row after row, then the map's swizzle applied to the address (cuda.h, CUtensorMapSwizzle:
// "swizzle 16B chunks within 64B / 128B span"; the 128-byte pattern is swizzle128, the 64-byte one
// swizzle64, the patterns the wgmma descriptor's modes 1 and 2 undo). swizzleBytes: 64 or 128;
// rowBytes must not exceed it (cuTensorMapEncodeTiled's rule); 2-byte elements.
inline uint32_t tmaBoxAddress(uint32_t dst, uint32_t swizzleBytes, uint32_t rowBytes, uint32_t r, uint32_t c) {
    uint32_t addr = dst + r * rowBytes + c * 2;
    return swizzleBytes == 128 ? swizzle128(addr) : swizzle64(addr);
}

// The byte a wgmma reads for element (n, k) of an MN-major bf16 operand with 128-byte swizzle
// (imm-trans = 1; n < N, k < 16): the canonical layout
//   Swizzle<3,4,3> o ((T,8,m),(8,k)):((1,T,LBO),(8T,SBO))  (strides in elements):
// 64 consecutive n fill a 128-byte row, the 8 rows of an atom are 8 consecutive k, the next 64
// n start LBO bytes further and the next 8 k SBO bytes further. (In the ISA's words for
// swizzled MN-major layouts: LBO is the stride from the first swizzle-width/16 rows of 128-bit
// elements, i.e. 64 bf16 of n, to the next; SBO the stride between groups of 8 k.)
inline uint32_t mnMajorAddress(uint64_t d, uint32_t n, uint32_t k) {
    Desc s = decode(d);
    const uint32_t T = 8;
    uint32_t elem = (n % T) * 1 + ((n / T) % 8) * T + (k % 8) * (8 * T);
    uint32_t addr = s.start + elem * 2 + (n / 64) * s.lbo + (k / 8) * s.sbo;
    return swizzle128(addr);
}

// Accumulator D of wgmma .m64nNk16 with f32 (ISA figure "WGMMA .m64nNk16 register fragment layout
// for accumulator matrix D"): warp w of the warpgroup owns rows 16w..16w+15; in each 8-column
// block a lane holds (g, 2c), (g, 2c+1), (g+8, 2c), (g+8, 2c+1) with g = lane/4, c = lane%4,
// blocks in column order: d_i is in block i/4.
inline uint32_t accRow(uint32_t thread, uint32_t i) {
    uint32_t warp = thread / 32, lane = thread % 32;
    return 16 * warp + lane / 4 + ((i % 4) >= 2 ? 8 : 0);
}
inline uint32_t accCol(uint32_t thread, uint32_t i) {
    uint32_t lane = thread % 32;
    return 8 * (i / 4) + 2 * (lane % 4) + (i % 2);
}

// Multiplicand A of wgmma .m64nNk16 in registers, .bf16 (ISA figure "WGMMA .m64nNk16 register
// fragment layout for matrix A"): four 32-bit registers of two bf16 each, elements a0..a7 low half
// first; warp w owns rows 16w..16w+15; a lane holds a0,a1 = (g, 2c..2c+1), a2,a3 = (g+8, 2c..),
// a4,a5 = (g, 2c+8..), a6,a7 = (g+8, 2c+8..) with g = lane/4, c = lane%4 (per warp, mma.sync's
// m16n8k16 A fragment). Element a_j is register j/2, half j%2.
inline uint32_t aRow(uint32_t thread, uint32_t reg, uint32_t half) {
    (void)half;
    uint32_t warp = thread / 32, lane = thread % 32;
    return 16 * warp + lane / 4 + (reg % 2) * 8;
}
inline uint32_t aCol(uint32_t thread, uint32_t reg, uint32_t half) {
    uint32_t lane = thread % 32;
    return 2 * (lane % 4) + half + (reg / 2) * 8;
}

}  // namespace isa
