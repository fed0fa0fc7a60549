// The mma.sync GEMM's body (gemm_tn, below), shared by gemm.cu's kernels (k step 64: 111 KB of
// shared memory) and gemm_k32.cu's (k step 32: 61 KB, for cards that allow a block less than
// 111 KB, the RTX 30 and 40 series, L4, L40S, A10, A40: 99 KB). The k step changes only how the
// loop is tiled: every accumulator still takes its mma products in k order, so both give the same
// bits. Include only from those two files.
//
// C[m, n] = Σ_k A[m, k]·B[n, k] (+ bias): both operands bf16 with k contiguous ("TN"), float32
// accumulation and output. A linear layer is A = activations, B = the weight [out, in]; a
// convolution is A = the weight [cout, cin·kt·kh·kw], B = the im2col patches [pixels, K].
// Reference: ReferenceKernels.linear (on bf16-rounded operands).
//
// Tensor cores through mma.sync m16n8k16 (sm_80 and newer). A block computes a 128x128 tile
// with 8 warps as 2 (m) x 4 (n), each warp 64x32 = 4x4 mma tiles; k advances BK at a
// time through a 3-stage cp.async pipeline. Shared rows are padded by 8 elements (16 bytes), so
// the 8 row addresses of each ldmatrix fall in distinct bank groups. The kernels use BK = 64
// (111 KB of shared memory): on an H200 it beat BK = 32 on every DiT shape, with half the
// barriers per k (docs/cuda-performance.md).
//
// Contract: K, lda and ldb are multiples of 8 and the operands are zero in columns [K', K) where
// K' is the true depth (the host pads them), so every 16-byte chunk is either inside a row or
// entirely past K (then zero-filled).
#pragma once
#include "common.cuh"

#define BM 128
#define BN 128
#define STAGES 3
#define GEMM_THREADS 256

// biasMode: 0 none, 1 bias[n] (linear), 2 bias[m] (convolution). act: 0 none, 1 GELU-tanh.
// The B operand comes in one of three forms (MODE):
//   B_NK   B stored [N, K] (k contiguous): linear weights, attention keys;
//   B_KN   B stored [K, N] (n contiguous, row length ldb, valid rows kValid), tiles read with
//          ldmatrix.trans: the im2col patches, attention values;
//   B_CONV an implicit convolution (stride 1): B[k, n] is gathered from a zero-padded bf16 copy of
//          the input clip (Conv below), n running over the output rows at the padded width Wp so
//          that every tap is a constant offset; the epilogue drops the Wp − wOut junk columns.
#define B_NK 0
#define B_KN 1
#define B_CONV 2

// Geometry of an implicit convolution: input planes [frame][cin][plane] (plane ≥ Hp·Wp, zero
// padded), k = c·taps + (dt·kh + dy)·kw + dx as in the weight [cout, cin, kt, kh, kw].
struct Conv {
    const bf16* x;
    int cin, taps, khw, kw, Wp, plane, wOut;
};

// OutT: C's element type, float, or bf16 when C is the next GEMM's operand (the FFN's hidden layer
// after the GELU epilogue): each value is computed as for float and rounded by store_out, as
// f32_to_bf16_rows would round the float output, so the next product sees the same bits.
template <int BK, int MODE, typename OutT = float>
__device__ __forceinline__ void gemm_tn(
        const bf16* __restrict__ A, int lda, const bf16* __restrict__ B, int ldb,
        OutT* __restrict__ C, i64 ldc, const float* __restrict__ bias, int biasMode, int act,
        int M, int N, int K, int kValid, Conv conv = Conv{}) {
    constexpr bool KMAJOR = MODE != B_NK;         // B tiles held [BK][BN] in shared memory
    constexpr int LDS = BK + 8;
    constexpr int LDSB = KMAJOR ? BN + 8 : LDS;   // shared row of a B tile
    constexpr int CHUNKS = BK / 8;                 // 16-byte chunks per A tile row
    constexpr int PER_THREAD = BM * CHUNKS / GEMM_THREADS;
    constexpr int B_ROWS = KMAJOR ? BK : BN;
    extern __shared__ __align__(16) unsigned char smem[];
    bf16* As = (bf16*)smem;                        // [STAGES][BM][LDS]
    bf16* Bs = As + STAGES * BM * LDS;             // [STAGES][BN][LDS], or [STAGES][BK][BN + 8] when KMAJOR

    int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    int wm = warp >> 2, wn = warp & 3;             // warp tile origin: (wm·64, wn·32)
    int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    int ktiles = (K + BK - 1) / BK;

    // Each thread copies PER_THREAD chunks of A and of B per stage: chunk c → row c/CHUNKS, column (c%CHUNKS)·8.
    auto load_stage = [&](int stage, int kt) {
        int k0 = kt * BK;
#pragma unroll
        for (int i = 0; i < PER_THREAD; i++) {
            int c = tid + i * GEMM_THREADS, row = c / CHUNKS, col = (c % CHUNKS) * 8;
            int gk = k0 + col;
            int gm = m0 + row;
            bool okA = gm < M && gk < K;
            cp_async16(As + (stage * BM + row) * LDS + col, okA ? (const void*)(A + (i64)gm * lda + gk) : (const void*)A, okA ? 16 : 0);
            if (MODE == B_NK) {
                int gn = n0 + row;
                bool okB = gn < N && gk < K;
                cp_async16(Bs + (stage * B_ROWS + row) * LDSB + col, okB ? (const void*)(B + (i64)gn * ldb + gk) : (const void*)B, okB ? 16 : 0);
            } else if (MODE == B_KN) {
                // chunk c → k row c/16, n column (c%16)·8; rows past kValid and chunks past N (rounded up to
                // 8, the caller's zero padding) read as zero, so B may be a column slice of a wider matrix
                int kr = c / (BN / 8), nc = (c % (BN / 8)) * 8;
                int gkb = k0 + kr, gn = n0 + nc;
                bool okB = gkb < kValid && gn < ((N + 7) & ~7);
                cp_async16(Bs + (stage * B_ROWS + kr) * LDSB + nc, okB ? (const void*)(B + (i64)gkb * ldb + gn) : (const void*)B, okB ? 16 : 0);
            } else {
                // the same chunks, gathered: tap offsets are not 16-byte aligned, so plain 2-byte loads
                // (coalesced across the warp), packed and stored to shared memory; the copy engine is not used
                int kr = c / (BN / 8), nc = (c % (BN / 8)) * 8;
                int gkb = k0 + kr, gn = n0 + nc;
                unsigned packed[4] = {0u, 0u, 0u, 0u};
                if (gkb < kValid) {
                    int ch = gkb / conv.taps, tap = gkb - ch * conv.taps;
                    int dt = tap / conv.khw, r = tap - dt * conv.khw;
                    int dy = r / conv.kw, dx = r - dy * conv.kw;
                    const unsigned short* src = (const unsigned short*)conv.x
                            + ((i64)(blockIdx.z + dt) * conv.cin + ch) * conv.plane + (i64)dy * conv.Wp + dx + gn;
#pragma unroll
                    for (int e = 0; e < 8; e += 2) {
                        unsigned lo = gn + e < N ? __ldg(src + e) : 0u, hi = gn + e + 1 < N ? __ldg(src + e + 1) : 0u;
                        packed[e / 2] = lo | (hi << 16);
                    }
                }
                *(uint4*)(Bs + (stage * B_ROWS + kr) * LDSB + nc) = make_uint4(packed[0], packed[1], packed[2], packed[3]);
            }
        }
    };

    float acc[4][4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int e = 0; e < 4; e++) acc[i][j][e] = 0.f;

#pragma unroll
    for (int s = 0; s < STAGES - 1; s++) {
        if (s < ktiles) load_stage(s, s);
        cp_async_commit();
    }

    for (int kt = 0; kt < ktiles; kt++) {
        cp_async_wait<STAGES - 2>();
        __syncthreads();
        int next = kt + STAGES - 1;
        if (next < ktiles) load_stage(next % STAGES, next);
        cp_async_commit();

        const bf16* as = As + (kt % STAGES) * BM * LDS;
        const bf16* bs = Bs + (kt % STAGES) * B_ROWS * LDSB;
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            unsigned a[4][4], b[4][2];
#pragma unroll
            for (int mi = 0; mi < 4; mi++) {
                const bf16* p = as + (wm * 64 + mi * 16 + (lane & 15)) * LDS + kk + (lane >> 4) * 8;
                ldmatrix_x4(a[mi][0], a[mi][1], a[mi][2], a[mi][3], p);
            }
#pragma unroll
            for (int nj = 0; nj < 2; nj++) {
                if (!KMAJOR) {
                    // matrices: (n 0-7, k 0-7), (n 0-7, k 8-15), (n 8-15, k 0-7), (n 8-15, k 8-15)
                    const bf16* p = bs + (wn * 32 + nj * 16 + ((lane >> 4) << 3) + (lane & 7)) * LDSB + kk + ((lane >> 3) & 1) * 8;
                    ldmatrix_x4(b[2 * nj][0], b[2 * nj][1], b[2 * nj + 1][0], b[2 * nj + 1][1], p);
                } else {
                    // stored rows are k: matrices (k 0-7, n 0-7), (k 8-15, n 0-7), (k 0-7, n 8-15), (k 8-15, n 8-15), transposed
                    const bf16* p = bs + (kk + ((lane >> 3) & 1) * 8 + (lane & 7)) * LDSB + wn * 32 + nj * 16 + (lane >> 4) * 8;
                    ldmatrix_x4_trans(b[2 * nj][0], b[2 * nj][1], b[2 * nj + 1][0], b[2 * nj + 1][1], p);
                }
            }
#pragma unroll
            for (int mi = 0; mi < 4; mi++)
#pragma unroll
                for (int ni = 0; ni < 4; ni++) mma_bf16(acc[mi][ni], a[mi], b[ni][0], b[ni][1]);
        }
    }
    cp_async_wait<0>();

    int g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int mi = 0; mi < 4; mi++) {
#pragma unroll
        for (int half = 0; half < 2; half++) {
            int m = m0 + wm * 64 + mi * 16 + g + half * 8;
            if (m >= M) continue;
            float bm = biasMode == 2 ? bias[m] : 0.f;
#pragma unroll
            for (int ni = 0; ni < 4; ni++) {
                int n = n0 + wn * 32 + ni * 8 + 2 * t;
#pragma unroll
                for (int e = 0; e < 2; e++) {
                    if (n + e >= N) continue;
                    float v = acc[mi][ni][half * 2 + e] + bm + (biasMode == 1 ? bias[n + e] : 0.f);
                    if (act == 1) v = gelu_tanh_of(v);
                    if (MODE == B_CONV) {
                        int oy = (n + e) / conv.Wp, ox = n + e - oy * conv.Wp;   // padded-width position
                        if (ox < conv.wOut) store_out(C + (i64)blockIdx.z * M * ldc + (i64)m * ldc + (i64)oy * conv.wOut + ox, v);
                    } else {
                        store_out(C + (i64)m * ldc + n + e, v);
                    }
                }
            }
        }
    }
}

