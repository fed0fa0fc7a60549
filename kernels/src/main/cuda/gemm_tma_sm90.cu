// C[m, n] = Σ_k A[m, k]·B[n, k] (+ bias) (+ GELU-tanh) on Hopper, the contract of gemm_sm90.cu's
// wgmma kernels (and of gemm_bf16_tn_k64), with the operands fed by TMA. A module of its own, so
// that each family's module stays small (the driver compiles a module's PTX on first load).
// Validated in run 8, the default on compute capability 9.0 since: docs/cuda-performance.md.
//
// The same product and epilogues with the loads moved off the consumers.
// A block of 384 threads: warpgroup 0 is the producer, whose one thread issues, per k-tile, two
// TMA copies (A's 128×64 box and B's BN×64 box, written 128-byte swizzled exactly as
// sm90_chunk_offset lays them out) into the stage's full barrier; warpgroups 1 and 2 are the
// consumers, each owning 64 rows of the 128×BN tile as the cp.async kernel's warpgroups do. A
// consumer waits for a stage's full barrier, issues its 4 wgmma, keeps one k-tile's group in
// flight, and releases the stage of the tile before (empty barrier) once that group completed
// (TmaSchedule). No block-wide barrier inside the k-loop, and no consumer instruction spent on
// loads. Tensor maps (CUtensorMap, made on the host with cuTensorMapEncodeTiled): A as a
// [M, K] bf16 tensor with row stride lda, box 64 × 128; B as [N, K] with row stride ldb, box
// 64 × BN; both with 128-byte swizzle and zero fill outside, which covers the ragged edges of M,
// N and K (the contract on K, lda and ldb is gemm_bf16_tn_k64's: multiples of 8).
#include <cuda.h>   // CUtensorMap
#include "common.cuh"
#include "gemm_sm90_epilogue.cuh"
#include "gemm_sm90_layout.cuh"
#include "sm90.cuh"
#include "tma_pipeline_sm90.cuh"

#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#error "gemm_tma_sm90.cu uses wgmma and TMA: compile it for sm_90a (scripts/build-ptx.sh does)"
#endif

#define TMA_THREADS 384

// The GEMM's k-tiles (tma_pipeline_sm90.cuh's loop): k-tile kt is A's box at (kt·64, m0) and B's
// at (kt·64, n0), multiplied by tma_consume_tile's 4 wgmma of 16 k each.
template <int BN, int STAGES>
__device__ __forceinline__ int tma_produce_tile(uint32_t base, uint32_t ring, const CUtensorMap* tmA, const CUtensorMap* tmB,
        int m0, int n0, int ktiles, int g) {
    return tma_produce<BN, STAGES>(base, ring, ktiles, g, [&](int kt, const TmaStageTiles<BN>& tiles, uint32_t full) {
        tma_load_2d(tiles.a(), tmA, kt * SM90_BK, m0, full);
        tma_load_2d(tiles.b(), tmB, kt * SM90_BK, n0, full);
    });
}

// The persistent kernels' producer: this block's tiles blockIdx.x, blockIdx.x + gridDim.x, ... (tile
// i at rows (i / tilesN)·128, columns (i % tilesN)·BN), the ring position running on across them.
template <int BN, int STAGES>
__device__ __forceinline__ void tma_produce_tiles(uint32_t base, uint32_t ring, const CUtensorMap* tmA, const CUtensorMap* tmB,
        int tiles, int tilesN, int ktiles) {
    int g = 0;
    for (int tile = blockIdx.x; tile < tiles; tile += gridDim.x)
        g = tma_produce_tile<BN, STAGES>(base, ring, tmA, tmB, (tile / tilesN) * SM90_BM, (tile % tilesN) * BN, ktiles, g);
}

template <int BN, int STAGES, typename OutT, bool RESID = false>
__device__ __forceinline__ void gemm_tma(const CUtensorMap* tmA, const CUtensorMap* tmB,
        OutT* __restrict__ C, i64 ldc, const float* __restrict__ bias, int biasMode, int act, int M, int N, int K,
        const Residual& resid = Residual()) {
    typedef Sm90Ring<BN> Ring;
    extern __shared__ __align__(1024) unsigned char smem[];
    const uint32_t base = (smem_addr(smem) + SM90_GROUP_BYTES - 1) & ~(uint32_t)(SM90_GROUP_BYTES - 1);
    const uint32_t ring = STAGES * Ring::STAGE_BYTES;

    const int tid = threadIdx.x, wg = tid >> 7, t = tid & 127;
    const int m0 = blockIdx.y * SM90_BM, n0 = blockIdx.x * BN;
    const int ktiles = (K + SM90_BK - 1) / SM90_BK;
    tma_init_barriers<STAGES>(base, ring, tid);

    if (wg == 0) {
        regs_release<40>();
        if (t == 0) tma_produce_tile<BN, STAGES>(base, ring, tmA, tmB, m0, n0, ktiles, 0);
        return;
    }

    regs_take<232>();
    const int w = wg - 1;   // this consumer's 64 rows of the tile
    float acc[1][BN / 2];
    tma_consume_tile<BN, STAGES>(acc, base, ring, w, t, ktiles, 0);
    store_tile<BN, OutT, RESID>(acc[0], C, ldc, bias, biasMode, act, M, N, m0 + w * 64, n0, t, resid);
}

// The persistent form (LIVETALK_CUDA_GEMM_PERSISTENT; written without a GPU after run 9, not yet
// run on one): one block per SM walks the tiles blockIdx.x, blockIdx.x + gridDim.x, ... (tile i at
// rows (i / tilesN)·128, columns (i % tilesN)·BN: the order the plain kernel's grid issues them),
// and the ring's position runs on across tiles. So the producer loads the next tile's first
// k-tiles while the consumers store the last one, and the barriers and the tensor maps are set up
// once per SM rather than once per tile. Each tile's products, sums and epilogue are the plain
// kernel's: the same bits.
template <int BN, int STAGES, typename OutT, bool RESID = false>
__device__ __forceinline__ void gemm_tma_persistent(const CUtensorMap* tmA, const CUtensorMap* tmB,
        OutT* __restrict__ C, i64 ldc, const float* __restrict__ bias, int biasMode, int act, int M, int N, int K,
        const Residual& resid = Residual()) {
    typedef Sm90Ring<BN> Ring;
    extern __shared__ __align__(1024) unsigned char smem[];
    const uint32_t base = (smem_addr(smem) + SM90_GROUP_BYTES - 1) & ~(uint32_t)(SM90_GROUP_BYTES - 1);
    const uint32_t ring = STAGES * Ring::STAGE_BYTES;

    const int tid = threadIdx.x, wg = tid >> 7, t = tid & 127;
    const int ktiles = (K + SM90_BK - 1) / SM90_BK;
    const int tilesN = (N + BN - 1) / BN, tiles = tilesN * ((M + SM90_BM - 1) / SM90_BM);
    tma_init_barriers<STAGES>(base, ring, tid);

    if (wg == 0) {
        regs_release<40>();
        if (t == 0) tma_produce_tiles<BN, STAGES>(base, ring, tmA, tmB, tiles, tilesN, ktiles);
        return;
    }

    regs_take<232>();
    const int w = wg - 1;
    tma_consume_persistent<BN, STAGES, 128>(base, ring, w, t, ktiles, tiles, [&](const float (&acc)[BN / 2], int tile) {
        store_tile<BN, OutT, RESID>(acc, C, ldc, bias, biasMode, act, M, N, (tile / tilesN) * SM90_BM + w * 64, (tile % tilesN) * BN, t, resid);
    });
}

// The ping-pong form (LIVETALK_CUDA_GEMM_PERSISTENT=pingpong; written without a GPU on 2026-11-28,
// not yet run on one): persistent as above, but each consumer warpgroup owns whole tiles, and the
// two take turns at the tensor cores (the "ping-pong" of CUTLASS's Hopper GEMMs and of
// FlashAttention-3): one issues and completes a tile's products while the other stores its last
// tile, so an epilogue no longer leaves the tensor cores idle. The turn passes by two named
// barriers (tma_pp_* in gemm_sm90_layout.cuh). The ring is consumed in tile order as before, each
// stage by one consumer (empty barriers of one arrival). A consumer's sums are the split kernels'
// row for row (tma_consume_tile with HALVES = 2): the same bits. BN ≤ 128, since a consumer holds
// the whole tile's accumulator (128 floats a thread at BN = 128).
template <int BN, int STAGES, typename OutT, bool RESID = false>
__device__ __forceinline__ void gemm_tma_pingpong(const CUtensorMap* tmA, const CUtensorMap* tmB,
        OutT* __restrict__ C, i64 ldc, const float* __restrict__ bias, int biasMode, int act, int M, int N, int K,
        const Residual& resid = Residual()) {
    static_assert(BN <= 128, "a ping-pong consumer holds a whole 128 × BN tile");
    typedef Sm90Ring<BN> Ring;
    extern __shared__ __align__(1024) unsigned char smem[];
    const uint32_t base = (smem_addr(smem) + SM90_GROUP_BYTES - 1) & ~(uint32_t)(SM90_GROUP_BYTES - 1);
    const uint32_t ring = STAGES * Ring::STAGE_BYTES;

    const int tid = threadIdx.x, wg = tid >> 7, t = tid & 127;
    const int ktiles = (K + SM90_BK - 1) / SM90_BK;
    const int tilesN = (N + BN - 1) / BN, tiles = tilesN * ((M + SM90_BM - 1) / SM90_BM);
    const int mine = (int)blockIdx.x < tiles ? (tiles - 1 - (int)blockIdx.x) / (int)gridDim.x + 1 : 0;   // the tiles this block walks
    tma_init_barriers<STAGES>(base, ring, tid, 1);

    if (wg == 0) {
        regs_release<40>();
        if (t == 0) tma_produce_tiles<BN, STAGES>(base, ring, tmA, tmB, tiles, tilesN, ktiles);
        return;
    }

    regs_take<232>();
    tma_consume_pingpong<BN, STAGES, 128>(base, ring, wg - 1, t, ktiles, mine, [&](const float (&acc)[2][BN / 2], int tile) {
        const int m0 = (tile / tilesN) * SM90_BM, n0 = (tile % tilesN) * BN;
        store_tile<BN, OutT, RESID>(acc[0], C, ldc, bias, biasMode, act, M, N, m0, n0, t, resid);
        store_tile<BN, OutT, RESID>(acc[1], C, ldc, bias, biasMode, act, M, N, m0 + 64, n0, t, resid);
    });
}

// 128×128 tiles, 6 stages: 6 × 32 KiB + 1 KiB of alignment slack + 12 barriers = 197728 bytes.
extern "C" __global__ void __launch_bounds__(TMA_THREADS, 1) gemm_bf16_tn_tma_n128(
        const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB, float* C, i64 ldc,
        const float* bias, int biasMode, int act, int M, int N, int K) {
    gemm_tma<128, 6>(&tmA, &tmB, C, ldc, bias, biasMode, act, M, N, K);
}

// 128×256 tiles, 4 stages: 4 × 48 KiB + 1 KiB + 8 barriers = 197696 bytes.
extern "C" __global__ void __launch_bounds__(TMA_THREADS, 1) gemm_bf16_tn_tma_n256(
        const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB, float* C, i64 ldc,
        const float* bias, int biasMode, int act, int M, int N, int K) {
    gemm_tma<256, 4>(&tmA, &tmB, C, ldc, bias, biasMode, act, M, N, K);
}

// 128×96 tiles, 8 stages: 8 × 28 KiB + 1 KiB + 16 barriers = 230528 bytes. For the 1536-wide
// products, whose 288 tiles of 128×128 fill 132 SMs 2.2 times (the third wave 18 % full): 384 tiles
// of 128×96 fill them 2.9 times (LIVETALK_CUDA_GEMM=tma_n96 or tma_waves; written without a GPU
// after run 9, not yet run on one).
extern "C" __global__ void __launch_bounds__(TMA_THREADS, 1) gemm_bf16_tn_tma_n96(
        const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB, float* C, i64 ldc,
        const float* bias, int biasMode, int act, int M, int N, int K) {
    gemm_tma<96, 8>(&tmA, &tmB, C, ldc, bias, biasMode, act, M, N, K);
}

extern "C" __global__ void __launch_bounds__(TMA_THREADS, 1) gemm_bf16_tn_tma_n96_bf16out(
        const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB, bf16* C, i64 ldc,
        const float* bias, int biasMode, int act, int M, int N, int K) {
    gemm_tma<96, 8>(&tmA, &tmB, C, ldc, bias, biasMode, act, M, N, K);
}

extern "C" __global__ void __launch_bounds__(TMA_THREADS, 1) gemm_bf16_tn_tma_n128_bf16out(
        const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB, bf16* C, i64 ldc,
        const float* bias, int biasMode, int act, int M, int N, int K) {
    gemm_tma<128, 6>(&tmA, &tmB, C, ldc, bias, biasMode, act, M, N, K);
}

extern "C" __global__ void __launch_bounds__(TMA_THREADS, 1) gemm_bf16_tn_tma_n256_bf16out(
        const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB, bf16* C, i64 ldc,
        const float* bias, int biasMode, int act, int M, int N, int K) {
    gemm_tma<256, 4>(&tmA, &tmB, C, ldc, bias, biasMode, act, M, N, K);
}

// The residual products (Backend.linearResidual, LIVETALK_CUDA_RESIDUAL; written without a GPU on
// 2026-11-28, not yet run on one): the product plus bias added into the float32 residual stream C,
// times the row's frame's gate when gate is not null (the DiT's output projections and FFN). The
// same arguments as above, then the gate, its frame stride and the rows per frame.
extern "C" __global__ void __launch_bounds__(TMA_THREADS, 1) gemm_bf16_tn_tma_n96_resid(
        const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB, float* C, i64 ldc,
        const float* bias, int biasMode, int act, int M, int N, int K, const float* gate, i64 gateStride, int rowsPerFrame) {
    gemm_tma<96, 8, float, true>(&tmA, &tmB, C, ldc, bias, biasMode, act, M, N, K, Residual{gate, gateStride, rowsPerFrame});
}

extern "C" __global__ void __launch_bounds__(TMA_THREADS, 1) gemm_bf16_tn_tma_n128_resid(
        const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB, float* C, i64 ldc,
        const float* bias, int biasMode, int act, int M, int N, int K, const float* gate, i64 gateStride, int rowsPerFrame) {
    gemm_tma<128, 6, float, true>(&tmA, &tmB, C, ldc, bias, biasMode, act, M, N, K, Residual{gate, gateStride, rowsPerFrame});
}

extern "C" __global__ void __launch_bounds__(TMA_THREADS, 1) gemm_bf16_tn_tma_n256_resid(
        const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB, float* C, i64 ldc,
        const float* bias, int biasMode, int act, int M, int N, int K, const float* gate, i64 gateStride, int rowsPerFrame) {
    gemm_tma<256, 4, float, true>(&tmA, &tmB, C, ldc, bias, biasMode, act, M, N, K, Residual{gate, gateStride, rowsPerFrame});
}

// The persistent and ping-pong kernels (gemm_tma_persistent, gemm_tma_pingpong above): each plain
// kernel's twin with its arguments, launched with at most one block per SM; the ping-pong ones at
// the tile widths whose accumulator one warpgroup can hold.
#define TMA_SCHEDULED_KERNELS(BN, STAGES, SCHEDULE, BODY)                                                                   \
    extern "C" __global__ void __launch_bounds__(TMA_THREADS, 1) gemm_bf16_tn_tma_n##BN##_##SCHEDULE(                        \
            const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB, float* C, i64 ldc,            \
            const float* bias, int biasMode, int act, int M, int N, int K) {                                                 \
        BODY<BN, STAGES, float>(&tmA, &tmB, C, ldc, bias, biasMode, act, M, N, K);                                           \
    }                                                                                                                        \
    extern "C" __global__ void __launch_bounds__(TMA_THREADS, 1) gemm_bf16_tn_tma_n##BN##_##SCHEDULE##_bf16out(              \
            const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB, bf16* C, i64 ldc,             \
            const float* bias, int biasMode, int act, int M, int N, int K) {                                                 \
        BODY<BN, STAGES, bf16>(&tmA, &tmB, C, ldc, bias, biasMode, act, M, N, K);                                            \
    }                                                                                                                        \
    extern "C" __global__ void __launch_bounds__(TMA_THREADS, 1) gemm_bf16_tn_tma_n##BN##_##SCHEDULE##_resid(                \
            const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB, float* C, i64 ldc,            \
            const float* bias, int biasMode, int act, int M, int N, int K, const float* gate, i64 gateStride, int rowsPerFrame) { \
        BODY<BN, STAGES, float, true>(&tmA, &tmB, C, ldc, bias, biasMode, act, M, N, K, Residual{gate, gateStride, rowsPerFrame}); \
    }

TMA_SCHEDULED_KERNELS(96, 8, persistent, gemm_tma_persistent)
TMA_SCHEDULED_KERNELS(128, 6, persistent, gemm_tma_persistent)
TMA_SCHEDULED_KERNELS(256, 4, persistent, gemm_tma_persistent)
TMA_SCHEDULED_KERNELS(96, 8, pingpong, gemm_tma_pingpong)
TMA_SCHEDULED_KERNELS(128, 6, pingpong, gemm_tma_pingpong)
