// Host-side check of the row norms' order of addition (kernels/src/main/cuda/row_norm_order.cuh,
// what norms.cu's row_sum calls): the warp-per-row form must add a row exactly as the first form,
// a block of 256 threads per row, did, so that the DiT's validated bits stay. Both forms are
// emulated here lane by lane, warp_sum's butterfly as the hardware runs it (every lane adds its
// partner's value of the round before), on rows whose values span many magnitudes so that any other
// order rounds differently. Run by scripts/build-ptx.sh --check; exit status 0 = pass.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "../../main/cuda/row_norm_order.cuh"
#include "layout_check.h"

// warp_sum: lane l adds lane l ^ o's value, o = 16, 8, 4, 2, 1; every lane ends with the total.
static std::vector<float> butterfly(std::vector<float> v) {
    for (int o = 16; o > 0; o >>= 1) {
        std::vector<float> next(32);
        for (int l = 0; l < 32; l++) next[l] = v[l] + v[l ^ o];
        v = next;
    }
    return v;
}

using Term = std::function<float(float, int)>;   // the running sum and an element index → the new sum

// The first form: thread τ's loop, then block_sum (each warp's butterfly, lane 0's total to scratch,
// then a butterfly of the 8 totals with zeros in lanes 8–31).
static float blockForm(int dim, const Term& term) {
    std::vector<float> partial(ROW_THREADS, 0.f);
    for (int tau = 0; tau < ROW_THREADS; tau++)
        for (int i = tau; i < dim; i += ROW_THREADS) partial[tau] = term(partial[tau], i);
    std::vector<float> t(32, 0.f);
    for (int w = 0; w < ROW_WARPS_SUMMED; w++) {
        std::vector<float> lanes(partial.begin() + 32 * w, partial.begin() + 32 * w + 32);
        t[w] = butterfly(lanes)[0];
    }
    return butterfly(t)[0];
}

using Element = std::function<int(int, int, int)>;

// The warp form (norms.cu's row_sum) with `element` for row_norm_element.
static float warpForm(int dim, const Term& term, const Element& element) {
    std::vector<std::vector<float>> s(32, std::vector<float>(ROW_WARPS_SUMMED, 0.f));
    for (int base = 0; base < dim; base += ROW_THREADS)
        for (int lane = 0; lane < 32; lane++)
            for (int j = 0; j < ROW_WARPS_SUMMED; j++) {
                const int i = element(base, j, lane);
                if (i < dim) s[lane][j] = term(s[lane][j], i);
            }
    std::vector<float> t(32, 0.f);
    for (int j = 0; j < ROW_WARPS_SUMMED; j++) {
        std::vector<float> lanes(32);
        for (int lane = 0; lane < 32; lane++) lanes[lane] = s[lane][j];
        t[j] = butterfly(lanes)[j];   // lane j keeps warp j's total
    }
    return butterfly(t)[0];
}

static void checkAll(const Element& element) {
    std::mt19937 rng(20261129);
    std::uniform_real_distribution<float> mant(-1.f, 1.f);
    std::uniform_int_distribution<int> expo(-12, 12);
    for (int dim : {1536, 768, 4096, 5120, 1, 31, 33, 100, 255, 256, 257, 1000}) {
        for (int rep = 0; rep < 4; rep++) {
            std::vector<float> x(dim);
            for (float& v : x) v = std::ldexp(mant(rng), expo(rng));
            const Term sum = [&](float s, int i) { return s + x[i]; };
            const float mean = blockForm(dim, sum) / dim;
            const Term squares = [&](float s, int i) { return std::fmaf(x[i], x[i], s); };
            const Term deviations = [&](float s, int i) { const float d = x[i] - mean; return std::fmaf(d, d, s); };
            const char* names[] = {"sum", "sum of squares", "sum of squared deviations"};
            const Term* terms[] = {&sum, &squares, &deviations};
            for (int k = 0; k < 3; k++) {
                const float want = blockForm(dim, *terms[k]), got = warpForm(dim, *terms[k], element);
                CHECK(std::memcmp(&want, &got, sizeof want) == 0, "dim %d, %s: the warp form gives %.9g, the block form %.9g", dim, names[k], got, want);
            }
        }
    }
}

int main() {
    checkAll(row_norm_element);
    int kernelFailures = failures;
    struct Mutant {
        const char* name;
        Element element;
    };
    std::vector<Mutant> mutants = {
        {"a lane's elements contiguous", [](int base, int j, int lane) { return base + 8 * lane + j; }},
        {"partial sums by lane, not by warp", [](int base, int j, int lane) { return base + 32 * lane + j; }},
    };
    int missed = missedMutants(mutants, [](const Mutant& m) { checkAll(m.element); });
    std::printf("row_norm_order_test: %s; %zu of %zu mutants caught\n", kernelFailures == 0 ? "kernel order ok" : "KERNEL ORDER FAILS",
                mutants.size() - missed, mutants.size());
    return kernelFailures == 0 && missed == 0 ? 0 : 1;
}
