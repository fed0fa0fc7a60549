// Host-side check of the sampler's step kernels' index math (kernels/src/main/cuda/sampler_layout.cuh,
// what sampler.cu's patchify and unpatchify call), by emulating every thread of both kernels on
// random grids and comparing with the CPU's loops (livetalk.kernels.cpu.SamplerKernels, written out
// again below in their own order). Run by scripts/build-ptx.sh --check (host C++ compiler, no GPU).
// Exit status 0 = pass.
//
// Every source value is distinct, so a value read from the wrong place shows. Checked: each output
// element written exactly once (patchify: every column of its channel range, none outside it),
// and equal to the CPU's. A mutant (a wrong index function) must be caught, so the checks bite.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include "../../main/cuda/sampler_layout.cuh"
#include "layout_check.h"

struct Grid {
    int frames, channels, h, w, ph, pw;
};

// The CPU's patchify (SamplerKernels.patchify): source order.
static void cpuPatchify(const std::vector<float>& src, i64 fs, i64 cs, int channels, std::vector<float>& out, int outCh, int c0, const Grid& g) {
    int gh = g.h / g.ph, gw = g.w / g.pw, per = outCh * g.ph * g.pw;
    for (int f = 0; f < g.frames; f++)
        for (int c = 0; c < channels; c++) {
            i64 plane = f * fs + c * cs;
            for (int i = 0; i < gh; i++)
                for (int a = 0; a < g.ph; a++) {
                    i64 row = plane + (i64)(i * g.ph + a) * g.w, to = (i64)(f * gh + i) * gw * per + ((c0 + c) * g.ph + a) * g.pw;
                    for (int j = 0; j < gw; j++, to += per)
                        for (int b = 0; b < g.pw; b++) out[to + b] = src[row + j * g.pw + b];
                }
        }
}

// The CPU's unpatchify (SamplerKernels.unpatchify): token order.
static void cpuUnpatchify(const std::vector<float>& tokens, int channels, std::vector<float>& out, const Grid& g) {
    int gh = g.h / g.ph, gw = g.w / g.pw, per = g.ph * g.pw * channels, t = 0;
    for (int f = 0; f < g.frames; f++)
        for (int i = 0; i < gh; i++)
            for (int j = 0; j < gw; j++, t++)
                for (int a = 0; a < g.ph; a++)
                    for (int b = 0; b < g.pw; b++)
                        for (int c = 0; c < channels; c++)
                            out[((i64)(f * channels + c) * g.h + i * g.ph + a) * g.w + j * g.pw + b] = tokens[(i64)t * per + (a * g.pw + b) * channels + c];
}

using Place = std::function<PatchPlace(i64, int, int, int, int, int)>;

// One grid: patchify of an x-like source ([F, C, h, w]) and a y-like one ([C', F, h, w]) side by
// side, then unpatchify; every thread emulated with `place`.
static void checkGrid(const Grid& g, int cy, const Place& place) {
    const i64 plane = (i64)g.h * g.w, tokens = (i64)g.frames * (g.h / g.ph) * (g.w / g.pw);
    const int outCh = g.channels + cy;
    std::vector<float> x((size_t)(g.frames * g.channels * plane)), y((size_t)(cy * g.frames * plane));
    for (size_t i = 0; i < x.size(); i++) x[i] = (float)(i + 1);
    for (size_t i = 0; i < y.size(); i++) y[i] = -(float)(i + 1);
    std::vector<float> want((size_t)(tokens * outCh * g.ph * g.pw), 0.f), got(want.size(), 0.f);
    std::vector<int> writes(want.size(), 0);
    cpuPatchify(x, g.channels * plane, plane, g.channels, want, outCh, 0, g);
    cpuPatchify(y, plane, g.frames * plane, cy, want, outCh, g.channels, g);
    struct Source { const std::vector<float>* v; i64 fs, cs; int channels, c0; };
    for (const Source& s : {Source{&x, g.channels * plane, plane, g.channels, 0}, Source{&y, plane, g.frames * plane, cy, g.channels}}) {
        for (i64 e = 0; e < (i64)g.frames * s.channels * plane; e++) {
            PatchPlace p = place(e, s.channels, g.h, g.w, g.ph, g.pw);
            i64 to = patchify_out(p, outCh, s.c0, g.ph, g.pw), from = patchify_src(p, s.fs, s.cs);
            if (to < 0 || to >= (i64)got.size() || from < 0 || from >= (i64)s.v->size()) {
                CHECK(false, "patchify: element %lld maps to %lld from %lld, outside", (long long)e, (long long)to, (long long)from);
                continue;
            }
            got[to] = (*s.v)[from];
            writes[to]++;
        }
    }
    for (size_t i = 0; i < got.size(); i++) {
        CHECK(writes[i] == 1, "patchify %dx%dx%dx%d/%dx%d: out[%zu] written %d times", g.frames, g.channels, g.h, g.w, g.ph, g.pw, i, writes[i]);
        CHECK(got[i] == want[i], "patchify %dx%dx%dx%d/%dx%d: out[%zu] = %g, the CPU's %g", g.frames, g.channels, g.h, g.w, g.ph, g.pw, i, got[i], want[i]);
    }

    // unpatchify of tokens [tokens, ph·pw·channels]
    std::vector<float> t((size_t)(tokens * g.ph * g.pw * g.channels));
    for (size_t i = 0; i < t.size(); i++) t[i] = (float)(i + 1);
    std::vector<float> uwant((size_t)(g.frames * g.channels * plane), 0.f), ugot(uwant.size(), 0.f);
    cpuUnpatchify(t, g.channels, uwant, g);
    for (i64 e = 0; e < (i64)uwant.size(); e++) {
        i64 from = unpatchify_src(place(e, g.channels, g.h, g.w, g.ph, g.pw), g.channels, g.ph, g.pw);
        if (from < 0 || from >= (i64)t.size()) {
            CHECK(false, "unpatchify: element %lld reads %lld, outside", (long long)e, (long long)from);
            continue;
        }
        ugot[e] = t[from];
    }
    for (size_t i = 0; i < ugot.size(); i++) {
        CHECK(ugot[i] == uwant[i], "unpatchify %dx%dx%dx%d/%dx%d: out[%zu] = %g, the CPU's %g", g.frames, g.channels, g.h, g.w, g.ph, g.pw, i, ugot[i], uwant[i]);
    }
}

static void checkAll(const Place& place) {
    std::mt19937 rng(20261128);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    checkGrid({3, 16, 8, 8, 2, 2}, 17, place);   // the DiT's block: 16 latent channels, y of 16 + the mask
    checkGrid({1, 1, 2, 2, 2, 2}, 1, place);
    for (int n = 0; n < 40; n++) {
        Grid g{pick(1, 3), pick(1, 5), 0, 0, pick(1, 3), pick(1, 3)};
        g.h = g.ph * pick(1, 4);
        g.w = g.pw * pick(1, 4);
        checkGrid(g, pick(1, 4), place);
    }
}

int main() {
    checkAll(patch_place);
    int kernelFailures = failures;
    struct Mutant {
        const char* name;
        Place place;
    };
    std::vector<Mutant> mutants = {
        {"a and b swapped inside the patch", [](i64 e, int ch, int h, int w, int ph, int pw) { PatchPlace p = patch_place(e, ch, h, w, ph, pw); int b = p.ab - p.a * pw; p.ab = b * ph + p.a; p.a = b; return p; }},
        {"frame and channel swapped", [](i64 e, int ch, int h, int w, int ph, int pw) { PatchPlace p = patch_place(e, ch, h, w, ph, pw); int t = p.f; p.f = p.c; p.c = t; return p; }},
        {"tokens numbered column-major inside a frame", [](i64 e, int ch, int h, int w, int ph, int pw) {
            PatchPlace p = patch_place(e, ch, h, w, ph, pw);
            int y = (int)(p.pixel / w), x = (int)(p.pixel % w);
            p.token = ((i64)p.f * (w / pw) + x / pw) * (h / ph) + y / ph;
            return p;
        }},
    };
    int missed = missedMutants(mutants, [](const Mutant& m) { checkAll(m.place); });
    std::printf("sampler_layout_test: %s; %d of %zu mutants caught\n", kernelFailures == 0 ? "kernel ok" : "KERNEL FAILED",
                (int)mutants.size() - missed, mutants.size());
    return kernelFailures == 0 && missed == 0 ? 0 : 1;
}
