// Fused multi-head attention with a streaming (online) softmax: the logits are never stored.
//
// q [nq, heads*hd], k and v [nk, heads*hd], out [nq, heads*hd], bias (optional) [heads, nq, nk].
// One work-group per (block of bq queries, head), one work-item per query. The group stages its
// queries once and then tiles of bk keys/values in local memory; each item keeps its running max m,
// running sum l and its output row acc in private memory and rescales them when the max grows.
// A row whose logits are all -inf gets zeros (as ReferenceKernels does), not NaN.
//
// bq (the work-group size) is chosen by the host to fit the device's local memory. Each kernel
// variant fixes the number of keys per tile BK (a constant, so the loops over a tile unroll and
// the logits s[] stay in registers) and the size ACC_DIM of the private output row.
// The staged queries are stored transposed, qs[d * bq + t], so that the items of a group read
// consecutive local-memory words (one bank each) when they all read their own query at the same d.
//
// ClProgram includes this file twice: with KV_BF16 0 for float32 k and v, and with KV_BF16 1 for
// bf16 k and v (the DiT's KV cache, stored as ushort bit patterns): those kernels carry the suffix
// _bf16 and widen each value to float32 as they stage it into local memory, so the math after the
// staging is the same float32 code in both.
#define MAX_BK 16
#if KV_BF16
#define KV_T ushort
#define KV_LOAD(p, i) as_float((uint) (p)[i] << 16)
#define KV_NAME(n) n##_bf16
#else
#define KV_T float
#define KV_LOAD(p, i) ((p)[i])
#define KV_NAME(n) n
#endif

inline void KV_NAME(attention_body)(const __global float* q, const __global KV_T* k, const __global KV_T* v,
                           __global float* out, const __global float* bias, int hasBias,
                           int nq, int nk, int heads, int hd, float scale, int bk,
                           __local float* qs, __local float* ks, __local float* vs, __private float* acc) {
    const int bq = get_local_size(0);
    const int t = get_local_id(0);
    const int h = get_group_id(1);
    const int i0 = get_group_id(0) * bq;
    const int i = i0 + t;
    const long w = (long) heads * hd;

    for (int e = t; e < bq * hd; e += bq) {
        const int qi = i0 + e / hd, d = e % hd;
        qs[d * bq + e / hd] = qi < nq ? q[qi * w + h * hd + d] : 0.0f;
    }
    for (int d = 0; d < hd; d++) acc[d] = 0.0f;
    float m = -INFINITY, l = 0.0f;
    const __global float* brow = bias + ((long) h * nq + i) * nk;

    for (int j0 = 0; j0 < nk; j0 += bk) {
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int e = t; e < bk * hd; e += bq) {
            const int j = j0 + e / hd, d = e % hd;
            const bool ok = j < nk;
            ks[e] = ok ? KV_LOAD(k, j * w + h * hd + d) : 0.0f;
            vs[e] = ok ? KV_LOAD(v, j * w + h * hd + d) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        float s[MAX_BK];
        float bm = -INFINITY;
        for (int jj = 0; jj < bk; jj++) {
            const int j = j0 + jj;
            float sc = -INFINITY;
            if (j < nk && i < nq) {
                float dot = 0.0f;
                for (int d = 0; d < hd; d++) dot = fma(qs[d * bq + t], ks[jj * hd + d], dot);
                sc = dot * scale;
                if (hasBias) sc += brow[j];
            }
            s[jj] = sc;
            bm = fmax(bm, sc);
        }
        const float mn = fmax(m, bm);
        if (mn != -INFINITY) { // otherwise every logit so far is -inf: nothing to add yet
            const float corr = exp(m - mn); // m = -inf gives 0
            l *= corr;
            for (int jj = 0; jj < bk; jj++) {
                s[jj] = exp(s[jj] - mn);    // -inf (masked or past the end) gives 0
                l += s[jj];
            }
            for (int d = 0; d < hd; d++) {
                float a = acc[d] * corr;
                for (int jj = 0; jj < bk; jj++) a = fma(s[jj], vs[jj * hd + d], a);
                acc[d] = a;
            }
            m = mn;
        }
    }
    if (i < nq) {
        __global float* o = out + i * w + h * hd;
        for (int d = 0; d < hd; d++) o[d] = l == 0.0f ? 0.0f : acc[d] / l;
    }
}

#define ATTENTION_KERNEL(ACC_DIM, BK)                                                                     \
__kernel void KV_NAME(attention_d##ACC_DIM)(const __global float* q, long qOff, const __global KV_T* k, long kOff, \
        const __global KV_T* v, long vOff, __global float* out, long outOff,                            \
        const __global float* bias, long biasOff, int hasBias,                                           \
        int nq, int nk, int heads, int hd, float scale,                                                  \
        __local float* qs, __local float* ks, __local float* vs) {                                       \
    float acc[ACC_DIM];                                                                                  \
    KV_NAME(attention_body)(q + qOff, k + kOff, v + vOff, out + outOff, bias + biasOff, hasBias,                  \
                   nq, nk, heads, hd, scale, BK, qs, ks, vs, acc);                                       \
}

// Exact-size variants: with hd a compile-time constant the d loops have a fixed trip count, so a
// compiler can unroll them and keep acc in registers (with a runtime hd, a GPU compiler usually
// puts a dynamically indexed private array in off-chip per-thread memory).
#define ATTENTION_KERNEL_EXACT(HD, BK)                                                                    \
__kernel void KV_NAME(attention_e##HD)(const __global float* q, long qOff, const __global KV_T* k, long kOff, \
        const __global KV_T* v, long vOff, __global float* out, long outOff,                            \
        const __global float* bias, long biasOff, int hasBias,                                           \
        int nq, int nk, int heads, int hd, float scale,                                                  \
        __local float* qs, __local float* ks, __local float* vs) {                                       \
    float acc[HD];                                                                                       \
    KV_NAME(attention_body)(q + qOff, k + kOff, v + vOff, out + outOff, bias + biasOff, hasBias,                  \
                   nq, nk, heads, HD, scale, BK, qs, ks, vs, acc);                                       \
}

// BK must match the bk that OpenClBackend.attention sizes the local tiles with.
ATTENTION_KERNEL(64, 16)
ATTENTION_KERNEL(128, 16)
ATTENTION_KERNEL(512, 8)
ATTENTION_KERNEL_EXACT(64, 16)
ATTENTION_KERNEL_EXACT(128, 16)

#undef ATTENTION_KERNEL
#undef ATTENTION_KERNEL_EXACT
#undef KV_T
#undef KV_LOAD
#undef KV_NAME
