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

__device__ __forceinline__ void add_residual(float* x, const float* gateRow, int n, float v) {
    *x = gateRow ? fmaf(v, gateRow[n], *x) : *x + v;
}

// Epilogue of both kernels: one warpgroup's 64×BN accumulator tile (rows from rowBase, columns
// from n0), plus bias and GELU-tanh, straight from the fragments to global memory as float32 or
// bf16 (rounded to nearest even, as toBf16Rows rounds). A quad of threads covers 8 consecutive
// columns of one row; pairs go out as one 8-byte (float) or 4-byte (bf16) store when C allows it.
// RESID: added into C instead (Residual above; OutT float).
template <int BN, typename OutT, bool RESID = false>
__device__ __forceinline__ void store_tile(const float (&acc)[BN / 2], OutT* __restrict__ C, i64 ldc,
        const float* __restrict__ bias, int biasMode, int act, int M, int N, int rowBase, int n0, int t,
        const Residual& resid = Residual()) {
    const bool pairs = ((reinterpret_cast<uintptr_t>(C) | (uintptr_t)(ldc * sizeof(OutT))) & (2 * sizeof(OutT) - 1)) == 0;
    // A thread's fragments cover two rows (sm90_acc_row: m0 and m0 + 8): their frames' gate rows, once.
    const float* gateRows[2] = {nullptr, nullptr};
    if constexpr (RESID) {
        if (resid.gate) {
            const int m0 = rowBase + (int)sm90_acc_row(t, 0);
            gateRows[0] = resid.gate + (i64)(m0 / resid.rowsPerFrame) * resid.stride;
            gateRows[1] = resid.gate + (i64)((m0 + 8) / resid.rowsPerFrame) * resid.stride;
        }
    }
#pragma unroll
    for (int i = 0; i < BN / 2; i += 2) {
        const int m = rowBase + (int)sm90_acc_row(t, i), n = n0 + (int)sm90_acc_col(t, i);
        if (m >= M || n >= N) continue;
        float v0 = acc[i], v1 = acc[i + 1];
        if (biasMode == 1) {
            v0 += bias[n];
            if (n + 1 < N) v1 += bias[n + 1];
        } else if (biasMode == 2) {
            const float bm = bias[m];
            v0 += bm;
            v1 += bm;
        }
        if (act == 1) {
            v0 = gelu_tanh_of(v0);
            v1 = gelu_tanh_of(v1);
        }
        OutT* out = C + (i64)m * ldc + n;
        if constexpr (RESID) {
            const float* g = gateRows[(i >> 1) & 1];   // row m's: sm90_acc_row adds 8 for bit 1 of i
            add_residual(out, g, n, v0);
            if (n + 1 < N) add_residual(out + 1, g, n + 1, v1);
            continue;
        }
        if (n + 1 < N && pairs) store_pair(out, v0, v1);
        else {
            store_out(out, v0);
            if (n + 1 < N) store_out(out + 1, v1);
        }
    }
}
