// Shared helpers of the CUDA kernels. Every kernel is extern "C" so the host finds it by its
// plain name in the PTX; every size that can pass 2^31 elements is a long long.
#pragma once
#include <cuda_bf16.h>
#include <stdint.h>

typedef __nv_bfloat16 bf16;
typedef long long i64;

// Weight dtypes as the host passes them (CudaWeight): the file's dtype of a resident tensor.
#define DT_F32 0
#define DT_BF16 1
#define DT_F16 2

// Grid-stride loop over [0, n).
#define FOR_EACH(i, n) for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

__device__ __forceinline__ float load_as_f32(const void* p, int dtype, i64 i) {
    if (dtype == DT_F32) return ((const float*)p)[i];
    unsigned short bits = ((const unsigned short*)p)[i];
    if (dtype == DT_BF16) return __uint_as_float(((unsigned)bits) << 16);
    return __half2float(__ushort_as_half(bits));
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// `scratch` holds 32 floats of shared memory; the call ends with a barrier, so it can be reused.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float t = lane < warps ? scratch[lane] : 0.f;
    t = warp_sum(t);
    __syncthreads();
    return t;
}

// ---- tensor-core helpers (sm_80 and newer) ----------------------------------------------------

__device__ __forceinline__ unsigned smem_addr(const void* p) {
    return (unsigned)__cvta_generic_to_shared(p);
}

// 16 bytes global → shared, asynchronously; src_bytes = 0 writes zeros (out-of-range tiles).
__device__ __forceinline__ void cp_async16(void* dst, const void* src, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(smem_addr(dst)), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" :: "n"(N)); }

// Four 8x8 b16 matrices; lane l gives the row address of matrix l/8, row l%8.
__device__ __forceinline__ void ldmatrix_x4(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, const void* p) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(smem_addr(p)));
}
__device__ __forceinline__ void ldmatrix_x4_trans(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, const void* p) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(smem_addr(p)));
}

// D (16x8 f32) += A (16x16 bf16, row) · B (16x8 bf16, col). Fragment layout (g = lane/4,
// t = lane%4): a = {A[g][2t..], A[g+8][2t..], A[g][2t+8..], A[g+8][2t+8..]},
// b = {B[2t..][g], B[2t+8..][g]}, d = {D[g][2t], D[g][2t+1], D[g+8][2t], D[g+8][2t+1]}.
__device__ __forceinline__ void mma_bf16(float* d, const unsigned* a, unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Stores a computed float32 value in the output's dtype: float32 as it is, bf16 rounded to
// nearest even. That is the rounding f32_to_bf16_rows (convert.cu) applies to a GEMM operand, so a
// producer that writes its bf16 output through this gives, bit for bit, the operand the GEMM would
// have made from its float32 output (docs/numerics.md#fused-bf16-operands). The value is computed
// by the same expression in both instantiations; only the store differs.
__device__ __forceinline__ void store_out(float* p, float v) { *p = v; }
__device__ __forceinline__ void store_out(bf16* p, float v) { *p = __float2bfloat16_rn(v); }

// GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). One definition for the
// gelu_tanh kernel and the GEMM epilogues that apply it.
__device__ __forceinline__ float gelu_tanh_of(float v) { return 0.5f * v * (1.f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v))); }

// The DiT's modulation of a normed value, y·(1 + scale) + shift (docs/model.md#dit-block): one
// definition for modulate, modulate_frames and the fused layer_norm_modulate_frames, so that they
// compile to the same add and fma.
__device__ __forceinline__ float modulated(float y, float scale, float shift) { return y * (1.f + scale) + shift; }

// One RoPE pair rotated: (x0·c − x1·s, x0·s + x1·c), each as one rounded product and one fma. The
// rope kernel and rms_norm_rope both call this and must give the same bits, so the rounding is
// spelled out: written as plain products and a sum, nvcc left y0 as mul.f32, mul.f32, sub.f32, which
// ptxas may contract into an fma or not depending on the kernel around it, and on the H200 (run 10)
// the fused kernel's y0 came out 1 ulp from the rope kernel's.
__device__ __forceinline__ void rope_rotate(float x0, float x1, float c, float s, float& y0, float& y1) {
    y0 = __fmaf_rn(x0, c, -__fmul_rn(x1, s));
    y1 = __fmaf_rn(x1, c, __fmul_rn(x0, s));
}

// An element read as float32 (bf16 widened, which is exact).
__device__ __forceinline__ float as_f32(float v) { return v; }
__device__ __forceinline__ float as_f32(bf16 v) { return __bfloat162float(v); }

// Two floats as one register of two bf16 (the lower index in the low half).
__device__ __forceinline__ unsigned pack_bf16(float lo, float hi) {
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *(unsigned*)&v;
}

// Max over the block, like block_sum.
__device__ __forceinline__ float block_max(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_max(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float t = lane < warps ? scratch[lane] : -INFINITY;
    t = warp_max(t);
    __syncthreads();
    return t;
}
