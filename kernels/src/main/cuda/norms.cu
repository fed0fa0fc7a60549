// Normalisations, statistics in float32. One warp per row for the row norms; one thread per
// (frame, pixel) for the VAE's channel norm, so neighbouring threads read neighbouring pixels.
// References: ReferenceKernels.layerNorm / rmsNorm, VaeReferenceKernels.rmsNormChannels.
#include "common.cuh"
#include "row_norm_order.cuh"
#include "vae_norm.cuh"

// The row norms (layer_norm, rms_norm and their fusions below) run a warp per row, ROW_WARPS rows
// to a block of 256 threads (CudaNorms.rowGrid). Their sums are those of the first form, a block
// of ROW_THREADS = 256 threads per row (CudaBackend.BLOCK), in whose bits the DiT was validated:
// thread τ = 32·j + l of that block summed elements τ, τ + 256, … in order, block_sum added each
// warp j's 32 partial sums by warp_sum's butterfly and then the 8 warps' totals by another. Here lane
// l keeps the 8 partial sums of threads 32·j + l (j = 0..7) over the same elements in the same order,
// adds each j's 32 by the same butterfly, and the 8 totals by the same last one (row_sum): the same
// additions of the same values. Why: the block form issued one load per thread per iteration (the
// compiler did not unroll a loop of unknown length), synchronised its 256 threads twice per sum, and
// read the row once per pass; in run 11 the DiT's norms moved their bytes at about 1.4 TB/s
// (layer_norm_modulate_frames_bf16out 19.8 µs for 28 MB). A warp per row has its lanes' loads of a
// pass in flight together and no barrier. The element-wise arithmetic is written with explicit
// roundings (__fmul_rn, __fadd_rn, __fmaf_rn) chosen to be the instructions the block form's
// sm_90a code ran (read from its cubin), so that ptxas, which may or may not contract a plain
// multiply and add depending on the code around them, cannot make them differ.
// Σ term(i) over the row, in the order of the 256-thread block's per-thread loops and block_sum.
template <typename Term>
__device__ __forceinline__ float row_sum(int dim, Term term) {
    const int lane = threadIdx.x & 31;
    float s[ROW_WARPS_SUMMED];
#pragma unroll
    for (int j = 0; j < ROW_WARPS_SUMMED; j++) s[j] = 0.f;
#pragma unroll 4
    for (int base = 0; base < dim; base += ROW_THREADS) {   // unrolled: 4 steps' loads in flight together
#pragma unroll
        for (int j = 0; j < ROW_WARPS_SUMMED; j++) {
            const int i = row_norm_element(base, j, lane);
            if (i < dim) s[j] = term(s[j], i);
        }
    }
    float t = 0.f;   // block_sum's second butterfly: warp j's total in lane j, zeros past the 8 warps
#pragma unroll
    for (int j = 0; j < ROW_WARPS_SUMMED; j++) {
        const float w = warp_sum(s[j]);
        if (lane == j) t = w;
    }
    return warp_sum(t);
}

// The row this warp normalises, or -1 past the last.
__device__ __forceinline__ i64 row_of_warp(int rows) {
    const i64 r = (i64)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    return r < rows ? r : -1;
}

// store(i, load(i)) for the lane's elements i < n of its row (i = lane, lane + 32, ...),
// ROW_BATCH at a time: the batch's loads, then its stores. One element after another, each
// iteration's loads waited for the store before (the output may be the input: in place), one
// latency per element; a lane still reads each of its elements before it writes that element.
constexpr int ROW_BATCH = 8;

template <typename Load, typename Store>
__device__ __forceinline__ void row_batched(int n, Load load, Store store) {
    using Values = decltype(load(0));
    for (int i0 = threadIdx.x & 31; i0 < n; i0 += 32 * ROW_BATCH) {
        Values v[ROW_BATCH];
#pragma unroll
        for (int k = 0; k < ROW_BATCH; k++)
            if (i0 + 32 * k < n) v[k] = load(i0 + 32 * k);
#pragma unroll
        for (int k = 0; k < ROW_BATCH; k++)
            if (i0 + 32 * k < n) store(i0 + 32 * k, v[k]);
    }
}

// The row's mean and 1/√(variance + eps), two passes as the block form made them.
__device__ __forceinline__ void layer_norm_stats(const float* xr, int dim, float eps, float& mean, float& inv) {
    mean = row_sum(dim, [&](float s, int i) { return __fadd_rn(s, xr[i]); }) / dim;
    const float m = mean;
    inv = rsqrtf(row_sum(dim, [&](float v, int i) {
        const float d = __fsub_rn(xr[i], m);
        return __fmaf_rn(d, d, v);
    }) / dim + eps);
}

// LayerNorm of each row of [rows, dim]; gamma, beta (float32) may be null. In place allowed (float
// output: each lane reads its elements before it writes them). OutT: float, or bf16 when the output
// is the next GEMM's operand (the DiT's norm3 before the cross-attention's q projection), rounded
// as f32_to_bf16_rows would round the float output.
template <typename OutT>
__device__ __forceinline__ void layer_norm_rows(const float* x, OutT* out, int rows, int dim, float eps, const float* gamma,
                                                const float* beta) {
    const i64 r = row_of_warp(rows);
    if (r < 0) return;
    const float* xr = x + r * dim;
    OutT* yr = out + r * dim;
    float mean, inv;
    layer_norm_stats(xr, dim, eps, mean, inv);
    struct Element { float x, g, b; };
    row_batched(dim, [&](int i) { return Element{xr[i], gamma ? gamma[i] : 0.f, beta ? beta[i] : 0.f}; },
                [&](int i, const Element& e) {
                    const float d = __fsub_rn(e.x, mean);
                    float y;
                    if (gamma && beta) y = __fadd_rn(__fmul_rn(__fmul_rn(d, inv), e.g), e.b);
                    else if (beta) y = __fmaf_rn(d, inv, e.b);
                    else if (gamma) y = __fmul_rn(__fmul_rn(d, inv), e.g);
                    else y = __fmul_rn(d, inv);
                    store_out(yr + i, y);
                });
}

extern "C" __global__ void layer_norm(const float* x, float* out, int rows, int dim, float eps, const float* gamma, const float* beta) {
    layer_norm_rows(x, out, rows, dim, eps, gamma, beta);
}

extern "C" __global__ void layer_norm_bf16out(const float* x, bf16* out, int rows, int dim, float eps, const float* gamma, const float* beta) {
    layer_norm_rows(x, out, rows, dim, eps, gamma, beta);
}

// layer_norm (no affine) then modulate_frames in one pass (Backend.layerNormModulateFrames,
// LIVETALK_CUDA_NORM_MOD; the DiT's norm1 and norm2 with their per-frame shift and scale): row r
// with layer_norm's statistics (the same sums), the value layer_norm would have stored, and
// modulate_frames_rows' expression with row r's frame's parameters (at (r / rowsPerFrame)·stride),
// stored as float32 or rounded to bf16 (store_out): the two kernels' bits without writing and
// reading the float32 rows in between.
template <typename OutT>
__device__ __forceinline__ void layer_norm_modulate_row(const float* x, const float* shift, const float* scale, i64 stride, OutT* out,
                                                        int rows, int rowsPerFrame, int dim, float eps) {
    const i64 r = row_of_warp(rows);
    if (r < 0) return;
    const float* xr = x + r * dim;
    OutT* yr = out + r * dim;
    const i64 p = (r / rowsPerFrame) * stride;
    float mean, inv;
    layer_norm_stats(xr, dim, eps, mean, inv);
    struct Element { float x, scale, shift; };
    row_batched(dim, [&](int i) { return Element{xr[i], scale[p + i], shift[p + i]}; },
                [&](int i, const Element& e) { store_out(yr + i, modulated(__fmul_rn(__fsub_rn(e.x, mean), inv), e.scale, e.shift)); });
}

extern "C" __global__ void layer_norm_modulate_frames(const float* x, const float* shift, const float* scale, i64 stride, float* out,
                                                      int rows, int rowsPerFrame, int dim, float eps) {
    layer_norm_modulate_row(x, shift, scale, stride, out, rows, rowsPerFrame, dim, eps);
}

extern "C" __global__ void layer_norm_modulate_frames_bf16out(const float* x, const float* shift, const float* scale, i64 stride, bf16* out,
                                                              int rows, int rowsPerFrame, int dim, float eps) {
    layer_norm_modulate_row(x, shift, scale, stride, out, rows, rowsPerFrame, dim, eps);
}

// 1/√(mean(x²) + eps) of a row, as the block form summed it.
__device__ __forceinline__ float rms_inv(const float* xr, int dim, float eps) {
    return rsqrtf(row_sum(dim, [&](float s, int i) { return __fmaf_rn(xr[i], xr[i], s); }) / dim + eps);
}

// x·rsqrt(mean(x²) + eps)·gamma over each row; gamma may be null. In place allowed (float output).
// OutT: float, or bf16 when the output is the next product's operand (the DiT cross-attention's
// normed q, LIVETALK_CUDA_NORM_ROPE), rounded as f32_to_bf16_rows would round the float output.
template <typename OutT>
__device__ __forceinline__ void rms_norm_rows(const float* x, OutT* out, int rows, int dim, float eps, const float* gamma) {
    const i64 r = row_of_warp(rows);
    if (r < 0) return;
    const float* xr = x + r * dim;
    OutT* yr = out + r * dim;
    const float inv = rms_inv(xr, dim, eps);
    struct Element { float x, g; };
    row_batched(dim, [&](int i) { return Element{xr[i], gamma ? gamma[i] : 0.f}; }, [&](int i, const Element& e) {
        const float y = __fmul_rn(e.x, inv);
        store_out(yr + i, gamma ? __fmul_rn(y, e.g) : y);
    });
}

extern "C" __global__ void rms_norm(const float* x, float* out, int rows, int dim, float eps, const float* gamma) {
    rms_norm_rows(x, out, rows, dim, eps, gamma);
}

extern "C" __global__ void rms_norm_bf16out(const float* x, bf16* out, int rows, int dim, float eps, const float* gamma) {
    rms_norm_rows(x, out, rows, dim, eps, gamma);
}

// rms_norm then rope in one pass (Backend.rmsNormRope, LIVETALK_CUDA_NORM_ROPE; the DiT's q and k):
// rms_norm's sums, the same normalised values, rotated by rope_rotate as the rope kernel rotates
// them, then stored as float32 or rounded to bf16 as f32_to_bf16_rows rounds (store_out): the
// sequence's bits without writing and reading the float32 rows in between. Each lane takes whole
// RoPE pairs.
template <typename OutT>
__device__ __forceinline__ void rms_norm_rope_row(const float* x, OutT* out, int rows, int dim, float eps, const float* gamma,
                                                  int headDim, const float* cosT, const float* sinT) {
    const i64 row = row_of_warp(rows);
    if (row < 0) return;
    const float* xr = x + row * dim;
    OutT* yr = out + row * dim;
    const float inv = rms_inv(xr, dim, eps);
    const int half = headDim / 2;
    struct Pair { float x0, x1, g0, g1, c, s; };
    row_batched(dim / 2, [&](int p) {
        const int i = 2 * p, j = p % half;
        return Pair{xr[i], xr[i + 1], gamma ? gamma[i] : 0.f, gamma ? gamma[i + 1] : 0.f, cosT[row * half + j], sinT[row * half + j]};
    }, [&](int p, const Pair& e) {
        float x0 = __fmul_rn(e.x0, inv), x1 = __fmul_rn(e.x1, inv);
        if (gamma) {
            x0 = __fmul_rn(x0, e.g0);
            x1 = __fmul_rn(x1, e.g1);
        }
        float y0, y1;
        rope_rotate(x0, x1, e.c, e.s, y0, y1);
        store_out(yr + 2 * p, y0);
        store_out(yr + 2 * p + 1, y1);
    });
}

extern "C" __global__ void rms_norm_rope(const float* x, float* out, int rows, int dim, float eps, const float* gamma, int headDim,
                                         const float* cosT, const float* sinT) {
    rms_norm_rope_row(x, out, rows, dim, eps, gamma, headDim, cosT, sinT);
}

extern "C" __global__ void rms_norm_rope_bf16out(const float* x, bf16* out, int rows, int dim, float eps, const float* gamma, int headDim,
                                                 const float* cosT, const float* sinT) {
    rms_norm_rope_row(x, out, rows, dim, eps, gamma, headDim, cosT, sinT);
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
