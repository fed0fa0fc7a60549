// Multi-head attention on Hopper (sm_90a) with wgmma: FlashAttention-3's ideas (Shah et al. 2024,
// "FlashAttention-3: Fast and Accurate Attention with Asynchrony and Low-precision") written from
// the paper's description and the PTX ISA, for head size 128. Reference: ReferenceKernels.attention.
// Validated in run 7 (the cp.async kernel) and run 9 (the TMA kernel, the default on compute
// capability 9.0 since): docs/cuda-performance.md.
//
// Contract: that of flash_attn_d128_w8 (attention.cu), argument for argument. q, k, v are bf16
// [n, ld] with head h at columns [h·D, (h+1)·D) (ld a multiple of 8, rows 16-byte aligned); out is
// float32 or bf16 (the _bf16out kernel, rounded as f32_to_bf16_rows rounds) [nq, ldo] at the same
// columns; grid (ceil(nq / 128), heads), 256 threads, Fa3Layout::SMEM_BYTES of dynamic shared
// memory. nq and nk are arbitrary (query rows past nq read as zero and are not stored; keys past
// nk read as zero and are masked to -inf before the softmax); nk = 0 gives zeros, as there.
//
// Structure (letters of attention_sm90_layout.cuh: D = 128, BQ = 128, BKV = 128): a block of 2
// warpgroups owns 128 queries of one head, warpgroup w the rows [64w, 64w + 64). Per key tile j:
//   S_j [64 × 128 keys] = Q·K_jᵀ       8 wgmma m64n128k16, Q and K from shared memory
//   online softmax in base 2 on S_j's accumulator registers (a row's 128 keys sit in the 4 threads
//   of a quad, 32 each: two shuffles give its max), P_j = bf16(exp2(S_j·scale·log2e − m))
//   O [64 × 128 d] += P_j·V_j          8 wgmma m64n128k16, P from registers as the A operand
//                                      (no trip through shared memory), V from shared memory
//                                      read transposed by the hardware (imm-trans-b = 1)
// and the two products overlap across tiles (the paper's intra-warpgroup pipelining): S_j is
// issued before P_{j-1}·V_{j-1}, so the tensor cores run that product while the threads compute
// the softmax of S_j; only then are O rescaled and P_j formed. Registers per thread: S 64 floats,
// O 64, P 32.
//
// K and V stream through rings of 3 tiles each, filled by cp.async from all 256 threads (no TMA,
// no producer warp): K two tiles ahead, V one (it is read one iteration later), one copy group
// and one block barrier per tile (Fa3Schedule). Q (32 KiB) + 3 K + 3 V tiles = 224 KiB + 1 KiB
// alignment: one block per SM.
#include <cuda.h>   // CUtensorMap
#include "common.cuh"
#include "sm90.cuh"
#include "attention_sm90_layout.cuh"

#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#error "attention_sm90.cu uses wgmma: compile it for sm_90a (scripts/build-ptx.sh does)"
#endif

#define FA3_ACC_REGS                                                                     \
    "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15,"             \
    "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31,"    \
    "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47,"    \
    "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}"
#define FA3_ACC_8(d, i) "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), "+f"(d[i + 7])
#define FA3_ACC_OUT(d) FA3_ACC_8(d, 0), FA3_ACC_8(d, 8), FA3_ACC_8(d, 16), FA3_ACC_8(d, 24), \
                       FA3_ACC_8(d, 32), FA3_ACC_8(d, 40), FA3_ACC_8(d, 48), FA3_ACC_8(d, 56)

// S [64 × 128] (+)= Q [64 × 16] · Kᵀ [16 × 128], both K-major in shared memory (imm-trans 0, 0);
// accumulate = 0 for the first d slice (scale-d false: S = Q·Kᵀ, so S needs no zeroing).
__device__ __forceinline__ void wgmma_qk(float (&d)[64], uint64_t descQ, uint64_t descK, int accumulate) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 " FA3_ACC_REGS ", %64, %65, p, 1, 1, 0, 0;\n}\n"
        : FA3_ACC_OUT(d)
        : "l"(descQ), "l"(descK), "r"(accumulate));
}

// O [64 × 128] += P [64 × 16] (registers: the A fragment) · V [16 × 128] (shared memory,
// MN-major: imm-trans-b 1). With A in registers the instruction has no imm-trans-a.
__device__ __forceinline__ void wgmma_pv(float (&d)[64], const uint32_t (&a)[4], uint64_t descV) {
    asm volatile(
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 " FA3_ACC_REGS ", {%64, %65, %66, %67}, %68, 1, 1, 1, 1;\n"
        : FA3_ACC_OUT(d)
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(descV));
}

// As fence_acc, for the P fragments a wgmma in flight reads.
__device__ __forceinline__ void fence_frag(uint32_t (&p)[FA3_BKV / 16][4]) {
#pragma unroll
    for (int i = 0; i < FA3_BKV / 16; i++)
#pragma unroll
        for (int r = 0; r < 4; r++) asm volatile("" : "+r"(p[i][r]) :: "memory");
}

// 2^x with subnormal results flushed to zero: one MUFU.EX2 (FASTEXP's softmax).
__device__ __forceinline__ float ex2_ftz(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// The TMA variant's operands: tensor maps of q, k and v ([rows, heads·D] bf16, boxes of 64 d × 128
// rows, 128-byte swizzle, zeros past the last row), made on the host by cuTensorMapEncodeTiled.
struct Fa3Maps {
    const CUtensorMap* q;
    const CUtensorMap* k;
    const CUtensorMap* v;
};

// TMA: false, the cp.async kernel (flash_attn_d128_sm90: all 256 threads load, one block barrier
// per tile); true, the TMA kernel (flash_attn_d128_tma): a third warpgroup is the producer, whose one
// thread copies Q once and each K and V tile as two boxes (one per d half, written where
// fa3_chunk_offset puts each chunk) into the same rings, handed over through mbarriers
// (Fa3TmaSchedule); the two warpgroups only compute. Everything else, the wgmma sequence, the
// softmax and the epilogue, is the same code, so both give the same bits.
//
// SPLIT (TMA only): the block takes the key tiles of its split (blockIdx.z of gridDim.z:
// fa3_split_first) and stores its unnormalised O rows (float32, into O at rows z·nq + m) and
// each row's (m, l) into ml, for flash_combine_d128; with SPLIT false every key position is the
// same expression as before (tile0 = 0), so those kernels keep their bits.
// FASTEXP (the TMA ping-pong kernels' _fastexp twins): the softmax in fewer instructions per
// logit, with other roundings (see softmax below); otherwise every instruction as before.
template <bool TMA, typename OutT, bool SPLIT = false, bool PINGPONG = false, bool FASTEXP = false>
__device__ __forceinline__ void flash_attn_sm90(const bf16* __restrict__ Q, const bf16* __restrict__ K, const bf16* __restrict__ V,
                                                Fa3Maps maps, OutT* __restrict__ O, int ld, i64 ldo, int nq, int nk, float scaleLog2,
                                                float* __restrict__ ml = nullptr) {
    static_assert(!SPLIT || TMA, "only the TMA kernel splits its keys");
    static_assert(!PINGPONG || TMA, "the ping-pong is the TMA kernels'");
    typedef Fa3Layout L;
    typedef Fa3Schedule Plan;
    typedef Fa3TmaSchedule Bars;
    static_assert(Plan::K_LEAD == 2 && Plan::V_LEAD == 1 && Plan::CP_WAIT == 1, "the prologue below commits {Q, K_0}, {K_1, V_0}");
    constexpr int KSLICES = FA3_D / 16, PSLICES = FA3_BKV / 16;
    extern __shared__ __align__(1024) unsigned char smem[];
    // The dynamic window is only guaranteed 16-byte aligned: round up (the host adds 1 KiB).
    const uint32_t base = (smem_addr(smem) + SM90_GROUP_BYTES - 1) & ~(uint32_t)(SM90_GROUP_BYTES - 1);

    const int tid = threadIdx.x, wg = tid >> 7, t = tid & 127;
    const int q0 = blockIdx.x * FA3_BQ, col = blockIdx.y * FA3_D;
    const int allTiles = (nk + FA3_BKV - 1) / FA3_BKV;
    const int tile0 = SPLIT ? fa3_split_first(allTiles, gridDim.z, blockIdx.z) : 0;
    const int tiles = SPLIT ? fa3_split_first(allTiles, gridDim.z, blockIdx.z + 1) - tile0 : allTiles;
    const int rowBase = q0 + wg * 64;

    if (tiles <= 0) {   // no keys: zeros, as flash_attn gives (its row sums stay 0)
        if (TMA && wg >= 2) return;   // the producer warpgroup
        const i64 row0 = SPLIT ? (i64)blockIdx.z * nq : 0;   // a split without keys: an empty part (weight 0)
        for (int i = t; i < 64 * FA3_D; i += 128) {
            const int m = rowBase + i / FA3_D;
            if (m < nq) store_out(O + (row0 + m) * ldo + col + i % FA3_D, 0.f);
        }
        if constexpr (SPLIT) {
            for (int r = t; r < 64; r += 128) {
                if (rowBase + r >= nq) continue;
                float* at = ml + fa3_split_ml(gridDim.y, nq, blockIdx.z, blockIdx.y, rowBase + r);
                at[0] = -INFINITY;
                at[1] = 0.f;
            }
        }
        return;
    }

    // One 128-row tile of q, k or v (rows first.. of this head's columns) into its swizzled
    // place (fa3_load_*: 16 consecutive threads read one row's 256 bytes); rows past n are zero-filled.
    const int chunk = (int)fa3_load_chunk(tid);
    auto load_tile = [&](uint32_t dst, const bf16* src, int first, int n) {
#pragma unroll
        for (int i = 0; i < 128 / 16; i++) {
            const int r = (int)fa3_load_row(tid, i), g = first + r;
            const bool ok = g < n;
            cp_async16_s(dst + fa3_chunk_offset(r, chunk), ok ? (const void*)(src + (i64)g * ld + col + chunk * 8) : (const void*)src,
                         ok ? 16 : 0);
        }
    };
    // The copy group of iteration j: K_{j+K_LEAD} and V_{j+V_LEAD}, each if it exists (an empty
    // group otherwise, so that the wait counts stay uniform).
    auto prefetch = [&](int j) {
        const int kt = j + Plan::K_LEAD, vt = j + Plan::V_LEAD;
        if (kt < tiles) load_tile(L::k_tile(base, Plan::kslot(kt)), K, (tile0 + kt) * FA3_BKV, nk);
        if (vt < tiles) load_tile(L::v_tile(base, Plan::vslot(vt)), V, (tile0 + vt) * FA3_BKV, nk);
        cp_async_commit();
    };
    // Tile j's K (and V_{j-1}) have landed once the group of iteration j - 2 has: every thread
    // fences its own copies for the async proxy, and the barrier publishes them to both
    // warpgroups. It also orders this iteration's refills after every warpgroup's waits of the
    // previous one (the last reads of the slots refilled).
    auto arrive = [&]() {
        cp_async_wait<Plan::CP_WAIT>();
        fence_proxy_async_shared();
        __syncthreads();
    };

    const uint32_t bars = base + L::BYTES;   // the TMA kernel's barriers (Fa3TmaSchedule)
    if constexpr (TMA) {
        if (tid == 0) {
            for (int b = 0; b < Bars::COUNT; b++) mbar_init(bars + 8u * b, Bars::arrivals(b));
            fence_mbar_init();
        }
        __syncthreads();
        if (wg == 2) {   // the producer warpgroup: Q, then K_j and V_j in order, each slot once its readers let go
            regs_release<FA3_TMA_PRODUCER_REGS>();
            if (t == 0) {
                auto copy_tile = [&](uint32_t dst, const CUtensorMap* map, int row, uint32_t bar) {
                    mbar_arrive_expect_tx(bar, L::TILE_BYTES);
                    tma_load_2d(dst, map, col, row, bar);
                    tma_load_2d(dst + L::HALF_BYTES, map, col + 64, row, bar);
                };
                copy_tile(L::q_tile(base), maps.q, q0, Bars::q_full(bars));
                for (int j = 0; j < tiles; j++) {
                    mbar_wait(Bars::k_empty(bars, Plan::kslot(j)), Bars::empty_parity(j, L::KS));
                    copy_tile(L::k_tile(base, Plan::kslot(j)), maps.k, (tile0 + j) * FA3_BKV, Bars::k_full(bars, Plan::kslot(j)));
                    mbar_wait(Bars::v_empty(bars, Plan::vslot(j)), Bars::empty_parity(j, L::VS));
                    copy_tile(L::v_tile(base, Plan::vslot(j)), maps.v, (tile0 + j) * FA3_BKV, Bars::v_full(bars, Plan::vslot(j)));
                }
            }
            return;
        }
        regs_take<FA3_TMA_CONSUMER_REGS>();
        mbar_wait(Bars::q_full(bars), 0);
    } else {
        // Prologue: {Q, K_0} and {K_1, V_0} (the groups of "iterations" -2 and -1).
        load_tile(L::q_tile(base), Q, q0, nq);
        load_tile(L::k_tile(base, Plan::kslot(0)), K, 0, nk);
        cp_async_commit();
        if (1 < tiles) load_tile(L::k_tile(base, Plan::kslot(1)), K, FA3_BKV, nk);
        load_tile(L::v_tile(base, Plan::vslot(0)), V, 0, nk);
        cp_async_commit();
    }
    // TMA: tile j's K (V) has landed once its full barrier's phase for the tile's round completed;
    // a warpgroup lets go of a slot (one arrival per warpgroup) once its wgmma reading it completed.
    auto wait_k = [&](int j) { if constexpr (TMA) mbar_wait(Bars::k_full(bars, Plan::kslot(j)), Bars::full_parity(j, L::KS)); };
    auto wait_v = [&](int j) { if constexpr (TMA) mbar_wait(Bars::v_full(bars, Plan::vslot(j)), Bars::full_parity(j, L::VS)); };
    auto release_k = [&](int j) { if constexpr (TMA) { if (t == 0) mbar_arrive(Bars::k_empty(bars, Plan::kslot(j))); } };
    auto release_v = [&](int j) { if constexpr (TMA) { if (t == 0) mbar_arrive(Bars::v_empty(bars, Plan::vslot(j))); } };

    float o[64], s[64];
    uint32_t p[PSLICES][4];
#pragma unroll
    for (int i = 0; i < 64; i++) o[i] = 0.f;
    float mRow[2] = {-INFINITY, -INFINITY}, lRow[2] = {0.f, 0.f};
    const uint32_t qTile = L::q_tile(base);

    auto issue_qk = [&](int j) {
        const uint32_t kTile = L::k_tile(base, Plan::kslot(j));
#pragma unroll
        for (int kd = 0; kd < KSLICES; kd++) wgmma_qk(s, fa3_q_desc(qTile, wg, kd), fa3_k_desc(kTile, kd), kd > 0);
        wgmma_commit();
    };
    auto issue_pv = [&](int j) {
        const uint32_t vTile = L::v_tile(base, Plan::vslot(j));
#pragma unroll
        for (int kk = 0; kk < PSLICES; kk++) wgmma_pv(o, p[kk], fa3_v_desc(vTile, kk));
        wgmma_commit();
    };
    // Online softmax of tile j in base 2 (the float operations of flash_attn, in its order): S
    // becomes the unnormalised probabilities, the row maxima and partial sums are updated, and
    // alpha[r] is the factor O's row r must be rescaled by. Thread t holds rows
    // sm90_acc_row(t, i) (two of them: r = (i/2)%2) and keys sm90_acc_col(t, i) of the tile.
    //
    // FASTEXP: S stays unscaled. The row maximum is taken over the raw logits and then scaled,
    // which gives the same maximum (scaleLog2 > 0 and rounding is monotone, so the largest
    // rounded product is the rounded product of the largest), and each exponent is one fma,
    // s·scaleLog2 − m, rounded once instead of twice, into ex2 with subnormal results flushed to
    // zero (a lone MUFU.EX2; without .ftz the compiler wraps it in a compare and two multiplies to
    // produce subnormals, weights below 2^-126 that add nothing to a row sum of at least 1). Keys
    // past nk are masked only in the tile that has them. Per logit: fma, max, ex2, add instead of
    // mul, select, max, sub, ex2 with its wrapping, add. Not the default kernels' bits: the
    // exponents round differently (CudaFlashFastExpTest holds the wgmma kernels' bounds).
    float alpha[2];
    auto softmax = [&](int j) {
        const int kb = (tile0 + j) * FA3_BKV;
        const bool full = kb + FA3_BKV <= nk;   // only the last tile has keys past nk
        float mx[2] = {-INFINITY, -INFINITY};
        if constexpr (FASTEXP) {
            if (full) {
#pragma unroll
                for (int i = 0; i < 64; i++) mx[(i >> 1) & 1] = fmaxf(mx[(i >> 1) & 1], s[i]);
            } else {
#pragma unroll
                for (int i = 0; i < 64; i++) {
                    const float v = kb + (int)sm90_acc_col(t, i) < nk ? s[i] : -INFINITY;
                    s[i] = v;
                    mx[(i >> 1) & 1] = fmaxf(mx[(i >> 1) & 1], v);
                }
            }
            mx[0] *= scaleLog2;
            mx[1] *= scaleLog2;
        } else {
#pragma unroll
            for (int i = 0; i < 64; i++) {
                const float v = full || kb + (int)sm90_acc_col(t, i) < nk ? s[i] * scaleLog2 : -INFINITY;
                s[i] = v;
                mx[(i >> 1) & 1] = fmaxf(mx[(i >> 1) & 1], v);
            }
        }
        float mUse[2];
#pragma unroll
        for (int r = 0; r < 2; r++) {
            // the 4 threads of a quad (lanes 4g..4g+3) hold the row's 128 keys
            mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 1));
            mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 2));
            const float mNew = fmaxf(mRow[r], mx[r]);
            mUse[r] = mNew == -INFINITY ? 0.f : mNew;
            alpha[r] = exp2f(mRow[r] - mUse[r]);
            mRow[r] = mNew;
            lRow[r] *= alpha[r];
        }
#pragma unroll
        for (int i = 0; i < 64; i++) {
            const float e = FASTEXP ? ex2_ftz(fmaf(s[i], scaleLog2, -mUse[(i >> 1) & 1])) : exp2f(s[i] - mUse[(i >> 1) & 1]);
            s[i] = e;
            lRow[(i >> 1) & 1] += e;
        }
    };
    // O's rows rescaled to the new maxima, and P_j packed as the A fragments of O += P·V.
    auto rescale_and_pack = [&]() {
#pragma unroll
        for (int i = 0; i < 64; i++) o[i] *= alpha[(i >> 1) & 1];
#pragma unroll
        for (int kk = 0; kk < PSLICES; kk++)
#pragma unroll
            for (int r = 0; r < 4; r++) p[kk][r] = pack_bf16(s[fa3_p_acc(kk, r, 0)], s[fa3_p_acc(kk, r, 1)]);
    };

    // PINGPONG: the two warpgroups take turns at each of their tiles + 1 issue points
    // (attention_sm90_layout.cuh); otherwise both issue as soon as their operands are there.
    const int points = tiles + 1;
    auto turn_wait = [&]() { if constexpr (PINGPONG) named_bar_sync(fa3_pp_own(wg), FA3_PP_THREADS); };
    auto turn_pass = [&](int point) {
        if constexpr (PINGPONG) { if (fa3_pp_arrives_after(wg, point, points)) named_bar_arrive(fa3_pp_other(wg), FA3_PP_THREADS); }
    };
    if constexpr (PINGPONG) { if (fa3_pp_starts_by_arriving(wg)) named_bar_arrive(fa3_pp_other(wg), FA3_PP_THREADS); }

    // Iteration 0: S_0 only.
    if constexpr (TMA) wait_k(0); else arrive();
    turn_wait();
    wgmma_fence();
    fence_acc(s);
    issue_qk(0);
    turn_pass(0);
    fence_acc(s);
    if constexpr (!TMA) prefetch(0);
    wgmma_wait<0>();
    fence_acc(s);
    release_k(0);
    softmax(0);
    rescale_and_pack();

    // Iterations 1 .. T-1: S_j issued before P_{j-1}·V_{j-1}; the softmax of S_j runs while
    // the tensor cores still work on P·V.
    for (int j = 1; j < tiles; j++) {
        if constexpr (TMA) {   // both tiles before the first wgmma: no wait between the two products
            wait_k(j);
            wait_v(j - 1);
        } else {
            arrive();
        }
        turn_wait();
        wgmma_fence();   // S, O and P were last written by this thread's own instructions
        fence_acc(s);
        fence_acc(o);
        fence_frag(p);
        issue_qk(j);
        issue_pv(j - 1);
        turn_pass(j);
        fence_acc(s);
        fence_acc(o);
        fence_frag(p);
        if constexpr (!TMA) prefetch(j);
        wgmma_wait<Plan::S_WAIT>();   // S_j (the older group) is done; P·V may still run
        fence_acc(s);
        release_k(j);
        softmax(j);
        wgmma_wait<0>();              // P_{j-1}·V_{j-1} is done: O and P are ours again
        fence_acc(o);
        fence_frag(p);
        release_v(j - 1);
        rescale_and_pack();
    }

    // Iteration T: the last P·V.
    if constexpr (TMA) wait_v(tiles - 1); else arrive();
    turn_wait();
    wgmma_fence();
    fence_acc(o);
    fence_frag(p);
    issue_pv(tiles - 1);
    turn_pass(tiles);
    fence_acc(o);
    fence_frag(p);
    wgmma_wait<0>();
    fence_acc(o);
    if constexpr (!TMA) cp_async_wait<0>();

    // The row sums were kept per thread (a quarter of each row): add the quad's parts.
#pragma unroll
    for (int r = 0; r < 2; r++) {
        lRow[r] += __shfl_xor_sync(0xffffffffu, lRow[r], 1);
        lRow[r] += __shfl_xor_sync(0xffffffffu, lRow[r], 2);
    }
    if constexpr (SPLIT) {
        // this split's part: O unnormalised at rows z·nq + m, and each row's (m, l) from its quad's first thread
        const int head = blockIdx.y;
#pragma unroll
        for (int i = 0; i < 64; i += 2) {
            const int m = rowBase + (int)sm90_acc_row(t, i);
            if (m >= nq) continue;
            float* out = reinterpret_cast<float*>(O) + ((i64)blockIdx.z * nq + m) * ldo + col + sm90_acc_col(t, i);
            out[0] = o[i];
            out[1] = o[i + 1];
        }
        if ((t & 3) == 0) {
#pragma unroll
            for (int r = 0; r < 2; r++) {
                const int m = rowBase + (int)sm90_acc_row(t, 2 * r);
                if (m >= nq) continue;
                float* at = ml + fa3_split_ml(gridDim.y, nq, blockIdx.z, head, m);
                at[0] = mRow[r];
                at[1] = lRow[r];
            }
        }
        return;
    }
    const float inv[2] = {lRow[0] > 0.f ? 1.f / lRow[0] : 0.f, lRow[1] > 0.f ? 1.f / lRow[1] : 0.f};
#pragma unroll
    for (int i = 0; i < 64; i += 2) {
        const int m = rowBase + (int)sm90_acc_row(t, i);
        if (m >= nq) continue;
        OutT* out = O + (i64)m * ldo + col + sm90_acc_col(t, i);
        // scalar stores: out may be a view at any element offset
        store_out(out, o[i] * inv[(i >> 1) & 1]);
        store_out(out + 1, o[i + 1] * inv[(i >> 1) & 1]);
    }
}

extern "C" __global__ void __launch_bounds__(FA3_THREADS, 1) flash_attn_d128_sm90(
        const bf16* Q, const bf16* K, const bf16* V, float* O, int ld, i64 ldo, int nq, int nk, float scaleLog2) {
    flash_attn_sm90<false, float>(Q, K, V, Fa3Maps{}, O, ld, ldo, nq, nk, scaleLog2);
}

extern "C" __global__ void __launch_bounds__(FA3_THREADS, 1) flash_attn_d128_sm90_bf16out(
        const bf16* Q, const bf16* K, const bf16* V, bf16* O, int ld, i64 ldo, int nq, int nk, float scaleLog2) {
    flash_attn_sm90<false, bf16>(Q, K, V, Fa3Maps{}, O, ld, ldo, nq, nk, scaleLog2);
}

// The TMA variant (run 8: 288 threads did not launch; run 9: 384 validated): q, k and v as tensor maps (Fa3Maps), 384 threads (the
// two computing warpgroups and the producer warpgroup, which hands them its registers), Fa3TmaSchedule::SMEM_BYTES of shared memory.
extern "C" __global__ void __launch_bounds__(FA3_TMA_THREADS, 1) flash_attn_d128_tma(
        const __grid_constant__ CUtensorMap tmQ, const __grid_constant__ CUtensorMap tmK, const __grid_constant__ CUtensorMap tmV,
        float* O, i64 ldo, int nq, int nk, float scaleLog2) {
    flash_attn_sm90<true, float>(nullptr, nullptr, nullptr, Fa3Maps{&tmQ, &tmK, &tmV}, O, 0, ldo, nq, nk, scaleLog2);
}

extern "C" __global__ void __launch_bounds__(FA3_TMA_THREADS, 1) flash_attn_d128_tma_bf16out(
        const __grid_constant__ CUtensorMap tmQ, const __grid_constant__ CUtensorMap tmK, const __grid_constant__ CUtensorMap tmV,
        bf16* O, i64 ldo, int nq, int nk, float scaleLog2) {
    flash_attn_sm90<true, bf16>(nullptr, nullptr, nullptr, Fa3Maps{&tmQ, &tmK, &tmV}, O, 0, ldo, nq, nk, scaleLog2);
}

// The TMA kernel with its two computing warpgroups in ping-pong (written without a GPU on 2026-11-28; LIVETALK_CUDA_ATTN=tma_pingpong):
// the same arguments and bits as flash_attn_d128_tma, the products issued in turns (attention_sm90_layout.cuh).
extern "C" __global__ void __launch_bounds__(FA3_TMA_THREADS, 1) flash_attn_d128_tma_pp(
        const __grid_constant__ CUtensorMap tmQ, const __grid_constant__ CUtensorMap tmK, const __grid_constant__ CUtensorMap tmV,
        float* O, i64 ldo, int nq, int nk, float scaleLog2) {
    flash_attn_sm90<true, float, false, true>(nullptr, nullptr, nullptr, Fa3Maps{&tmQ, &tmK, &tmV}, O, 0, ldo, nq, nk, scaleLog2);
}

extern "C" __global__ void __launch_bounds__(FA3_TMA_THREADS, 1) flash_attn_d128_tma_pp_bf16out(
        const __grid_constant__ CUtensorMap tmQ, const __grid_constant__ CUtensorMap tmK, const __grid_constant__ CUtensorMap tmV,
        bf16* O, i64 ldo, int nq, int nk, float scaleLog2) {
    flash_attn_sm90<true, bf16, false, true>(nullptr, nullptr, nullptr, Fa3Maps{&tmQ, &tmK, &tmV}, O, 0, ldo, nq, nk, scaleLog2);
}

// The split TMA kernel (written without a GPU after run 9; LIVETALK_CUDA_ATTN_SPLIT): grid (ceil(nq / 128), heads, splits); each
// block writes its split's part into part ([splits·nq, ldo] float32) and ml, for flash_combine_d128.
extern "C" __global__ void __launch_bounds__(FA3_TMA_THREADS, 1) flash_attn_d128_tma_split(
        const __grid_constant__ CUtensorMap tmQ, const __grid_constant__ CUtensorMap tmK, const __grid_constant__ CUtensorMap tmV,
        float* part, i64 ldo, int nq, int nk, float scaleLog2, float* ml) {
    flash_attn_sm90<true, float, true>(nullptr, nullptr, nullptr, Fa3Maps{&tmQ, &tmK, &tmV}, part, 0, ldo, nq, nk, scaleLog2, ml);
}

// The split kernel with its two computing warpgroups in ping-pong (written without a GPU on 2026-11-28;
// LIVETALK_CUDA_ATTN=tma_pingpong with LIVETALK_CUDA_ATTN_SPLIT): flash_attn_d128_tma_split's arguments and bits.
extern "C" __global__ void __launch_bounds__(FA3_TMA_THREADS, 1) flash_attn_d128_tma_split_pp(
        const __grid_constant__ CUtensorMap tmQ, const __grid_constant__ CUtensorMap tmK, const __grid_constant__ CUtensorMap tmV,
        float* part, i64 ldo, int nq, int nk, float scaleLog2, float* ml) {
    flash_attn_sm90<true, float, true, true>(nullptr, nullptr, nullptr, Fa3Maps{&tmQ, &tmK, &tmV}, part, 0, ldo, nq, nk, scaleLog2, ml);
}

// The parts of flash_attn_d128_tma_split merged (fa3_combine_vec; the geometry is
// attention_sm90_layout.cuh's): a part whose maximum is -inf (no key) weighs 0; a row with no
// weight at all gives zeros, as the unsplit kernel does.
template <typename OutT>
__device__ __forceinline__ void flash_combine(const float* __restrict__ part, const float* __restrict__ ml, int splits,
                                              OutT* __restrict__ O, i64 ldo, i64 ldp, int nq, int heads) {
    const int m = fa3_combine_row(blockIdx.x, threadIdx.x >> 5), head = blockIdx.y, d0 = fa3_combine_d(threadIdx.x & 31);
    if (m >= nq) return;
    float v[FA3_COMBINE_VEC];
    fa3_combine_vec(part, ml, splits, heads, nq, ldp, head, m, d0, v);
    OutT* out = O + (i64)m * ldo + head * FA3_D + d0;
    // scalar stores: out may be a view at any element offset
#pragma unroll
    for (int i = 0; i < FA3_COMBINE_VEC; i++) store_out(out + i, v[i]);
}

extern "C" __global__ void __launch_bounds__(FA3_COMBINE_THREADS) flash_combine_d128(
        const float* part, const float* ml, int splits, float* O, i64 ldo, i64 ldp, int nq, int heads) {
    flash_combine<float>(part, ml, splits, O, ldo, ldp, nq, heads);
}

extern "C" __global__ void __launch_bounds__(FA3_COMBINE_THREADS) flash_combine_d128_bf16out(
        const float* part, const float* ml, int splits, bf16* O, i64 ldo, i64 ldp, int nq, int heads) {
    flash_combine<bf16>(part, ml, splits, O, ldo, ldp, nq, heads);
}

// The ping-pong kernels with FASTEXP's softmax (written without a GPU on 2026-11-29;
// LIVETALK_CUDA_ATTN=tma_pingpong_fastexp): the arguments of flash_attn_d128_tma_pp(_bf16out) and
// flash_attn_d128_tma_split_pp, other roundings of the exponents. Defined last, so that the
// kernels above keep their PTX.
extern "C" __global__ void __launch_bounds__(FA3_TMA_THREADS, 1) flash_attn_d128_tma_pp_fastexp(
        const __grid_constant__ CUtensorMap tmQ, const __grid_constant__ CUtensorMap tmK, const __grid_constant__ CUtensorMap tmV,
        float* O, i64 ldo, int nq, int nk, float scaleLog2) {
    flash_attn_sm90<true, float, false, true, true>(nullptr, nullptr, nullptr, Fa3Maps{&tmQ, &tmK, &tmV}, O, 0, ldo, nq, nk, scaleLog2);
}

extern "C" __global__ void __launch_bounds__(FA3_TMA_THREADS, 1) flash_attn_d128_tma_pp_fastexp_bf16out(
        const __grid_constant__ CUtensorMap tmQ, const __grid_constant__ CUtensorMap tmK, const __grid_constant__ CUtensorMap tmV,
        bf16* O, i64 ldo, int nq, int nk, float scaleLog2) {
    flash_attn_sm90<true, bf16, false, true, true>(nullptr, nullptr, nullptr, Fa3Maps{&tmQ, &tmK, &tmV}, O, 0, ldo, nq, nk, scaleLog2);
}

extern "C" __global__ void __launch_bounds__(FA3_TMA_THREADS, 1) flash_attn_d128_tma_split_pp_fastexp(
        const __grid_constant__ CUtensorMap tmQ, const __grid_constant__ CUtensorMap tmK, const __grid_constant__ CUtensorMap tmV,
        float* part, i64 ldo, int nq, int nk, float scaleLog2, float* ml) {
    flash_attn_sm90<true, float, true, true, true>(nullptr, nullptr, nullptr, Fa3Maps{&tmQ, &tmK, &tmV}, part, 0, ldo, nq, nk, scaleLog2, ml);
}
