// C[m, n] = Σ_k A[m, k]·B[n, k] (+ bias) (+ GELU-tanh) on Hopper: the contract of gemm_bf16_tn_k64
// (gemm.cu, same arguments and epilogues) computed with wgmma, the sm_90a warpgroup MMA that
// reads both operands straight from shared memory. Reference: ReferenceKernels.linear on
// bf16-rounded operands. Validated in run 7, the default on compute capability 9.0 until run 8
// (now the TMA-fed gemm_tma_sm90.cu): docs/cuda-performance.md.
//
// Shapes (letters of this file): A [M, K] bf16 (activations, row stride lda), B [N, K] bf16 (a
// weight [out, in], row stride ldb), C [M, N] float32 (row stride ldc), bias float32 [N]
// (biasMode 1) or [M] (biasMode 2).
//
// Contract, as gemm_bf16_tn_k64: K, lda and ldb are multiples of 8, A and B are 16-byte aligned,
// and both operands are zero in columns [K', K) when the true depth K' is smaller (the host pads
// rows to a multiple of 8), so a 16-byte chunk of 8 k values is either inside a row or entirely
// past K (then it is zero-filled). M and N are arbitrary: rows past M or N read as zero and
// their results are not stored. K need not be a multiple of the k-tile (64): the last tile's
// chunks past K read as zero.
//
// Structure: a block of 256 threads = 2 warpgroups computes a 128×BN tile of C (BN = 128 or
// 256); warpgroup w owns rows [64w, 64w + 64) and holds its 64×BN accumulator in registers
// (BN/2 floats per thread). k advances 64 at a time through a STAGES-deep ring of shared-memory
// tiles filled by cp.async (each 16-byte chunk stored at its 128-byte-swizzled position,
// gemm_sm90_layout.cuh); per k-tile each warpgroup issues 4 wgmma m64nBNk16 (one per 16-deep
// slice), which read A and B through matrix descriptors. No TMA: the loads are issued by the
// same threads, between the issue of one k-tile's wgmma group and the wait for the previous one.
#include "common.cuh"
#include "gemm_sm90_epilogue.cuh"
#include "gemm_sm90_layout.cuh"
#include "sm90.cuh"

#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#error "gemm_sm90.cu uses wgmma: compile it for sm_90a (scripts/build-ptx.sh does)"
#endif

#define WG_THREADS 256

template <int BN, int STAGES, typename OutT>
__device__ __forceinline__ void gemm_wgmma(
        const bf16* __restrict__ A, int lda, const bf16* __restrict__ B, int ldb,
        OutT* __restrict__ C, i64 ldc, const float* __restrict__ bias, int biasMode, int act,
        int M, int N, int K) {
    // Prefetch distance STAGES - 2: a stage is refilled two iterations after the wgmma group that
    // read it was issued, because one group stays in flight across each barrier (Sm90Schedule).
    typedef Sm90Ring<BN> Ring;
    extern __shared__ __align__(1024) unsigned char smem[];
    // The dynamic window is only guaranteed 16-byte aligned: round up (the host adds 1 KiB).
    const uint32_t base = (smem_addr(smem) + SM90_GROUP_BYTES - 1) & ~(uint32_t)(SM90_GROUP_BYTES - 1);

    const int tid = threadIdx.x, wg = tid >> 7, t = tid & 127;
    const int m0 = blockIdx.y * SM90_BM, n0 = blockIdx.x * BN;
    const int ktiles = (K + SM90_BK - 1) / SM90_BK;

    // Thread tid copies chunk tid % 8 of rows tid/8, tid/8 + 32, ...: 8 consecutive threads read
    // one row's 128 contiguous bytes.
    const int chunk = tid & 7, row0 = tid >> 3;
    auto load_stage = [&](int stage, int kt) {
        const uint32_t sa = Ring::a_tile(base, stage), sb = Ring::b_tile(base, stage);
        const int gk = kt * SM90_BK + chunk * 8;
        const bool kin = gk < K;
#pragma unroll
        for (int i = 0; i < SM90_BM / 32; i++) {
            const int r = row0 + 32 * i, gm = m0 + r;
            const bool ok = kin && gm < M;
            cp_async16_s(sa + sm90_chunk_offset(r, chunk), ok ? (const void*)(A + (i64)gm * lda + gk) : (const void*)A, ok ? 16 : 0);
        }
#pragma unroll
        for (int i = 0; i < BN / 32; i++) {
            const int r = row0 + 32 * i, gn = n0 + r;
            const bool ok = kin && gn < N;
            cp_async16_s(sb + sm90_chunk_offset(r, chunk), ok ? (const void*)(B + (i64)gn * ldb + gk) : (const void*)B, ok ? 16 : 0);
        }
    };

    float acc[BN / 2];
#pragma unroll
    for (int i = 0; i < BN / 2; i++) acc[i] = 0.f;

    typedef Sm90Schedule<STAGES> Plan;
    static_assert(Plan::CP_WAIT >= 0, "at least 3 stages");
#pragma unroll
    for (int tile = 0; tile < Plan::PREFETCH; tile++) {
        if (tile < ktiles) load_stage(Plan::stage(tile), tile);
        cp_async_commit();
    }

    for (int kt = 0; kt < ktiles; kt++) {
        // Tile kt has landed once at most CP_WAIT younger copy groups are pending; every thread
        // fences its own copies for the async proxy, and the barrier publishes them to both
        // warpgroups. The barrier also orders the refill below after every warpgroup's
        // wgmma_wait of the previous iteration, i.e. after the last reads of the stage refilled.
        cp_async_wait<Plan::CP_WAIT>();
        fence_proxy_async_shared();
        __syncthreads();

        const int stage = Plan::stage(kt);
        const uint64_t descA = sm90_desc(Ring::a_rows_of(Ring::a_tile(base, stage), wg));   // this warpgroup's 64 rows
        const uint64_t descB = sm90_desc(Ring::b_tile(base, stage));                         // all BN rows of B
        wgmma_fence();
        fence_acc(acc);
#pragma unroll
        for (int k = 0; k < SM90_BK / 16; k++) Wgmma<BN>::mma(acc, sm90_desc_k(descA, k), sm90_desc_k(descB, k));
        wgmma_commit();
        fence_acc(acc);

        // Refill the stage of tile kt - 2 with tile kt + PREFETCH while the tensor cores work.
        const int next = kt + Plan::PREFETCH;
        if (next < ktiles) load_stage(Plan::stage(next), next);
        cp_async_commit();

        // Keep this k-tile's group in flight; the previous one (tile kt - 1) is complete after this.
        wgmma_wait<Plan::WGMMA_WAIT>();
        fence_acc(acc);
    }
    wgmma_wait<0>();
    fence_acc(acc);
    cp_async_wait<0>();
    store_tile<BN>(acc, C, ldc, bias, biasMode, act, M, N, m0 + wg * 64, n0, t);
}

// 128×128 tiles, 5 stages: 5 × 32 KiB + 1 KiB of alignment slack = 164864 bytes of shared memory.
extern "C" __global__ void __launch_bounds__(WG_THREADS, 1) gemm_bf16_tn_wgmma_n128(
        const bf16* A, int lda, const bf16* B, int ldb, float* C, i64 ldc, const float* bias, int biasMode, int act,
        int M, int N, int K) {
    gemm_wgmma<128, 5>(A, lda, B, ldb, C, ldc, bias, biasMode, act, M, N, K);
}

// 128×256 tiles, 4 stages: 4 × 48 KiB + 1 KiB = 197632 bytes of shared memory.
extern "C" __global__ void __launch_bounds__(WG_THREADS, 1) gemm_bf16_tn_wgmma_n256(
        const bf16* A, int lda, const bf16* B, int ldb, float* C, i64 ldc, const float* bias, int biasMode, int act,
        int M, int N, int K) {
    gemm_wgmma<256, 4>(A, lda, B, ldb, C, ldc, bias, biasMode, act, M, N, K);
}

// The same products writing C as bf16 [M, ldc] (linear / linearGelu into a bf16 operand buffer).
extern "C" __global__ void __launch_bounds__(WG_THREADS, 1) gemm_bf16_tn_wgmma_n128_bf16out(
        const bf16* A, int lda, const bf16* B, int ldb, bf16* C, i64 ldc, const float* bias, int biasMode, int act,
        int M, int N, int K) {
    gemm_wgmma<128, 5>(A, lda, B, ldb, C, ldc, bias, biasMode, act, M, N, K);
}

extern "C" __global__ void __launch_bounds__(WG_THREADS, 1) gemm_bf16_tn_wgmma_n256_bf16out(
        const bf16* A, int lda, const bf16* B, int ldb, bf16* C, i64 ldc, const float* bias, int biasMode, int act,
        int M, int N, int K) {
    gemm_wgmma<256, 4>(A, lda, B, ldb, C, ldc, bias, biasMode, act, M, N, K);
}
