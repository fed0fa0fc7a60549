// Normalisations, statistics in float32. One block per row for the row norms; one thread per
// (frame, pixel) for the VAE's channel norm, so neighbouring threads read neighbouring pixels.
// References: ReferenceKernels.layerNorm / rmsNorm, VaeReferenceKernels.rmsNormChannels.
#include "common.cuh"
#include "vae_norm.cuh"

// LayerNorm of each row of [rows, dim]; gamma, beta (float32) may be null. In place allowed (float
// output). OutT: float, or bf16 when the output is the next GEMM's operand (the DiT's norm3 before
// the cross-attention's q projection), rounded as f32_to_bf16_rows would round the float output.
// The row's mean and 1/√(variance + eps): per-thread sums over a stride of blockDim.x, then
// block_sum, so the block size sets the order of the sums (every caller launches BLOCK threads).
__device__ __forceinline__ void layer_norm_stats(const float* xr, int dim, float eps, float* scratch, float& mean, float& inv) {
    float s = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) s += xr[i];
    mean = block_sum(s, scratch) / dim;
    float v = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        float d = xr[i] - mean;
        v += d * d;
    }
    inv = rsqrtf(block_sum(v, scratch) / dim + eps);
}

template <typename OutT>
__device__ __forceinline__ void layer_norm_rows(const float* x, OutT* out, int dim, float eps, const float* gamma, const float* beta) {
    __shared__ float scratch[32];
    const float* xr = x + (i64)blockIdx.x * dim;
    OutT* yr = out + (i64)blockIdx.x * dim;
    float mean, inv;
    layer_norm_stats(xr, dim, eps, scratch, mean, inv);
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        float y = (xr[i] - mean) * inv;
        if (gamma) y *= gamma[i];
        if (beta) y += beta[i];
        store_out(yr + i, y);
    }
}

extern "C" __global__ void layer_norm(const float* x, float* out, int dim, float eps, const float* gamma, const float* beta) {
    layer_norm_rows(x, out, dim, eps, gamma, beta);
}

extern "C" __global__ void layer_norm_bf16out(const float* x, bf16* out, int dim, float eps, const float* gamma, const float* beta) {
    layer_norm_rows(x, out, dim, eps, gamma, beta);
}

// layer_norm (no affine) then modulate_frames in one pass (Backend.layerNormModulateFrames,
// LIVETALK_CUDA_NORM_MOD; the DiT's norm1 and norm2 with their per-frame shift and scale): block r
// takes row r with layer_norm's statistics (the same block size, so the same sums), forms the value
// layer_norm would have stored, and applies modulate_frames_rows' expression with row r's frame's
// parameters (at (r / rowsPerFrame)·stride), stored as float32 or rounded to bf16 (store_out): the
// two kernels' bits without writing and reading the float32 rows in between.
template <typename OutT>
__device__ __forceinline__ void layer_norm_modulate_row(const float* x, const float* shift, const float* scale, i64 stride, OutT* out,
                                                        int rowsPerFrame, int dim, float eps) {
    __shared__ float scratch[32];
    const float* xr = x + (i64)blockIdx.x * dim;
    OutT* yr = out + (i64)blockIdx.x * dim;
    const i64 p = (i64)(blockIdx.x / rowsPerFrame) * stride;
    float mean, inv;
    layer_norm_stats(xr, dim, eps, scratch, mean, inv);
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        const float y = (xr[i] - mean) * inv;
        store_out(yr + i, modulated(y, scale[p + i], shift[p + i]));
    }
}

extern "C" __global__ void layer_norm_modulate_frames(const float* x, const float* shift, const float* scale, i64 stride, float* out,
                                                      int rowsPerFrame, int dim, float eps) {
    layer_norm_modulate_row(x, shift, scale, stride, out, rowsPerFrame, dim, eps);
}

extern "C" __global__ void layer_norm_modulate_frames_bf16out(const float* x, const float* shift, const float* scale, i64 stride, bf16* out,
                                                              int rowsPerFrame, int dim, float eps) {
    layer_norm_modulate_row(x, shift, scale, stride, out, rowsPerFrame, dim, eps);
}

// x·rsqrt(mean(x²) + eps)·gamma over each row; gamma may be null. In place allowed (float output).
// OutT: float, or bf16 when the output is the next product's operand (the DiT cross-attention's
// normed q, LIVETALK_CUDA_NORM_ROPE), rounded as f32_to_bf16_rows would round the float output.
template <typename OutT>
__device__ __forceinline__ void rms_norm_rows(const float* x, OutT* out, int dim, float eps, const float* gamma) {
    __shared__ float scratch[32];
    const float* xr = x + (i64)blockIdx.x * dim;
    OutT* yr = out + (i64)blockIdx.x * dim;
    float s = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) s += xr[i] * xr[i];
    float inv = rsqrtf(block_sum(s, scratch) / dim + eps);
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        float y = xr[i] * inv;
        store_out(yr + i, gamma ? y * gamma[i] : y);
    }
}

extern "C" __global__ void rms_norm(const float* x, float* out, int dim, float eps, const float* gamma) {
    rms_norm_rows(x, out, dim, eps, gamma);
}

extern "C" __global__ void rms_norm_bf16out(const float* x, bf16* out, int dim, float eps, const float* gamma) {
    rms_norm_rows(x, out, dim, eps, gamma);
}

// rms_norm then rope in one pass (Backend.rmsNormRope, LIVETALK_CUDA_NORM_ROPE; the DiT's q and k):
// the same per-thread sums and block reduction as rms_norm (launched with the same block size), the
// same normalised values, rotated by rope_rotate as the rope kernel rotates them, then stored as
// float32 or rounded to bf16 as f32_to_bf16_rows rounds (store_out): the sequence's bits without
// writing and reading the float32 rows in between. Each thread takes whole RoPE pairs.
template <typename OutT>
__device__ __forceinline__ void rms_norm_rope_row(const float* x, OutT* out, int dim, float eps, const float* gamma, int headDim,
                                                  const float* cosT, const float* sinT) {
    __shared__ float scratch[32];
    const i64 row = blockIdx.x;
    const float* xr = x + row * dim;
    OutT* yr = out + row * dim;
    float s = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) s += xr[i] * xr[i];
    const float inv = rsqrtf(block_sum(s, scratch) / dim + eps);
    const int half = headDim / 2;
    for (int p = threadIdx.x; p < dim / 2; p += blockDim.x) {
        const int i = 2 * p, j = p % half;
        float x0 = xr[i] * inv, x1 = xr[i + 1] * inv;
        if (gamma) {
            x0 = x0 * gamma[i];
            x1 = x1 * gamma[i + 1];
        }
        float y0, y1;
        rope_rotate(x0, x1, cosT[row * half + j], sinT[row * half + j], y0, y1);
        store_out(yr + i, y0);
        store_out(yr + i + 1, y1);
    }
}

extern "C" __global__ void rms_norm_rope(const float* x, float* out, int dim, float eps, const float* gamma, int headDim,
                                         const float* cosT, const float* sinT) {
    rms_norm_rope_row(x, out, dim, eps, gamma, headDim, cosT, sinT);
}

extern "C" __global__ void rms_norm_rope_bf16out(const float* x, bf16* out, int dim, float eps, const float* gamma, int headDim,
                                                 const float* cosT, const float* sinT) {
    rms_norm_rope_row(x, out, dim, eps, gamma, headDim, cosT, sinT);
}

// The Wan VAE's channel RMS norm: y = x / max(‖x[t,:,p]‖, eps) · √C · gamma[c], then SiLU if asked
// (the float operations in vae_norm.cuh).
extern "C" __global__ void rms_norm_channels(const float* x, float* out, int frames, int channels, int pixels, float eps,
                                             const float* gamma, int silu) {
    i64 n = (i64)frames * pixels;
    float root = sqrtf((float)channels);
    FOR_EACH(i, n) {
        i64 t = i / pixels;
        int p = (int)(i - t * pixels);
        const float* xp = x + t * channels * pixels + p;
        float* yp = out + t * channels * pixels + p;
        float s = 0.f;
        for (int c = 0; c < channels; c++) s = vae_norm_fold(s, xp[(i64)c * pixels]);
        float scale = vae_norm_scale(s, root, eps);
        for (int c = 0; c < channels; c++) yp[(i64)c * pixels] = vae_norm_apply(xp[(i64)c * pixels] * scale, gamma[c], silu != 0);
    }
}

// rms_norm_channels's first pass alone: scale[t, p] = √C / max(‖x[t, :, p]‖, eps) for x [frames,
// channels, pixels], for the fused copy (conv_pad_cl_norm, conv.cu) that applies it to x as it
// writes the convolution's operand. Grid (⌈pixels/32⌉, frames), 256 threads.
//
// Why not rms_norm_channels's one thread per pixel walking the channels: each thread keeps only a
// few loads in flight (its loop is unrolled by 4), so the device's memory is starved where there
// are few pixels per call (64², 4096 threads in all at 384 channels) and the 512² calls hide far
// less latency than the bandwidth needs; run 8 measured 7.4 ms per latent frame for what is about
// 13 GB of traffic. Here a block takes 32 pixels: its 8 warps copy up to 128 channels of them into
// shared memory at once (16 independent loads per thread, each warp-wide load one 128-byte row of
// one channel), then warp 0 folds each pixel's channels in order from there, so the sum is the
// same bits as rms_norm_channels's (a split sum would round differently).
#define SCALE_TILE_C 128
extern "C" __global__ void __launch_bounds__(256) rms_scale_channels(const float* __restrict__ x, float* __restrict__ scale, int channels,
                                                                    int pixels, float eps) {
    __shared__ float tile[SCALE_TILE_C][32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int p = blockIdx.x * 32 + lane;
    const bool in = p < pixels;
    const float* xt = x + (i64)blockIdx.y * channels * pixels + p;
    float s = 0.f;
    for (int c0 = 0; c0 < channels; c0 += SCALE_TILE_C) {
        const int n = min(SCALE_TILE_C, channels - c0);
        float v[SCALE_TILE_C / 8];
#pragma unroll
        for (int j = 0; j < SCALE_TILE_C / 8; j++) {
            const int c = warp + 8 * j;
            v[j] = in && c < n ? xt[(i64)(c0 + c) * pixels] : 0.f;
        }
#pragma unroll
        for (int j = 0; j < SCALE_TILE_C / 8; j++) tile[warp + 8 * j][lane] = v[j];
        __syncthreads();
        if (warp == 0)
            for (int c = 0; c < n; c++) s = vae_norm_fold(s, tile[c][lane]);
        __syncthreads();
    }
    if (warp == 0 && in) scale[(i64)blockIdx.y * pixels + p] = vae_norm_scale(s, sqrtf((float)channels), eps);
}

// GroupNorm with one group per channel over time-major y [t, c] into out (may be y)
// (Backend.channelNormOverTime; reference: TimeConv.channelNorm): one thread per channel walks its
// frames in order, in float64, with the host's operations in the host's order; the _rn intrinsics
// keep the compiler from contracting a product and a sum into one fma, which the host never does,
// so the bits are the host's. A warp reads 32 adjacent channels of a row: coalesced.
extern "C" __global__ void channel_norm_over_time(const float* y, float* out, int t, int c, float eps, const float* gamma,
                                                  const float* beta) {
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= c) return;
    double mean = 0.0;
    for (int i = 0; i < t; i++) mean = __dadd_rn(mean, (double)y[(i64)i * c + j]);
    mean = __ddiv_rn(mean, (double)t);
    double var = 0.0;
    for (int i = 0; i < t; i++) {
        const double d = __dsub_rn((double)y[(i64)i * c + j], mean);
        var = __dadd_rn(var, __dmul_rn(d, d));
    }
    const double inv = __ddiv_rn(1.0, __dsqrt_rn(__dadd_rn(__ddiv_rn(var, (double)t), (double)eps)));
    const double g = gamma[j], b = beta[j];
    for (int i = 0; i < t; i++) {
        const i64 at = (i64)i * c + j;
        out[at] = __double2float_rn(__dadd_rn(__dmul_rn(__dmul_rn(__dsub_rn((double)y[at], mean), inv), g), b));
    }
}
