// Normalisations, statistics in float32. One block per row for the row norms; one thread per
// (frame, pixel) for the VAE's channel norm, so neighbouring threads read neighbouring pixels.
// References: ReferenceKernels.layerNorm / rmsNorm, VaeReferenceKernels.rmsNormChannels.
#include "common.cuh"

// LayerNorm of each row of [rows, dim]; gamma, beta (float32) may be null. In place allowed (float
// output). OutT: float, or bf16 when the output is the next GEMM's operand (the DiT's norm3 before
// the cross-attention's q projection), rounded as f32_to_bf16_rows would round the float output.
template <typename OutT>
__device__ __forceinline__ void layer_norm_rows(const float* x, OutT* out, int dim, float eps, const float* gamma, const float* beta) {
    __shared__ float scratch[32];
    const float* xr = x + (i64)blockIdx.x * dim;
    OutT* yr = out + (i64)blockIdx.x * dim;
    float s = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) s += xr[i];
    float mean = block_sum(s, scratch) / dim;
    float v = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        float d = xr[i] - mean;
        v += d * d;
    }
    float inv = rsqrtf(block_sum(v, scratch) / dim + eps);
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

// x·rsqrt(mean(x²) + eps)·gamma over each row; gamma may be null. In place allowed.
extern "C" __global__ void rms_norm(const float* x, float* out, int dim, float eps, const float* gamma) {
    __shared__ float scratch[32];
    const float* xr = x + (i64)blockIdx.x * dim;
    float* yr = out + (i64)blockIdx.x * dim;
    float s = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) s += xr[i] * xr[i];
    float inv = rsqrtf(block_sum(s, scratch) / dim + eps);
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        float y = xr[i] * inv;
        yr[i] = gamma ? y * gamma[i] : y;
    }
}

// The Wan VAE's channel RMS norm: y = x / max(‖x[t,:,p]‖, eps) · √C · gamma[c], then SiLU if asked.
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
        for (int c = 0; c < channels; c++) {
            float v = xp[(i64)c * pixels];
            s += v * v;
        }
        float scale = root / fmaxf(sqrtf(s), eps);
        for (int c = 0; c < channels; c++) {
            float y = xp[(i64)c * pixels] * scale * gamma[c];
            yp[(i64)c * pixels] = silu ? y / (1.f + expf(-y)) : y;
        }
    }
}
