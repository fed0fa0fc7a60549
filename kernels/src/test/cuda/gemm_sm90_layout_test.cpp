// Host-side check of the wgmma GEMM's index math (kernels/src/main/cuda/gemm_sm90_layout.cuh,
// the functions gemm_sm90.cu calls) against an independent model of the hardware written from
// the PTX ISA (section "Asynchronous Warpgroup Level Matrix Shared Memory Layout"): decode each
// descriptor the kernel builds, walk the canonical K-major 128-byte-swizzle layout
//   Swizzle<3,4,3> o ((8,m),(T,2k)):((8T,SBO),(1,T)),  T = 8 for 16-bit elements,
// (strides in elements; the swizzle XORs byte-address bits 4-6 with bits 7-9; the model is in
// sm90_isa_model.h, shared with the attention's test), and require that
// every (row, k) element a wgmma reads is the byte where the kernel's cp.async put that element.
// Also: the accumulator fragment functions cover the 64×N tile exactly once, as the ISA's figure places it, the descriptor's
// fields hold what the ISA's table says, and the k-loop's schedule (Sm90Schedule), played out under
// the ISA's completion rules for cp.async and wgmma groups, never reads a tile that has not landed
// nor refills a stage that an unfinished MMA may still read. Run by scripts/build-ptx.sh --check
// (compiled with the host C++ compiler; no GPU needed). Exit status 0 = pass.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "../../main/cuda/gemm_sm90_layout.cuh"
#include "sm90_isa_model.h"

static int failures = 0;

#define CHECK(cond, ...)                                    \
    do {                                                    \
        if (!(cond)) {                                      \
            if (failures < 20) {                            \
                std::printf("FAIL %s:%d: ", __FILE__, __LINE__); \
                std::printf(__VA_ARGS__);                   \
                std::printf("\n");                          \
            }                                               \
            failures++;                                     \
        }                                                   \
    } while (0)

#include "tma_schedule_model.h"   // checkTmaSchedule, which uses CHECK

using isa::Desc;
using isa::decode;

// The shared-memory byte a wgmma reads for element (row, k) (row < 64 for A, < N for B;
// k < 16) of a K-major bf16 operand described by `d`, modelled from the ISA's canonical layout.
static uint32_t hardwareAddress(uint64_t d, uint32_t row, uint32_t k) { return isa::kMajorAddress(d, row, k); }

// Where the kernel's load_stage stores element (row, k) of a tile (k < 64): its chunk k/8 goes
// to sm90_chunk_offset, the 8 elements of a chunk stay in order.
static uint32_t kernelAddress(uint32_t tile, uint32_t row, uint32_t k) {
    return tile + sm90_chunk_offset(row, k / 8) + (k % 8) * 2;
}

template <int BN, int STAGES>
static void checkRing(uint32_t base) {
    typedef Sm90Ring<BN> Ring;
    CHECK(STAGES * Ring::STAGE_BYTES + 1024 <= 232448, "BN=%d: %d stages exceed the 227 KiB opt-in", BN, STAGES);
    for (int stage = 0; stage < STAGES; stage++) {
        uint32_t aTile = Ring::a_tile(base, stage), bTile = Ring::b_tile(base, stage);
        CHECK(aTile % 1024 == 0 && bTile % 1024 == 0, "BN=%d stage %d: tiles not 1024-byte aligned", BN, stage);
        // every chunk position of a tile is used exactly once (no two rows collide)
        std::vector<int> seen(Ring::B_BYTES / 16, 0);
        for (uint32_t r = 0; r < (uint32_t)BN; r++)
            for (uint32_t c = 0; c < 8; c++) seen[sm90_chunk_offset(r, c) / 16]++;
        for (size_t i = 0; i < seen.size(); i++) CHECK(seen[i] == 1, "BN=%d: chunk slot %zu used %d times", BN, i, seen[i]);
        for (int wg = 0; wg < 2; wg++) {
            uint64_t descA = sm90_desc(Ring::a_rows_of(aTile, wg)), descB = sm90_desc(bTile);
            for (uint32_t kk = 0; kk < SM90_BK / 16; kk++) {
                uint64_t dA = sm90_desc_k(descA, kk), dB = sm90_desc_k(descB, kk);
                Desc a = decode(dA), b = decode(dB);
                CHECK(a.swizzle == 1 && b.swizzle == 1, "swizzle mode is not 128B");
                CHECK(a.baseOffset == 0 && b.baseOffset == 0, "base offset is not 0");
                CHECK(a.sbo == 1024 && b.sbo == 1024, "stride byte offset %u/%u, expected 1024", a.sbo, b.sbo);
                CHECK(a.lbo == 16 && b.lbo == 16, "leading byte offset field is not 1");
                CHECK(a.start == Ring::a_rows_of(aTile, wg) + 32 * kk, "A start address carried out of its field");
                for (uint32_t k = 0; k < 16; k++) {
                    for (uint32_t m = 0; m < 64; m++) {
                        uint32_t hw = hardwareAddress(dA, m, k), kern = kernelAddress(aTile, 64 * wg + m, 16 * kk + k);
                        // the TMA kernels' box (128-byte swizzle, rows of 128 bytes) puts it there too
                        CHECK(kern == isa::tmaBoxAddress(aTile, 128, 128, 64 * wg + m, 16 * kk + k), "A(m=%u, k=%u): TMA's box puts it elsewhere",
                              64 * wg + m, 16 * kk + k);
                        CHECK(hw == kern, "BN=%d stage %d wg %d A(m=%u, k=%u): wgmma reads byte %u, the kernel stored it at %u",
                              BN, stage, wg, m, 16 * kk + k, hw, kern);
                    }
                    for (uint32_t n = 0; n < (uint32_t)BN; n++) {
                        uint32_t hw = hardwareAddress(dB, n, k), kern = kernelAddress(bTile, n, 16 * kk + k);
                        CHECK(hw == kern, "BN=%d stage %d B(n=%u, k=%u): wgmma reads byte %u, the kernel stored it at %u",
                              BN, stage, n, 16 * kk + k, hw, kern);
                    }
                }
            }
        }
    }
}

// The A tile as two 64-byte-swizzled halves (Sm90Ring::a_half; the TMA convolution where a k-tile
// straddles two taps): TMA writes half j as one box of 128 rows × 32 bf16 (64-byte rows, 64-byte
// swizzle), k = 32j + column; a consumer warpgroup describes its 64 rows of half 0 with `desc` and
// slice kk (k = 16kk .. 16kk + 15) with `slice`. Counts the (row, k) elements, over every stage, both
// warpgroups and all 4 slices, that wgmma would read from a byte other than the one TMA wrote.
typedef uint64_t (*DescFn)(uint32_t);
typedef uint64_t (*SliceFn)(uint64_t, uint32_t);
template <int BN, int STAGES>
static int halfTileMismatches(uint32_t base, DescFn desc, SliceFn slice, bool report) {
    typedef Sm90Ring<BN> Ring;
    int bad = 0;
    for (int stage = 0; stage < STAGES; stage++) {
        const uint32_t aTile = Ring::a_tile(base, stage);
        for (int j = 0; j < 2; j++) {
            const uint32_t half = Ring::a_half(aTile, j);
            if (report) CHECK(half % 1024 == 0, "stage %d half %d at %u: not 1024-byte aligned", stage, j, half);
            // the two halves fill the tile's 16 KiB exactly: every byte of a half written once
            std::vector<int> seen(SM90_A_HALF_BYTES, 0);
            for (uint32_t r = 0; r < 128; r++)
                for (uint32_t c = 0; c < 32; c++) {
                    const uint32_t at = isa::tmaBoxAddress(half, 64, 64, r, c) - half;
                    if (at + 1 < SM90_A_HALF_BYTES) seen[at]++;
                }
            for (uint32_t i = 0; i < SM90_A_HALF_BYTES; i += 2)
                if (report) CHECK(seen[i] == 1, "half %d: byte %u written %d times", j, i, seen[i]);
        }
        for (int wg = 0; wg < 2; wg++) {
            const uint64_t d0 = desc(Ring::a_half_rows_of(Ring::a_half(aTile, 0), wg));
            for (uint32_t kk = 0; kk < SM90_BK / 16; kk++) {
                const uint64_t d = slice(d0, kk);
                for (uint32_t k = 0; k < 16; k++)
                    for (uint32_t m = 0; m < 64; m++) {
                        const uint32_t kt = 16 * kk + k, row = 64 * wg + m;
                        const uint32_t hw = isa::kMajorAddress(d, m, k), tma = isa::tmaBoxAddress(Ring::a_half(aTile, kt / 32), 64, 64, row, kt % 32);
                        if (hw != tma) {
                            bad++;
                            if (report) CHECK(false, "BN=%d stage %d wg %d A(m=%u, k=%u) in halves: wgmma reads byte %u, TMA wrote it at %u", BN, stage,
                                              wg, row, kt, hw, tma);
                        }
                    }
            }
        }
    }
    return bad;
}

// The 64-byte descriptor's fields, as the ISA's table has them, on every slice of every half.
static void checkDesc64() {
    for (uint32_t addr : {0u, 512u * 7, 1024u * 100, 230400u})
        for (uint32_t kk = 0; kk < 4; kk++) {
            const Desc d = decode(sm90_desc64_k(sm90_desc64(addr), kk));
            CHECK(d.swizzle == 2, "64-byte descriptor: swizzle mode %u, the ISA's 64-byte mode is 2", d.swizzle);
            CHECK(d.sbo == 512, "64-byte descriptor: stride byte offset %u, expected 8 rows of 64 bytes = 512", d.sbo);
            CHECK(d.lbo == 16 && d.baseOffset == 0, "64-byte descriptor: leading byte offset field not 1 or base offset not 0");
            CHECK(d.start == addr + (kk / 2) * SM90_A_HALF_BYTES + 32 * (kk % 2), "64-byte descriptor of slice %u at %u: start %u", kk, addr, d.start);
        }
}

// Each (row, col) of the 64×N accumulator tile belongs to exactly one (thread, register), pairs
// (i, i+1) are adjacent columns of one row (the epilogue stores them as a float2 at an even
// column), and a warp's rows are its own 16.
template <int N>
static void checkAccumulator() {
    std::vector<int> seen(64 * N, 0);
    for (uint32_t t = 0; t < 128; t++) {
        for (uint32_t i = 0; i < N / 2; i++) {
            uint32_t r = sm90_acc_row(t, i), c = sm90_acc_col(t, i);
            CHECK(r < 64 && c < (uint32_t)N, "N=%d: thread %u reg %u -> (%u, %u) outside the tile", N, t, i, r, c);
            if (r < 64 && c < (uint32_t)N) seen[r * N + c]++;
            CHECK(r / 16 == t / 32, "N=%d: thread %u (warp %u) holds row %u", N, t, t / 32, r);
            CHECK(r == isa::accRow(t, i) && c == isa::accCol(t, i), "N=%d: thread %u reg %u -> (%u, %u), the ISA's figure says (%u, %u)",
                  N, t, i, r, c, isa::accRow(t, i), isa::accCol(t, i));
            if (i % 2 == 0) {
                CHECK(c % 2 == 0 && sm90_acc_row(t, i + 1) == r && sm90_acc_col(t, i + 1) == c + 1,
                      "N=%d: registers %u, %u of thread %u are not a column pair", N, i, i + 1, t);
            }
        }
    }
    for (int i = 0; i < 64 * N; i++) CHECK(seen[i] == 1, "N=%d: element (%d, %d) held %d times", N, i / N, i % N, seen[i]);
}

// The k-loop of gemm_sm90.cu with the kernel's own Sm90Schedule, under the ISA's rules:
// cp.async.wait_group N completes all but the N most recent copy groups of the thread,
// wgmma.wait_group N all but the N most recent wgmma groups of the warpgroup. Every thread does
// the same, so one thread stands for all; the other warpgroup is only known to have passed its
// previous wgmma wait when it reaches the barrier, so a refill after the barrier may only
// overwrite a stage whose readers were complete before it.
template <int STAGES>
static void checkSchedule(int ktiles) {
    typedef Sm90Schedule<STAGES> Plan;
    struct Copy { int stage, tile; bool done; };
    struct Mma { int stage; bool done; };
    std::vector<Copy> copies;          // one entry per committed group (stage -1: empty group)
    std::vector<Mma> mmas;
    std::vector<int> stageTile(STAGES, -1);
    auto commitCopy = [&](int stage, int tile) {
        if (stage >= 0) {
            for (const Copy& c : copies)
                CHECK(c.done || c.stage != stage, "S=%d K-tiles=%d: tile %d copied into stage %d while tile %d is still landing there",
                      STAGES, ktiles, tile, stage, c.tile);
            stageTile[stage] = tile;
        }
        copies.push_back({stage, tile, false});
    };
    auto waitCopies = [&](int n) {
        for (int i = 0; i + n < (int)copies.size(); i++) copies[i].done = true;
    };
    auto waitMmas = [&](int n) {
        for (int i = 0; i + n < (int)mmas.size(); i++) mmas[i].done = true;
    };
    for (int tile = 0; tile < Plan::PREFETCH; tile++) commitCopy(tile < ktiles ? Plan::stage(tile) : -1, tile);
    std::vector<bool> doneAtBarrier;
    for (int kt = 0; kt < ktiles; kt++) {
        waitCopies(Plan::CP_WAIT);
        // barrier: what every warpgroup had completed when it arrived
        doneAtBarrier.assign(mmas.size(), false);
        for (size_t g = 0; g < mmas.size(); g++) doneAtBarrier[g] = mmas[g].done;
        int stage = Plan::stage(kt);
        CHECK(stageTile[stage] == kt, "S=%d K-tiles=%d: iteration %d reads stage %d holding tile %d", STAGES, ktiles, kt, stage, stageTile[stage]);
        bool landed = false;
        for (const Copy& c : copies)
            if (c.stage == stage && c.tile == kt) landed = c.done;
        CHECK(landed, "S=%d K-tiles=%d: iteration %d reads tile %d before its copy group completed", STAGES, ktiles, kt, kt);
        mmas.push_back({stage, false});
        int next = kt + Plan::PREFETCH;
        if (next < ktiles) {
            int target = Plan::stage(next);
            for (size_t g = 0; g < mmas.size(); g++)
                CHECK(mmas[g].stage != target || (g < doneAtBarrier.size() && doneAtBarrier[g]),
                      "S=%d K-tiles=%d: iteration %d refills stage %d while the MMAs of tile %zu may still read it", STAGES, ktiles, kt, target, g);
            commitCopy(target, next);
        } else {
            commitCopy(-1, next);
        }
        waitMmas(Plan::WGMMA_WAIT);
    }
    waitMmas(0);
    CHECK((int)mmas.size() == ktiles, "S=%d: %zu MMA groups for %d k-tiles", STAGES, mmas.size(), ktiles);
}

// The ping-pong kernel (gemm_tma_pingpong): the same producer, TMA and barrier semantics as
// checkTmaSchedule (tma_schedule_model.h), with the block's `tiles` tiles dealt to the two consumers by tma_pp_owner,
// each stage released by its one consumer (empty barriers of `emptyArrivals`), and the turn
// passed by named barriers: bar.sync counts the warpgroup's 128 threads in and waits for the
// phase to complete, bar.arrive counts them in and goes on, a phase completes at TMA_PP_THREADS.
// Checked, beyond checkTmaSchedule's ring rules: the consumers' products never overlap (one
// issues only when the other has no group in flight: the turn-taking that hides the epilogues),
// tiles go through the tensor cores in order, and no named barrier has arrivals pending at the end.
struct PingPongRules {
    bool (*waitsBefore)(int j);
    bool (*arrivesAfter)(int j, int tiles);
    int emptyArrivals;
};

template <int STAGES>
static bool checkTmaPingPong(int ktiles, uint64_t seed, int tiles, const PingPongRules& rules, bool report = true) {
    typedef TmaSchedule<STAGES> Plan;
    int found = 0;
#define PCHECK(cond, ...) do { if (!(cond)) { found++; if (report) CHECK(false, __VA_ARGS__); } } while (0)
    const int total = tiles * ktiles;
    struct Bar { int init, pending; long tx; uint32_t phase; };
    auto arm = [](int n) { return Bar{n, n, 0, 0}; };
    std::vector<Bar> full(STAGES, arm(1)), empty(STAGES, arm(rules.emptyArrivals));
    auto settle = [](Bar& b) { if (b.pending == 0 && b.tx == 0) { b.phase++; b.pending = b.init; } };
    auto passes = [](const Bar& b, uint32_t parity) { return (b.phase & 1u) != parity; };
    struct Named { int in; uint32_t phase; };
    Named named[3] = {{0, 0}, {0, 0}, {0, 0}};
    auto enter = [&](int id) { Named& b = named[id]; b.in += 128; if (b.in == TMA_PP_THREADS) { b.in = 0; b.phase++; } };
    std::vector<int> stageTile(STAGES, -1);
    std::vector<bool> stageLanded(STAGES, false);
    struct Copy { int stage, tile; };
    std::vector<Copy> inFlight;
    std::vector<std::vector<int>> groups(2);                 // each consumer's incomplete wgmma groups (stages), oldest first
    int prodKt = 0, lastTileIssued = -1;
    // a consumer's place: tile j, k-tile kt of it, and step: 0 turn (bar.sync), 1 wait full + issue,
    // 2 wait_group<1> + release, 3 wait_group<0> + release the last stage, 4 arrive, 5 store (epilogue)
    struct Cons { int j, kt, step; uint32_t waitPhase; bool waiting; };
    Cons cons[2] = {{0, 0, 0, 0, false}, {1, 0, 0, 0, false}};
    auto done = [&](const Cons& c) { return c.j >= tiles; };
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 7;
    auto rnd = [&](int n) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return (int)(x % (uint64_t)n); };
    for (int guard = 0; guard < 400000; guard++) {
        bool finished = prodKt == total && inFlight.empty() && done(cons[0]) && done(cons[1]) && groups[0].empty() && groups[1].empty();
        if (finished) {
            for (int id = 1; id <= 2; id++) PCHECK(named[id].in == 0, "ping-pong S=%d K-tiles=%d tiles=%d: named barrier %d left with %d threads in", STAGES, ktiles, tiles, id, named[id].in);
            return found == 0;
        }
        std::vector<int> can;   // 0 producer, 1 a TMA landing, 2+c consumer c's next step, 4+c consumer c's oldest group completing
        if (prodKt < total && passes(empty[Plan::stage(prodKt)], Plan::empty_parity(prodKt))) can.push_back(0);
        if (!inFlight.empty()) can.push_back(1);
        for (int c = 0; c < 2; c++) {
            const Cons& k = cons[c];
            if (!done(k)) {
                const int g = k.j * ktiles + k.kt;
                bool ready = k.step == 0 ? (k.waiting ? named[tma_pp_own(c)].phase != k.waitPhase : true)
                           : k.step == 1 ? passes(full[Plan::stage(g)], Plan::full_parity(g))
                           : k.step == 2 ? groups[c].size() <= 1
                           : k.step == 3 ? groups[c].empty() : true;
                if (ready) can.push_back(2 + c);
            }
            if (!groups[c].empty()) can.push_back(4 + c);
        }
        if (can.empty()) {
            PCHECK(false, "ping-pong S=%d K-tiles=%d tiles=%d seed %llu: deadlock (producer at %d, consumers at tiles %d/%d)", STAGES, ktiles, tiles,
                   (unsigned long long)seed, prodKt, cons[0].j, cons[1].j);
            return false;
        }
        int a = can[rnd((int)can.size())];
        if (a == 0) {
            int s = Plan::stage(prodKt);
            PCHECK(groups[0].end() == std::find(groups[0].begin(), groups[0].end(), s) && groups[1].end() == std::find(groups[1].begin(), groups[1].end(), s),
                   "ping-pong S=%d K-tiles=%d tiles=%d: k-tile %d issued into stage %d while a wgmma may read it", STAGES, ktiles, tiles, prodKt, s);
            full[s].pending--; full[s].tx += 1; settle(full[s]);
            stageTile[s] = prodKt; stageLanded[s] = false;
            inFlight.push_back({s, prodKt});
            prodKt++;
        } else if (a == 1) {
            int i = rnd((int)inFlight.size());
            Copy cp = inFlight[i];
            inFlight.erase(inFlight.begin() + i);
            PCHECK(stageTile[cp.stage] == cp.tile, "ping-pong S=%d K-tiles=%d tiles=%d: two copies in flight into stage %d", STAGES, ktiles, tiles, cp.stage);
            stageLanded[cp.stage] = true;
            full[cp.stage].tx -= 1; settle(full[cp.stage]);
        } else if (a < 4) {
            int c = a - 2;
            Cons& k = cons[c];
            const int g = k.j * ktiles + k.kt;
            switch (k.step) {
                case 0:                                    // the turn: bar.sync on its own barrier before tile j, if the rules say so
                    if (!k.waiting && rules.waitsBefore(k.j)) {
                        k.waitPhase = named[tma_pp_own(c)].phase;
                        k.waiting = true;
                        enter(tma_pp_own(c));
                        break;
                    }
                    k.waiting = false;
                    PCHECK(tma_pp_owner(k.j) == c, "ping-pong: tile %d dealt to consumer %d", k.j, c);
                    k.step = ktiles > 0 ? 1 : 4;
                    break;
                case 1: {                                  // full passed: issue k-tile g's group
                    int s = Plan::stage(g);
                    PCHECK(stageTile[s] == g && stageLanded[s], "ping-pong S=%d K-tiles=%d tiles=%d: consumer %d reads stage %d for k-tile %d, holding %d",
                           STAGES, ktiles, tiles, c, s, g, stageTile[s]);
                    PCHECK(groups[1 - c].empty(), "ping-pong S=%d K-tiles=%d tiles=%d: both consumers' products in flight (tile %d)", STAGES, ktiles, tiles, k.j);
                    if (k.kt == 0) {
                        PCHECK(k.j == lastTileIssued + 1, "ping-pong: tile %d's products before tile %d's", k.j, lastTileIssued + 1);
                        lastTileIssued = k.j;
                    }
                    groups[c].push_back(s);
                    k.step = 2;
                    break;
                }
                case 2:                                    // wait_group<1>: the k-tile before (in this tile) goes back
                    if (k.kt > 0) { Bar& e = empty[Plan::stage(g - 1)]; e.pending--; settle(e); }
                    k.kt++;
                    k.step = k.kt == ktiles ? 3 : 1;
                    break;
                case 3: {                                  // wait_group<0>: the tile's last stage goes back
                    Bar& e = empty[Plan::stage(g - 1)]; e.pending--; settle(e);
                    k.step = 4;
                    break;
                }
                case 4:                                    // the turn passes
                    if (rules.arrivesAfter(k.j, tiles)) enter(tma_pp_other(c));
                    k.step = 5;
                    break;
                default:                                   // the epilogue, then its next tile
                    k.j += 2;
                    k.kt = 0;
                    k.step = 0;
            }
        } else {
            groups[a - 4].erase(groups[a - 4].begin());
        }
    }
    PCHECK(false, "ping-pong S=%d K-tiles=%d tiles=%d seed %llu: did not finish", STAGES, ktiles, tiles, (unsigned long long)seed);
#undef PCHECK
    return false;
}

int main() {
    // the kernel's two instantiations, at two window bases (the rounded-up base is a multiple of 1024)
    for (uint32_t base : {0u, 1024u * 3}) {
        checkRing<128, 5>(base);
        checkRing<256, 4>(base);
        checkRing<128, 6>(base);   // the TMA kernel's ring at BN = 128
        checkRing<96, 8>(base);    // and at BN = 96
    }
    // the A tile as two 64-byte-swizzled halves: the TMA convolution's rings (BN 32, 96: 8 stages; 192: 5)
    checkDesc64();
    for (uint32_t base : {0u, 1024u * 5}) {
        halfTileMismatches<32, 8>(base, sm90_desc64, sm90_desc64_k, true);
        halfTileMismatches<96, 8>(base, sm90_desc64, sm90_desc64_k, true);
        halfTileMismatches<192, 5>(base, sm90_desc64, sm90_desc64_k, true);
    }
    {
        // mutants of the halves' descriptors: each must misread some element
        struct Mutant { const char* what; DescFn desc; SliceFn slice; };
        const Mutant mutants[] = {
            {"the 128-byte swizzle mode on a 64-byte half", [](uint32_t a) { return (sm90_desc64(a) & ~((uint64_t)3 << 62)) | ((uint64_t)1 << 62); },
             sm90_desc64_k},
            {"stride byte offset 1024 (the 128-byte atom's)", [](uint32_t a) { return sm90_desc64(a) + ((uint64_t)32 << 32); }, sm90_desc64_k},
            {"the 128-byte descriptor (mode and stride) on a half", sm90_desc, sm90_desc64_k},
            {"slices 2-3 from half 0 (the 128-byte tile's +32 bytes a slice)", sm90_desc64, sm90_desc_k},
            {"slices 2-3 from half 1 without the +32 bytes of slice 3", sm90_desc64,
             [](uint64_t d, uint32_t k) { return d + (k >> 1) * (SM90_A_HALF_BYTES >> 4) + 2u * (k == 1); }},
        };
        for (const Mutant& m : mutants) {
            const bool caught = halfTileMismatches<96, 8>(0, m.desc, m.slice, false) > 0;
            CHECK(caught, "64-byte half mutant (%s) not caught", m.what);
            if (caught) std::printf("  mutant caught: %s\n", m.what);
        }
    }
    checkAccumulator<128>();
    checkAccumulator<256>();
    checkAccumulator<96>();
    for (int ktiles = 1; ktiles <= 40; ktiles++) {
        checkSchedule<4>(ktiles);
        checkSchedule<5>(ktiles);
        for (uint64_t seed = 1; seed <= 40; seed++) {
            checkTmaSchedule<4>(ktiles, seed);
            checkTmaSchedule<6>(ktiles, seed);
            checkTmaSchedule<8>(ktiles, seed);
        }
    }
    // The persistent kernel: 1-5 tiles per block of 1-30 k-tiles each, across every ring size.
    for (int tiles = 1; tiles <= 5; tiles++) {
        for (int ktiles = 1; ktiles <= 30; ktiles++) {
            for (uint64_t seed = 1; seed <= 12; seed++) {
                checkTmaSchedule<4>(ktiles, seed, tiles, true);
                checkTmaSchedule<6>(ktiles, seed, tiles, true);
                checkTmaSchedule<8>(ktiles, seed, tiles, true);
            }
        }
    }
    // A mutant: without the release of each tile's last stage, a block whose ring comes round to
    // that stage again waits for ever (the model must say so for some shape it plays).
    {
        bool caught = false;
        for (int ktiles = 1; ktiles <= 12 && !caught; ktiles++)
            for (uint64_t seed = 1; seed <= 4 && !caught; seed++) caught = !checkTmaSchedule<4>(ktiles, seed, 3, false, false);
        CHECK(caught, "TMA persistent mutant (no release of a tile's last stage) not caught");
        if (caught) std::printf("  mutant caught: persistent TMA GEMM without the release of each tile's last stage\n");
    }
    // The ping-pong kernel: 1-7 tiles per block of 1-20 k-tiles, every ring size, and its mutants.
    const PingPongRules pp = {tma_pp_waits_before, tma_pp_arrives_after, 1};
    for (int tiles = 1; tiles <= 7; tiles++)
        for (int ktiles = 1; ktiles <= 20; ktiles++)
            for (uint64_t seed = 1; seed <= 12; seed++) {
                checkTmaPingPong<4>(ktiles, seed, tiles, pp);
                checkTmaPingPong<6>(ktiles, seed, tiles, pp);
                checkTmaPingPong<8>(ktiles, seed, tiles, pp);
            }
    {
        struct Mutant { const char* what; PingPongRules rules; };
        const Mutant mutants[] = {
            {"empty barriers expecting both consumers", {tma_pp_waits_before, tma_pp_arrives_after, 2}},
            {"an arrival after the block's last tile", {tma_pp_waits_before, [](int, int) { return true; }, 1}},
            {"a wait before the first tile", {[](int) { return true; }, tma_pp_arrives_after, 1}},
            {"no turn-taking", {[](int) { return false; }, [](int, int) { return false; }, 1}},
        };
        for (const Mutant& m : mutants) {
            bool caught = false;
            for (int tiles = 2; tiles <= 5 && !caught; tiles++)
                for (int ktiles = 1; ktiles <= 8 && !caught; ktiles++)
                    for (uint64_t seed = 1; seed <= 6 && !caught; seed++) caught = !checkTmaPingPong<4>(ktiles, seed, tiles, m.rules, false);
            CHECK(caught, "ping-pong mutant (%s) not caught", m.what);
            if (caught) std::printf("  mutant caught: ping-pong TMA GEMM with %s\n", m.what);
        }
    }
    if (failures) {
        std::printf("gemm_sm90 layout: %d failures\n", failures);
        return 1;
    }
    std::printf("gemm_sm90 layout: descriptors (128- and 64-byte swizzle), swizzled stores and TMA boxes, accumulator fragments, the k-loop schedule and the TMA kernels' barrier pipeline agree with the PTX ISA model\n");
    return 0;
}
