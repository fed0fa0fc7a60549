// The fast convolution on Hopper with its operands fed by TMA (sm_90a, LIVETALK_CUDA_CONV=tma;
// written without a GPU, validated in run 10, its ping-pong form the default since): the function of conv_sm90.cu's wgmma kernels, the
// same bits (conv_tma_sm90_layout.cuh says why), with the loads taken off the warpgroups that
// compute, as gemm_tma_sm90.cu takes them off the GEMM's. A module of its own (conv_tma_sm90.ptx),
// loaded only when the switch asks for it.
//
// A block of 384 threads computes 128 positions × BN output channels of one output frame:
// warpgroup 0 is the producer, whose one thread issues per k-tile two TMA copies (the copy's box of
// 128 pixel rows × 64 channels of one tap, the re-laid weight's box of BN rows × 64 k) into the
// stage's full barrier; warpgroups 1 and 2 are the consumers, each owning 64 positions as the wgmma
// kernel's two warpgroups do (the same descriptors, accumulators and epilogue, conv_sm90_epilogue.cuh).
// The ring, its barriers, the loops and the 4 wgmma per k-tile are the TMA GEMM's
// (tma_pipeline_sm90.cuh); what differs is which boxes a k-tile reads: 64 channels of one tap
// (conv_tma_x_row, _x_col, _w_col), zeros past cp; where cp ≡ 32 mod 64, conv_cl_tma_h32_n* take
// the wgmma kernel's own k-tiles with X as two 32-channel boxes, each of its own tap. Tensor maps:
// made on the host (CudaConvolution.convTmaArgs) with cuTensorMapEncodeTiled, 128-byte swizzle
// (X's 64-byte for conv_cl_tma_h32_n*), zero fill outside; they travel as __grid_constant__ kernel arguments.
// Every kernel has a _resid twin that adds a residual in its epilogue (LIVETALK_CUDA_VAE_FUSE=1, at the end).
#include <cuda.h>   // CUtensorMap
#include "common.cuh"
#include "conv_sm90_epilogue.cuh"
#include "conv_tma_sm90_layout.cuh"
#include "sm90.cuh"
#include "tma_pipeline_sm90.cuh"

#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#error "conv_tma_sm90.cu uses wgmma and TMA: compile it for sm_90a (scripts/build-ptx.sh does)"
#endif

// HALVES32: the halves kernel (cp ≡ 32 mod 64, conv_tma_sm90_layout.cuh): per k-tile the wgmma
// kernel's 64 k, X as two 32-channel boxes of their own taps into the A tile's 64-byte-swizzled
// halves (tmX encoded with 32-channel boxes and the 64-byte swizzle), W as one box; the stage's
// bytes, and so the full barrier's count, are the same (2 × 128 × 64 B = the 128 × 128 B tile).
// The producer's k-tiles of the block tile (n0, o0, frame) into the ring from position pos (the
// k-tiles this block loaded before it); returns the position after them.
template <int BN, bool HALVES32>
__device__ __forceinline__ int conv_tma_produce_tile(uint32_t base, uint32_t ring, const CUtensorMap* tmX, const CUtensorMap* tmW,
        const ConvGeom& g, int n0, int o0, int frame, int ktiles, int pos) {
    return tma_produce<BN, ConvTmaRing<BN>::STAGES>(base, ring, ktiles, pos, [&](int kt, const TmaStageTiles<BN>& tiles, uint32_t full) {
        if constexpr (HALVES32) {
            tma_load_2d(tiles.a_half(0), tmX, conv_tma_h32_x_col(g, kt, 0), conv_tma_h32_x_row(g, frame, n0, kt, 0), full);
            tma_load_2d(tiles.a_half(1), tmX, conv_tma_h32_x_col(g, kt, 1), conv_tma_h32_x_row(g, frame, n0, kt, 1), full);
            tma_load_2d(tiles.b(), tmW, conv_tma_h32_w_col(kt), o0, full);
        } else {
            tma_load_2d(tiles.a(), tmX, conv_tma_x_col(g, kt), conv_tma_x_row(g, frame, n0, kt), full);
            tma_load_2d(tiles.b(), tmW, conv_tma_w_col(g, kt), o0, full);
        }
    });
}

// The persistent kernels' producer: this block's tiles blockIdx.x, blockIdx.x + gridDim.x, ... in
// the plain grid's order (tile i: positions (i mod tilesN)·128, channels ((i / tilesN) mod
// tilesO)·BN, output frame i / (tilesN·tilesO)), the ring position running on across them.
template <int BN, bool HALVES32>
__device__ __forceinline__ void conv_tma_produce_tiles(uint32_t base, uint32_t ring, const CUtensorMap* tmX, const CUtensorMap* tmW,
        const ConvGeom& g, int tilesN, int tilesO, int tiles, int ktiles) {
    int pos = 0;
    for (int tile = blockIdx.x; tile < tiles; tile += gridDim.x)
        pos = conv_tma_produce_tile<BN, HALVES32>(base, ring, tmX, tmW, g, (tile % tilesN) * CONV_TMA_BM,
                                                  (tile / tilesN % tilesO) * BN, tile / (tilesN * tilesO), ktiles, pos);
}

// RESID (the _resid kernels): R, laid out as C, added in the epilogue (conv_store_tile).
template <int BN, bool HALVES32, bool RESID = false>
__device__ __forceinline__ void conv_tma(const CUtensorMap* tmX, const CUtensorMap* tmW, ConvGeom g, float* __restrict__ C, i64 pixels,
                                         const float* __restrict__ bias, int cout, const float* __restrict__ R = nullptr) {
    typedef ConvTmaRing<BN> Layout;
    constexpr int STAGES = Layout::STAGES;
    extern __shared__ __align__(1024) unsigned char smem[];
    // The dynamic window is only guaranteed 16-byte aligned: round up (the host adds 1 KiB).
    const uint32_t base = (smem_addr(smem) + SM90_GROUP_BYTES - 1) & ~(uint32_t)(SM90_GROUP_BYTES - 1);
    const uint32_t ring = Layout::RING_BYTES;

    const int tid = threadIdx.x, wg = tid >> 7, t = tid & 127;
    const int n0 = blockIdx.x * CONV_TMA_BM, o0 = blockIdx.y * BN, frame = blockIdx.z;
    const int ktiles = HALVES32 ? conv_tma_h32_ktiles(g) : conv_tma_ktiles(g);
    tma_init_barriers<STAGES>(base, ring, tid);

    if (wg == 0) {
        // 40 registers are plenty for one thread's address arithmetic; the consumers take the rest
        regs_release<40>();
        if (t == 0) conv_tma_produce_tile<BN, HALVES32>(base, ring, tmX, tmW, g, n0, o0, frame, ktiles, 0);
        return;
    }

    regs_take<232>();
    const int w = wg - 1;   // this consumer's 64 positions of the tile
    float acc[1][BN / 2];
    // every k-tile: 4 wgmma of 16 k, the TMA GEMM's consumer (16 channels of one tap, zeros past
    // cp; or, halves, the wgmma kernel's chunks, read through 64-byte descriptors)
    tma_consume_tile<BN, STAGES, 1, HALVES32 ? 64 : 128>(acc, base, ring, w, t, ktiles, 0);
    conv_store_tile<BN, RESID>(acc[0], C, g, pixels, bias, cout, n0, w, o0, frame, t, R);
}

// The persistent form (LIVETALK_CUDA_CONV=tma_persistent; written without a GPU on 2026-11-28, not
// yet run on one), as gemm_tma_sm90.cu's persistent GEMM: one block per SM walks the block tiles
// blockIdx.x, blockIdx.x + gridDim.x, ... in the plain grid's order (tile i: positions
// (i mod tilesN)·128, channels ((i / tilesN) mod tilesO)·BN, output frame i / (tilesN·tilesO)), the
// ring position running on across them, so the producer loads the next tile's first k-tiles while
// the consumers finish and store the last, and the barriers and tensor maps are set up once per SM.
// Each tile's products and epilogue are the plain kernel's: the same bits.
template <int BN, bool HALVES32, bool RESID = false>
__device__ __forceinline__ void conv_tma_persistent(const CUtensorMap* tmX, const CUtensorMap* tmW, ConvGeom g, float* __restrict__ C,
                                                    i64 pixels, const float* __restrict__ bias, int cout, int tOut,
                                                    const float* __restrict__ R = nullptr) {
    typedef ConvTmaRing<BN> Layout;
    constexpr int STAGES = Layout::STAGES;
    extern __shared__ __align__(1024) unsigned char smem[];
    const uint32_t base = (smem_addr(smem) + SM90_GROUP_BYTES - 1) & ~(uint32_t)(SM90_GROUP_BYTES - 1);
    const uint32_t ring = Layout::RING_BYTES;

    const int tid = threadIdx.x, wg = tid >> 7, t = tid & 127;
    const int ktiles = HALVES32 ? conv_tma_h32_ktiles(g) : conv_tma_ktiles(g);
    const int tilesN = (g.n + CONV_TMA_BM - 1) / CONV_TMA_BM, tilesO = (cout + BN - 1) / BN, tiles = tilesN * tilesO * tOut;
    tma_init_barriers<STAGES>(base, ring, tid);

    if (wg == 0) {
        regs_release<40>();
        if (t == 0) conv_tma_produce_tiles<BN, HALVES32>(base, ring, tmX, tmW, g, tilesN, tilesO, tiles, ktiles);
        return;
    }

    regs_take<232>();
    const int w = wg - 1;
    tma_consume_persistent<BN, STAGES, HALVES32 ? 64 : 128>(base, ring, w, t, ktiles, tiles, [&](const float (&acc)[BN / 2], int tile) {
        conv_store_tile<BN, RESID>(acc, C, g, pixels, bias, cout, (tile % tilesN) * CONV_TMA_BM, w, (tile / tilesN % tilesO) * BN,
                                   tile / (tilesN * tilesO), t, R);
    });
}

// The ping-pong form (LIVETALK_CUDA_CONV=tma_pingpong; written without a GPU on 2026-11-28, not yet
// run on one), as gemm_tma_sm90.cu's ping-pong GEMM: persistent as above, but each consumer
// warpgroup owns whole block tiles (the block's j-th tile is consumer j mod 2's) and the two take
// turns at the tensor cores by the named barriers of tma_pp_* (gemm_sm90_layout.cuh), so one's
// epilogue runs under the other's products. Each stage has one reader (empty barriers of one
// arrival). A consumer computes both 64-position halves of its tile (tma_consume_tile with
// HALVES = 2), each row the same k16 chunks in the same order: the same bits. BN ≤ 96, since a
// consumer holds the whole 128 × BN accumulator (96 floats a thread at BN = 96); the host launches
// the persistent kernel for 192-wide tiles.
template <int BN, bool HALVES32, bool RESID = false>
__device__ __forceinline__ void conv_tma_pingpong(const CUtensorMap* tmX, const CUtensorMap* tmW, ConvGeom g, float* __restrict__ C,
                                                  i64 pixels, const float* __restrict__ bias, int cout, int tOut,
                                                  const float* __restrict__ R = nullptr) {
    static_assert(BN <= 96, "a ping-pong consumer holds a whole 128 × BN tile");
    typedef ConvTmaRing<BN> Layout;
    constexpr int STAGES = Layout::STAGES;
    extern __shared__ __align__(1024) unsigned char smem[];
    const uint32_t base = (smem_addr(smem) + SM90_GROUP_BYTES - 1) & ~(uint32_t)(SM90_GROUP_BYTES - 1);
    const uint32_t ring = Layout::RING_BYTES;

    const int tid = threadIdx.x, wg = tid >> 7, t = tid & 127;
    const int ktiles = HALVES32 ? conv_tma_h32_ktiles(g) : conv_tma_ktiles(g);
    const int tilesN = (g.n + CONV_TMA_BM - 1) / CONV_TMA_BM, tilesO = (cout + BN - 1) / BN, tiles = tilesN * tilesO * tOut;
    const int mine = (int)blockIdx.x < tiles ? (tiles - 1 - (int)blockIdx.x) / (int)gridDim.x + 1 : 0;   // the tiles this block walks
    tma_init_barriers<STAGES>(base, ring, tid, 1);

    if (wg == 0) {
        regs_release<40>();
        if (t == 0) conv_tma_produce_tiles<BN, HALVES32>(base, ring, tmX, tmW, g, tilesN, tilesO, tiles, ktiles);
        return;
    }

    regs_take<232>();
    tma_consume_pingpong<BN, STAGES, HALVES32 ? 64 : 128>(base, ring, wg - 1, t, ktiles, mine, [&](const float (&acc)[2][BN / 2], int tile) {
        const int n0 = (tile % tilesN) * CONV_TMA_BM, o0 = (tile / tilesN % tilesO) * BN, frame = tile / (tilesN * tilesO);
        conv_store_tile<BN, RESID>(acc[0], C, g, pixels, bias, cout, n0, 0, o0, frame, t, R);
        conv_store_tile<BN, RESID>(acc[1], C, g, pixels, bias, cout, n0, 1, o0, frame, t, R);
    });
}

// tmX: the copy (conv_pad_cl) as [seqFrames·plane][cp] bf16, boxes of 128 rows × 64 channels; tmW: W'
// [cout][k] bf16 (conv_weight_cl), boxes of BN rows × 64; then conv_cl_wgmma_n*'s arguments from cp
// on: the geometry (ConvGeom's fields), C the output [tOut, cout, hOut, wOut] with pixels =
// hOut·wOut, bias [cout] float32 or null, cout. Grid: (⌈n/128⌉, ⌈cout/BN⌉, tOut); 384 threads;
// ConvTmaRing<BN>::SMEM_BYTES of dynamic shared memory (164992, 230528 and 205904 bytes): one
// block per SM. Only for cp a multiple of 16 (conv_tma_fits; the host runs the wgmma kernel elsewhere).
// conv_cl_tma_h32_n*: the same arguments and shared memory, for cp ≡ 32 mod 64 (conv_tma_halves),
// tmX's boxes 128 rows × 32 channels with the 64-byte swizzle.
#define CONV_TMA_KERNEL(NAME, BN, HALVES32)                                                                         \
    extern "C" __global__ void __launch_bounds__(CONV_TMA_THREADS, 1) NAME(                                          \
            const __grid_constant__ CUtensorMap tmX, const __grid_constant__ CUtensorMap tmW, int cp, int khw, int kw, \
            int Wp, int plane, int n, int k, int wOut, float* C, i64 pixels, const float* bias, int cout) {          \
        const ConvGeom g = {cp, khw, kw, Wp, plane, n, k, wOut};                                                     \
        conv_tma<BN, HALVES32>(&tmX, &tmW, g, C, pixels, bias, cout);                                                \
    }

CONV_TMA_KERNEL(conv_cl_tma_n32, 32, false)
CONV_TMA_KERNEL(conv_cl_tma_n96, 96, false)
CONV_TMA_KERNEL(conv_cl_tma_n192, 192, false)
CONV_TMA_KERNEL(conv_cl_tma_h32_n32, 32, true)
CONV_TMA_KERNEL(conv_cl_tma_h32_n96, 96, true)
CONV_TMA_KERNEL(conv_cl_tma_h32_n192, 192, true)

// The persistent and ping-pong kernels (conv_tma_persistent, conv_tma_pingpong above): the plain
// ones' arguments, then tOut (the plain grid's z); grid: at most one block per SM
// (LaunchGeometry.persistentBlocks), the same threads and shared memory.
#define CONV_TMA_SCHEDULED_KERNEL(NAME, BODY, BN, HALVES32)                                                         \
    extern "C" __global__ void __launch_bounds__(CONV_TMA_THREADS, 1) NAME(                                          \
            const __grid_constant__ CUtensorMap tmX, const __grid_constant__ CUtensorMap tmW, int cp, int khw, int kw, \
            int Wp, int plane, int n, int k, int wOut, float* C, i64 pixels, const float* bias, int cout, int tOut) { \
        const ConvGeom g = {cp, khw, kw, Wp, plane, n, k, wOut};                                                     \
        BODY<BN, HALVES32>(&tmX, &tmW, g, C, pixels, bias, cout, tOut);                                              \
    }

CONV_TMA_SCHEDULED_KERNEL(conv_cl_tma_n32_persistent, conv_tma_persistent, 32, false)
CONV_TMA_SCHEDULED_KERNEL(conv_cl_tma_n96_persistent, conv_tma_persistent, 96, false)
CONV_TMA_SCHEDULED_KERNEL(conv_cl_tma_n192_persistent, conv_tma_persistent, 192, false)
CONV_TMA_SCHEDULED_KERNEL(conv_cl_tma_h32_n32_persistent, conv_tma_persistent, 32, true)
CONV_TMA_SCHEDULED_KERNEL(conv_cl_tma_h32_n96_persistent, conv_tma_persistent, 96, true)
CONV_TMA_SCHEDULED_KERNEL(conv_cl_tma_h32_n192_persistent, conv_tma_persistent, 192, true)
CONV_TMA_SCHEDULED_KERNEL(conv_cl_tma_n32_pingpong, conv_tma_pingpong, 32, false)
CONV_TMA_SCHEDULED_KERNEL(conv_cl_tma_n96_pingpong, conv_tma_pingpong, 96, false)
CONV_TMA_SCHEDULED_KERNEL(conv_cl_tma_h32_n32_pingpong, conv_tma_pingpong, 32, true)
CONV_TMA_SCHEDULED_KERNEL(conv_cl_tma_h32_n96_pingpong, conv_tma_pingpong, 96, true)

// The _resid twins of every kernel above (conv.cu's contract: the same arguments, then R; each
// element stored is (acc + bias) + R[at]; passed in run 10), defined after the others so that
// their PTX stays as it was.
#define CONV_TMA_RESID_KERNEL(NAME, BN, HALVES32)                                                                   \
    extern "C" __global__ void __launch_bounds__(CONV_TMA_THREADS, 1) NAME(                                          \
            const __grid_constant__ CUtensorMap tmX, const __grid_constant__ CUtensorMap tmW, int cp, int khw, int kw, \
            int Wp, int plane, int n, int k, int wOut, float* C, i64 pixels, const float* bias, int cout,            \
            const float* R) {                                                                                        \
        const ConvGeom g = {cp, khw, kw, Wp, plane, n, k, wOut};                                                     \
        conv_tma<BN, HALVES32, true>(&tmX, &tmW, g, C, pixels, bias, cout, R);                                       \
    }
#define CONV_TMA_SCHEDULED_RESID_KERNEL(NAME, BODY, BN, HALVES32)                                                   \
    extern "C" __global__ void __launch_bounds__(CONV_TMA_THREADS, 1) NAME(                                          \
            const __grid_constant__ CUtensorMap tmX, const __grid_constant__ CUtensorMap tmW, int cp, int khw, int kw, \
            int Wp, int plane, int n, int k, int wOut, float* C, i64 pixels, const float* bias, int cout, int tOut,  \
            const float* R) {                                                                                        \
        const ConvGeom g = {cp, khw, kw, Wp, plane, n, k, wOut};                                                     \
        BODY<BN, HALVES32, true>(&tmX, &tmW, g, C, pixels, bias, cout, tOut, R);                                     \
    }

CONV_TMA_RESID_KERNEL(conv_cl_tma_n32_resid, 32, false)
CONV_TMA_RESID_KERNEL(conv_cl_tma_n96_resid, 96, false)
CONV_TMA_RESID_KERNEL(conv_cl_tma_n192_resid, 192, false)
CONV_TMA_RESID_KERNEL(conv_cl_tma_h32_n32_resid, 32, true)
CONV_TMA_RESID_KERNEL(conv_cl_tma_h32_n96_resid, 96, true)
CONV_TMA_RESID_KERNEL(conv_cl_tma_h32_n192_resid, 192, true)
CONV_TMA_SCHEDULED_RESID_KERNEL(conv_cl_tma_n32_persistent_resid, conv_tma_persistent, 32, false)
CONV_TMA_SCHEDULED_RESID_KERNEL(conv_cl_tma_n96_persistent_resid, conv_tma_persistent, 96, false)
CONV_TMA_SCHEDULED_RESID_KERNEL(conv_cl_tma_n192_persistent_resid, conv_tma_persistent, 192, false)
CONV_TMA_SCHEDULED_RESID_KERNEL(conv_cl_tma_h32_n32_persistent_resid, conv_tma_persistent, 32, true)
CONV_TMA_SCHEDULED_RESID_KERNEL(conv_cl_tma_h32_n96_persistent_resid, conv_tma_persistent, 96, true)
CONV_TMA_SCHEDULED_RESID_KERNEL(conv_cl_tma_h32_n192_persistent_resid, conv_tma_persistent, 192, true)
CONV_TMA_SCHEDULED_RESID_KERNEL(conv_cl_tma_n32_pingpong_resid, conv_tma_pingpong, 32, false)
CONV_TMA_SCHEDULED_RESID_KERNEL(conv_cl_tma_n96_pingpong_resid, conv_tma_pingpong, 96, false)
CONV_TMA_SCHEDULED_RESID_KERNEL(conv_cl_tma_h32_n32_pingpong_resid, conv_tma_pingpong, 32, true)
CONV_TMA_SCHEDULED_RESID_KERNEL(conv_cl_tma_h32_n96_pingpong_resid, conv_tma_pingpong, 96, true)
