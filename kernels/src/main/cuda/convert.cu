// Conversions into the tensor-core operand format (bf16). Reference: rounding to nearest even,
// as livetalk.tensor's BF16 conversion (and the kernels' tests) define it.
#include "common.cuh"

// y[r, c] = bf16(x[r*ldx + c]) for c < cols, 0 for cols <= c < ldy: an activation matrix made a
// GEMM operand whose row length ldy is a multiple of 8 (16-byte rows for cp.async). T is float
// (rounded to nearest even) or bf16 (copied: widening and narrowing back is exact), the latter for a
// bf16 operand whose rows are not yet in that layout (cols not a multiple of 8, or a misaligned view).
template <typename T>
__device__ __forceinline__ void to_bf16_rows(const T* __restrict__ x, i64 ldx, bf16* __restrict__ y, int ldy, int rows, int cols) {
    i64 n = (i64)rows * ldy;
    FOR_EACH(i, n) {
        i64 r = i / ldy;
        int c = (int)(i - r * ldy);
        y[i] = __float2bfloat16_rn(c < cols ? as_f32(x[r * ldx + c]) : 0.f);
    }
}

extern "C" __global__ void f32_to_bf16_rows(const float* __restrict__ x, i64 ldx, bf16* __restrict__ y, int ldy, int rows, int cols) {
    to_bf16_rows(x, ldx, y, ldy, rows, cols);
}

extern "C" __global__ void bf16_to_bf16_rows(const bf16* __restrict__ x, i64 ldx, bf16* __restrict__ y, int ldy, int rows, int cols) {
    to_bf16_rows(x, ldx, y, ldy, rows, cols);
}

// A weight of any file dtype as a bf16 matrix [rows, ld] (zero-padded from cols to ld).
extern "C" __global__ void weight_to_bf16(const void* __restrict__ src, int dtype, bf16* __restrict__ y, int ld, i64 rows, int cols) {
    i64 n = rows * ld;
    FOR_EACH(i, n) {
        i64 r = i / ld;
        int c = (int)(i - r * ld);
        y[i] = c < cols ? __float2bfloat16_rn(load_as_f32(src, dtype, r * cols + c)) : __float2bfloat16_rn(0.f);
    }
}

// A weight of any file dtype as float32.
extern "C" __global__ void weight_to_f32(const void* __restrict__ src, int dtype, float* __restrict__ y, i64 n) {
    FOR_EACH(i, n) y[i] = load_as_f32(src, dtype, i);
}
