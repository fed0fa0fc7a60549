// The epilogue of the Hopper GEMMs (gemm_sm90.cu's cp.async kernels, gemm_tma_sm90.cu's TMA
// kernels): one warpgroup's wgmma accumulator tile to global memory. Include only from *_sm90.cu files.
#pragma once
#include "common.cuh"
#include "gemm_sm90_layout.cuh"

// Two adjacent outputs in one store (the caller checks the alignment).
__device__ __forceinline__ void store_pair(float* p, float v0, float v1) { *reinterpret_cast<float2*>(p) = make_float2(v0, v1); }
__device__ __forceinline__ void store_pair(bf16* p, float v0, float v1) { *reinterpret_cast<unsigned*>(p) = pack_bf16(v0, v1); }

// The residual products' epilogue (gemm_tma_sm90.cu's _resid kernels, Backend.linearResidual): C
// is the residual stream x, float32, and the tile is added into it rather than stored, each element
// by the one thread that holds it: x = fma(v, gate, x) with row m's frame's gate at
// (m / rowsPerFrame)·stride + n, gated_add_frames' expression, or x + v without a gate, add's.
struct Residual {
    const float* gate;
    i64 stride;
    int rowsPerFrame;
};

// The residual epilogue of store_tile below (its bias, activation and rows): every value a
// chunk of EPILOGUE_PAIRS pairs needs (bias, x, gate) is loaded before the chunk's stores, all in
// flight together. Loaded pair by pair (the first form), each store waited for its own loads:
// ptxas does not move a load of x or the gate above an earlier store to x, which it cannot tell
// apart from them, so the sm_90a code ran LDG LDG LDG STG through gemm_bf16_tn_tma_n96_persistent_resid,
// a memory latency per pair (run 11: the _resid products took 0.7 ms less kernel time than
// products and adds, but the forward 1.5 % more wall time). The same loads and the same float
// operations: the same bits.
constexpr int EPILOGUE_PAIRS = 8;

template <int BN>
__device__ __forceinline__ void add_tile(const float (&acc)[BN / 2], float* __restrict__ C, i64 ldc, const float* __restrict__ bias,
                                         int biasMode, int act, int M, int N, int rowBase, int n0, int t, const Residual& resid) {
    static_assert((BN / 4) % EPILOGUE_PAIRS == 0, "a tile's pairs are whole chunks");
    // A thread's fragments cover two rows (sm90_acc_row: m0 and m0 + 8): their frames' gate rows, once.
    const float* gateRows[2] = {nullptr, nullptr};
    if (resid.gate) {
        const int m0 = rowBase + (int)sm90_acc_row(t, 0);
        gateRows[0] = resid.gate + (i64)(m0 / resid.rowsPerFrame) * resid.stride;
        gateRows[1] = resid.gate + (i64)((m0 + 8) / resid.rowsPerFrame) * resid.stride;
    }
#pragma unroll
    for (int c = 0; c < BN / 2; c += 2 * EPILOGUE_PAIRS) {
        // the chunk's loads: b what the bias adds to each of a pair, x the residual, g its gate
        float b0[EPILOGUE_PAIRS], b1[EPILOGUE_PAIRS], x0[EPILOGUE_PAIRS], x1[EPILOGUE_PAIRS], g0[EPILOGUE_PAIRS], g1[EPILOGUE_PAIRS];
#pragma unroll
        for (int p = 0; p < EPILOGUE_PAIRS; p++) {
            const int i = c + 2 * p;
            const int m = rowBase + (int)sm90_acc_row(t, i), n = n0 + (int)sm90_acc_col(t, i);
            const bool in = m < M && n < N, in1 = in && n + 1 < N;
            const float* x = C + (i64)m * ldc + n;
            const float* g = gateRows[(i >> 1) & 1];   // row m's: sm90_acc_row adds 8 for bit 1 of i
            b0[p] = b1[p] = x0[p] = x1[p] = g0[p] = g1[p] = 0.f;
            if (biasMode == 1) {
                if (in) b0[p] = bias[n];
                if (in1) b1[p] = bias[n + 1];
            } else if (biasMode == 2) {
                if (in) b0[p] = b1[p] = bias[m];
            }
            if (in) x0[p] = x[0];
            if (in1) x1[p] = x[1];
            if (in && g) g0[p] = g[n];
            if (in1 && g) g1[p] = g[n + 1];
        }
        // the chunk's stores: store_tile's bias and activation, then the residual's expression
#pragma unroll
        for (int p = 0; p < EPILOGUE_PAIRS; p++) {
            const int i = c + 2 * p;
            const int m = rowBase + (int)sm90_acc_row(t, i), n = n0 + (int)sm90_acc_col(t, i);
            if (m >= M || n >= N) continue;
            const bool gated = gateRows[(i >> 1) & 1] != nullptr;
            float v0 = acc[i], v1 = acc[i + 1];
            if (biasMode == 1) {
                v0 += b0[p];
                if (n + 1 < N) v1 += b1[p];
            } else if (biasMode == 2) {
                v0 += b0[p];
                v1 += b1[p];
            }
            if (act == 1) {
                v0 = gelu_tanh_of(v0);
                v1 = gelu_tanh_of(v1);
            }
            float* out = C + (i64)m * ldc + n;
            out[0] = gated ? fmaf(v0, g0[p], x0[p]) : x0[p] + v0;
            if (n + 1 < N) out[1] = gated ? fmaf(v1, g1[p], x1[p]) : x1[p] + v1;
        }
    }
}

// Epilogue of both kernels: one warpgroup's 64×BN accumulator tile (rows from rowBase, columns
// from n0), plus bias and GELU-tanh, straight from the fragments to global memory as float32 or
// bf16 (rounded to nearest even, as toBf16Rows rounds). A quad of threads covers 8 consecutive
// columns of one row; pairs go out as one 8-byte (float) or 4-byte (bf16) store when C allows it.
// RESID: added into C instead (add_tile above; OutT float).
template <int BN, typename OutT, bool RESID = false>
__device__ __forceinline__ void store_tile(const float (&acc)[BN / 2], OutT* __restrict__ C, i64 ldc,
        const float* __restrict__ bias, int biasMode, int act, int M, int N, int rowBase, int n0, int t,
        const Residual& resid = Residual()) {
    if constexpr (RESID) {
        add_tile<BN>(acc, C, ldc, bias, biasMode, act, M, N, rowBase, n0, t, resid);
        return;
    }
    const bool pairs = ((reinterpret_cast<uintptr_t>(C) | (uintptr_t)(ldc * sizeof(OutT))) & (2 * sizeof(OutT) - 1)) == 0;
    // The biases this thread adds, loaded before its first store: a column bias for each of its
    // BN/8 column pairs (sm90_acc_col(t, 4q) = 8q + 2·(t & 3)), or a row bias for each of its two
    // rows. Loaded pair by pair, every store waited for a bias load (ptxas keeps a load after an
    // earlier store to C), one L1 or L2 latency per pair. Where nothing is added the term is −0,
    // which leaves every float as it is (x + (−0) = x, −0 included), so the sums are the old ones
    // and the loop has no branch on the bias mode.
    float bc[BN / 4], br[2];
#pragma unroll
    for (int q = 0; q < BN / 8; q++) {
        const int n = n0 + 8 * q + 2 * (t & 3);
        bc[2 * q] = biasMode == 1 && n < N ? bias[n] : -0.f;
        bc[2 * q + 1] = biasMode == 1 && n + 1 < N ? bias[n + 1] : -0.f;
    }
    const int mt = rowBase + (int)sm90_acc_row(t, 0);
    br[0] = biasMode == 2 && mt < M ? bias[mt] : -0.f;
    br[1] = biasMode == 2 && mt + 8 < M ? bias[mt + 8] : -0.f;
#pragma unroll
    for (int i = 0; i < BN / 2; i += 2) {
        const int m = rowBase + (int)sm90_acc_row(t, i), n = n0 + (int)sm90_acc_col(t, i);
        if (m >= M || n >= N) continue;
        const float r = br[(i >> 1) & 1];   // row m's: sm90_acc_row adds 8 for bit 1 of i
        const float v0 = (acc[i] + bc[2 * (i >> 2)]) + r, v1 = (acc[i + 1] + bc[2 * (i >> 2) + 1]) + r;
        const float y0 = act == 1 ? gelu_tanh_of(v0) : v0, y1 = act == 1 ? gelu_tanh_of(v1) : v1;
        OutT* out = C + (i64)m * ldc + n;
        if (n + 1 < N && pairs) store_pair(out, y0, y1);
        else {
            store_out(out, y0);
            if (n + 1 < N) store_out(out + 1, y1);
        }
    }
}
