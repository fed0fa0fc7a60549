// The epilogue of the Hopper convolutions (conv_sm90.cu's wgmma kernel, conv_tma_sm90.cu's TMA
// kernel): one warpgroup's 64-position × BN-channel accumulator tile D[q, o] stored to the output
// [tOut, cout, hOut, wOut] with the bias of o, the junk positions (q mod Wp ≥ wOut) and the ragged
// edges (q ≥ n, o ≥ cout) dropped. Include only from *_sm90.cu files.
#pragma once
#include "common.cuh"
#include "conv_layout.cuh"
#include "gemm_sm90_layout.cuh"

// Accumulator i of thread t is (position, channel) = (sm90_acc_row, sm90_acc_col) of the
// warpgroup's tile: the block tile's positions from n0 and channels from o0, this warpgroup's the
// 64 positions from n0 + 64·w; for one i a warp stores 8 consecutive positions of 4 channels.
// RESID (the _resid kernels): R, laid out as C, added to each stored element (conv_store).
template <int BN, bool RESID = false>
__device__ __forceinline__ void conv_store_tile(const float (&acc)[BN / 2], float* __restrict__ C, const ConvGeom& g, i64 pixels,
                                                const float* __restrict__ bias, int cout, int n0, int w, int o0, int frame, int t,
                                                const float* __restrict__ R = nullptr) {
#pragma unroll
    for (int i = 0; i < BN / 2; i++) {
        const int q = n0 + w * 64 + (int)sm90_acc_row(t, i), o = o0 + (int)sm90_acc_col(t, i);
        if (q >= g.n || o >= cout) continue;
        const i64 at = conv_out_offset(g, cout, pixels, frame, o, q);
        if (at >= 0) conv_store<RESID>(C, R, at, acc[i] + (bias != nullptr ? bias[o] : 0.f));
    }
}
