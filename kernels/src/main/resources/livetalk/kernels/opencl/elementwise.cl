// Elementwise ops over n floats, one work-item per element (the host rounds the global size up).
// Buffers are passed with an element offset so that views need no sub-buffers. out may be an input.

__kernel void gelu(const __global float* x, long xOff, __global float* out, long outOff, long n, int useTanh) {
    const long i = get_global_id(0);
    if (i >= n) return;
    const float v = x[xOff + i];
    float y;
    if (useTanh) {
        const float c = 0.7978845608028654f; // sqrt(2/pi)
        y = 0.5f * v * (1.0f + tanh(c * (v + 0.044715f * v * v * v)));
    } else {
        y = 0.5f * v * (1.0f + erf(v * 0.7071067811865476f));
    }
    out[outOff + i] = y;
}

__kernel void silu(const __global float* x, long xOff, __global float* out, long outOff, long n) {
    const long i = get_global_id(0);
    if (i >= n) return;
    const float v = x[xOff + i];
    out[outOff + i] = v / (1.0f + exp(-v));
}

__kernel void add(const __global float* a, long aOff, const __global float* b, long bOff,
                  __global float* out, long outOff, long n) {
    const long i = get_global_id(0);
    if (i < n) out[outOff + i] = a[aOff + i] + b[bOff + i];
}

__kernel void mul(const __global float* a, long aOff, const __global float* b, long bOff,
                  __global float* out, long outOff, long n) {
    const long i = get_global_id(0);
    if (i < n) out[outOff + i] = a[aOff + i] * b[bOff + i];
}

__kernel void axpby(float alpha, const __global float* a, long aOff, float beta, const __global float* b, long bOff,
                    __global float* out, long outOff, long n) {
    const long i = get_global_id(0);
    if (i < n) out[outOff + i] = alpha * a[aOff + i] + beta * b[bOff + i];
}

// out[r, :] = x[r, :] + vec[:]
__kernel void add_row(const __global float* x, long xOff, const __global float* vec, long vOff,
                      __global float* out, long outOff, long n, int dim) {
    const long i = get_global_id(0);
    if (i < n) out[outOff + i] = x[xOff + i] + vec[vOff + i % dim];
}

// out[r, :] = x[r, :] * (1 + scale[:]) + shift[:]
__kernel void modulate(const __global float* x, long xOff, const __global float* shift, long shOff,
                       const __global float* scale, long scOff, __global float* out, long outOff, long n, int dim) {
    const long i = get_global_id(0);
    if (i >= n) return;
    const int c = i % dim;
    out[outOff + i] = x[xOff + i] * (1.0f + scale[scOff + c]) + shift[shOff + c];
}

// x[r, :] += y[r, :] * gate[:]
__kernel void gated_add(__global float* x, long xOff, const __global float* y, long yOff,
                        const __global float* gate, long gOff, long n, int dim) {
    const long i = get_global_id(0);
    if (i < n) x[xOff + i] += y[yOff + i] * gate[gOff + i % dim];
}

// out = bf16(x) as bf16 storage: round-to-nearest-even on the upper 16 bits, NaN kept a quiet NaN
// (bit for bit as livetalk.tensor.Half.f32ToBf16). Integer operations only, so no float mode
// (flush-to-zero, fast math) can change the result.
__kernel void f32_to_bf16(const __global uint* x, long xOff, __global ushort* out, long outOff, long n) {
    const long i = get_global_id(0);
    if (i >= n) return;
    const uint u = x[xOff + i];
    uint r;
    if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu) != 0) {
        r = (u >> 16) | 0x0040u;
    } else {
        r = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    }
    out[outOff + i] = (ushort) r;
}
