// Index math of the fast convolution on wgmma (conv_sm90.cu), free of device code so that
// kernels/src/test/cuda/conv_layout_test.cpp can hold it against the PTX ISA model of wgmma
// (sm90_isa_model.h) and emulate the kernel. Every function here is what the kernel calls.
//
// The GEMM of conv_layout.cuh transposed: D[q, o] = Σ_k B[k, q]·W'[o, k], i.e. the positions q
// on M and the output channels o on N, so that the wgmma's N can be cout's tile (96 for the
// 512×512 stages, 192 for the 256×256 ones: no idle rows, where M comes in steps of 64). Both
// operands are K-major, as wgmma reads them without a transpose:
//   A: the copy's positions, [128 q][64 k] per k-tile: row q is 64 consecutive k of one tap run
//      (conv_q_offset(q) + conv_k_offset(k)), exactly the mma.sync kernel's B tile;
//   B: the re-laid weight, [BN o][64 k] per k-tile: row o is W'[o][k..k+63].
// Each is stored in the GEMM's 128-byte-swizzled K-major layout (gemm_sm90_layout.cuh:
// sm90_chunk_offset, 8-row atoms 1024 bytes apart) and read through sm90_desc / sm90_desc_k.
// A block of 2 warpgroups computes 128 positions × BN channels; warpgroup w owns positions
// [64w, 64w + 64) and holds its 64×BN accumulator (BN/2 floats per thread).
#pragma once
#include "conv_layout.cuh"
#include "gemm_sm90_layout.cuh"

#define CONV_SM90_BM 128        // positions per block: 2 warpgroups × 64
#define CONV_SM90_THREADS 256

// Shared-memory ring with an A tile of 128 positions and a B tile of BN channels per stage, each
// 1024-byte aligned as long as `base` is (the kernel rounds the dynamic window up to 1024 bytes).
template <int BN>
struct ConvSm90Ring {
    static_assert(BN % 32 == 0 && BN >= 32 && BN <= 256, "BN: a multiple of 32 (the loader's row step) up to 256");
    static constexpr int STAGES = 5;                                       // Sm90Schedule<5>: 3 tiles ahead, 1 in the tensor cores
    static constexpr uint32_t A_BYTES = CONV_SM90_BM * SM90_ROW_BYTES;     // 16 KiB
    static constexpr uint32_t B_BYTES = BN * SM90_ROW_BYTES;               // 4, 12 or 24 KiB
    static constexpr uint32_t STAGE_BYTES = A_BYTES + B_BYTES;
    static constexpr uint32_t SMEM_BYTES = STAGES * STAGE_BYTES + SM90_GROUP_BYTES;   // + the alignment slack
    static_assert(STAGE_BYTES % SM90_GROUP_BYTES == 0, "tiles must stay 1024-byte aligned (descriptor base offset 0)");
    static_assert(SMEM_BYTES <= 232448, "more shared memory than an H100/H200 block may opt in to");
    static SM90_HD uint32_t a_tile(uint32_t base, int stage) { return base + stage * STAGE_BYTES; }
    static SM90_HD uint32_t b_tile(uint32_t base, int stage) { return a_tile(base, stage) + A_BYTES; }
    // The 64 positions warpgroup wg multiplies: 8 swizzle atoms.
    static SM90_HD uint32_t a_rows_of(uint32_t aTile, int wg) { return aTile + wg * 64 * SM90_ROW_BYTES; }
};

// The copies of a stage use conv_layout.cuh's thread map (conv_load_row, conv_load_col), the same
// as gemm_sm90.cu's: thread tid copies chunk (tid % 8) of rows tid/8 + 32j, j < 4 of the A tile
// and j < BN/32 of the B tile, so 8 consecutive threads read one row's 128 contiguous bytes of W'
// (of the copy, 128 bytes of one pixel's channels when cp ≥ 64).
