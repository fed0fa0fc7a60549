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
//
// The values a chunk of EPILOGUE_CHUNK accumulators adds (bias, R) are loaded before the chunk's
// stores, all in flight together. Loaded and stored one element at a time, each store waited for
// its own load: ptxas does not move a load of R or bias above an earlier store to C (it cannot
// tell that they never overlap), so in the sm_90a code every store followed its loads (LDG LDG
// STG, 96 times a tile in conv_cl_tma_h32_n96_pingpong_resid), a memory latency per element; run
// 11 measured that kernel at 673 µs against 486 for its plain twin at 512×512, for 100 MB more
// reads (about 35 µs at 3 TB/s). The same loads and the same float additions: the same bits.
constexpr int EPILOGUE_CHUNK = 16;

template <int BN, bool RESID = false>
__device__ __forceinline__ void conv_store_tile(const float (&acc)[BN / 2], float* __restrict__ C, const ConvGeom& g, i64 pixels,
                                                const float* __restrict__ bias, int cout, int n0, int w, int o0, int frame, int t,
                                                const float* __restrict__ R = nullptr) {
    static_assert((BN / 2) % EPILOGUE_CHUNK == 0, "a tile's accumulators are whole chunks");
#pragma unroll
    for (int c = 0; c < BN / 2; c += EPILOGUE_CHUNK) {
        i64 at[EPILOGUE_CHUNK];
        float b[EPILOGUE_CHUNK], r[EPILOGUE_CHUNK];
#pragma unroll
        for (int j = 0; j < EPILOGUE_CHUNK; j++) {
            const int q = n0 + w * 64 + (int)sm90_acc_row(t, c + j), o = o0 + (int)sm90_acc_col(t, c + j);
            at[j] = q < g.n && o < cout ? conv_out_offset(g, cout, pixels, frame, o, q) : -1;
            b[j] = at[j] >= 0 && bias != nullptr ? bias[o] : 0.f;
            r[j] = RESID && at[j] >= 0 ? R[at[j]] : 0.f;
        }
#pragma unroll
        for (int j = 0; j < EPILOGUE_CHUNK; j++) {
            if (at[j] >= 0) conv_store<RESID>(C, at[j], acc[c + j] + b[j], r[j]);
        }
    }
}
