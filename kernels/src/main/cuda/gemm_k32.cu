// gemm.cu's four kernels with a k step of 32 (gemm_tn.cuh): 61 KB of shared memory per block
// instead of 111, for cards that allow a block at most 99 KB (compute capability 8.6 and 8.9: RTX
// 30 and 40 series, A10, A40, L4, L40S). The same function and the same bits as the k64 kernels;
// loaded only on such a card (or when a test asks for it). Reference: ReferenceKernels.linear.
#include "gemm_tn.cuh"

extern "C" __global__ void __launch_bounds__(GEMM_THREADS) gemm_bf16_tn_k32(
        const bf16* A, int lda, const bf16* B, int ldb, float* C, i64 ldc, const float* bias, int biasMode, int act,
        int M, int N, int K) {
    gemm_tn<32, B_NK>(A, lda, B, ldb, C, ldc, bias, biasMode, act, M, N, K, K);
}

// The same product writing C as bf16 [M, ldc] (linear / linearGelu into a bf16 operand buffer).
extern "C" __global__ void __launch_bounds__(GEMM_THREADS) gemm_bf16_tn_k32_bf16out(
        const bf16* A, int lda, const bf16* B, int ldb, bf16* C, i64 ldc, const float* bias, int biasMode, int act,
        int M, int N, int K) {
    gemm_tn<32, B_NK>(A, lda, B, ldb, C, ldc, bias, biasMode, act, M, N, K, K);
}

// B stored [kValid, ldb] (the im2col patches, pixels contiguous; attention's V), columns [0, N)
// used; K is A's padded depth.
extern "C" __global__ void __launch_bounds__(GEMM_THREADS) gemm_bf16_nn_k32(
        const bf16* A, int lda, const bf16* B, int ldb, float* C, i64 ldc, const float* bias, int biasMode, int act,
        int M, int N, int K, int kValid) {
    gemm_tn<32, B_KN>(A, lda, B, ldb, C, ldc, bias, biasMode, act, M, N, K, kValid);
}

// A stride-1 convolution as one implicit GEMM per output frame (blockIdx.z = the frame t):
// out[t, o, y, x] = bias[o] + Σ_k W[o, k]·Xp[t + dt, c, y + dy, x + dx], Xp the zero-padded bf16
// clip from pad_frames_bf16 (vae.cu). N = hOut·Wp positions at the padded width; ldc = hOut·wOut.
extern "C" __global__ void __launch_bounds__(GEMM_THREADS) conv_implicit_k32(
        const bf16* A, int lda, const bf16* xp, int cin, int taps, int khw, int kw, int Wp, int plane, int wOut,
        float* C, i64 ldc, const float* bias, int biasMode, int M, int N, int K, int kValid) {
    Conv conv{xp, cin, taps, khw, kw, Wp, plane, wOut};
    gemm_tn<32, B_CONV>(A, lda, nullptr, 0, C, ldc, bias, biasMode, 0, M, N, K, kValid, conv);
}

