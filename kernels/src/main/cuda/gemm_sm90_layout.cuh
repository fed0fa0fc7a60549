// Index math of the wgmma GEMM (gemm_sm90.cu), kept free of device code so that a host program
// can check it against the PTX ISA's description of the hardware (kernels/src/test/cuda/
// gemm_sm90_layout_test.cpp, run by scripts/build-ptx.sh --check). Every function here is what
// the kernel itself calls.
//
// Operand tiles in shared memory ("K-major, 128-byte swizzle" in the PTX ISA's terms): a tile of
// R rows × 64 bf16 (one row = 128 bytes = 8 chunks of 16 bytes), rows at a 128-byte pitch, the
// tile 1024-byte aligned. Chunk c of row r is stored at chunk position c ^ (r % 8) of its row:
// the XOR spreads the 8 rows of a group over all 32 banks, and it is the pattern that the
// descriptor's swizzle mode 1 tells the tensor core to undo.
#pragma once
#include <stdint.h>

#if defined(__CUDACC__)
#define SM90_HD __host__ __device__ __forceinline__
#else
#define SM90_HD inline
#endif

// One k-tile: 64 bf16 = one 128-byte swizzle row.
#define SM90_BK 64
#define SM90_ROW_BYTES 128
#define SM90_GROUP_BYTES 1024   // 8 rows: one swizzle atom, and the descriptor's stride byte offset

// An A tile held as two 64-byte-swizzled halves ("K-major, 64-byte swizzle"): 32 bf16 = one
// 64-byte swizzle row, 8 rows = one 512-byte atom (the descriptor's stride byte offset there).
#define SM90_HALF_ROW_BYTES 64
#define SM90_HALF_GROUP_BYTES 512
#define SM90_A_HALF_BYTES (SM90_BM * SM90_HALF_ROW_BYTES)   // 8 KiB: 128 rows of one half

// Shared-memory ring of the kernel with a 128×BN block tile: per stage an A tile (128 rows:
// warpgroup w's 64 rows at byte 8192·w) and then a B tile (BN rows), each 1024-byte aligned as
// long as `base` is (the kernel rounds the dynamic window up to 1024 bytes).
#define SM90_BM 128
template <int BN>
struct Sm90Ring {
    static constexpr uint32_t A_BYTES = SM90_BM * SM90_ROW_BYTES;    // 16 KiB
    static constexpr uint32_t B_BYTES = BN * SM90_ROW_BYTES;         // 16 or 32 KiB
    static constexpr uint32_t STAGE_BYTES = A_BYTES + B_BYTES;
    static_assert(STAGE_BYTES % SM90_GROUP_BYTES == 0, "tiles must stay 1024-byte aligned (descriptor base offset 0)");
    static SM90_HD uint32_t a_tile(uint32_t base, int stage) { return base + stage * STAGE_BYTES; }
    static SM90_HD uint32_t b_tile(uint32_t base, int stage) { return a_tile(base, stage) + A_BYTES; }
    // The A rows that warpgroup wg multiplies: 64 rows = 8 swizzle groups.
    static SM90_HD uint32_t a_rows_of(uint32_t aTile, int wg) { return aTile + wg * 64 * SM90_ROW_BYTES; }
    // The same 16 KiB as two halves of 32 k each (the TMA convolution where a k-tile straddles two
    // taps, conv_tma_sm90_layout.cuh): half j at byte SM90_A_HALF_BYTES·j, 128 rows of 64 bytes,
    // 64-byte swizzled; warpgroup wg's 64 rows of a half at byte 4096·wg of it (8 atoms of 512).
    static SM90_HD uint32_t a_half(uint32_t aTile, int j) { return aTile + j * SM90_A_HALF_BYTES; }
    static SM90_HD uint32_t a_half_rows_of(uint32_t half, int wg) { return half + wg * 64 * SM90_HALF_ROW_BYTES; }
};

// The k-loop's schedule over a ring of STAGES tiles (gemm_sm90.cu). Iteration kt: wait until
// at most CP_WAIT cp.async groups are pending (tile kt has landed), fence + barrier, issue tile
// kt's wgmma group, refill stage(kt + PREFETCH) with that tile and commit a copy group (empty past
// the end), then wait until at most WGMMA_WAIT wgmma groups are pending. The prologue loads tiles
// 0 .. PREFETCH-1, one group each. A stage's last reader (tile kt - 2's group) is complete before
// the barrier of iteration kt, because every warpgroup waited for it at the end of iteration kt - 1.
template <int STAGES>
struct Sm90Schedule {
    static constexpr int WGMMA_WAIT = 1;                     // k-tiles of MMAs kept in flight
    static constexpr int PREFETCH = STAGES - 1 - WGMMA_WAIT; // how far ahead tiles are loaded
    static constexpr int CP_WAIT = PREFETCH - 1;             // younger copy groups allowed pending
    static SM90_HD int stage(int tile) { return tile % STAGES; }
};

// The TMA kernels' pipeline (gemm_tma_sm90.cu): the same ring of STAGES tiles, filled by one producer
// thread with TMA and drained by two consumer warpgroups, handed over through two barriers per
// stage in shared memory after the tiles: full[s] (1 arrival, the producer's, plus the TMA bytes)
// and empty[s] (one arrival per consumer warpgroup once its wgmma reading the stage completed).
// Tile kt uses stage kt % STAGES in round kt / STAGES; the producer waits empty with the parity
// of the round before (a fresh barrier passes at once in round 0), the consumers wait full with
// the round's own parity.
template <int STAGES>
struct TmaSchedule {
    static constexpr uint32_t CONSUMERS = 2;
    static SM90_HD int stage(int tile) { return tile % STAGES; }
    static SM90_HD uint32_t full_parity(int tile) { return (uint32_t)(tile / STAGES) & 1u; }
    static SM90_HD uint32_t empty_parity(int tile) { return full_parity(tile) ^ 1u; }
    // Barrier addresses after a ring of `ringBytes` from `base`: full[0..STAGES), then empty[0..STAGES).
    static SM90_HD uint32_t full_bar(uint32_t base, uint32_t ringBytes, int s) { return base + ringBytes + 8u * s; }
    static SM90_HD uint32_t empty_bar(uint32_t base, uint32_t ringBytes, int s) { return base + ringBytes + 8u * (STAGES + s); }
};

// The ping-pong of the TMA GEMM's consumers (gemm_tma_pingpong in gemm_tma_sm90.cu): consumer w
// (0 or 1: warpgroups 1 and 2) owns the block's tiles j = w, w + 2, ... (the j-th tile of the
// `tiles` the block walks), and the two take turns at the tensor cores. Two hardware named
// barriers of TMA_PP_THREADS threads: before tile j's products (j > 0) its owner waits (bar.sync)
// on its own barrier; once they completed, it arrives (bar.arrive) on the other's if tile j + 1
// exists, then stores tile j while the other multiplies. Each arrival after tile j meets the wait
// before tile j + 1, so every barrier phase gets exactly 256 threads and none is left pending
// when the block ends. gemm_sm90_layout_test.cpp plays these rules with the ring.
#define TMA_PP_THREADS 256
SM90_HD int tma_pp_owner(int j) { return j & 1; }
SM90_HD int tma_pp_own(int w) { return 1 + w; }          // barrier 0 is __syncthreads'
SM90_HD int tma_pp_other(int w) { return 2 - w; }
SM90_HD bool tma_pp_waits_before(int j) { return j > 0; }
SM90_HD bool tma_pp_arrives_after(int j, int tiles) { return j + 1 < tiles; }

// Byte offset inside a tile of chunk c (0..7, k = 8c..8c+7) of row r.
SM90_HD uint32_t sm90_chunk_offset(uint32_t r, uint32_t c) {
    return r * SM90_ROW_BYTES + ((c ^ (r & 7u)) << 4);
}

// wgmma matrix descriptor of a swizzled K-major tile starting at shared address `addr` (bits
// 0-13: addr >> 4; 16-29: leading byte offset >> 4, unused for swizzled K-major layouts and set to
// 1 as the ISA says it is assumed to be; 32-45: stride byte offset >> 4, the distance between
// 8-row groups; 49-51: base offset 0; 62-63: the swizzle mode).
SM90_HD uint64_t sm90_desc_kmajor(uint32_t addr, uint32_t groupBytes, uint64_t mode) {
    return (uint64_t)((addr & 0x3FFFFu) >> 4)
         | ((uint64_t)1 << 16)
         | ((uint64_t)(groupBytes >> 4) << 32)
         | (mode << 62);
}

// The 128-byte swizzle (mode 1): 8-row groups 1024 bytes apart; base offset 0 is valid because
// every tile starts on a 1024-byte boundary.
SM90_HD uint64_t sm90_desc(uint32_t addr) {
    return sm90_desc_kmajor(addr, SM90_GROUP_BYTES, 1);
}

// The descriptor of the k-th 16-deep slice (k = 0..3) of a tile: 16 bf16 = 32 bytes further
// along the (unswizzled) row. The hardware applies the XOR to the address bits, so the start
// address simply moves by 32 bytes, i.e. +2 in the 16-byte units of bits 0-13.
SM90_HD uint64_t sm90_desc_k(uint64_t desc, uint32_t k) {
    return desc + 2u * k;
}

// The descriptor of a K-major tile with 64-byte swizzle at `addr` (one half of an A tile, above):
// swizzle mode 2, 8-row groups 512 bytes apart (8 rows of 64 bytes); base offset 0, valid because
// every half starts on a 512-byte boundary (the ISA's start of the 64-byte pattern; the halves are
// in fact 1024-byte aligned).
SM90_HD uint64_t sm90_desc64(uint32_t addr) {
    return sm90_desc_kmajor(addr, SM90_HALF_GROUP_BYTES, 2);
}

// The k-th 16-deep slice (k = 0..3) of a k-tile held as two halves, from the descriptor of a
// warpgroup's rows in half 0: slices 0-1 are the first and second 32 bytes of half 0's rows,
// slices 2-3 the same of half 1's, SM90_A_HALF_BYTES further (the 14-bit start field cannot carry:
// shared addresses stay below 2^18).
SM90_HD uint64_t sm90_desc64_k(uint64_t desc, uint32_t k) {
    return desc + (k >> 1) * (SM90_A_HALF_BYTES >> 4) + 2u * (k & 1u);
}

// Accumulator fragment of wgmma.m64nNk16 with f32 D: thread `t` (0..127) of the warpgroup holds
// N/2 floats; float i sits at row 16·(t/32) + (t%32)/4 + 8·((i/2)%2) and column
// 8·(i/4) + 2·(t%4) + i%2 of the 64×N tile (per 8-column block the same order as mma.sync's
// m16n8 C fragment: (g, 2t), (g, 2t+1), (g+8, 2t), (g+8, 2t+1)).
SM90_HD uint32_t sm90_acc_row(uint32_t t, uint32_t i) {
    return 16u * (t >> 5) + ((t & 31u) >> 2) + 8u * ((i >> 1) & 1u);
}
SM90_HD uint32_t sm90_acc_col(uint32_t t, uint32_t i) {
    return 8u * (i >> 2) + 2u * (t & 3u) + (i & 1u);
}
