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

// The TMA kernels' pipeline (TmaSchedule) played out under the ISA's mbarrier rules, with the
// interleavings a seeded random scheduler picks: a barrier's phase completes when its pending
// arrivals and transaction bytes reach zero, then rearms; try_wait.parity(P) passes while the
// current phase's parity differs from P. Actors: the producer thread, the TMA unit (a copy lands
// whenever the scheduler says, completing its bytes on the stage's full barrier), and two
// consumer warpgroups whose wgmma groups complete asynchronously, oldest first. Checked: a copy is
// never issued into, nor lands in, a stage that an incomplete wgmma may read; a consumer issues
// k-tile g's wgmma only on a stage holding k-tile g, landed; and every actor finishes (no deadlock,
// no phase lapped: a wait on the parity of a phase two behind would hang or pass wrongly).
// `tiles` > 1 plays the persistent kernel (gemm_tma_persistent): the block's tiles one after
// another, the ring position g running on across them, and after each tile's wait_group<0> the
// caller's release of that tile's last stage (`finalRelease`; the plain kernel, one tile, has none).
// Returns false where it found a failure.
template <int STAGES>
static bool checkTmaSchedule(int ktiles, uint64_t seed, int tiles = 1, bool finalRelease = false, bool report = true) {
    typedef TmaSchedule<STAGES> Plan;
    int found = 0;
#define TCHECK(cond, ...) do { if (!(cond)) { found++; if (report) CHECK(false, __VA_ARGS__); } } while (0)
    const int C = 2;   // the kernel's consumers: warpgroups 1 and 2 of its 384 threads
    const int total = tiles * ktiles;
    struct Bar { int init, pending; long tx; uint32_t phase; };
    auto arm = [](int n) { return Bar{n, n, 0, 0}; };
    std::vector<Bar> full(STAGES, arm(1)), empty(STAGES, arm((int)Plan::CONSUMERS));
    auto settle = [](Bar& b) { if (b.pending == 0 && b.tx == 0) { b.phase++; b.pending = b.init; } };
    auto passes = [](const Bar& b, uint32_t parity) { return (b.phase & 1u) != parity; };
    std::vector<int> stageTile(STAGES, -1);
    std::vector<bool> stageLanded(STAGES, false);
    struct Copy { int stage, tile; };
    std::vector<Copy> inFlight;
    struct Group { int stage, tile; };
    std::vector<std::vector<Group>> groups(C);            // each consumer's incomplete wgmma groups, oldest first
    int prodKt = 0;
    // step 0: wait full + issue; 1: wait_group<1> + release the k-tile before (not across a tile's start);
    // 2: at a tile's end, wait_group<0> + release its last stage (finalRelease)
    std::vector<int> consKt(C, 0), consStep(C, 0);
    auto readersOf = [&](int stage) {
        for (int c = 0; c < C; c++)
            for (const Group& g : groups[c]) if (g.stage == stage) return true;
        return false;
    };
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    auto rnd = [&](int n) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return (int)(x % (uint64_t)n); };
    for (int guard = 0; guard < 400000; guard++) {
        bool finished = prodKt == total && inFlight.empty();
        for (int c = 0; c < C; c++) finished = finished && consKt[c] == total && consStep[c] == 0 && groups[c].empty();
        if (finished) return found == 0;
        std::vector<int> can;   // 0 producer, 1 a TMA landing, 2+c consumer c's next step, 2+C+c consumer c's oldest group completing
        if (prodKt < total && passes(empty[Plan::stage(prodKt)], Plan::empty_parity(prodKt))) can.push_back(0);
        if (!inFlight.empty()) can.push_back(1);
        for (int c = 0; c < C; c++) {
            if (consKt[c] < total && consStep[c] == 0 && passes(full[Plan::stage(consKt[c])], Plan::full_parity(consKt[c]))) can.push_back(2 + c);
            if (consStep[c] == 1 && groups[c].size() <= 1) can.push_back(2 + c);
            if (consStep[c] == 2 && groups[c].empty()) can.push_back(2 + c);
            if (!groups[c].empty()) can.push_back(2 + C + c);
        }
        if (can.empty()) {
            TCHECK(false, "TMA S=%d K-tiles=%d tiles=%d seed %llu: deadlock (producer at %d, consumers at %d/%d)", STAGES, ktiles, tiles,
                   (unsigned long long)seed, prodKt, consKt[0], consKt[1]);
            return false;
        }
        int a = can[rnd((int)can.size())];
        if (a == 0) {                                   // producer: arrive.expect_tx, then the copy of k-tile prodKt
            int s = Plan::stage(prodKt);
            TCHECK(!readersOf(s), "TMA S=%d K-tiles=%d tiles=%d: k-tile %d issued into stage %d while a wgmma may read it", STAGES, ktiles, tiles, prodKt, s);
            full[s].pending--; full[s].tx += 1; settle(full[s]);
            stageTile[s] = prodKt; stageLanded[s] = false;
            inFlight.push_back({s, prodKt});
            prodKt++;
        } else if (a == 1) {                            // TMA: some copy lands
            int i = rnd((int)inFlight.size());
            Copy cp = inFlight[i];
            inFlight.erase(inFlight.begin() + i);
            TCHECK(!readersOf(cp.stage), "TMA S=%d K-tiles=%d tiles=%d: k-tile %d lands in stage %d while a wgmma may read it", STAGES, ktiles, tiles, cp.tile, cp.stage);
            TCHECK(stageTile[cp.stage] == cp.tile, "TMA S=%d K-tiles=%d tiles=%d: two copies in flight into stage %d", STAGES, ktiles, tiles, cp.stage);
            stageLanded[cp.stage] = true;
            full[cp.stage].tx -= 1; settle(full[cp.stage]);
        } else if (a < 2 + C) {                         // consumer step
            int c = a - 2, g = consKt[c];
            if (consStep[c] == 0) {                     // full passed: issue k-tile g's wgmma group
                int s = Plan::stage(g);
                TCHECK(stageTile[s] == g && stageLanded[s], "TMA S=%d K-tiles=%d tiles=%d: consumer %d reads stage %d for k-tile %d, holding k-tile %d%s",
                       STAGES, ktiles, tiles, c, s, g, stageTile[s], stageLanded[s] ? "" : " (not landed)");
                groups[c].push_back({s, g});
                consStep[c] = 1;
            } else if (consStep[c] == 1) {              // wait_group<1> passed: release the stage of the k-tile before, inside this tile
                if (g % ktiles > 0) { Bar& e = empty[Plan::stage(g - 1)]; e.pending--; settle(e); }
                consKt[c]++;
                consStep[c] = consKt[c] % ktiles == 0 && finalRelease ? 2 : 0;
            } else {                                    // the tile's wait_group<0> passed: its last stage goes back
                Bar& e = empty[Plan::stage(consKt[c] - 1)]; e.pending--; settle(e);
                consStep[c] = 0;
            }
        } else {                                        // a consumer's oldest wgmma group completes
            int c = a - 2 - C;
            groups[c].erase(groups[c].begin());
        }
    }
    TCHECK(false, "TMA S=%d K-tiles=%d tiles=%d seed %llu: did not finish", STAGES, ktiles, tiles, (unsigned long long)seed);
#undef TCHECK
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
    if (failures) {
        std::printf("gemm_sm90 layout: %d failures\n", failures);
        return 1;
    }
    std::printf("gemm_sm90 layout: descriptors, swizzled stores, accumulator fragments, the k-loop schedule and the TMA kernels' barrier pipeline agree with the PTX ISA model\n");
    return 0;
}
