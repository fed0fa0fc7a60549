// The TMA kernels' k-loop (gemm_tma_sm90.cu's GEMM, conv_tma_sm90.cu's convolution): one producer
// thread fills a ring of STAGES tiles (Sm90Ring<BN>: a 128-row A tile and a BN-row B tile per
// stage, 128-byte swizzled) with TMA copies, two consumer warpgroups drain it with wgmma; the stages
// are handed over through the mbarriers of TmaSchedule (gemm_sm90_layout.cuh), which
// kernels/src/test/cuda/gemm_sm90_layout_test.cpp plays under the PTX ISA's mbarrier rules. What
// differs between the kernels is passed in: which boxes a k-tile's copies read (`load`) and which
// wgmma a k-tile's products are (`mma`). Include only from *_sm90.cu files (compiled for sm_90a).
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

// A consumer warpgroup's products for one block tile (its 64 rows w of it), the k-tiles at ring
// positions [g, g + ktiles): waits for each stage's full barrier, calls mma(kt, descA, descB) to
// issue the k-tile's wgmma on the descriptors of its 64 A rows and of the B tile, keeps one k-tile's
// group in flight, and releases the stage of the k-tile before once that group completed. The
// tile's last stage is left to the caller. Returns g + ktiles.
template <int BN, int STAGES, typename Mma>
__device__ __forceinline__ int tma_consume(float (&acc)[BN / 2], uint32_t base, uint32_t ring, int w, int t, int ktiles, int g, Mma mma) {
    typedef Sm90Ring<BN> Ring;
    typedef TmaSchedule<STAGES> Plan;
#pragma unroll
    for (int i = 0; i < BN / 2; i++) acc[i] = 0.f;
    for (int kt = 0; kt < ktiles; kt++) {
        const int s = Plan::stage(g + kt);
        mbar_wait(Plan::full_bar(base, ring, s), Plan::full_parity(g + kt));
        const uint64_t descA = sm90_desc(Ring::a_rows_of(Ring::a_tile(base, s), w));
        const uint64_t descB = sm90_desc(Ring::b_tile(base, s));
        wgmma_fence();
        fence_acc(acc);
        mma(kt, descA, descB);
        wgmma_commit();
        fence_acc(acc);
        // Tile kt's group stays in flight; tile kt - 1's is complete after this, so its stage can be refilled.
        wgmma_wait<1>();
        fence_acc(acc);
        if (kt > 0 && t == 0) mbar_arrive(Plan::empty_bar(base, ring, Plan::stage(g + kt - 1)));
    }
    wgmma_wait<0>();
    fence_acc(acc);
    return g + ktiles;
}

// tma_consume with a whole k-tile per stage: 4 wgmma of 16 k each, the box's chunks in order (the
// GEMM's k-loop and the convolution's).
template <int BN, int STAGES>
__device__ __forceinline__ int tma_consume_tile(float (&acc)[BN / 2], uint32_t base, uint32_t ring, int w, int t, int ktiles, int g) {
    return tma_consume<BN, STAGES>(acc, base, ring, w, t, ktiles, g, [&](int, uint64_t descA, uint64_t descB) {
#pragma unroll
        for (int k = 0; k < SM90_BK / 16; k++) Wgmma<BN>::mma(acc, sm90_desc_k(descA, k), sm90_desc_k(descB, k));
    });
}

// The ring and its barriers, set up by thread 0 before any warpgroup uses them.
template <int STAGES>
__device__ __forceinline__ void tma_init_barriers(uint32_t base, uint32_t ring, int tid) {
    typedef TmaSchedule<STAGES> Plan;
    if (tid == 0) {
        for (int s = 0; s < STAGES; s++) {
            mbar_init(Plan::full_bar(base, ring, s), 1);
            mbar_init(Plan::empty_bar(base, ring, s), Plan::CONSUMERS);
        }
        fence_mbar_init();
    }
    __syncthreads();
}
