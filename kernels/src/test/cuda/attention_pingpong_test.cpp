// Host-side check of the ping-pong of flash_attn_d128_tma_pp's two computing warpgroups (the rules
// fa3_pp_own, fa3_pp_other, fa3_pp_starts_by_arriving and fa3_pp_arrives_after in
// kernels/src/main/cuda/attention_sm90_layout.cuh, which the kernel calls), played under the
// hardware's named-barrier semantics: bar.sync counts the warpgroup's 128 threads in and waits
// for the barrier's phase to complete; bar.arrive counts them in and goes on; a phase completes
// when FA3_PP_THREADS threads are in, and the next arrivals count toward the next phase. Run by
// scripts/build-ptx.sh --check (host C++ compiler, no GPU). Exit status 0 = pass.
//
// For 1 to 12 key tiles (tiles + 1 issue points per warpgroup) and 200 random interleavings each:
// both warpgroups finish (no deadlock), they issue strictly in turns (0, 1, 0, 1, ...: each one's
// softmax has the other's products beside it), and no barrier is left with arrivals pending when
// the block ends. Mutants of the rules must each be caught.
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "../../main/cuda/attention_sm90_layout.cuh"
#include "layout_check.h"

struct Rules {
    const char* name;
    int (*own)(int);
    int (*other)(int);
    bool (*startsByArriving)(int);
    bool (*arrivesAfter)(int, int, int);
};

// One warpgroup's program: [arrive(other)] then per point: sync(own), issue, [arrive(other)].
struct Op {
    enum Kind { ARRIVE, SYNC, ISSUE } kind;
    int barrier, point;
};

static std::vector<Op> program(const Rules& r, int wg, int points) {
    std::vector<Op> p;
    if (r.startsByArriving(wg)) p.push_back({Op::ARRIVE, r.other(wg), -1});
    for (int i = 0; i < points; i++) {
        p.push_back({Op::SYNC, r.own(wg), i});
        p.push_back({Op::ISSUE, -1, i});
        if (r.arrivesAfter(wg, i, points)) p.push_back({Op::ARRIVE, r.other(wg), i});
    }
    return p;
}

// Plays both programs in a random interleaving; false (with a CHECK failure) on any violation.
static void play(const Rules& r, int tiles, std::mt19937& rng) {
    const int points = tiles + 1, wgThreads = 128;
    std::vector<Op> prog[2] = {program(r, 0, points), program(r, 1, points)};
    size_t pc[2] = {0, 0};
    bool waiting[2] = {false, false};
    int waitPhase[2] = {0, 0};
    int count[16] = {0}, phase[16] = {0};
    std::vector<int> issues;
    auto arriveAt = [&](int b) {
        count[b] += wgThreads;
        if (count[b] == FA3_PP_THREADS) {
            count[b] = 0;
            phase[b]++;
        }
    };
    for (int steps = 0; steps < 100000; steps++) {
        int runnable[2], n = 0;
        for (int w = 0; w < 2; w++) {
            if (pc[w] >= prog[w].size()) continue;
            if (waiting[w]) {
                const Op& op = prog[w][pc[w]];
                if (phase[op.barrier] == waitPhase[w]) continue;   // its phase has not completed yet
            }
            runnable[n++] = w;
        }
        if (n == 0) break;
        int w = runnable[std::uniform_int_distribution<int>(0, n - 1)(rng)];
        const Op& op = prog[w][pc[w]];
        if (waiting[w]) {          // the phase it waited for completed
            waiting[w] = false;
            pc[w]++;
            continue;
        }
        switch (op.kind) {
            case Op::ARRIVE:
                arriveAt(op.barrier);
                pc[w]++;
                break;
            case Op::SYNC: {
                int before = phase[op.barrier];
                arriveAt(op.barrier);
                if (phase[op.barrier] != before) {
                    pc[w]++;       // this warpgroup completed the phase itself
                } else {
                    waiting[w] = true;
                    waitPhase[w] = before;
                }
                break;
            }
            case Op::ISSUE:
                issues.push_back(w);
                pc[w]++;
                break;
        }
    }
    for (int w = 0; w < 2; w++) {
        CHECK(pc[w] == prog[w].size(), "%s, %d tiles: warpgroup %d stopped at op %zu of %zu (a deadlock)", r.name, tiles, w, pc[w], prog[w].size());
    }
    for (size_t i = 0; i < issues.size(); i++) {
        if (issues[i] != (int)(i % 2)) {
            CHECK(false, "%s, %d tiles: issue %zu by warpgroup %d, not in turns", r.name, tiles, i, issues[i]);
            break;
        }
    }
    for (int b = 0; b < 16; b++) CHECK(count[b] == 0, "%s, %d tiles: barrier %d ends with %d threads' arrivals pending", r.name, tiles, b, count[b]);
}

static void checkAll(const Rules& r) {
    std::mt19937 rng(20261128);
    for (int tiles = 1; tiles <= 12; tiles++)
        for (int k = 0; k < 200; k++) play(r, tiles, rng);
}

int main() {
    static_assert(FA3_PP_THREADS == 2 * 128, "both computing warpgroups take part in each barrier");
    const Rules kernel = {"kernel", fa3_pp_own, fa3_pp_other, fa3_pp_starts_by_arriving, fa3_pp_arrives_after};
    CHECK(fa3_pp_own(0) != 0 && fa3_pp_own(1) != 0 && fa3_pp_own(0) != fa3_pp_own(1), "barrier 0 is __syncthreads'; the two barriers differ");
    CHECK(fa3_pp_own(0) < 16 && fa3_pp_own(1) < 16, "an SM has 16 named barriers");
    checkAll(kernel);
    int kernelFailures = failures;
    std::vector<Rules> mutants = {
        {"warpgroup 1 also arrives after its last point", fa3_pp_own, fa3_pp_other, fa3_pp_starts_by_arriving,
         [](int, int, int) { return true; }},
        {"no warpgroup starts by arriving", fa3_pp_own, fa3_pp_other, [](int) { return false; }, fa3_pp_arrives_after},
        {"both start by arriving", fa3_pp_own, fa3_pp_other, [](int) { return true; },
         [](int wg, int point, int points) { return point != points - 1; }},
        {"one barrier for both", [](int) { return 1; }, [](int) { return 1; }, fa3_pp_starts_by_arriving, fa3_pp_arrives_after},
    };
    int missed = missedMutants(mutants, [](const Rules& m) { checkAll(m); });
    std::printf("attention_pingpong_test: %s; %d of %zu mutants caught\n", kernelFailures == 0 ? "kernel ok" : "KERNEL FAILED",
                (int)mutants.size() - missed, mutants.size());
    return kernelFailures == 0 && missed == 0 ? 0 : 1;
}
