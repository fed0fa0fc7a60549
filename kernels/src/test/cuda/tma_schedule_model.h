// The TMA kernels' barrier pipeline (gemm_sm90_layout.cuh's TmaSchedule, the loops of
// kernels/src/main/cuda/tma_pipeline_sm90.cuh that the TMA GEMM and the TMA convolution share)
// played out under the PTX ISA's mbarrier rules: checkTmaSchedule, used by gemm_sm90_layout_test.cpp
// and conv_tma_layout_test.cpp. The includer defines CHECK(cond, printf-style message) first.
#pragma once
#include <cstdint>
#include <vector>

#include "../../main/cuda/gemm_sm90_layout.cuh"

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

