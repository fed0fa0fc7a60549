// Elementwise kernels. References: livetalk.kernels.cpu.ReferenceKernels (the same formulas,
// one element at a time). All allow out to alias an input.
#include "common.cuh"

extern "C" __global__ void fill(float* y, i64 n, float v) { FOR_EACH(i, n) y[i] = v; }

extern "C" __global__ void add(const float* a, const float* b, float* out, i64 n) { FOR_EACH(i, n) out[i] = a[i] + b[i]; }

extern "C" __global__ void mul(const float* a, const float* b, float* out, i64 n) { FOR_EACH(i, n) out[i] = a[i] * b[i]; }

extern "C" __global__ void axpby(float alpha, const float* a, float beta, const float* b, float* out, i64 n) {
    FOR_EACH(i, n) out[i] = alpha * a[i] + beta * b[i];
}

// out[r, :] = x[r, :] + vec[:]
extern "C" __global__ void add_row(const float* x, const float* vec, float* out, i64 n, int dim) {
    FOR_EACH(i, n) out[i] = x[i] + vec[i % dim];
}

// out[r, :] = x[r, :]·(1 + scale[:]) + shift[:]. OutT: float (in place allowed), or bf16 when the
// output is the next GEMM's operand (the DiT's modulated norm1/norm2 output, read by q, k, v or the
// FFN), rounded as f32_to_bf16_rows would round the float output.
template <typename OutT>
__device__ __forceinline__ void modulate_rows(const float* x, const float* shift, const float* scale, OutT* out, i64 n, int dim) {
    FOR_EACH(i, n) {
        int c = (int)(i % dim);
        store_out(out + i, modulated(x[i], scale[c], shift[c]));
    }
}

extern "C" __global__ void modulate(const float* x, const float* shift, const float* scale, float* out, i64 n, int dim) {
    modulate_rows(x, shift, scale, out, n, dim);
}

extern "C" __global__ void modulate_bf16out(const float* x, const float* shift, const float* scale, bf16* out, i64 n, int dim) {
    modulate_rows(x, shift, scale, out, n, dim);
}

// x[r, :] += y[r, :]·gate[:]
extern "C" __global__ void gated_add(float* x, const float* y, const float* gate, i64 n, int dim) {
    FOR_EACH(i, n) x[i] += y[i] * gate[i % dim];
}

// modulate and gated_add over blocks of rowsPerFrame rows, block f with its own parameters at
// + f·stride (the DiT's per-frame modulation, Backend.modulateFrames / gatedAddFrames): one launch
// instead of one per frame, the same expression per element, so the same values. Blocks walk
// rows; a row's columns go to the block's threads.
template <typename OutT>
__device__ __forceinline__ void modulate_frames_rows(const float* x, const float* shift, const float* scale, i64 stride, OutT* out,
                                                     int rows, int rowsPerFrame, int dim) {
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const i64 p = (i64)(r / rowsPerFrame) * stride, base = (i64)r * dim;
        for (int c = threadIdx.x; c < dim; c += blockDim.x) store_out(out + base + c, modulated(x[base + c], scale[p + c], shift[p + c]));
    }
}

extern "C" __global__ void modulate_frames(const float* x, const float* shift, const float* scale, i64 stride, float* out,
                                           int rows, int rowsPerFrame, int dim) {
    modulate_frames_rows(x, shift, scale, stride, out, rows, rowsPerFrame, dim);
}

extern "C" __global__ void modulate_frames_bf16out(const float* x, const float* shift, const float* scale, i64 stride, bf16* out,
                                                   int rows, int rowsPerFrame, int dim) {
    modulate_frames_rows(x, shift, scale, stride, out, rows, rowsPerFrame, dim);
}

// out[r, :] = x[r, :] + vecs[(r / rowsPerFrame)·stride + :]: add_row with a vector per block of rows
extern "C" __global__ void add_row_frames(const float* x, const float* vecs, i64 stride, float* out, int rows, int rowsPerFrame, int dim) {
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const i64 p = (i64)(r / rowsPerFrame) * stride, base = (i64)r * dim;
        for (int c = threadIdx.x; c < dim; c += blockDim.x) out[base + c] = x[base + c] + vecs[p + c];
    }
}

extern "C" __global__ void gated_add_frames(float* x, const float* y, const float* gate, i64 stride, int rows, int rowsPerFrame, int dim) {
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const i64 p = (i64)(r / rowsPerFrame) * stride, base = (i64)r * dim;
        for (int c = threadIdx.x; c < dim; c += blockDim.x) x[base + c] += y[base + c] * gate[p + c];
    }
}

// GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
extern "C" __global__ void gelu_tanh(const float* x, float* out, i64 n) {
    FOR_EACH(i, n) {
        float v = x[i];
        out[i] = gelu_tanh_of(v);
    }
}

// GELU, exact: 0.5·x·(1 + erf(x/√2)).
extern "C" __global__ void gelu_erf(const float* x, float* out, i64 n) {
    FOR_EACH(i, n) {
        float v = x[i];
        out[i] = 0.5f * v * (1.f + erff(v * 0.7071067811865476f));
    }
}

extern "C" __global__ void silu(const float* x, float* out, i64 n) {
    FOR_EACH(i, n) {
        float v = x[i];
        out[i] = v / (1.f + expf(-v));
    }
}

// out[p, y, x] = x[p, y/2, x/2]
extern "C" __global__ void upsample_nearest2x(const float* __restrict__ x, float* __restrict__ out, i64 planes, int h, int w) {
    int w2 = 2 * w, h2 = 2 * h;
    i64 n = planes * h2 * w2;
    FOR_EACH(i, n) {
        int ox = (int)(i % w2);
        i64 t = i / w2;
        int oy = (int)(t % h2);
        i64 p = t / h2;
        out[i] = x[(p * h + oy / 2) * w + ox / 2];
    }
}

// out[j, i] = x[i, j] through a 32x32 shared tile, so both sides are read and written in rows.
extern "C" __global__ void transpose(const float* __restrict__ x, float* __restrict__ out, int rows, int cols) {
    __shared__ float tile[32][33];
    int c0 = blockIdx.x * 32, r0 = blockIdx.y * 32;
    for (int dy = threadIdx.y; dy < 32; dy += blockDim.y) {
        int r = r0 + dy, c = c0 + threadIdx.x;
        if (r < rows && c < cols) tile[dy][threadIdx.x] = x[(i64)r * cols + c];
    }
    __syncthreads();
    for (int dy = threadIdx.y; dy < 32; dy += blockDim.y) {
        int c = c0 + dy, r = r0 + threadIdx.x;
        if (r < rows && c < cols) out[(i64)c * rows + r] = tile[threadIdx.x][dy];
    }
}

// RoPE on interleaved pairs: (x[2j], x[2j+1]) ← (x0·c − x1·s, x0·s + x1·c), c = cos[r, j], s = sin[r, j].
extern "C" __global__ void rope(float* x, int rows, int heads, int headDim, const float* cosT, const float* sinT) {
    int half = headDim / 2;
    i64 n = (i64)rows * heads * half;
    FOR_EACH(i, n) {
        int j = (int)(i % half);
        i64 rh = i / half;             // row·heads + head
        i64 r = rh / heads;
        float c = cosT[r * half + j], s = sinT[r * half + j];
        float* p = x + rh * headDim + 2 * j;
        rope_rotate(p[0], p[1], c, s, p[0], p[1]);
    }
}

// The columns of a 1-D convolution over time-major x [t, channels] (Backend.columns1d; reference:
// TimeConv.columns): col[o, c·kernel + k] = x[o·stride + k − pad, c0 + c], zero outside [0, t).
// One thread per column element, in the columns' order: a copy, so the values are x's exactly.
extern "C" __global__ void columns_1d(const float* x, int t, int channels, int c0, int cn, int kernel, int stride, int pad, int outT,
                                      float* col) {
    const i64 per = (i64)cn * kernel, n = (i64)outT * per;
    FOR_EACH(i, n) {
        const i64 o = i / per;
        const int r = (int)(i - o * per), c = r / kernel, k = r - c * kernel;
        const i64 src = o * stride + k - pad;
        col[i] = src < 0 || src >= t ? 0.f : x[src * channels + c0 + c];
    }
}
