// Index math of the Hopper flash attention (attention_sm90.cu), free of device code so that a host
// program checks it against the PTX ISA's description of wgmma (kernels/src/test/cuda/
// attention_sm90_layout_test.cpp, run by scripts/build-ptx.sh --check). Every function here is
// what the kernel itself calls. Letters: D = 128 (head size), BQ = 128 queries per block
// (2 warpgroups × 64), BKV = 128 keys per tile.
//
// Shared-memory tiles. Q [BQ, D], each K tile [BKV, D] and each V tile [BKV, D] are stored the same
// way, as they are in global memory (row = query or key, d contiguous), cut into two "d halves"
// (d in [0, 64) and [64, 128)): half h is a [128 rows × 128 bytes] tile at byte h·16384 of the
// tile, in the GEMM's K-major 128-byte-swizzle layout (gemm_sm90_layout.cuh: chunk c of a row at
// chunk position c ^ (row % 8), 8-row groups 1024 bytes apart). One loader fills all three.
//
// How wgmma reads them:
// - S = Q·Kᵀ: A = Q [64 queries × 16 d] and B = Kᵀ [16 d × BKV keys] with d as the reduction
//   dimension. Both are "K-major" (d contiguous), exactly the GEMM's A and B: one 16-deep slice
//   is 32 bytes along a 128-byte row, slices 4..7 start in the second d half.
// - O = P·V: A = P from registers, B = V [16 keys × 128 d] with the keys as the reduction
//   dimension. V's rows are keys, so in B's terms the N dimension (d) is contiguous: V is
//   "MN-major" and the instruction's imm-trans-b must be 1. In the ISA's canonical MN-major
//   128-byte-swizzle layout, Swizzle<3,4,3> o ((T,8,m),(8,k)):((1,T,LBO),(8T,SBO)) in elements
//   (T = 8 bf16 per 16 bytes), 64 consecutive N elements fill one 128-byte row, 8 such rows (8
//   consecutive k = keys) form the 1024-byte swizzle atom; LBO is the distance between 64-wide
//   N blocks (our two d halves: 16384 bytes) and SBO the distance between 8-key groups (1024).
//   That is the very layout the loader wrote (a key row is a 128-byte row of each half), so V
//   needs no transpose anywhere: a 16-key slice starts 16 rows = 2048 bytes further.
#pragma once
#include <math.h>
#include "gemm_sm90_layout.cuh"

#define FA3_D 128
#define FA3_BQ 128
#define FA3_BKV 128
#define FA3_THREADS 256
// The TMA kernel: the two computing warpgroups and a producer warpgroup. A block's registers are
// reserved by whole warpgroups on sm_90 (run 8: 288 threads at 190 registers failed to launch,
// out of resources), so the producer is a full warpgroup that gives its registers to the two
// computing ones (setmaxnreg): 128 × 24 + 256 × 240 = 64512 of the 65536 an SM has.
#define FA3_TMA_THREADS 384
#define FA3_TMA_PRODUCER_REGS 24
#define FA3_TMA_CONSUMER_REGS 240

struct Fa3Layout {
    static constexpr uint32_t HALF_BYTES = 128 * SM90_ROW_BYTES;   // one d half of a 128-row tile: 16 KiB
    static constexpr uint32_t TILE_BYTES = 2 * HALF_BYTES;         // [128 rows × 128 d] bf16: 32 KiB
    static constexpr int KS = 3, VS = 3;                            // K and V ring slots (Fa3Schedule)
    static constexpr uint32_t Q_OFF = 0;
    static constexpr uint32_t K_OFF = Q_OFF + TILE_BYTES;
    static constexpr uint32_t V_OFF = K_OFF + KS * TILE_BYTES;
    static constexpr uint32_t BYTES = V_OFF + VS * TILE_BYTES;      // 224 KiB
    // The dynamic window is rounded up to 1024 bytes in the kernel (the host adds 1 KiB).
    static constexpr uint32_t SMEM_BYTES = BYTES + SM90_GROUP_BYTES;  // 230400 of the 232448 an H100/H200 allows
    static SM90_HD uint32_t q_tile(uint32_t base) { return base + Q_OFF; }
    static SM90_HD uint32_t k_tile(uint32_t base, int slot) { return base + K_OFF + slot * TILE_BYTES; }
    static SM90_HD uint32_t v_tile(uint32_t base, int slot) { return base + V_OFF + slot * TILE_BYTES; }
};

// The loader: thread tid (0..255) copies chunk fa3_load_chunk(tid) of rows fa3_load_row(tid, i),
// i = 0..7, of a 128-row tile: 16 consecutive threads read one row's 256 contiguous bytes.
SM90_HD uint32_t fa3_load_chunk(uint32_t tid) { return tid & 15u; }
SM90_HD uint32_t fa3_load_row(uint32_t tid, uint32_t i) { return (tid >> 4) + 16u * i; }

// Byte offset inside a [128 rows × 128 d] tile of chunk c (0..15, d = 8c..8c+7) of row r.
SM90_HD uint32_t fa3_chunk_offset(uint32_t r, uint32_t c) {
    return (c >> 3) * Fa3Layout::HALF_BYTES + sm90_chunk_offset(r, c & 7u);
}

// A of S = Q·Kᵀ for warpgroup wg, d slice kd (0..7: d = 16kd..16kd+15): its 64 query rows.
SM90_HD uint64_t fa3_q_desc(uint32_t qTile, uint32_t wg, uint32_t kd) {
    return sm90_desc_k(sm90_desc(qTile + (kd >> 2) * Fa3Layout::HALF_BYTES + wg * 64u * SM90_ROW_BYTES), kd & 3u);
}

// B of S = Q·Kᵀ (K-major, N = BKV keys), d slice kd (0..7).
SM90_HD uint64_t fa3_k_desc(uint32_t kTile, uint32_t kd) {
    return sm90_desc_k(sm90_desc(kTile + (kd >> 2) * Fa3Layout::HALF_BYTES), kd & 3u);
}

// Distance between 8-key groups (SBO) and between the two 64-wide d blocks (LBO) of V.
#define FA3_V_SBO SM90_GROUP_BYTES
#define FA3_V_LBO Fa3Layout::HALF_BYTES

// wgmma descriptor of an MN-major tile with 128-byte swizzle at shared address `addr`: bits 0-13
// addr >> 4; 16-29 LBO >> 4 (the stride between 64-element N blocks); 32-45 SBO >> 4 (the stride
// between 8-row k groups); 49-51 base offset 0 (every slice starts on a 1024-byte boundary);
// 62-63 swizzle mode 1 = 128 bytes. The instruction must say imm-trans-b = 1.
SM90_HD uint64_t sm90_desc_mn(uint32_t addr, uint32_t lbo, uint32_t sbo) {
    return (uint64_t)((addr & 0x3FFFFu) >> 4)
         | ((uint64_t)((lbo & 0x3FFFFu) >> 4) << 16)
         | ((uint64_t)((sbo & 0x3FFFFu) >> 4) << 32)
         | ((uint64_t)1 << 62);
}

// B of O = P·V (MN-major, N = D = 128), key slice kk (0..BKV/16-1: keys 16kk..16kk+15 of the tile).
SM90_HD uint64_t fa3_v_desc(uint32_t vTile, uint32_t kk) {
    return sm90_desc_mn(vTile + kk * 2u * SM90_GROUP_BYTES, FA3_V_LBO, FA3_V_SBO);
}

// S and O accumulators are wgmma m64n128 f32 fragments (sm90_acc_row/col: thread t of the
// warpgroup, float i → row 16(t/32) + (t%32)/4 + 8((i/2)%2), column 8(i/4) + 2(t%4) + i%2).
// P as the A operand of key slice kk: register r (0..3) holds the two bf16 of S floats
// fa3_p_acc(kk, r, 0) (low half) and fa3_p_acc(kk, r, 1) (high half). Because the accumulator of
// m64nNk16 and the register A fragment of m64nNk16 place a row's elements alike (per warp the
// mma.sync m16n8 C and m16n8k16 A orders), this is the identity: no shuffle between the products.
SM90_HD uint32_t fa3_p_acc(uint32_t kk, uint32_t r, uint32_t e) {
    return 8u * kk + 2u * r + e;
}

// The block's pipeline (attention_sm90.cu), one iteration j per key tile plus a last one (j = T,
// the last P·V). Iteration j: wait until at most CP_WAIT copy groups are pending, fence, barrier;
// issue S_j = Q·K_jᵀ (j < T) and then O += P_{j-1}·V_{j-1} (j ≥ 1), one wgmma group each; copy
// K_{j+K_LEAD} and V_{j+V_LEAD} (each if it exists) into their slots as one copy group; wait until
// at most S_WAIT wgmma groups are pending (S_j is done: it was issued first), softmax of S_j; wait
// until none are (P·V done), rescale O, P_j = bf16(S_j). The prologue commits {Q, K_0} and
// {K_1, V_0} as two groups. So the group of iteration j - 2 holds K_j and V_{j-1}, which iteration j
// reads: CP_WAIT = 1. At the barrier of iteration j every warpgroup has finished S_{j-1} and
// P·V_{j-2}, so K slots of tiles ≤ j-1 and V slots of tiles ≤ j-2 are free: K_LEAD ≤ KS - 1 and
// V_LEAD ≤ VS - 2, i.e. K is fetched 2 iterations ahead, V (read one iteration later) 1 ahead.
struct Fa3Schedule {
    static constexpr int K_LEAD = Fa3Layout::KS - 1;
    static constexpr int V_LEAD = Fa3Layout::VS - 2;
    static constexpr int CP_WAIT = 1;
    static constexpr int S_WAIT = 1;
    static SM90_HD int kslot(int tile) { return tile % Fa3Layout::KS; }
    static SM90_HD int vslot(int tile) { return tile % Fa3Layout::VS; }
};

// The TMA kernel's hand-over (flash_attn_d128_tma): 8-byte mbarriers after the tiles (at
// base + Fa3Layout::BYTES): q_full, then k_full, k_empty, v_full, v_empty for each ring slot. A
// full barrier takes the producer's one arrival and the tile's TMA bytes; an empty one takes one
// arrival from each computing warpgroup once its wgmma reading the slot completed (K_j after S_j,
// V_j after P_j·V_j). Tile j of a ring of `slots` is in round j / slots: the computing
// warpgroups wait full with the round's parity, the producer waits empty with the previous
// round's (a fresh barrier passes at once). The producer copies Q, then K_j and V_j for j = 0, 1, ...
struct Fa3TmaSchedule {
    static constexpr int COUNT = 1 + 2 * Fa3Layout::KS + 2 * Fa3Layout::VS;
    static constexpr uint32_t CONSUMERS = 2;
    static SM90_HD uint32_t q_full(uint32_t bars) { return bars; }
    static SM90_HD uint32_t k_full(uint32_t bars, int slot) { return bars + 8u * (1 + slot); }
    static SM90_HD uint32_t k_empty(uint32_t bars, int slot) { return bars + 8u * (1 + Fa3Layout::KS + slot); }
    static SM90_HD uint32_t v_full(uint32_t bars, int slot) { return bars + 8u * (1 + 2 * Fa3Layout::KS + slot); }
    static SM90_HD uint32_t v_empty(uint32_t bars, int slot) { return bars + 8u * (1 + 2 * Fa3Layout::KS + Fa3Layout::VS + slot); }
    // Barrier b's arrival count, in the order above: 1 for q_full and the full ones, CONSUMERS for the empty ones.
    static SM90_HD uint32_t arrivals(int b) {
        const bool kEmpty = b >= 1 + Fa3Layout::KS && b < 1 + 2 * Fa3Layout::KS;
        const bool vEmpty = b >= 1 + 2 * Fa3Layout::KS + Fa3Layout::VS;
        return kEmpty || vEmpty ? CONSUMERS : 1u;
    }
    static SM90_HD uint32_t full_parity(int tile, int slots) { return (uint32_t)(tile / slots) & 1u; }
    static SM90_HD uint32_t empty_parity(int tile, int slots) { return full_parity(tile, slots) ^ 1u; }
    // The shared memory the TMA kernel asks for: the tiles, the barriers, 1 KiB of alignment slack.
    static constexpr uint32_t SMEM_BYTES = Fa3Layout::BYTES + 8u * COUNT + SM90_GROUP_BYTES;
};

// The split kernel (flash_attn_d128_tma_split): block z of `splits` along the grid's z takes the
// key tiles [fa3_split_first(tiles, splits, z), fa3_split_first(tiles, splits, z + 1)), which
// cover the tiles once, in order, each range non-empty when tiles ≥ splits (the host's choice,
// LaunchGeometry.flashSplits, guarantees it). It stores its unnormalised O rows and, per row, its
// running maximum m (in the base-2 scaled domain) and sum l; flash_combine_d128 merges the parts:
// M = max m_z, O = Σ_z 2^(m_z − M)·O_z / Σ_z 2^(m_z − M)·l_z.
SM90_HD int fa3_split_first(int tiles, int splits, int z) {
    return (int)((long long)tiles * z / splits);
}
// Where block z keeps row `row` of head `head`'s (m, l): two floats at this index of the ml buffer.
SM90_HD long long fa3_split_ml(int heads, int nq, int z, int head, int row) {
    return (((long long)z * heads + head) * nq + row) * 2;
}
// A part's weight in the merge: 2^(m − M) for its row maximum m against the largest M, 0 for a
// part that saw no key (m = -inf).
SM90_HD float fa3_combine_weight(float m, float mMax) {
    return m == -INFINITY ? 0.f : exp2f(m - mMax);
}
// flash_combine_d128's geometry: grid (ceil(nq / FA3_COMBINE_ROWS), heads), blocks of
// FA3_COMBINE_THREADS; warp w of block b merges query row fa3_combine_row(b, w) of head blockIdx.y,
// its lane l the FA3_COMBINE_VEC consecutive d from fa3_combine_d(l), read from each part as one
// 16-byte load. Why not a thread per d and a block per row, as until 2026-11-29: at the DiT's
// shape that was 36864 blocks of 128 threads with one 4-byte load per part each, and run 11's
// profile gave the merge 1.9 ms of a 47 ms forward, about three times its bytes at the memory's
// rate (docs/cuda-performance.md#the-split-key-flash-attention).
#define FA3_COMBINE_ROWS 4
#define FA3_COMBINE_VEC 4
#define FA3_COMBINE_THREADS (32 * FA3_COMBINE_ROWS)
static_assert(32 * FA3_COMBINE_VEC == FA3_D, "a warp's lanes cover a row's head once");
SM90_HD int fa3_combine_row(int block, int warp) {
    return block * FA3_COMBINE_ROWS + warp;
}
SM90_HD int fa3_combine_d(int lane) {
    return lane * FA3_COMBINE_VEC;
}
// FA3_COMBINE_VEC floats from p, 16-byte aligned (the parts' rows are heads·D floats apart in an
// aligned scratch region, and d0 is a multiple of 4): one vector load on the device.
SM90_HD void fa3_load_vec(const float* p, float (&x)[FA3_COMBINE_VEC]) {
#ifdef __CUDA_ARCH__
    const float4 v = __ldg(reinterpret_cast<const float4*>(p));
    x[0] = v.x;
    x[1] = v.y;
    x[2] = v.z;
    x[3] = v.w;
#else
    for (int i = 0; i < FA3_COMBINE_VEC; i++) x[i] = p[i];
#endif
}
// Row m of head `head` merged at d0 .. d0 + FA3_COMBINE_VEC - 1: M = max m_z, then per d the sums
// l = Σ l_z·w_z and acc = Σ O_z·w_z over z in order, w_z = fa3_combine_weight(m_z, M), and
// acc·(1/l) (0 for a row no part saw a key of). The parts are [splits·nq, ldp] float32 (part z's
// row m at row z·nq + m), ml as fa3_split_ml indexes it.
SM90_HD void fa3_combine_vec(const float* part, const float* ml, int splits, int heads, int nq, long long ldp, int head, int m, int d0,
                             float (&out)[FA3_COMBINE_VEC]) {
    float mMax = -INFINITY;
    for (int z = 0; z < splits; z++) mMax = fmaxf(mMax, ml[fa3_split_ml(heads, nq, z, head, m)]);
    float l = 0.f, acc[FA3_COMBINE_VEC] = {};
    for (int z = 0; z < splits; z++) {
        const float* at = ml + fa3_split_ml(heads, nq, z, head, m);
        const float w = fa3_combine_weight(at[0], mMax);
        l += at[1] * w;
        float p[FA3_COMBINE_VEC];
        fa3_load_vec(part + ((long long)z * nq + m) * ldp + head * FA3_D + d0, p);
        for (int i = 0; i < FA3_COMBINE_VEC; i++) acc[i] += p[i] * w;
    }
    for (int i = 0; i < FA3_COMBINE_VEC; i++) out[i] = l > 0.f ? acc[i] * (1.f / l) : 0.f;
}

// The ping-pong of the two computing warpgroups (flash_attn_d128_tma_pp, FlashAttention-3's
// "warpgroup scheduling"): each warpgroup issues its products at `tiles + 1` points (S_0; S_j with
// P_{j-1}·V_{j-1} for j = 1 .. tiles-1; the last P·V), and takes turns with the other to do so,
// so that one's softmax runs while the tensor cores work on the other's products instead of both
// softmaxes at once. Two hardware named barriers of FA3_PP_THREADS threads: before issuing,
// warpgroup w waits (bar.sync) on its own barrier; after issuing it arrives (bar.arrive) on the
// other's. Warpgroup 1 arrives once on warpgroup 0's barrier before its first wait, so 0 goes
// first, and does not arrive after its last point, so that every barrier phase gets exactly 256
// arrivals and none is left pending when the block ends. The issue order is the only change: the
// products, the softmax and their rounding are the TMA kernel's, bit for bit. The host test
// (attention_pingpong_test.cpp) plays these rules under the hardware's named-barrier semantics.
#define FA3_PP_THREADS 256
SM90_HD int fa3_pp_own(int wg) { return 1 + wg; }       // barrier 0 is __syncthreads'
SM90_HD int fa3_pp_other(int wg) { return 2 - wg; }
SM90_HD bool fa3_pp_starts_by_arriving(int wg) { return wg == 1; }
SM90_HD bool fa3_pp_arrives_after(int wg, int point, int points) { return !(wg == 1 && point == points - 1); }
