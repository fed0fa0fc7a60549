// The fast convolution on Hopper (sm_90a, LIVETALK_CUDA_CONV=wgmma; the default there since run 7): the function of
// conv.cu's conv_cl_m* (same copy Xc from conv_pad_cl, same re-laid weight W' from
// conv_weight_cl, same output), with the product on wgmma, the warpgroup MMA that reads both
// operands from shared memory. Reference: VaeReferenceKernels.conv3d. Validated in run 7; it
// builds on the wgmma GEMM's machinery (gemm_sm90_layout.cuh, sm90.cuh): docs/cuda-performance.md.
//
// The product transposed (conv_sm90_layout.cuh): positions on M (2 warpgroups × 64 per block),
// output channels on N with the tile BN = 32, 96 or 192, so that cout = 96 and 192 (the
// 512×512 and 256×256 stages) fill their tiles, where M comes in steps of 64. Both operands are
// K-major: A = 128 positions × 64 k of the copy (each row one pixel's run of channels, at
// conv_q_offset + conv_k_offset, as conv.cu's B tile), B = BN channels × 64 k of W'. The k-loop,
// the ring and its schedule are gemm_sm90.cu's: cp.async into 128-byte-swizzled tiles, a proxy
// fence and one barrier per k-tile, 4 wgmma per k-tile per warpgroup with one group kept in flight
// (Sm90Schedule<5>); the epilogue stores D[q, o] to out[t, o, q's pixel] with the bias of o,
// dropping the junk positions (the _resid twins, at the end: plus a residual).
#include "common.cuh"
#include "conv_sm90_epilogue.cuh"
#include "conv_sm90_layout.cuh"
#include "sm90.cuh"

#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#error "conv_sm90.cu uses wgmma: compile it for sm_90a (scripts/build-ptx.sh does)"
#endif

template <int BN, bool RESID = false>
__device__ __forceinline__ void conv_wgmma(const bf16* __restrict__ W, const bf16* __restrict__ X, ConvGeom g,
                                           float* __restrict__ C, i64 pixels, const float* __restrict__ bias, int cout,
                                           const float* __restrict__ R = nullptr) {
    typedef ConvSm90Ring<BN> Ring;
    typedef Sm90Schedule<Ring::STAGES> Plan;
    extern __shared__ __align__(1024) unsigned char smem[];
    // The dynamic window is only guaranteed 16-byte aligned: round up (the host adds 1 KiB).
    const uint32_t base = (smem_addr(smem) + SM90_GROUP_BYTES - 1) & ~(uint32_t)(SM90_GROUP_BYTES - 1);

    const int tid = threadIdx.x, wg = tid >> 7, t = tid & 127;
    const int n0 = blockIdx.x * CONV_SM90_BM, o0 = blockIdx.y * BN, frame = blockIdx.z;
    const int ktiles = (g.k + SM90_BK - 1) / SM90_BK;
    const int col = conv_load_col(tid), chunk = col / 8;
    const i64 qBase = conv_q_offset(g, frame, n0 + conv_load_row(tid, 0));   // this thread's first A row, tap (0, 0, 0)

    auto load_stage = [&](int stage, int kt) {
        const uint32_t sa = Ring::a_tile(base, stage), sb = Ring::b_tile(base, stage);
        const int k = kt * SM90_BK + col;
        const bool kin = k < g.k;                    // K is a multiple of 8: a chunk is all inside or all past it
        const bf16* src = X + qBase + (kin ? conv_k_offset(g, k) : 0);
#pragma unroll
        for (int j = 0; j < CONV_SM90_BM / 32; j++) {
            const int row = conv_load_row(tid, j);
            const bool ok = kin && n0 + row < g.n;
            cp_async16_s(sa + sm90_chunk_offset(row, chunk), ok ? (const void*)(src + conv_b_row_step(g, j)) : (const void*)X, ok ? 16 : 0);
        }
#pragma unroll
        for (int j = 0; j < BN / 32; j++) {
            const int row = conv_load_row(tid, j), o = o0 + row;
            const bool ok = kin && o < cout;
            cp_async16_s(sb + sm90_chunk_offset(row, chunk), ok ? (const void*)(W + conv_w_offset(g, o, k)) : (const void*)W, ok ? 16 : 0);
        }
    };

    float acc[BN / 2];
#pragma unroll
    for (int i = 0; i < BN / 2; i++) acc[i] = 0.f;

    static_assert(Plan::CP_WAIT >= 0, "at least 3 stages");
#pragma unroll
    for (int tile = 0; tile < Plan::PREFETCH; tile++) {
        if (tile < ktiles) load_stage(Plan::stage(tile), tile);
        cp_async_commit();
    }

    for (int kt = 0; kt < ktiles; kt++) {
        // as gemm_sm90.cu: tile kt has landed, each thread fences its copies for the async proxy, the
        // barrier publishes them and orders the refill below after every warpgroup's previous wait
        cp_async_wait<Plan::CP_WAIT>();
        fence_proxy_async_shared();
        __syncthreads();

        const int stage = Plan::stage(kt);
        const uint64_t descA = sm90_desc(Ring::a_rows_of(Ring::a_tile(base, stage), wg));   // this warpgroup's 64 positions
        const uint64_t descB = sm90_desc(Ring::b_tile(base, stage));                         // all BN channels
        wgmma_fence();
        fence_acc(acc);
#pragma unroll
        for (int k = 0; k < SM90_BK / 16; k++) Wgmma<BN>::mma(acc, sm90_desc_k(descA, k), sm90_desc_k(descB, k));
        wgmma_commit();
        fence_acc(acc);

        const int next = kt + Plan::PREFETCH;
        if (next < ktiles) load_stage(Plan::stage(next), next);
        cp_async_commit();

        wgmma_wait<Plan::WGMMA_WAIT>();
        fence_acc(acc);
    }
    wgmma_wait<0>();
    fence_acc(acc);
    cp_async_wait<0>();

    conv_store_tile<BN, RESID>(acc, C, g, pixels, bias, cout, n0, wg, o0, frame, t, R);
}

// W' [cout][k] bf16 (conv_weight_cl), xc the copy (conv_pad_cl), C the output [tOut, cout, hOut,
// wOut] with pixels = hOut·wOut, bias [cout] float32 or null; the geometry as conv.cu's kernels
// take it. Grid: (⌈n/128⌉, ⌈cout/BN⌉, tOut); 256 threads; ConvSm90Ring<BN>::SMEM_BYTES of dynamic
// shared memory (103424, 144384 and 205824 bytes): one block per SM.
#define CONV_WGMMA_KERNEL(NAME, BN)                                                                             \
    extern "C" __global__ void __launch_bounds__(CONV_SM90_THREADS, 1) NAME(                                      \
            const bf16* W, const bf16* xc, int cp, int khw, int kw, int Wp, int plane, int n, int k, int wOut,    \
            float* C, i64 pixels, const float* bias, int cout) {                                                 \
        const ConvGeom g = {cp, khw, kw, Wp, plane, n, k, wOut};                                                 \
        conv_wgmma<BN>(W, xc, g, C, pixels, bias, cout);                                                         \
    }

CONV_WGMMA_KERNEL(conv_cl_wgmma_n32, 32)
CONV_WGMMA_KERNEL(conv_cl_wgmma_n96, 96)
CONV_WGMMA_KERNEL(conv_cl_wgmma_n192, 192)

// The _resid twins (conv.cu's contract: the same arguments, then R; each element stored is
// (acc + bias) + R[at]; passed in run 10), defined after the others so that their PTX stays as it was.
#define CONV_WGMMA_RESID_KERNEL(NAME, BN)                                                                       \
    extern "C" __global__ void __launch_bounds__(CONV_SM90_THREADS, 1) NAME(                                      \
            const bf16* W, const bf16* xc, int cp, int khw, int kw, int Wp, int plane, int n, int k, int wOut,    \
            float* C, i64 pixels, const float* bias, int cout, const float* R) {                                 \
        const ConvGeom g = {cp, khw, kw, Wp, plane, n, k, wOut};                                                 \
        conv_wgmma<BN, true>(W, xc, g, C, pixels, bias, cout, R);                                                \
    }

CONV_WGMMA_RESID_KERNEL(conv_cl_wgmma_n32_resid, 32)
CONV_WGMMA_RESID_KERNEL(conv_cl_wgmma_n96_resid, 96)
CONV_WGMMA_RESID_KERNEL(conv_cl_wgmma_n192_resid, 192)
