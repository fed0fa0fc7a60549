// Host-side check of the Hopper flash attention's index math and pipeline (kernels/src/main/cuda/
// attention_sm90_layout.cuh: the functions and constants attention_sm90.cu calls) against the
// model of the hardware in sm90_isa_model.h, written from the PTX ISA. Run by
// scripts/build-ptx.sh --check (host C++ compiler, no GPU). Exit status 0 = pass.
//
// What is checked, for the kernel's own functions ("kernel") and then for each of a list of
// mutants, every one of which must be caught (so the checks are shown to bite):
//   smem      the shared-memory map: Q, 3 K and 3 V tiles disjoint, 1024-byte aligned, within the
//             227 KiB an H100/H200 block may opt in to;
//   loader    the cp.async thread → (row, chunk) map covers a 128-row tile once, and the chunk
//             offsets fill the tile's 32 KiB once;
//   q, k      every (row, d) a wgmma reads through the S = Q·Kᵀ descriptors (K-major, 128-byte
//             swizzle) is the byte where the loader stored that element;
//   v         likewise for O = P·V, whose V descriptor is MN-major (imm-trans-b = 1): every
//             (key, d) it reads is where the loader stored V[key][d];
//   acc       the accumulator map the softmax, the mask and the store use is the ISA's figure,
//             covers 64×128 once, and a row's 128 keys lie in the 4 lanes of one quad (the two
//             shuffles of the row max/sum), in the two rows the kernel's (i/2)%2 selects;
//   p         P's registers as the A operand of P·V are, element for element, the accumulator
//             of S at the same (row, key) (ISA A-fragment figure);
//   mask      for ragged nk the unmasked keys of a row are exactly those < nk;
//   schedule  the pipeline of attention_sm90.cu, played out for 1..40 key tiles under the ISA's
//             completion rules for cp.async groups (wait_group N: all but the N newest are done)
//             and wgmma groups (likewise), with the barrier publishing what completed before it:
//             no wgmma reads a slot before its copy completed and was published, or one holding
//             another tile; no copy overwrites a slot an unfinished wgmma of either warpgroup may
//             read, or one still being copied into; the softmax reads S only after S's group, O
//             and P are rewritten only after P·V's group completed; every tile's P·V is done once;
//   emulate   one block computed end to end through the model: q, k, v stored into a byte array
//             by the loader map, each wgmma reading its operands through the descriptors
//             (isa::kMajorAddress / mnMajorAddress) and P through the ISA's register fragment,
//             results spread over threads by the ISA's accumulator figure, the kernel's online
//             softmax and masking per thread, the output stored by the kernel's map; against a
//             double-precision attention on ragged nq, nk (bound: bf16 rounding of P, 2^-9·max|v|).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "../../main/cuda/attention_sm90_layout.cuh"
#include "layout_check.h"
#include "sm90_isa_model.h"

typedef Fa3Layout L;

// The kernel's index functions and schedule constants, or a mutant of them.
struct Impl {
    const char* name;
    uint32_t (*chunkOffset)(uint32_t r, uint32_t c) = fa3_chunk_offset;
    uint32_t (*loadChunk)(uint32_t tid) = fa3_load_chunk;
    uint32_t (*loadRow)(uint32_t tid, uint32_t i) = fa3_load_row;
    uint64_t (*qDesc)(uint32_t qTile, uint32_t wg, uint32_t kd) = fa3_q_desc;
    uint64_t (*kDesc)(uint32_t kTile, uint32_t kd) = fa3_k_desc;
    uint64_t (*vDesc)(uint32_t vTile, uint32_t kk) = fa3_v_desc;
    uint32_t (*pAcc)(uint32_t kk, uint32_t r, uint32_t e) = fa3_p_acc;
    uint32_t (*accRow)(uint32_t t, uint32_t i) = sm90_acc_row;
    uint32_t (*accCol)(uint32_t t, uint32_t i) = sm90_acc_col;
    int ks = L::KS, vs = L::VS;
    int kLead = Fa3Schedule::K_LEAD, vLead = Fa3Schedule::V_LEAD, cpWait = Fa3Schedule::CP_WAIT, sWait = Fa3Schedule::S_WAIT;
};


// Where the loader stores element (row, d) of a 128-row tile: chunk d/8 at the chunk offset, the
// 8 elements of a chunk in order.
static uint32_t stored(const Impl& k, uint32_t tile, uint32_t row, uint32_t d) {
    return tile + k.chunkOffset(row, d / 8) + (d % 8) * 2;
}

static void checkSmem(const Impl&) {
    CHECK(L::SMEM_BYTES <= 232448, "shared memory %u bytes > the 232448 a block may opt in to", L::SMEM_BYTES);
    CHECK(L::SMEM_BYTES == 230400, "shared memory %u bytes, the host asks for 230400", L::SMEM_BYTES);
    std::vector<int> used(L::BYTES / 1024, 0);
    auto mark = [&](uint32_t off, const char* what) {
        CHECK(off % 1024 == 0, "%s at %u is not 1024-byte aligned", what, off);
        for (uint32_t b = off / 1024; b < (off + L::TILE_BYTES) / 1024; b++) {
            CHECK(b < used.size(), "%s at %u runs past the %u bytes", what, off, L::BYTES);
            if (b < used.size()) used[b]++;
        }
    };
    mark(L::q_tile(0), "Q");
    for (int s = 0; s < L::KS; s++) mark(L::k_tile(0, s), "a K slot");
    for (int s = 0; s < L::VS; s++) mark(L::v_tile(0, s), "a V slot");
    for (size_t b = 0; b < used.size(); b++) CHECK(used[b] == 1, "KiB %zu of the shared memory is used by %d tiles", b, used[b]);
}

static void checkLoader(const Impl& k) {
    std::vector<int> cell(128 * 16, 0), slot(L::TILE_BYTES / 16, 0);
    for (uint32_t tid = 0; tid < FA3_THREADS; tid++)
        for (uint32_t i = 0; i < 8; i++) {
            uint32_t r = k.loadRow(tid, i), c = k.loadChunk(tid);
            CHECK(r < 128 && c < 16, "thread %u copy %u -> row %u chunk %u outside the tile", tid, i, r, c);
            if (r < 128 && c < 16) cell[r * 16 + c]++;
        }
    for (size_t i = 0; i < cell.size(); i++) CHECK(cell[i] == 1, "row %zu chunk %zu is copied %d times", i / 16, i % 16, cell[i]);
    for (uint32_t r = 0; r < 128; r++)
        for (uint32_t c = 0; c < 16; c++) {
            uint32_t off = k.chunkOffset(r, c);
            CHECK(off % 16 == 0 && off < L::TILE_BYTES, "row %u chunk %u at byte %u", r, c, off);
            if (off % 16 == 0 && off < L::TILE_BYTES) slot[off / 16]++;
        }
    for (size_t i = 0; i < slot.size(); i++) CHECK(slot[i] == 1, "16-byte slot %zu of a tile holds %d chunks", i, slot[i]);
}

static void checkSwizzledDesc(uint64_t d, bool mnMajor, const char* what) {
    isa::Desc s = isa::decode(d);
    CHECK(s.swizzle == 1, "%s: swizzle mode %u, not 128 bytes", what, s.swizzle);
    CHECK(s.baseOffset == 0, "%s: base offset %u", what, s.baseOffset);
    CHECK(s.sbo == 1024, "%s: stride byte offset %u, expected 1024 (8 rows of 128 bytes)", what, s.sbo);
    if (mnMajor) {
        CHECK(s.start % 1024 == 0, "%s: an MN-major slice starts at %u, not on a swizzle atom", what, s.start);
        CHECK(s.lbo == L::HALF_BYTES, "%s: leading byte offset %u, expected %u (the second d half)", what, s.lbo, L::HALF_BYTES);
    } else {
        CHECK(s.lbo == 16, "%s: leading byte offset field %u, the ISA says it is unused and assumed 1", what, s.lbo >> 4);
    }
}

static void checkQK(const Impl& k, uint32_t base) {
    const uint32_t qTile = L::q_tile(base);
    for (uint32_t wg = 0; wg < 2; wg++)
        for (uint32_t kd = 0; kd < FA3_D / 16; kd++) {
            uint64_t d = k.qDesc(qTile, wg, kd);
            checkSwizzledDesc(d, false, "Q descriptor");
            for (uint32_t m = 0; m < 64; m++)
                for (uint32_t kk = 0; kk < 16; kk++) {
                    uint32_t hw = isa::kMajorAddress(d, m, kk), kern = stored(k, qTile, 64 * wg + m, 16 * kd + kk);
                    CHECK(hw == kern, "wg %u: Q(row %u, d %u) is read at byte %u, stored at %u", wg, 64 * wg + m, 16 * kd + kk, hw, kern);
                }
        }
    for (int slot = 0; slot < L::KS; slot++) {
        const uint32_t kTile = L::k_tile(base, slot);
        for (uint32_t kd = 0; kd < FA3_D / 16; kd++) {
            uint64_t d = k.kDesc(kTile, kd);
            checkSwizzledDesc(d, false, "K descriptor");
            for (uint32_t n = 0; n < FA3_BKV; n++)
                for (uint32_t kk = 0; kk < 16; kk++) {
                    uint32_t hw = isa::kMajorAddress(d, n, kk), kern = stored(k, kTile, n, 16 * kd + kk);
                    CHECK(hw == kern, "slot %d: K(key %u, d %u) is read at byte %u, stored at %u", slot, n, 16 * kd + kk, hw, kern);
                }
        }
    }
}

static void checkV(const Impl& k, uint32_t base) {
    for (int slot = 0; slot < L::VS; slot++) {
        const uint32_t vTile = L::v_tile(base, slot);
        for (uint32_t kk = 0; kk < FA3_BKV / 16; kk++) {
            uint64_t d = k.vDesc(vTile, kk);
            checkSwizzledDesc(d, true, "V descriptor");
            for (uint32_t n = 0; n < FA3_D; n++)
                for (uint32_t key = 0; key < 16; key++) {
                    uint32_t hw = isa::mnMajorAddress(d, n, key), kern = stored(k, vTile, 16 * kk + key, n);
                    CHECK(hw == kern, "slot %d: V(key %u, d %u) is read at byte %u, stored at %u", slot, 16 * kk + key, n, hw, kern);
                }
        }
    }
}

static void checkAccumulator(const Impl& k) {
    std::vector<int> seen(64 * 128, 0);
    for (uint32_t t = 0; t < 128; t++) {
        for (uint32_t i = 0; i < 64; i++) {
            uint32_t r = k.accRow(t, i), c = k.accCol(t, i);
            CHECK(r == isa::accRow(t, i) && c == isa::accCol(t, i), "thread %u float %u -> (%u, %u), the ISA's figure says (%u, %u)", t, i, r,
                  c, isa::accRow(t, i), isa::accCol(t, i));
            if (r < 64 && c < 128) seen[r * 128 + c]++;
            // the kernel's two rows per thread: r = (i/2)%2 selects row accRow(t, 0) + 8r
            CHECK(r == k.accRow(t, 0) + 8 * ((i >> 1) & 1), "thread %u float %u: row %u is not row %u of the pair", t, i, r, (i >> 1) & 1);
            if (i % 2 == 0) CHECK(k.accRow(t, i + 1) == r && k.accCol(t, i + 1) == c + 1, "floats %u, %u of thread %u are no pair", i, i + 1, t);
        }
        // the quad (lanes t^1, t^2, t^3) holds the same two rows; together all 128 keys once
        for (uint32_t rr = 0; rr < 2; rr++) {
            std::vector<int> keys(128, 0);
            for (uint32_t x = 0; x < 4; x++) {
                uint32_t u = (t & ~3u) | x;
                CHECK(k.accRow(u, 2 * rr) == k.accRow(t, 2 * rr), "lanes %u and %u of a quad hold different rows", t, u);
                for (uint32_t i = 0; i < 64; i++)
                    if (((i >> 1) & 1) == rr && k.accCol(u, i) < 128) keys[k.accCol(u, i)]++;
            }
            for (int c = 0; c < 128; c++) CHECK(keys[c] == 1, "thread %u row %u: key %d is held %d times by its quad", t, rr, c, keys[c]);
        }
    }
    for (int i = 0; i < 64 * 128; i++) CHECK(seen[i] == 1, "element (%d, %d) of the accumulator is held %d times", i / 128, i % 128, seen[i]);
}

static void checkP(const Impl& k) {
    for (uint32_t t = 0; t < 128; t++) {
        std::vector<int> used(64, 0);
        for (uint32_t kk = 0; kk < FA3_BKV / 16; kk++)
            for (uint32_t r = 0; r < 4; r++)
                for (uint32_t e = 0; e < 2; e++) {
                    uint32_t i = k.pAcc(kk, r, e);
                    CHECK(i < 64, "P slice %u reg %u half %u -> S float %u", kk, r, e, i);
                    if (i >= 64) continue;
                    used[i]++;
                    uint32_t row = isa::aRow(t, r, e), key = 16 * kk + isa::aCol(t, r, e);
                    CHECK(k.accRow(t, i) == row && k.accCol(t, i) == key,
                          "thread %u: P slice %u reg %u half %u is A(%u, %u) but carries S(%u, %u)", t, kk, r, e, row, key, k.accRow(t, i), k.accCol(t, i));
                }
        for (int i = 0; i < 64; i++) CHECK(used[i] == 1, "thread %u: S float %d goes into P %d times", t, i, used[i]);
    }
}

static void checkMask(const Impl& k) {
    for (int nk : {1, 2, 5, 64, 127, 128, 129, 200, 255, 256, 300, 385}) {
        int tiles = (nk + FA3_BKV - 1) / FA3_BKV, kb = (tiles - 1) * FA3_BKV;
        bool full = kb + FA3_BKV <= nk;
        for (uint32_t t = 0; t < 128; t += 4)
            for (uint32_t rr = 0; rr < 2; rr++) {
                int open = 0;
                for (uint32_t x = 0; x < 4; x++)
                    for (uint32_t i = 0; i < 64; i++) {
                        if (((i >> 1) & 1) != rr) continue;
                        int key = kb + (int)k.accCol(t | x, i);
                        bool kept = full || key < nk;   // the kernel's predicate
                        CHECK(kept == (key < nk), "nk %d: key %d %s", nk, key, kept ? "kept" : "masked");
                        open += kept;
                    }
                CHECK(open == nk - kb, "nk %d: a row of the last tile keeps %d keys, expected %d", nk, open, nk - kb);
            }
    }
}

// The kernel's pipeline under the ISA's completion rules (see the file comment). Buffers: 0 = K, 1 = V.
static void checkSchedule(const Impl& k, int tiles) {
    struct Copy { int buf, slot, tile; };
    struct CopyGroup { std::vector<Copy> copies; bool done; };
    struct MmaGroup { char kind; int tile; int buf, slot; bool done; };
    std::vector<CopyGroup> copyGroups;
    std::vector<MmaGroup> mmas;
    std::vector<int> slotTile[2] = {std::vector<int>(k.ks, -1), std::vector<int>(k.vs, -1)};
    std::vector<bool> published[2] = {std::vector<bool>(k.ks, false), std::vector<bool>(k.vs, false)};
    std::vector<bool> mmaDoneAtBarrier;
    CopyGroup open{{}, false};
    int sTile = -1;           // the tile whose scores S holds (after its group completed and the softmax ran)
    int pTile = -1;           // the tile whose probabilities P holds
    std::vector<int> pvDone(tiles, 0);
    auto copy = [&](int buf, int tile) {
        int slot = buf == 0 ? tile % k.ks : tile % k.vs;
        for (const CopyGroup& g : copyGroups)
            for (const Copy& c : g.copies)
                CHECK(g.done || c.buf != buf || c.slot != slot, "T=%d: %c%d copied into slot %d while %c%d is still landing there", tiles,
                      "KV"[buf], tile, slot, "KV"[buf], c.tile);
        for (size_t g = 0; g < mmas.size(); g++)
            CHECK(mmas[g].buf != buf || mmas[g].slot != slot || (g < mmaDoneAtBarrier.size() && mmaDoneAtBarrier[g]),
                  "T=%d: %c%d copied into slot %d while a wgmma reading %c%d there may not have finished", tiles, "KV"[buf], tile, slot,
                  "KV"[buf], slotTile[buf][slot]);
        slotTile[buf][slot] = tile;
        published[buf][slot] = false;
        open.copies.push_back({buf, slot, tile});
    };
    auto commit = [&]() { copyGroups.push_back(open); open = CopyGroup{{}, false}; };
    auto cpWait = [&](int n) { for (int i = 0; i + n < (int)copyGroups.size(); i++) copyGroups[i].done = true; };
    auto mmaWait = [&](int n) { for (int i = 0; i + n < (int)mmas.size(); i++) mmas[i].done = true; };
    auto barrier = [&]() {
        for (const CopyGroup& g : copyGroups)
            if (g.done)
                for (const Copy& c : g.copies)
                    if (slotTile[c.buf][c.slot] == c.tile) published[c.buf][c.slot] = true;
        mmaDoneAtBarrier.assign(mmas.size(), false);
        for (size_t g = 0; g < mmas.size(); g++) mmaDoneAtBarrier[g] = mmas[g].done;
    };
    auto issue = [&](char kind, int buf, int tile) {
        int slot = buf == 0 ? tile % k.ks : tile % k.vs;
        CHECK(slotTile[buf][slot] == tile, "T=%d: %c_%d reads slot %d, which holds %c%d", tiles, kind, tile, slot, "KV"[buf], slotTile[buf][slot]);
        CHECK(published[buf][slot], "T=%d: %c_%d reads %c%d before its copy completed and a barrier published it", tiles, kind, tile, "KV"[buf], tile);
        mmas.push_back({kind, tile, buf, slot, false});
    };
    auto groupDone = [&](char kind, int tile) {
        for (const MmaGroup& g : mmas)
            if (g.kind == kind && g.tile == tile) return g.done;
        return false;
    };
    auto noPvInFlight = [&]() {
        for (const MmaGroup& g : mmas)
            if (g.kind == 'P' && !g.done) return false;
        return true;
    };
    auto prefetch = [&](int j) {
        int kt = j + k.kLead, vt = j + k.vLead;
        if (kt < tiles) copy(0, kt);
        if (vt < tiles) copy(1, vt);
        commit();
    };
    auto softmax = [&](int j) {
        CHECK(groupDone('S', j), "T=%d: the softmax of tile %d reads S before its wgmma group completed", tiles, j);
        sTile = j;
    };
    auto rescaleAndPack = [&](int j) {
        CHECK(noPvInFlight(), "T=%d: O rescaled / P_%d written while a P·V group may still read P or write O", tiles, j);
        CHECK(sTile == j, "T=%d: P_%d packed from the scores of tile %d", tiles, j, sTile);
        pTile = j;
    };
    auto issuePv = [&](int j) {
        CHECK(pTile == j, "T=%d: P·V_%d multiplies the probabilities of tile %d", tiles, j, pTile);
        issue('P', 1, j);
        pvDone[j]++;
    };
    auto issueS = [&](int j) {
        for (const MmaGroup& g : mmas) CHECK(g.kind != 'S' || g.done, "T=%d: S_%d issued over S_%d still in flight", tiles, j, g.tile);
        issue('S', 0, j);
    };

    // prologue (attention_sm90.cu): {Q, K_0}, {K_1, V_0}
    copy(0, 0);
    commit();
    if (1 < tiles) copy(0, 1);
    copy(1, 0);
    commit();
    // iteration 0
    cpWait(k.cpWait);
    barrier();
    issueS(0);
    prefetch(0);
    mmaWait(0);
    softmax(0);
    rescaleAndPack(0);
    for (int j = 1; j < tiles; j++) {
        cpWait(k.cpWait);
        barrier();
        issueS(j);
        issuePv(j - 1);
        prefetch(j);
        mmaWait(k.sWait);
        softmax(j);
        mmaWait(0);
        rescaleAndPack(j);
    }
    cpWait(k.cpWait);
    barrier();
    issuePv(tiles - 1);
    mmaWait(0);
    for (int j = 0; j < tiles; j++) CHECK(pvDone[j] == 1, "T=%d: P·V of tile %d done %d times", tiles, j, pvDone[j]);
}

// ---- emulation of one block through the ISA model ------------------------------------------

static uint16_t toBf16(float x) {
    uint32_t b;
    std::memcpy(&b, &x, 4);
    b += 0x7FFF + ((b >> 16) & 1);
    return (uint16_t)(b >> 16);
}
static float fromBf16(uint16_t h) {
    uint32_t b = (uint32_t)h << 16;
    float x;
    std::memcpy(&x, &b, 4);
    return x;
}

struct Rng {
    uint64_t s;
    double next() {   // uniform in [-1, 1)
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        return (double)(s >> 11) / (double)(1ULL << 52) - 1.0;
    }
};

// Which softmax emulateBlock plays: the default kernels', or FASTEXP's (flash_attn_d128_tma_pp_fastexp:
// the max over raw logits then scaled, each exponent one fma into an ex2 that flushes subnormals).
static bool gFastExp = false;

// One block (queries [q0, q0 + 128)) of one head of a [n, ld] layout, as attention_sm90.cu computes
// it, with the tensor core replaced by the model: returns out [nq, D] (rows outside the block NaN).
// With `ml`, the split kernel's block z of `splits`: its key tiles only (fa3_split_first), out
// unnormalised and ml[2·row] = (m, l) of each row, as flash_attn_d128_tma_split stores them.
static std::vector<float> emulateBlock(const Impl& k, const std::vector<uint16_t>& q, const std::vector<uint16_t>& kv_k,
                                       const std::vector<uint16_t>& kv_v, int ld, int col, int nq, int nk, int q0, float scaleLog2,
                                       int splits = 1, int z = 0, std::vector<float>* ml = nullptr) {
    std::vector<uint8_t> smem(L::BYTES, 0xFF);   // poisoned (bf16 NaN): a read of a byte never stored shows
    const uint32_t base = 0;
    auto load = [&](uint32_t dst, const std::vector<uint16_t>& src, int first, int n) {
        for (uint32_t tid = 0; tid < FA3_THREADS; tid++)
            for (uint32_t i = 0; i < 8; i++) {
                uint32_t r = k.loadRow(tid, i), c = k.loadChunk(tid);
                int g = first + (int)r;
                for (uint32_t e = 0; e < 8; e++) {
                    uint16_t val = g < n ? src[(size_t)g * ld + col + c * 8 + e] : 0;   // rows past n: zero-filled
                    uint32_t at = dst + k.chunkOffset(r, c) + 2 * e;
                    if (at + 1 < smem.size()) std::memcpy(&smem[at], &val, 2);
                }
            }
    };
    auto rd = [&](uint32_t at) {
        uint16_t h = 0xFFFF;
        if (at + 1 < smem.size()) std::memcpy(&h, &smem[at], 2);
        return fromBf16(h);
    };
    const int allTiles = (nk + FA3_BKV - 1) / FA3_BKV;
    const int tile0 = fa3_split_first(allTiles, splits, z), tiles = fa3_split_first(allTiles, splits, z + 1) - tile0;
    std::vector<float> out((size_t)nq * FA3_D, NAN);
    load(L::q_tile(base), q, q0, nq);
    for (uint32_t wg = 0; wg < 2; wg++) {
        // per thread of the warpgroup: O and S accumulators, P registers [slice][reg][half], row state
        std::vector<std::vector<float>> o(128, std::vector<float>(64, 0.f)), s(128, std::vector<float>(64, 0.f));
        std::vector<std::vector<uint16_t>> p(128, std::vector<uint16_t>(64, 0));
        std::vector<float> mRow(256, -INFINITY), lRow(256, 0.f), alpha(256, 1.f);
        // S_j = Q·K_jᵀ: 8 wgmma m64n128k16, both operands read through their descriptors, the
        // result spread over the threads by the ISA's accumulator figure
        auto productQK = [&](int j) {
            const uint32_t kTile = L::k_tile(base, j % L::KS);
            load(kTile, kv_k, (tile0 + j) * FA3_BKV, nk);
            std::vector<float> S(64 * 128, 0.f);
            for (uint32_t kd = 0; kd < FA3_D / 16; kd++) {
                uint64_t dq = k.qDesc(L::q_tile(base), wg, kd), dk = k.kDesc(kTile, kd);
                for (uint32_t m = 0; m < 64; m++)
                    for (uint32_t n = 0; n < 128; n++) {
                        float acc = 0.f;
                        for (uint32_t x = 0; x < 16; x++) acc += rd(isa::kMajorAddress(dq, m, x)) * rd(isa::kMajorAddress(dk, n, x));
                        S[m * 128 + n] += acc;
                    }
            }
            for (uint32_t t = 0; t < 128; t++)
                for (uint32_t i = 0; i < 64; i++) s[t][i] = S[isa::accRow(t, i) * 128 + isa::accCol(t, i)];
        };
        // O += P_j·V_j: A assembled from the registers by the ISA's A-fragment figure, V read
        // through the MN-major descriptor
        auto productPV = [&](int j) {
            const uint32_t vTile = L::v_tile(base, j % L::VS);
            load(vTile, kv_v, (tile0 + j) * FA3_BKV, nk);
            std::vector<float> A(64 * 128, NAN), Ov(64 * 128, 0.f);
            for (uint32_t t = 0; t < 128; t++)
                for (uint32_t sl = 0; sl < 8; sl++)
                    for (uint32_t r = 0; r < 4; r++)
                        for (uint32_t e = 0; e < 2; e++)
                            A[isa::aRow(t, r, e) * 128 + 16 * sl + isa::aCol(t, r, e)] = fromBf16(p[t][sl * 8 + r * 2 + e]);
            for (uint32_t sl = 0; sl < 8; sl++) {
                uint64_t dv = k.vDesc(vTile, sl);
                for (uint32_t m = 0; m < 64; m++)
                    for (uint32_t n = 0; n < 128; n++) {
                        float acc = 0.f;
                        for (uint32_t x = 0; x < 16; x++) acc += A[m * 128 + 16 * sl + x] * rd(isa::mnMajorAddress(dv, n, x));
                        Ov[m * 128 + n] += acc;
                    }
            }
            for (uint32_t t = 0; t < 128; t++)
                for (uint32_t i = 0; i < 64; i++) o[t][i] += Ov[isa::accRow(t, i) * 128 + isa::accCol(t, i)];
        };
        // the kernel's softmax, per thread, with the two xor shuffles as a max over the quad
        auto softmax = [&](int j) {
            const int kb = (tile0 + j) * FA3_BKV;
            const bool full = kb + FA3_BKV <= nk;
            std::vector<float> mx(256, -INFINITY);
            for (uint32_t t = 0; t < 128; t++)
                for (uint32_t i = 0; i < 64; i++) {
                    const bool in = full || kb + (int)k.accCol(t, i) < nk;
                    float vv = !in ? -INFINITY : gFastExp ? s[t][i] : s[t][i] * scaleLog2;
                    s[t][i] = vv;
                    mx[t * 2 + ((i >> 1) & 1)] = std::fmax(mx[t * 2 + ((i >> 1) & 1)], vv);
                }
            if (gFastExp)
                for (auto& m : mx) m *= scaleLog2;
            for (uint32_t t = 0; t < 128; t++) {
                float mUse[2];
                for (uint32_t r = 0; r < 2; r++) {
                    float m = -INFINITY;
                    for (uint32_t x = 0; x < 4; x++) m = std::fmax(m, mx[((t & ~3u) | x) * 2 + r]);
                    float mNew = std::fmax(mRow[t * 2 + r], m);
                    mUse[r] = mNew == -INFINITY ? 0.f : mNew;
                    alpha[t * 2 + r] = std::exp2(mRow[t * 2 + r] - mUse[r]);
                    mRow[t * 2 + r] = mNew;
                    lRow[t * 2 + r] *= alpha[t * 2 + r];
                }
                for (uint32_t i = 0; i < 64; i++) {
                    float e = gFastExp ? std::exp2(std::fma(s[t][i], scaleLog2, -mUse[(i >> 1) & 1])) : std::exp2(s[t][i] - mUse[(i >> 1) & 1]);
                    if (gFastExp && e < FLT_MIN) e = 0.f;   // .ftz
                    s[t][i] = e;
                    lRow[t * 2 + ((i >> 1) & 1)] += e;
                }
            }
        };
        auto rescaleAndPack = [&]() {
            for (uint32_t t = 0; t < 128; t++) {
                for (uint32_t i = 0; i < 64; i++) o[t][i] *= alpha[t * 2 + ((i >> 1) & 1)];
                for (uint32_t sl = 0; sl < 8; sl++)
                    for (uint32_t r = 0; r < 4; r++)
                        for (uint32_t e = 0; e < 2; e++) {
                            uint32_t i = k.pAcc(sl, r, e);
                            p[t][sl * 8 + r * 2 + e] = i < 64 ? toBf16(s[t][i]) : 0xFFFF;
                        }
            }
        };
        // the kernel's order: S_0; then S_j with P_{j-1}·V_{j-1}; then the last P·V
        productQK(0);
        softmax(0);
        rescaleAndPack();
        for (int j = 1; j < tiles; j++) {
            productPV(j - 1);   // reads P_{j-1} before it is replaced
            productQK(j);
            softmax(j);
            rescaleAndPack();
        }
        productPV(tiles - 1);
        // the store: row sums added over the quad, O / l at the kernel's (row, d)
        for (uint32_t t = 0; t < 128; t++)
            for (uint32_t i = 0; i < 64; i++) {
                uint32_t r = (i >> 1) & 1;
                float l = 0.f;
                for (uint32_t x = 0; x < 4; x++) l += lRow[((t & ~3u) | x) * 2 + r];
                int m = q0 + (int)wg * 64 + (int)k.accRow(t, i);
                uint32_t d = k.accCol(t, i);
                if (m >= nq || d >= FA3_D) continue;
                if (ml) {   // the split kernel's part and row state, from the quad's first thread
                    out[(size_t)m * FA3_D + d] = o[t][i];
                    if ((t & 3u) == 0 && (i & 1u) == 0) {
                        (*ml)[2 * (size_t)m] = mRow[t * 2 + r];
                        (*ml)[2 * (size_t)m + 1] = l;
                    }
                } else {
                    out[(size_t)m * FA3_D + d] = o[t][i] * (l > 0.f ? 1.f / l : 0.f);
                }
            }
    }
    return out;
}

// The split kernel's blocks z = 0 .. splits-1 of one query block, merged as flash_combine_d128
// merges them (fa3_combine_weight); the tile ranges must cover the keys once and none be empty.
static std::vector<float> emulateSplits(const Impl& k, const std::vector<uint16_t>& q, const std::vector<uint16_t>& kv_k,
                                        const std::vector<uint16_t>& kv_v, int ld, int col, int nq, int nk, int q0, float scaleLog2,
                                        int splits) {
    const int tiles = (nk + FA3_BKV - 1) / FA3_BKV;
    CHECK(fa3_split_first(tiles, splits, 0) == 0 && fa3_split_first(tiles, splits, splits) == tiles, "split ranges do not cover %d tiles", tiles);
    std::vector<std::vector<float>> parts, mls;
    for (int z = 0; z < splits; z++) {
        CHECK(fa3_split_first(tiles, splits, z + 1) > fa3_split_first(tiles, splits, z), "split %d of %d over %d tiles is empty", z, splits, tiles);
        mls.emplace_back(2 * (size_t)nq, NAN);
        parts.push_back(emulateBlock(k, q, kv_k, kv_v, ld, col, nq, nk, q0, scaleLog2, splits, z, &mls.back()));
    }
    // the parts and row states as the split kernel leaves them for one head: [splits·nq, D] and [splits, 1, nq, 2]
    std::vector<float> part((size_t)splits * nq * FA3_D), ml((size_t)splits * nq * 2);
    for (int z = 0; z < splits; z++) {
        std::copy(parts[z].begin(), parts[z].end(), part.begin() + (size_t)z * nq * FA3_D);
        std::copy(mls[z].begin(), mls[z].end(), ml.begin() + (size_t)z * nq * 2);
    }
    // flash_combine_d128's blocks, warps and lanes over the query block's rows: each (row, d) once
    std::vector<float> out((size_t)nq * FA3_D, NAN);
    std::vector<int> writes((size_t)nq * FA3_D, 0);
    const int rowEnd = std::min(nq, q0 + FA3_BQ);
    for (int b = 0; b < (nq + FA3_COMBINE_ROWS - 1) / FA3_COMBINE_ROWS; b++)
        for (int w = 0; w < FA3_COMBINE_THREADS / 32; w++)
            for (int lane = 0; lane < 32; lane++) {
                const int m = fa3_combine_row(b, w), d0 = fa3_combine_d(lane);
                if (m >= nq || m < q0 || m >= rowEnd) continue;
                float v[FA3_COMBINE_VEC];
                fa3_combine_vec(part.data(), ml.data(), splits, 1, nq, FA3_D, 0, m, d0, v);
                for (int i = 0; i < FA3_COMBINE_VEC; i++) {
                    out[(size_t)m * FA3_D + d0 + i] = v[i];
                    writes[(size_t)m * FA3_D + d0 + i]++;
                }
            }
    // the merge written out per element, as the block-per-row kernel before 2026-11-29 did it: the same bits
    for (int m = q0; m < rowEnd; m++) {
        float mMax = -INFINITY;
        for (int z = 0; z < splits; z++) mMax = std::fmax(mMax, mls[z][2 * (size_t)m]);
        for (int d = 0; d < FA3_D; d++) {
            float l = 0.f, acc = 0.f;
            for (int z = 0; z < splits; z++) {
                const float w = fa3_combine_weight(mls[z][2 * (size_t)m], mMax);
                l += mls[z][2 * (size_t)m + 1] * w;
                acc += parts[z][(size_t)m * FA3_D + d] * w;
            }
            const float expected = l > 0.f ? acc * (1.f / l) : 0.f;
            const size_t i = (size_t)m * FA3_D + d;
            CHECK(writes[i] == 1, "combine: row %d d %d written %d times", m, d, writes[i]);
            CHECK(std::memcmp(&out[i], &expected, sizeof(float)) == 0, "combine: row %d d %d gave %.9g, the per-element merge %.9g", m, d,
                  out[i], expected);
        }
    }
    return out;
}

static void checkEmulation(const Impl& k, int nq, int nk, int heads, int ldPad, uint64_t seed, int splits = 1) {
    const int ld = heads * FA3_D + ldPad, h = heads - 1, col = h * FA3_D;
    Rng rng{seed};
    std::vector<uint16_t> q((size_t)nq * ld), kk((size_t)nk * ld), v((size_t)nk * ld);
    for (auto& x : q) x = toBf16((float)rng.next() * 2.f);
    for (auto& x : kk) x = toBf16((float)rng.next() * 2.f);
    for (auto& x : v) x = toBf16((float)rng.next());
    const double scale = 1.0 / std::sqrt((double)FA3_D);
    const float scaleLog2 = (float)(scale * 1.4426950408889634);
    double maxV = 0;
    for (int j = 0; j < nk; j++)
        for (int d = 0; d < FA3_D; d++) maxV = std::fmax(maxV, std::fabs(fromBf16(v[(size_t)j * ld + col + d])));
    const double tol = std::ldexp(maxV, -9) + 1e-5 * maxV;
    int worst = 0;
    for (int q0 = 0; q0 < nq; q0 += FA3_BQ) {
        std::vector<float> out = splits == 1 ? emulateBlock(k, q, kk, v, ld, col, nq, nk, q0, scaleLog2)
                                             : emulateSplits(k, q, kk, v, ld, col, nq, nk, q0, scaleLog2, splits);
        for (int m = q0; m < std::min(nq, q0 + FA3_BQ); m++) {
            std::vector<double> sc(nk);
            double mx = -INFINITY, sum = 0;
            for (int j = 0; j < nk; j++) {
                double acc = 0;
                for (int d = 0; d < FA3_D; d++) acc += (double)fromBf16(q[(size_t)m * ld + col + d]) * fromBf16(kk[(size_t)j * ld + col + d]);
                sc[j] = acc * scale;
                mx = std::fmax(mx, sc[j]);
            }
            for (int j = 0; j < nk; j++) sum += (sc[j] = std::exp(sc[j] - mx));
            for (int d = 0; d < FA3_D; d++) {
                double e = 0;
                for (int j = 0; j < nk; j++) e += sc[j] * fromBf16(v[(size_t)j * ld + col + d]);
                e /= sum;
                double got = out[(size_t)m * FA3_D + d];
                bool ok = std::fabs(got - e) <= tol;   // NaN fails
                if (!ok && worst++ < 3)
                    CHECK(ok, "emulated nq=%d nk=%d heads=%d ld=%d: out(%d, %d) = %g, expected %g (bound %g)", nq, nk, heads, ld, m, d, got, e, tol);
                else if (!ok)
                    failures++;
            }
        }
    }
}

static void runAll(const Impl& k, bool full) {
    checkSmem(k);
    checkLoader(k);
    for (uint32_t base : {0u, 1024u * 5}) {
        checkQK(k, base);
        checkV(k, base);
    }
    checkAccumulator(k);
    checkP(k);
    checkMask(k);
    for (int tiles = 1; tiles <= 40; tiles++) checkSchedule(k, tiles);
    // ragged shapes: nq not a multiple of 128 (two blocks), nk = 1, nk ending inside a tile and on
    // one, several heads and a row stride wider than heads·D
    checkEmulation(k, 37, 1, 1, 0, 11);
    checkEmulation(k, 150, 300, 2, 24, 12);
    if (full) {
        checkEmulation(k, 64, 128, 3, 8, 13);
        checkEmulation(k, 1, 257, 1, 0, 14);
        // the split kernel: 3 tiles in 2 and 3 parts (one tile each), 5 tiles ending inside the last in 3
        checkEmulation(k, 37, 300, 1, 0, 15, 2);
        checkEmulation(k, 20, 384, 2, 8, 16, 3);
        checkEmulation(k, 9, 600, 1, 0, 17, 3);
    }
    // FASTEXP's softmax, whole and split, a tile ending inside its keys
    gFastExp = true;
    checkEmulation(k, 150, 300, 2, 24, 18);
    if (full) checkEmulation(k, 20, 384, 2, 8, 19, 3);
    gFastExp = false;
}

// ---- mutants ----------------------------------------------------------------------------------
static uint32_t mutChunkNoSwizzle(uint32_t r, uint32_t c) { return (c >> 3) * L::HALF_BYTES + r * 128 + ((c & 7) << 4); }
static uint32_t mutChunkHalvesSwapped(uint32_t r, uint32_t c) { return fa3_chunk_offset(r, c ^ 8u); }
static uint32_t mutLoadRow(uint32_t tid, uint32_t i) { return (tid >> 4) + 8u * i; }   // rows 0..71 only, some twice
static uint64_t mutQSliceStep(uint32_t qTile, uint32_t wg, uint32_t kd) {
    return sm90_desc_k(sm90_desc(qTile + (kd >> 2) * L::HALF_BYTES + wg * 64u * 128u), (kd & 3u) * 2 % 4);
}
static uint64_t mutQWarpgroup(uint32_t qTile, uint32_t, uint32_t kd) { return fa3_q_desc(qTile, 0, kd); }
static uint64_t mutKHalf(uint32_t kTile, uint32_t kd) { return sm90_desc_k(sm90_desc(kTile), kd & 3u); }
static uint64_t mutVLboSboSwapped(uint32_t vTile, uint32_t kk) { return sm90_desc_mn(vTile + kk * 2048u, FA3_V_SBO, FA3_V_LBO); }
static uint64_t mutVKMajor(uint32_t vTile, uint32_t kk) { return sm90_desc_k(sm90_desc(vTile + (kk >> 2) * L::HALF_BYTES), kk & 3u); }
static uint64_t mutVSliceStep(uint32_t vTile, uint32_t kk) { return fa3_v_desc(vTile, 0) + kk * 64u; }
static uint32_t mutPOrder(uint32_t kk, uint32_t r, uint32_t e) { return 8u * kk + 2u * ((r + 1) & 3u) + e; }   // rows/halves mixed up
static uint32_t mutPHalves(uint32_t kk, uint32_t r, uint32_t e) { return 8u * kk + 2u * r + (1u - e); }
static uint32_t mutAccRow(uint32_t t, uint32_t i) { return 16u * (t >> 5) + ((t & 31u) >> 2) + 8u * (i & 1u); }
static uint32_t mutAccCol(uint32_t t, uint32_t i) { return 8u * (i >> 2) + 2u * (t & 3u) + ((i >> 1) & 1u); }

// The TMA kernel's hand-over (Fa3TmaSchedule), played out under the ISA's mbarrier rules with the
// interleavings a seeded random scheduler picks, as gemm_sm90_layout_test.cpp does for the GEMM:
// the producer copies Q, then K_j and V_j, each after waiting the slot's empty barrier; the TMA
// unit lands copies in any order; each of the two computing warpgroups runs the kernel's loop
// (wait K_j and V_{j-1}, issue S_j and P·V_{j-1}, wait until one group is pending (none in
// iteration 0, which has no P·V), let go of K_j, wait until none is, let go of V_{j-1}; then the
// last P·V) while its wgmma groups complete
// in order. Checked: no copy is issued into or lands in a slot an incomplete group reads, each
// group reads its own landed tile, and everything finishes. `emptyParity` and `emptyArrivals`
// are the schedule's (or a mutant's).
struct TmaBarrierPlan {
    uint32_t (*emptyParity)(int tile, int slots);
    uint32_t (*arrivals)(int barrier);
};

static bool checkFa3TmaPipeline(const TmaBarrierPlan& plan, int tiles, uint64_t seed, bool report) {
    typedef Fa3TmaSchedule B;
    const int KS = Fa3Layout::KS, VS = Fa3Layout::VS, C = 2;
    struct Bar { int init, pending; long tx; uint32_t phase; };
    std::vector<Bar> bar(B::COUNT);
    for (int b = 0; b < B::COUNT; b++) bar[b] = Bar{(int)plan.arrivals(b), (int)plan.arrivals(b), 0, 0};
    // barrier indices, from the schedule's addresses (base 0)
    auto idx = [](uint32_t addr) { return (int)(addr / 8); };
    auto settle = [](Bar& b) { if (b.pending == 0 && b.tx == 0) { b.phase++; b.pending = b.init; } };
    auto passes = [](const Bar& b, uint32_t parity) { return (b.phase & 1u) != parity; };
    struct Slot { int tile = -1; bool landed = false; };
    std::vector<Slot> kSlot(KS), vSlot(VS);
    struct Copy { char ring; int slot, tile; };
    std::vector<Copy> inFlight;
    struct Group { char ring; int slot, tile; };   // a wgmma group and the slot it reads ('S': K, 'P': V)
    std::vector<std::vector<Group>> groups(C);
    // producer program: 0 = Q, then 2j+1 = K_j, 2j+2 = V_j
    int prod = 0;
    bool qLanded = false;
    // consumer program counters: step within the kernel's loop
    std::vector<int> it(C, 0), step(C, 0);
    bool ok = true;
    auto fail = [&](const char* what, int a, int b2) {
        if (report) CHECK(false, "TMA attention, %d tiles, seed %llu: %s (%d, %d)", tiles, (unsigned long long)seed, what, a, b2);
        ok = false;
    };
    auto readers = [&](char ring, int slot) {
        for (int c = 0; c < C; c++)
            for (const Group& g : groups[c]) if (g.ring == (ring == 'K' ? 'S' : 'P') && g.slot == slot) return true;
        return false;
    };
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 7;
    auto rnd = [&](int n) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return (int)(x % (uint64_t)n); };
    const int prodEnd = 1 + 2 * tiles;
    // consumer step machine per iteration j (0 .. tiles): 0 wait K_j / issue S_j (j < tiles; for j = tiles
    // go to 1), 1 wait V_{j-1} / issue PV (j ≥ 1), 2 wait ≤ 1 pending + release K_j, 3 wait 0 + release V_{j-1}
    for (int guard = 0; guard < 200000 && ok; guard++) {
        bool done = prod == prodEnd && inFlight.empty();
        for (int c = 0; c < C; c++) done = done && it[c] > tiles && groups[c].empty();
        if (done) return true;
        std::vector<int> can;
        if (prod < prodEnd) {
            bool go = prod == 0;
            if (prod > 0) {
                int j = (prod - 1) / 2;
                go = (prod - 1) % 2 == 0 ? passes(bar[idx(B::k_empty(0, j % KS))], plan.emptyParity(j, KS))
                                         : passes(bar[idx(B::v_empty(0, j % VS))], plan.emptyParity(j, VS));
            }
            if (go) can.push_back(0);
        }
        if (!inFlight.empty()) can.push_back(1);
        for (int c = 0; c < C && ok; c++) {
            if (it[c] > tiles) { if (!groups[c].empty()) can.push_back(2 + C + c); continue; }
            int j = it[c];
            bool ready = false;
            switch (step[c]) {
                case 0:   // K_j and V_{j-1} both before the iteration's first wgmma
                    ready = qLanded && (j == tiles || passes(bar[idx(B::k_full(0, j % KS))], B::full_parity(j, KS)))
                            && (j == 0 || passes(bar[idx(B::v_full(0, (j - 1) % VS))], B::full_parity(j - 1, VS)));
                    break;
                case 1: ready = groups[c].size() <= (j == 0 ? 0u : 1u); break;   // iteration 0 waits for S_0 alone: wait<0>
                case 2: ready = groups[c].empty(); break;
            }
            if (ready) can.push_back(2 + c);
            if (!groups[c].empty()) can.push_back(2 + C + c);
        }
        if (!ok) break;
        if (can.empty()) { fail("deadlock: producer step, consumer 0 iteration", prod, it[0]); break; }
        int a = can[rnd((int)can.size())];
        if (a == 0) {
            if (prod == 0) {
                Bar& q = bar[idx(B::q_full(0))];
                q.pending--; q.tx++; settle(q);
                inFlight.push_back({'Q', 0, 0});
            } else {
                int j = (prod - 1) / 2;
                bool isK = (prod - 1) % 2 == 0;
                int slot = isK ? j % KS : j % VS;
                if (readers(isK ? 'K' : 'V', slot)) fail(isK ? "K copy issued into a slot being read: tile, slot" : "V copy issued into a slot being read: tile, slot", j, slot);
                Slot& sl = isK ? kSlot[slot] : vSlot[slot];
                sl.tile = j; sl.landed = false;
                Bar& f = bar[idx(isK ? B::k_full(0, slot) : B::v_full(0, slot))];
                f.pending--; f.tx++; settle(f);
                inFlight.push_back({isK ? 'K' : 'V', slot, j});
            }
            prod++;
        } else if (a == 1) {
            int i = rnd((int)inFlight.size());
            Copy cp = inFlight[i];
            inFlight.erase(inFlight.begin() + i);
            if (cp.ring == 'Q') {
                qLanded = true;
                Bar& q = bar[idx(B::q_full(0))];
                q.tx--; settle(q);
            } else {
                if (readers(cp.ring, cp.slot)) fail("a copy lands in a slot being read: tile, slot", cp.tile, cp.slot);
                Slot& sl = cp.ring == 'K' ? kSlot[cp.slot] : vSlot[cp.slot];
                if (sl.tile != cp.tile) fail("two copies in flight into one slot: tile, slot", cp.tile, cp.slot);
                sl.landed = true;
                Bar& f = bar[idx(cp.ring == 'K' ? B::k_full(0, cp.slot) : B::v_full(0, cp.slot))];
                f.tx--; settle(f);
            }
        } else if (a < 2 + C) {
            int c = a - 2, j = it[c];
            switch (step[c]) {
                case 0:
                    if (j < tiles) {
                        const Slot& sl = kSlot[j % KS];
                        if (sl.tile != j || !sl.landed) fail("S reads a K slot not holding its tile: tile, slot tile", j, sl.tile);
                        groups[c].push_back({'S', j % KS, j});
                    }
                    if (j >= 1) {
                        const Slot& sl = vSlot[(j - 1) % VS];
                        if (sl.tile != j - 1 || !sl.landed) fail("P.V reads a V slot not holding its tile: tile, slot tile", j - 1, sl.tile);
                        groups[c].push_back({'P', (j - 1) % VS, j - 1});
                    }
                    step[c] = 1;
                    break;
                case 1:
                    if (j < tiles) { Bar& e = bar[idx(B::k_empty(0, j % KS))]; e.pending--; settle(e); }
                    step[c] = 2;
                    break;
                case 2:
                    if (j >= 1) { Bar& e = bar[idx(B::v_empty(0, (j - 1) % VS))]; e.pending--; settle(e); }
                    step[c] = 0;
                    it[c]++;
                    break;
            }
        } else {
            groups[a - 2 - C].erase(groups[a - 2 - C].begin());
        }
    }
    if (ok) fail("did not finish: producer step, consumer 0 iteration", prod, it[0]);
    return false;
}

static uint32_t mutEmptySameParity(int tile, int slots) { return Fa3TmaSchedule::full_parity(tile, slots); }
static uint32_t mutOneArrival(int) { return 1; }

static void checkFa3Tma() {
    // the barriers: distinct, 8-byte aligned, inside the window the kernel asks for
    std::vector<uint32_t> addrs;
    addrs.push_back(Fa3TmaSchedule::q_full(0));
    for (int s = 0; s < Fa3Layout::KS; s++) { addrs.push_back(Fa3TmaSchedule::k_full(0, s)); addrs.push_back(Fa3TmaSchedule::k_empty(0, s)); }
    for (int s = 0; s < Fa3Layout::VS; s++) { addrs.push_back(Fa3TmaSchedule::v_full(0, s)); addrs.push_back(Fa3TmaSchedule::v_empty(0, s)); }
    std::vector<bool> seen(Fa3TmaSchedule::COUNT, false);
    for (uint32_t a : addrs) {
        CHECK(a % 8 == 0 && a / 8 < (uint32_t)Fa3TmaSchedule::COUNT && !seen[a / 8], "TMA attention: barrier at byte %u repeated or outside", a);
        if (a / 8 < (uint32_t)Fa3TmaSchedule::COUNT) seen[a / 8] = true;
    }
    CHECK(Fa3Layout::BYTES + 8u * Fa3TmaSchedule::COUNT + SM90_GROUP_BYTES == Fa3TmaSchedule::SMEM_BYTES && Fa3TmaSchedule::SMEM_BYTES <= 232448,
          "TMA attention: shared memory %u", Fa3TmaSchedule::SMEM_BYTES);
    // registers are reserved by whole warpgroups: the producer's after its setmaxnreg.dec, the two
    // computing warpgroups' after their setmaxnreg.inc (run 8: a 288-thread block failed to launch)
    CHECK(FA3_TMA_THREADS % 128 == 0 && FA3_TMA_THREADS == 3 * 128, "TMA attention: %d threads, not 3 warpgroups", FA3_TMA_THREADS);
    CHECK(128 * FA3_TMA_PRODUCER_REGS + 256 * FA3_TMA_CONSUMER_REGS <= 65536 && FA3_TMA_PRODUCER_REGS % 8 == 0 && FA3_TMA_CONSUMER_REGS % 8 == 0,
          "TMA attention: %d + %d registers per thread do not fit the SM's 65536", FA3_TMA_PRODUCER_REGS, FA3_TMA_CONSUMER_REGS);
    TmaBarrierPlan real{Fa3TmaSchedule::empty_parity, Fa3TmaSchedule::arrivals};
    for (int tiles = 1; tiles <= 12; tiles++)
        for (uint64_t seed = 1; seed <= 60; seed++) checkFa3TmaPipeline(real, tiles, seed, true);
    // its two mutants must be caught
    const TmaBarrierPlan mutants[] = {{mutEmptySameParity, Fa3TmaSchedule::arrivals}, {Fa3TmaSchedule::empty_parity, mutOneArrival}};
    const char* names[] = {"producer waits empty with the round's own parity", "empty barriers expect one warpgroup"};
    for (int m = 0; m < 2; m++) {
        bool caught = false;
        for (int tiles = 1; tiles <= 12 && !caught; tiles++)
            for (uint64_t seed = 1; seed <= 60 && !caught; seed++) caught = !checkFa3TmaPipeline(mutants[m], tiles, seed, false);
        CHECK(caught, "TMA attention: mutant not caught: %s", names[m]);
        if (caught) std::printf("  TMA mutant caught: %s\n", names[m]);
    }
}

int main() {
    Impl kernel;
    kernel.name = "kernel";
    runAll(kernel, true);
    checkFa3Tma();
    if (failures) {
        std::printf("attention_sm90 layout: %d failures\n", failures);
        return 1;
    }
    std::vector<Impl> mutants;
    auto add = [&](const char* name, const std::function<void(Impl&)>& change) {
        Impl m;
        m.name = name;
        change(m);
        mutants.push_back(m);
    };
    add("no swizzle in the stores", [](Impl& m) { m.chunkOffset = mutChunkNoSwizzle; });
    add("d halves swapped in the stores", [](Impl& m) { m.chunkOffset = mutChunkHalvesSwapped; });
    add("loader row step 8", [](Impl& m) { m.loadRow = mutLoadRow; });
    add("Q slice step wrong", [](Impl& m) { m.qDesc = mutQSliceStep; });
    add("Q rows of warpgroup 0 for both", [](Impl& m) { m.qDesc = mutQWarpgroup; });
    add("K second d half ignored", [](Impl& m) { m.kDesc = mutKHalf; });
    add("V LBO and SBO swapped", [](Impl& m) { m.vDesc = mutVLboSboSwapped; });
    add("V read K-major (no transpose)", [](Impl& m) { m.vDesc = mutVKMajor; });
    add("V slice step 64 bytes", [](Impl& m) { m.vDesc = mutVSliceStep; });
    add("P registers in the wrong order", [](Impl& m) { m.pAcc = mutPOrder; });
    add("P halves swapped", [](Impl& m) { m.pAcc = mutPHalves; });
    add("accumulator rows wrong", [](Impl& m) { m.accRow = mutAccRow; });
    add("accumulator columns wrong", [](Impl& m) { m.accCol = mutAccCol; });
    add("K fetched 3 ahead", [](Impl& m) { m.kLead = 3; });
    add("V fetched 2 ahead", [](Impl& m) { m.vLead = 2; });
    add("V fetched 0 ahead", [](Impl& m) { m.vLead = 0; });
    add("copy wait 2", [](Impl& m) { m.cpWait = 2; });
    add("S wait 2 (softmax under the S product)", [](Impl& m) { m.sWait = 2; });
    add("2 K slots", [](Impl& m) { m.ks = 2; });
    add("2 V slots", [](Impl& m) { m.vs = 2; });
    int missed = missedMutants(mutants, [](const Impl& m) { runAll(m, false); });
    if (missed) {
        std::printf("attention_sm90 layout: %d of %zu mutants not caught\n", missed, mutants.size());
        return 1;
    }
    std::printf("attention_sm90 layout: smem map, loader, Q/K/V descriptors, accumulator and P fragments, masking, the pipeline "
                "schedule, an emulated block (whole, and split in 2 and 3 parts then merged; both softmaxes) and the TMA kernel's barrier hand-over agree with the PTX ISA model; %zu + 2 mutants caught\n", mutants.size());
    return 0;
}
