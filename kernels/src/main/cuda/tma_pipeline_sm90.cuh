// The TMA kernels' k-loop (gemm_tma_sm90.cu's GEMM, conv_tma_sm90.cu's convolution): one producer
// thread fills a ring of STAGES tiles (Sm90Ring<BN>: a 128-row A tile and a BN-row B tile per
// stage, 128-byte swizzled) with TMA copies, two consumer warpgroups drain it with wgmma; the stages
// are handed over through the mbarriers of TmaSchedule (gemm_sm90_layout.cuh), which
// kernels/src/test/cuda/gemm_sm90_layout_test.cpp plays under the PTX ISA's mbarrier rules. What
// differs between the kernels is passed in: which boxes a k-tile's copies read (`load`) and which
// wgmma a k-tile's products are (`mma`), and in the persistent and ping-pong consumers' tile loops
// each tile's epilogue (`store`). Include only from *_sm90.cu files (compiled for sm_90a).
#pragma once
#include "gemm_sm90_layout.cuh"
#include "sm90.cuh"

// A stage's two tiles, as the producer's `load` asks for them (the addresses computed where they
// are used, so that the GEMM's PTX stayed what it was before this loop was shared).
template <int BN>
struct TmaStageTiles {
    uint32_t base;
    int s;
    __device__ __forceinline__ uint32_t a() const { return Sm90Ring<BN>::a_tile(base, s); }
    __device__ __forceinline__ uint32_t b() const { return Sm90Ring<BN>::b_tile(base, s); }
    // the A tile's 32-k half j, where A comes as two 64-byte-swizzled boxes (the same bytes as a())
    __device__ __forceinline__ uint32_t a_half(int j) const { return Sm90Ring<BN>::a_half(a(), j); }
};

// The producer's thread: k-tiles [0, ktiles) of one block tile into the ring, from ring position g
// (the k-tiles this block has loaded before, over all its tiles: it sets the stage and the
// barriers' parity). Per k-tile it waits until the stage is empty, arms the stage's full barrier
// with the stage's whole byte count (TMA counts a box's zero-filled part too) and calls
// load(kt, tiles, fullBar), which issues the copies into tiles.a() and tiles.b(). Returns the position after them.
template <int BN, int STAGES, typename Load>
__device__ __forceinline__ int tma_produce(uint32_t base, uint32_t ring, int ktiles, int g, Load load) {
    typedef Sm90Ring<BN> Ring;
    typedef TmaSchedule<STAGES> Plan;
    for (int kt = 0; kt < ktiles; kt++) {
        const int s = Plan::stage(g + kt);
        const uint32_t full = Plan::full_bar(base, ring, s);
        mbar_wait(Plan::empty_bar(base, ring, s), Plan::empty_parity(g + kt));
        mbar_arrive_expect_tx(full, Ring::STAGE_BYTES);
        load(kt, TmaStageTiles<BN>{base, s}, full);
    }
    return g + ktiles;
}

// A consumer warpgroup's products for one block tile, the k-tiles at ring positions [g, g + ktiles):
// waits for each stage's full barrier, calls mma(kt, h, descA, descB) for each of its HALVES 64-row
// halves h (rows of A from half + h: the descriptors of those 64 A rows and of the B tile) to issue
// the k-tile's wgmma into acc[h], keeps one k-tile's group in flight, and releases the stage of the
// k-tile before once that group completed. The tile's last stage is left to the caller. Returns
// g + ktiles. HALVES = 1: the warpgroup's 64 rows of a tile two consumers split (half = w);
// HALVES = 2: a whole 128-row tile (the GEMM's ping-pong, half = 0), each half's sums the same
// k16 products in the same order as the split. A_SWIZZLE: how the stage holds A, 128 (one
// 128-byte-swizzled tile of 64 k; descA is sm90_desc of the rows) or 64 (two 64-byte-swizzled
// halves of 32 k, Sm90Ring::a_half; descA is sm90_desc64 of the rows in half 0, sm90_desc64_k
// reaches the slices of both).
template <int BN, int STAGES, int HALVES, int A_SWIZZLE = 128, typename Mma>
__device__ __forceinline__ int tma_consume(float (&acc)[HALVES][BN / 2], uint32_t base, uint32_t ring, int half, int t, int ktiles, int g, Mma mma) {
    typedef Sm90Ring<BN> Ring;
    typedef TmaSchedule<STAGES> Plan;
#pragma unroll
    for (int h = 0; h < HALVES; h++)
#pragma unroll
        for (int i = 0; i < BN / 2; i++) acc[h][i] = 0.f;
    for (int kt = 0; kt < ktiles; kt++) {
        const int s = Plan::stage(g + kt);
        mbar_wait(Plan::full_bar(base, ring, s), Plan::full_parity(g + kt));
        uint64_t descA[HALVES];
#pragma unroll
        for (int h = 0; h < HALVES; h++) {
            if constexpr (A_SWIZZLE == 128) descA[h] = sm90_desc(Ring::a_rows_of(Ring::a_tile(base, s), half + h));
            else descA[h] = sm90_desc64(Ring::a_half_rows_of(Ring::a_half(Ring::a_tile(base, s), 0), half + h));
        }
        const uint64_t descB = sm90_desc(Ring::b_tile(base, s));
        wgmma_fence();
#pragma unroll
        for (int h = 0; h < HALVES; h++) fence_acc(acc[h]);
#pragma unroll
        for (int h = 0; h < HALVES; h++) mma(kt, h, descA[h], descB);
        wgmma_commit();
#pragma unroll
        for (int h = 0; h < HALVES; h++) fence_acc(acc[h]);
        // Tile kt's group stays in flight; tile kt - 1's is complete after this, so its stage can be refilled.
        wgmma_wait<1>();
#pragma unroll
        for (int h = 0; h < HALVES; h++) fence_acc(acc[h]);
        if (kt > 0 && t == 0) mbar_arrive(Plan::empty_bar(base, ring, Plan::stage(g + kt - 1)));
    }
    wgmma_wait<0>();
#pragma unroll
    for (int h = 0; h < HALVES; h++) fence_acc(acc[h]);
    return g + ktiles;
}

// tma_consume with a whole k-tile per stage: 4 wgmma of 16 k each, the k-tile's chunks in order (the
// GEMM's k-loop and the convolution's; A_SWIZZLE 64: A's chunks 0-1 from its first half, 2-3 from its second).
template <int BN, int STAGES, int HALVES = 1, int A_SWIZZLE = 128>
__device__ __forceinline__ int tma_consume_tile(float (&acc)[HALVES][BN / 2], uint32_t base, uint32_t ring, int half, int t, int ktiles, int g) {
    static_assert(A_SWIZZLE == 128 || A_SWIZZLE == 64, "A as one 128-byte-swizzled tile or two 64-byte-swizzled halves");
    return tma_consume<BN, STAGES, HALVES, A_SWIZZLE>(acc, base, ring, half, t, ktiles, g, [&](int, int h, uint64_t descA, uint64_t descB) {
#pragma unroll
        for (int k = 0; k < SM90_BK / 16; k++)
            Wgmma<BN>::mma(acc[h], A_SWIZZLE == 128 ? sm90_desc_k(descA, k) : sm90_desc64_k(descA, k), sm90_desc_k(descB, k));
    });
}

// The ring and its barriers, set up by thread 0 before any warpgroup uses them: a stage's empty
// barrier expects `consumers` arrivals (both warpgroups where they split each tile, one where each
// owns whole tiles).
template <int STAGES>
__device__ __forceinline__ void tma_init_barriers(uint32_t base, uint32_t ring, int tid, uint32_t consumers = TmaSchedule<STAGES>::CONSUMERS) {
    typedef TmaSchedule<STAGES> Plan;
    if (tid == 0) {
        for (int s = 0; s < STAGES; s++) {
            mbar_init(Plan::full_bar(base, ring, s), 1);
            mbar_init(Plan::empty_bar(base, ring, s), consumers);
        }
        fence_mbar_init();
    }
    __syncthreads();
}

// The persistent kernels' consumer warpgroup w (gemm_tma_sm90.cu's GEMM, conv_tma_sm90.cu's
// convolution): the block's tiles blockIdx.x, blockIdx.x + gridDim.x, ... below `tiles`, the ring's
// position running on across them; each tile's 64 rows of warpgroup w through tma_consume_tile, its
// last stage handed back, then `store(acc, tile)` (the kernel's epilogue for those rows).
template <int BN, int STAGES, int A_SWIZZLE, typename Store>
__device__ __forceinline__ void tma_consume_persistent(uint32_t base, uint32_t ring, int w, int t, int ktiles, int tiles, Store store) {
    typedef TmaSchedule<STAGES> Plan;
    float acc[1][BN / 2];
    int g = 0;
    for (int tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
        g = tma_consume_tile<BN, STAGES, 1, A_SWIZZLE>(acc, base, ring, w, t, ktiles, g);
        // The tile's last group completed in tma_consume_tile: its stage can take the next tile's loads.
        if (ktiles > 0 && t == 0) mbar_arrive(Plan::empty_bar(base, ring, Plan::stage(g - 1)));
        store(acc[0], tile);
    }
}

// The ping-pong kernels' consumer warpgroup w: the block's tiles j = w, w + 2, ... of the `mine`
// it walks (tile blockIdx.x + j·gridDim.x), all 128 rows of each (HALVES = 2), in turns with the
// other consumer by the named barriers of tma_pp_* (gemm_sm90_layout.cuh): wait for the turn,
// complete the tile's products, hand back its last stage, pass the turn, then `store(acc, tile)`
// (both 64-row halves) under the other's products.
template <int BN, int STAGES, int A_SWIZZLE, typename Store>
__device__ __forceinline__ void tma_consume_pingpong(uint32_t base, uint32_t ring, int w, int t, int ktiles, int mine, Store store) {
    typedef TmaSchedule<STAGES> Plan;
    float acc[2][BN / 2];
    for (int j = w; j < mine; j += 2) {
        const int tile = blockIdx.x + j * gridDim.x;
        if (tma_pp_waits_before(j)) named_bar_sync(tma_pp_own(w), TMA_PP_THREADS);
        const int g = tma_consume_tile<BN, STAGES, 2, A_SWIZZLE>(acc, base, ring, 0, t, ktiles, j * ktiles);
        // All of tile j's groups completed in tma_consume_tile: its last stage goes back, and the turn passes.
        if (ktiles > 0 && t == 0) mbar_arrive(Plan::empty_bar(base, ring, Plan::stage(g - 1)));
        if (tma_pp_arrives_after(j, mine)) named_bar_arrive(tma_pp_other(w), TMA_PP_THREADS);
        store(acc, tile);
    }
}
