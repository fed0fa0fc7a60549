// Multi-head attention with a streaming softmax. Reference: ReferenceKernels.attention.
//
// flash_attn_d64 / flash_attn_d128: the tensor-core path (FlashAttention-2's scheme on
// mma.sync). q, k, v are bf16 [n, ld] with head h at columns [h·D, (h+1)·D); out is float32, or
// bf16 (the _bf16out kernels) when it is the output projection's operand, rounded as
// f32_to_bf16_rows would round the float output. A
// block of 4 (or 8) warps owns 64 (128) queries of one head, each warp 16 rows held as mma A
// fragments for the whole run; keys and values stream through shared memory in tiles of 64, double-buffered with
// cp.async. Scores stay in registers: S = Q·Kᵀ (fp32), the online softmax in base 2, and P is
// re-packed to bf16 as the A operand of O += P·V (V read with ldmatrix.trans). The query tile
// shares the second buffer, which it leaves before the first prefetch (70 KB of shared memory
// for D = 128). D = 128 needs ~207 registers without spilling, so 2 blocks share an SM.
//
// attention_generic: any head size, optional additive bias [heads, nq, nk] (umT5's relative
// positions, masks); float32 SIMT, one block per (query, head).
#include "common.cuh"

#define BKV 64

// WARPS warps own 16·WARPS queries; 8 warps read each K/V tile from L2 once for 128 queries
// instead of 64 (the _w8 kernels).
template <int D, int WARPS, typename OutT>
__device__ __forceinline__ void flash_attn(const bf16* __restrict__ Q, const bf16* __restrict__ K, const bf16* __restrict__ V,
                                           OutT* __restrict__ O, int ld, i64 ldo, int nq, int nk, float scaleLog2) {
    constexpr int LDK = D + 8;                 // padded shared row: ldmatrix rows in distinct banks
    constexpr int CH = D / 8;                  // 16-byte chunks per row
    constexpr int BQ = 16 * WARPS, FA_THREADS = 32 * WARPS;
    extern __shared__ __align__(16) unsigned char smem[];
    bf16* stage0 = (bf16*)smem;                // [K: BKV×LDK][V: BKV×LDK]
    bf16* stage1 = stage0 + 2 * BKV * LDK;

    int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    int q0 = blockIdx.x * BQ, col = blockIdx.y * D;

    auto load_rows = [&](bf16* dst, const bf16* src, int row0, int n, int rows) {
        for (int c = tid; c < rows * CH; c += FA_THREADS) {
            int r = c / CH, cc = (c % CH) * 8;
            bool ok = row0 + r < n;
            cp_async16(dst + r * LDK + cc, ok ? (const void*)(src + (i64)(row0 + r) * ld + col + cc) : (const void*)src, ok ? 16 : 0);
        }
    };
    auto load_kv = [&](int tile) {
        bf16* st = (tile & 1) ? stage1 : stage0;
        load_rows(st, K, tile * BKV, nk, BKV);
        load_rows(st + BKV * LDK, V, tile * BKV, nk, BKV);
    };

    // Q tile (rows past nq read as zero) into stage 1, tile 0 into stage 0.
    load_rows(stage1, Q, q0, nq, BQ);   // BQ ≤ 2·BKV rows: fits the stage
    load_kv(0);
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();
    unsigned qf[D / 16][4];
#pragma unroll
    for (int kd = 0; kd < D / 16; kd++) {
        const bf16* p = stage1 + (warp * 16 + (lane & 15)) * LDK + kd * 16 + (lane >> 4) * 8;
        ldmatrix_x4(qf[kd][0], qf[kd][1], qf[kd][2], qf[kd][3], p);
    }

    float o[D / 8][4];
#pragma unroll
    for (int i = 0; i < D / 8; i++) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
    float mRow[2] = {-INFINITY, -INFINITY}, lRow[2] = {0.f, 0.f};
    int g = lane >> 2, t = lane & 3;
    int tiles = (nk + BKV - 1) / BKV;

    for (int j = 0; j < tiles; j++) {
        cp_async_wait<0>();
        __syncthreads();                        // tile j visible; everyone is done with tile j-1 (and Q)
        if (j + 1 < tiles) load_kv(j + 1);
        cp_async_commit();
        const bf16* Ks = (j & 1) ? stage1 : stage0;
        const bf16* Vs = Ks + BKV * LDK;

        // S [16 × 64] = Q · Kᵀ for this warp's rows
        float s[8][4];
#pragma unroll
        for (int i = 0; i < 8; i++) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.f;
#pragma unroll
        for (int kd = 0; kd < D / 16; kd++) {
#pragma unroll
            for (int nj = 0; nj < 4; nj++) {
                unsigned b0, b1, b2, b3;
                const bf16* p = Ks + (nj * 16 + ((lane >> 4) << 3) + (lane & 7)) * LDK + kd * 16 + ((lane >> 3) & 1) * 8;
                ldmatrix_x4(b0, b1, b2, b3, p);
                mma_bf16(s[2 * nj], qf[kd], b0, b1);
                mma_bf16(s[2 * nj + 1], qf[kd], b2, b3);
            }
        }

        // online softmax in base 2; rows g (elements 0, 1) and g + 8 (elements 2, 3)
        int kb = j * BKV;
        bool full = kb + BKV <= nk;            // only the last tile has keys past nk
        float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
        for (int nt = 0; nt < 8; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                int key = kb + nt * 8 + 2 * t + (e & 1);
                float v = full || key < nk ? s[nt][e] * scaleLog2 : -INFINITY;
                s[nt][e] = v;
                mx[e >> 1] = fmaxf(mx[e >> 1], v);
            }
        float alpha[2], mUse[2];
#pragma unroll
        for (int r = 0; r < 2; r++) {
            mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 1));
            mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 2));
            float mNew = fmaxf(mRow[r], mx[r]);
            mUse[r] = mNew == -INFINITY ? 0.f : mNew;
            alpha[r] = exp2f(mRow[r] - mUse[r]);
            mRow[r] = mNew;
            lRow[r] *= alpha[r];
        }
        unsigned pf[4][4];
#pragma unroll
        for (int nt = 0; nt < 8; nt++) {
            float p0 = exp2f(s[nt][0] - mUse[0]), p1 = exp2f(s[nt][1] - mUse[0]);
            float p2 = exp2f(s[nt][2] - mUse[1]), p3 = exp2f(s[nt][3] - mUse[1]);
            lRow[0] += p0 + p1;
            lRow[1] += p2 + p3;
            pf[nt >> 1][(nt & 1) * 2] = pack_bf16(p0, p1);
            pf[nt >> 1][(nt & 1) * 2 + 1] = pack_bf16(p2, p3);
        }
#pragma unroll
        for (int i = 0; i < D / 8; i++) {
            o[i][0] *= alpha[0];
            o[i][1] *= alpha[0];
            o[i][2] *= alpha[1];
            o[i][3] *= alpha[1];
        }

        // O [16 × D] += P [16 × 64] · V [64 × D]
#pragma unroll
        for (int kk = 0; kk < 4; kk++) {
#pragma unroll
            for (int dn = 0; dn < D / 16; dn++) {
                unsigned b0, b1, b2, b3;
                const bf16* p = Vs + (kk * 16 + ((lane >> 3) & 1) * 8 + (lane & 7)) * LDK + dn * 16 + (lane >> 4) * 8;
                ldmatrix_x4_trans(b0, b1, b2, b3, p);
                mma_bf16(o[2 * dn], pf[kk], b0, b1);
                mma_bf16(o[2 * dn + 1], pf[kk], b2, b3);
            }
        }
    }
    cp_async_wait<0>();

    // the row sums were kept per thread (a quarter of each row): add the quad's parts
#pragma unroll
    for (int r = 0; r < 2; r++) {
        lRow[r] += __shfl_xor_sync(0xffffffffu, lRow[r], 1);
        lRow[r] += __shfl_xor_sync(0xffffffffu, lRow[r], 2);
    }
#pragma unroll
    for (int r = 0; r < 2; r++) {
        int m = q0 + warp * 16 + g + r * 8;
        if (m >= nq) continue;
        float inv = lRow[r] > 0.f ? 1.f / lRow[r] : 0.f;
        OutT* orow = O + (i64)m * ldo + col;
#pragma unroll
        for (int i = 0; i < D / 8; i++) {   // scalar stores: out may be a view at any element offset
            store_out(orow + i * 8 + 2 * t, o[i][2 * r] * inv);
            store_out(orow + i * 8 + 2 * t + 1, o[i][2 * r + 1] * inv);
        }
    }
}

#define FLASH_ENTRY(NAME, D, WARPS, MIN_BLOCKS, OUT_T)                                                             \
    extern "C" __global__ void __launch_bounds__(32 * WARPS, MIN_BLOCKS) NAME(                                         \
            const bf16* Q, const bf16* K, const bf16* V, OUT_T* O, int ld, i64 ldo, int nq, int nk, float scaleLog2) { \
        flash_attn<D, WARPS, OUT_T>(Q, K, V, O, ld, ldo, nq, nk, scaleLog2);                                           \
    }

FLASH_ENTRY(flash_attn_d128, 128, 4, 2, float)
FLASH_ENTRY(flash_attn_d128_w8, 128, 8, 1, float)
FLASH_ENTRY(flash_attn_d64, 64, 4, 3, float)
FLASH_ENTRY(flash_attn_d64_w8, 64, 8, 1, float)
FLASH_ENTRY(flash_attn_d128_bf16out, 128, 4, 2, bf16)
FLASH_ENTRY(flash_attn_d128_w8_bf16out, 128, 8, 1, bf16)
FLASH_ENTRY(flash_attn_d64_bf16out, 64, 4, 3, bf16)
FLASH_ENTRY(flash_attn_d64_w8_bf16out, 64, 8, 1, bf16)

#define GA_THREADS 128
#define GA_MAXD 4   // head sizes up to 4·128 = 512

// One block per (query i, head h); 128 keys at a time, one per thread; each thread owns output
// dimensions d ≡ tid (mod 128). Dynamic shared memory: headDim floats for the query row.
extern "C" __global__ void __launch_bounds__(GA_THREADS) attention_generic(
        const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v, float* __restrict__ out,
        int nq, int nk, int heads, int hd, float scale, const float* __restrict__ bias) {
    extern __shared__ float qs[];
    __shared__ float ps[GA_THREADS];
    __shared__ float scratch[32];
    int i = blockIdx.x, h = blockIdx.y, tid = threadIdx.x;
    i64 W = (i64)heads * hd;
    for (int d = tid; d < hd; d += GA_THREADS) qs[d] = q[i * W + h * hd + d];
    __syncthreads();
    float acc[GA_MAXD] = {0.f, 0.f, 0.f, 0.f};
    float m = -INFINITY, l = 0.f;
    for (int j0 = 0; j0 < nk; j0 += GA_THREADS) {
        int j = j0 + tid;
        float s = -INFINITY;
        if (j < nk) {
            const float* kr = k + j * W + h * hd;
            float dot = 0.f;
            for (int d = 0; d < hd; d++) dot += qs[d] * kr[d];
            s = dot * scale;
            if (bias) s += bias[((i64)h * nq + i) * nk + j];
        }
        float mNew = fmaxf(m, block_max(s, scratch));
        float mUse = mNew == -INFINITY ? 0.f : mNew;
        float p = expf(s - mUse);
        float alpha = expf(m - mUse);
        l = l * alpha + block_sum(p, scratch);
        m = mNew;
        ps[tid] = p;
        __syncthreads();
        int cnt = min(GA_THREADS, nk - j0);
#pragma unroll
        for (int r = 0; r < GA_MAXD; r++) {
            int d = tid + r * GA_THREADS;
            if (d >= hd) break;
            float a = acc[r] * alpha;
            const float* vc = v + (i64)j0 * W + h * hd + d;
            for (int jj = 0; jj < cnt; jj++) a += ps[jj] * vc[jj * W];
            acc[r] = a;
        }
        __syncthreads();
    }
#pragma unroll
    for (int r = 0; r < GA_MAXD; r++) {
        int d = tid + r * GA_THREADS;
        if (d < hd) out[i * W + h * hd + d] = l > 0.f ? acc[r] / l : 0.f;
    }
}

// Row softmax for the two-product attention path (large heads): S [rows, ns] float32 scores in,
// P [rows, ldp] bf16 out, P = softmax(scale·S) with each row already divided by its sum, zero in
// columns [ns, ldp). One block per row. Reference: ReferenceKernels.attention's softmax.
extern "C" __global__ void softmax_rows_bf16(const float* __restrict__ S, i64 lds, int ns, float scale, bf16* __restrict__ P, int ldp) {
    __shared__ float scratch[32];
    const float* sr = S + (i64)blockIdx.x * lds;
    bf16* pr = P + (i64)blockIdx.x * ldp;
    float m = -INFINITY;
    for (int j = threadIdx.x; j < ns; j += blockDim.x) m = fmaxf(m, sr[j] * scale);
    m = block_max(m, scratch);
    float mUse = m == -INFINITY ? 0.f : m;
    float l = 0.f;
    for (int j = threadIdx.x; j < ns; j += blockDim.x) l += expf(sr[j] * scale - mUse);
    l = block_sum(l, scratch);
    float inv = l > 0.f ? 1.f / l : 0.f;
    for (int j = threadIdx.x; j < ldp; j += blockDim.x) {
        pr[j] = __float2bfloat16_rn(j < ns ? expf(sr[j] * scale - mUse) * inv : 0.f);
    }
}

