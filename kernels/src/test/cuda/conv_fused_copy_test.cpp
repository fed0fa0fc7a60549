// Host-side check of the fused copies' index math (conv.cu's conv_pad_cl_norm, the VAE's norm fused
// into the fast convolution's channels-last copy with the causal history slid in place, and
// conv_pad_cl_up2, the nearest-2× upsample fused into it): the kernels' threads emulated over the
// grid the host launches (CudaConvolution.conv3dNormSilu, conv3dUpsample2x) with conv_layout.cuh's
// functions, on random stride-1 convolutions. Run by scripts/build-ptx.sh --check (host C++
// compiler, no GPU). Exit status 0 = pass.
//
// The norm itself is not the subject (vae_norm.cuh's operations are shared with rms_norm_channels,
// and the GPU test holds the bits): here the new frames' values are y = x·scale[pixel] + gamma[c]
// on small integers, exact in float, so that a value read from the wrong element of x, of the
// per-pixel scale or of gamma shows. Checked, per problem:
//   copy     every element of Xc [seqFrames][Hp + 1][Wp][cp] written exactly once, with zero in the
//            padding, the history's frames, then y's;
//   history  afterwards the first kept = min(keep, histFrames + frames) frames of hist [keep][cin]
//            [h][w] are the last kept frames of [history, y], and no other element was written;
//   in place every element of hist is read or written by one thread only (so the update cannot race
//            with another thread's read of the old history), every read and write inside hist, and
//            the emulation reads the live buffer, so a thread that overwrote an element before it
//            read it would copy a wrong value.
// The upsampled copy: every element of Xc written once, equal to conv_pad_cl's copy of the
// upsampled frame up[c][Y][X] = x[c][Y/2][X/2], every read inside x.
// Mutants, each of which must be caught: the history's target without the frames that leave,
// keeping `keep` frames when fewer exist, the new pixel indexed from the clip's start, the channel
// step of a row, conv_pad_cl's one τ per thread (whose history update would race); the upsampled
// copy reading x at the upsampled coordinates, or with the upsampled frame's channel step.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <array>
#include <random>
#include <string>
#include <vector>

#include "../../main/cuda/conv_layout.cuh"
#include "layout_check.h"

struct Impl {
    const char* name;
    conv_i64 (*histTarget)(const ConvPad&, int, int, int, int, int, int) = conv_hist_target;
    conv_i64 (*newPixel)(const ConvPad&, int, int, int) = conv_new_pixel;
    conv_i64 (*channelStep)(const ConvPad&) = conv_channel_step;
    bool walkEveryTau = true;   // false: conv_pad_cl's grid, one τ per thread
    int tauChunk = CONV_COPY_TAU_CHUNK;   // τs whose loads go before their stores
    int (*stageSlot)(int, int) = conv_stage_slot;   // the producers' slot (the writers use conv_stage_slot)
    ConvPadThread (*stageWriter)(int, int, int, int, int) = conv_stage_writer;
    ConvSource (*up2Source)(const ConvPad&, int, int, int, int) = conv_up2_source;
    conv_i64 (*up2Step)(const ConvPad&) = conv_up2_channel_step;
};

// Backend.conv3dNormSilu's arguments that the copy sees.
struct Problem {
    int cin, kt, kh, kw, padFront, padTop, padBottom, padLeft, padRight, h, w, histFrames, keep, frames;
    unsigned seed;
};

static std::string describe(const Problem& p) {
    char s[300];
    std::snprintf(s, sizeof s, "cin %d kernel %dx%dx%d pad front %d top %d bottom %d left %d right %d, %dx%d, hist %d of %d, frames %d",
                  p.cin, p.kt, p.kh, p.kw, p.padFront, p.padTop, p.padBottom, p.padLeft, p.padRight, p.h, p.w, p.histFrames, p.keep,
                  p.frames);
    return s;
}

static float smallInt(std::mt19937& rng, int lo, int hi) { return (float)(lo + (int)(rng() % (unsigned)(hi - lo + 1))); }

// Emulates conv_pad_cl_norm on one problem; returns the failures it added.
static int checkProblem(const Impl& im, const Problem& p) {
    const int before = failures;
    const std::string what = describe(p);
    std::mt19937 rng(p.seed);
    const int Hp = p.padTop + p.h + p.padBottom, Wp = p.padLeft + p.w + p.padRight, cp = (p.cin + 7) / 8 * 8;
    const int seqFrames = p.padFront + p.histFrames + p.frames, groups = (cp + 63) / 64;
    const ConvGeom g = {cp, p.kh * p.kw, p.kw, Wp, (Hp + 1) * Wp, 0, 0, 0};
    const ConvPad pad = {p.cin, p.h, p.w, p.padFront, p.padTop, p.padLeft, p.histFrames, Hp};
    const size_t frame = (size_t)p.cin * p.h * p.w, pixels = (size_t)p.h * p.w;

    std::vector<float> x(p.frames * frame), scale(p.frames * pixels), gamma(p.cin), hist(p.keep * frame, NAN);
    for (float& v : x) v = smallInt(rng, -3, 3);
    for (float& v : scale) v = smallInt(rng, 1, 5);
    for (float& v : gamma) v = smallInt(rng, -8, 8);
    for (size_t i = 0; i < p.histFrames * frame; i++) hist[i] = smallInt(rng, -9, 9);
    // the sequence [history, y] the copy and the history must hold
    const int n = p.histFrames + p.frames, kept = std::min(p.keep, n);
    std::vector<float> seq(n * frame);
    for (size_t i = 0; i < p.histFrames * frame; i++) seq[i] = hist[i];
    for (int f = 0; f < p.frames; f++)
        for (int c = 0; c < p.cin; c++)
            for (size_t q = 0; q < pixels; q++)
                seq[(p.histFrames + f) * frame + c * pixels + q] = x[f * frame + c * pixels + q] * scale[f * pixels + q] + gamma[c];

    const size_t copySize = (size_t)seqFrames * g.plane * cp;
    std::vector<float> copy(copySize, NAN);
    std::vector<int> written(copySize, 0), histWrites(hist.size(), 0);
    std::vector<long> owner(hist.size(), -1);   // the one thread that touches each history element
    std::vector<int> readTau(hist.size(), -1), writeTau(hist.size(), -1);
    int bad = 0;
    auto fail = [&](const char* fmt, auto... args) {
        if (bad++ < 3) CHECK(false, fmt, args...);
        else failures++;
    };
    auto touch = [&](conv_i64 at, long thread, const char* how, int tau) {
        if (at < 0 || at >= (conv_i64)hist.size()) {
            fail("%s: history %s at %lld (tau %d), outside [0, %zu)", what.c_str(), how, at, tau, hist.size());
            return false;
        }
        if (owner[at] >= 0 && owner[at] != thread)
            fail("%s: history element %lld touched by threads %ld and %ld (tau %d): the update races", what.c_str(), at, owner[at], thread, tau);
        owner[at] = thread;
        return true;
    };

    // the host's grid: (⌈Wp/32⌉, Hp + 1, groups); conv_pad_cl's mutant: (…, seqFrames·groups), one τ each.
    // Block by block, as the kernel's barriers order it: a chunk of τs computed by every thread into
    // the staging slots (and the history), then the slots stored by the writers.
    const int gz = im.walkEveryTau ? groups : seqFrames * groups;
    const conv_i64 step = im.channelStep(pad);
    for (int bz = 0; bz < gz; bz++)
        for (int by = 0; by < Hp + 1; by++)
            for (int bx = 0; bx < (Wp + 31) / 32; bx++) {
                const int bt0 = im.walkEveryTau ? 0 : bz / groups, bt1 = im.walkEveryTau ? seqFrames : bt0 + 1;
                for (int c0 = bt0; c0 < bt1; c0 += im.tauChunk) {
                    const int c1 = std::min(bt1, c0 + im.tauChunk);
                    // slot contents per τ of the chunk: the 8 values and who put them there (-1: empty)
                    std::vector<std::array<float, 8>> stage((size_t)(c1 - c0) * 256);
                    std::vector<int> stagedBy((size_t)(c1 - c0) * 256, -1);
                    for (int tid = 0; tid < 256; tid++) {
                        const ConvPadThread me = conv_pad_thread(groups, bx, by, bz, tid);
                        if (me.xx >= g.wp || me.c0 >= g.cp) continue;
                        const long thread = ((long)(bz * (Hp + 1) + by) * ((Wp + 31) / 32) + bx) * 256 + tid;
                        const int nc = std::min(8, p.cin - me.c0);
                        float gam[8];
                        for (int e = 0; e < 8; e++) gam[e] = me.c0 + e < p.cin ? gamma[me.c0 + e] : 0.f;
                        // the chunk's loads, then its values
                        std::vector<std::array<float, 8>> raw(c1 - c0);
                        std::vector<float> sc(c1 - c0, 0.f);
                        std::vector<int> from(c1 - c0, 0);
                        for (int tau = c0; tau < c1; tau++) {
                            const ConvSource s = conv_pad_source(pad, tau, me.yy, me.xx, me.c0);
                            from[tau - c0] = s.from;
                            for (int e = 0; e < 8; e++) {
                                const conv_i64 at = s.at + std::min(e, nc - 1) * step;
                                if (s.from == 1) {
                                    raw[tau - c0][e] = touch(at, thread, "read", tau) ? hist[at] : NAN;
                                    if (at >= 0 && at < (conv_i64)hist.size()) readTau[at] = tau;
                                } else if (s.from == 2) {
                                    raw[tau - c0][e] = at >= 0 && at < (conv_i64)x.size() ? x[at] : NAN;
                                }
                            }
                            if (s.from == 2) {
                                const conv_i64 px = im.newPixel(pad, tau, me.yy, me.xx);
                                sc[tau - c0] = px >= 0 && px < (conv_i64)scale.size() ? scale[px] : NAN;
                            }
                        }
                        for (int tau = c0; tau < c1; tau++) {
                            std::array<float, 8> v;
                            for (int e = 0; e < 8; e++) {
                                const float r = raw[tau - c0][e];
                                v[e] = e >= nc ? 0.f : from[tau - c0] == 1 ? r : from[tau - c0] == 2 ? r * sc[tau - c0] + gam[e] : 0.f;
                            }
                            const int slot = im.stageSlot(tid & 31, tid >> 5);
                            if (slot < 0 || slot >= 256 || stagedBy[(tau - c0) * 256 + slot] >= 0) {
                                fail("%s: staging slot %d of (tau %d, lane %d, warp %d) outside or taken", what.c_str(), slot, tau, tid & 31, tid >> 5);
                                continue;
                            }
                            stage[(tau - c0) * 256 + slot] = v;
                            stagedBy[(tau - c0) * 256 + slot] = tid;
                            const conv_i64 to = im.histTarget(pad, p.frames, p.keep, tau, me.yy, me.xx, me.c0);
                            if (to >= 0)
                                for (int e = 0; e < nc; e++)
                                    if (touch(to + e * step, thread, "write", tau)) {
                                        hist[to + e * step] = v[e];
                                        histWrites[to + e * step]++;
                                        writeTau[to + e * step] = tau;
                                    }
                        }
                    }
                    // the writers
                    for (int tid = 0; tid < 256; tid++) {
                        const ConvPadThread out = im.stageWriter(groups, bx, by, bz, tid);
                        if (out.xx >= g.wp || out.c0 >= g.cp) continue;
                        for (int tau = c0; tau < c1; tau++) {
                            const int slot = conv_stage_slot(tid >> 3, tid & 7), by_ = stagedBy[(tau - c0) * 256 + slot];
                            const ConvPadThread producer = by_ >= 0 ? conv_pad_thread(groups, bx, by, bz, by_) : ConvPadThread{-1, -1, -1, -1};
                            if (by_ < 0 || producer.xx != out.xx || producer.c0 != out.c0) {
                                fail("%s: writer %d of (tau %d, xx %d, c %d) reads slot %d, put there by thread %d (xx %d, c %d)", what.c_str(), tid, tau,
                                     out.xx, out.c0, slot, by_, producer.xx, producer.c0);
                                continue;
                            }
                            const conv_i64 at = conv_pixel_offset(g, tau, out.yy, out.xx) + out.c0;
                            if (at % 8 != 0 || at < 0 || at + 8 > (conv_i64)copySize) {
                                fail("%s: copy chunk of (tau %d, yy %d, xx %d, c %d) at %lld: misaligned or outside %zu", what.c_str(), tau, out.yy,
                                     out.xx, out.c0, at, copySize);
                                continue;
                            }
                            for (int e = 0; e < 8; e++) {
                                copy[at + e] = stage[(tau - c0) * 256 + slot][e];
                                written[at + e]++;
                            }
                        }
                    }
                }
            }

    // What lets a chunk's loads go first: each history element read is read at a τ no later than
    // the one that writes it (so no read follows a write to its element, whatever the chunk).
    for (size_t i = 0; i < hist.size() && bad == 0; i++)
        if (readTau[i] >= 0 && writeTau[i] >= 0 && readTau[i] > writeTau[i])
            fail("%s: history element %zu read at tau %d, after its write at tau %d", what.c_str(), i, readTau[i], writeTau[i]);

    // the copy: written once each, the expected values
    for (int tau = 0; tau < seqFrames && bad == 0; tau++)
        for (int yy = 0; yy < Hp + 1; yy++)
            for (int xx = 0; xx < Wp; xx++)
                for (int c = 0; c < cp; c++) {
                    const size_t at = conv_pixel_offset(g, tau, yy, xx) + c;
                    const int f = tau - p.padFront, iy = yy - p.padTop, ix = xx - p.padLeft;
                    const bool inside = f >= 0 && yy < Hp && iy >= 0 && iy < p.h && ix >= 0 && ix < p.w && c < p.cin;
                    const float want = inside ? seq[f * frame + (size_t)c * pixels + iy * p.w + ix] : 0.f;
                    if (written[at] != 1) fail("%s: copy element (tau %d, yy %d, xx %d, c %d) written %d times", what.c_str(), tau, yy, xx, c, written[at]);
                    else if (!(copy[at] == want)) fail("%s: copy (tau %d, yy %d, xx %d, c %d) = %g, want %g", what.c_str(), tau, yy, xx, c, copy[at], want);
                }
    // the history: the last kept frames of the sequence, in its first kept slots
    for (int j = 0; j < kept && bad == 0; j++)
        for (size_t i = 0; i < frame; i++) {
            const float want = seq[(n - kept + j) * frame + i], got = hist[j * frame + i];
            if (!(got == want)) fail("%s: history slot %d element %zu = %g, want sequence frame %d's %g", what.c_str(), j, i, got, n - kept + j, want);
        }
    for (size_t i = (size_t)kept * frame; i < hist.size() && bad == 0; i++)
        if (histWrites[i] != 0) fail("%s: history element %zu past the kept frames written", what.c_str(), i);
    return failures - before;
}

// conv_pad_cl_up2 on one upsampled convolution input: x [frames][cin][h][w] upsampled to 2h × 2w,
// padded as the conv's spec says; one launch per frame (CudaConvolution.conv3dUpsample2x), frame f's
// x passed as a pointer f frames in. Returns the failures it added.
struct Up2Problem {
    int cin, padTop, padBottom, padLeft, padRight, h, w, frames;
    unsigned seed;
};

static int checkUp2(const Impl& im, const Up2Problem& p) {
    const int before = failures;
    char whatBuf[200];
    std::snprintf(whatBuf, sizeof whatBuf, "upsampled copy: cin %d, %dx%d before the upsample, pad top %d bottom %d left %d right %d", p.cin, p.h,
                  p.w, p.padTop, p.padBottom, p.padLeft, p.padRight);
    const std::string what = whatBuf;
    std::mt19937 rng(p.seed);
    const int h2 = 2 * p.h, w2 = 2 * p.w, Hp = p.padTop + h2 + p.padBottom, Wp = p.padLeft + w2 + p.padRight, cp = (p.cin + 7) / 8 * 8;
    const int groups = (cp + 63) / 64;
    const ConvGeom g = {cp, 9, 3, Wp, (Hp + 1) * Wp, 0, 0, 0};
    const ConvPad pad = {p.cin, h2, w2, 0, p.padTop, p.padLeft, 0, Hp};
    const size_t frame = (size_t)p.cin * p.h * p.w, copySize = (size_t)g.plane * cp;
    std::vector<float> x(p.frames * frame);
    for (float& v : x) v = smallInt(rng, -50, 50);
    int bad = 0;
    auto fail = [&](const char* fmt, auto... args) {
        if (bad++ < 3) CHECK(false, fmt, args...);
        else failures++;
    };
    for (int f = 0; f < p.frames && bad == 0; f++) {
        std::vector<float> copy(copySize, NAN);
        std::vector<int> written(copySize, 0);
        const float* xf = x.data() + f * frame;
        for (int bz = 0; bz < groups; bz++)
            for (int by = 0; by < Hp + 1; by++)
                for (int bx = 0; bx < (Wp + 31) / 32; bx++)
                    for (int tid = 0; tid < 256; tid++) {
                        const ConvPadThread me = conv_pad_thread(groups, bx, by, bz, tid);
                        if (me.xx >= g.wp || me.c0 >= g.cp) continue;
                        const ConvSource s = im.up2Source(pad, me.tau, me.yy, me.xx, me.c0);
                        const int nc = std::min(8, p.cin - me.c0);
                        float v[8];
                        for (int e = 0; e < 8; e++) {
                            v[e] = 0.f;
                            if (s.from != 2) continue;
                            const conv_i64 at = s.at + std::min(e, nc - 1) * im.up2Step(pad);
                            if (at < 0 || at >= (conv_i64)frame) {
                                fail("%s: frame %d (yy %d, xx %d, c %d) reads x at %lld, outside [0, %zu)", what.c_str(), f, me.yy, me.xx, me.c0 + e, at, frame);
                                continue;
                            }
                            v[e] = e < nc ? xf[at] : 0.f;
                        }
                        const conv_i64 at = conv_pixel_offset(g, me.tau, me.yy, me.xx) + me.c0;
                        for (int e = 0; e < 8; e++) {
                            copy[at + e] = v[e];
                            written[at + e]++;
                        }
                    }
        for (int yy = 0; yy < Hp + 1 && bad == 0; yy++)
            for (int xx = 0; xx < Wp; xx++)
                for (int c = 0; c < cp; c++) {
                    const size_t at = conv_pixel_offset(g, 0, yy, xx) + c;
                    const int iy = yy - p.padTop, ix = xx - p.padLeft;
                    const bool inside = yy < Hp && iy >= 0 && iy < h2 && ix >= 0 && ix < w2 && c < p.cin;
                    const float want = inside ? xf[((size_t)c * p.h + iy / 2) * p.w + ix / 2] : 0.f;
                    if (written[at] != 1) fail("%s: copy element (yy %d, xx %d, c %d) written %d times", what.c_str(), yy, xx, c, written[at]);
                    else if (!(copy[at] == want)) fail("%s: frame %d copy (yy %d, xx %d, c %d) = %g, want %g", what.c_str(), f, yy, xx, c, copy[at], want);
                }
    }
    return failures - before;
}

static std::vector<Up2Problem> up2Problems(bool full) {
    // the decoder's resample convs (1×3×3, padding 1): 384 channels from 4×4, 192 from 5×7; a ragged cin
    std::vector<Up2Problem> ps = {{384, 1, 1, 1, 1, 4, 4, 2, 1}, {192, 1, 1, 1, 1, 5, 7, 1, 2}, {20, 1, 1, 1, 1, 3, 18, 2, 3}};
    std::mt19937 rng(20261201);
    for (int i = 0; i < (full ? 20 : 4); i++) {
        Up2Problem p;
        p.cin = 1 + (int)(rng() % (rng() % 4 == 0 ? 140 : 20));
        p.padTop = (int)(rng() % 2); p.padBottom = (int)(rng() % 2); p.padLeft = (int)(rng() % 2); p.padRight = (int)(rng() % 2);
        p.h = 1 + (int)(rng() % 6);
        p.w = 1 + (int)(rng() % 25);
        p.frames = 1 + (int)(rng() % 2);
        p.seed = 300 + i;
        ps.push_back(p);
    }
    return ps;
}

static std::vector<Problem> problems(bool full) {
    std::vector<Problem> ps;
    // the decoder's causal 3×3×3 convs: the first chunk (front padding 2, no history), one frame
    // after one and after two of history (the streaming case: one frame leaves), four at once,
    // the head (cin 96); a ragged cin; a history longer than the front padding needs
    ps.push_back({16, 3, 3, 3, 2, 1, 1, 1, 1, 9, 11, 0, 2, 1, 1});
    ps.push_back({24, 3, 3, 3, 1, 1, 1, 1, 1, 7, 13, 1, 2, 1, 2});
    ps.push_back({96, 3, 3, 3, 0, 1, 1, 1, 1, 5, 6, 2, 2, 1, 3});
    ps.push_back({72, 3, 3, 3, 0, 1, 1, 1, 1, 4, 37, 2, 2, 4, 4});
    ps.push_back({130, 3, 3, 3, 0, 1, 1, 1, 1, 3, 5, 2, 2, 2, 5});
    ps.push_back({5, 3, 3, 3, 1, 1, 1, 1, 1, 6, 3, 1, 3, 1, 6});
    ps.push_back({8, 1, 3, 3, 0, 1, 0, 0, 1, 3, 33, 0, 1, 3, 7});
    std::mt19937 rng(20261130);
    const int random = full ? 40 : 6;
    for (int i = 0; i < random; i++) {
        Problem p;
        p.cin = 1 + (int)(rng() % (rng() % 4 == 0 ? 140 : 24));
        p.kt = rng() % 2 ? 3 : 1;
        p.kh = rng() % 3 ? 3 : 1;
        p.kw = rng() % 4 ? p.kh : 1 + 2 * (int)(rng() % 2);
        p.padTop = (int)(rng() % (p.kh / 2 + 1)); p.padBottom = (int)(rng() % (p.kh / 2 + 1));
        p.padLeft = (int)(rng() % (p.kw / 2 + 1)); p.padRight = (int)(rng() % (p.kw / 2 + 1));
        p.h = std::max(1, p.kh - p.padTop - p.padBottom) + (int)(rng() % 7);
        p.w = std::max(1, p.kw - p.padLeft - p.padRight) + (int)(rng() % 40);
        p.keep = 1 + (int)(rng() % 3);
        p.histFrames = (int)(rng() % (p.keep + 1));
        p.padFront = (int)(rng() % 3);
        p.frames = std::max(1, p.kt - p.padFront - p.histFrames) + (int)(rng() % 3);
        p.seed = 200 + i;
        ps.push_back(p);
    }
    return ps;
}

static void runAll(const Impl& im, bool full) {
    for (const Problem& p : problems(full)) {
        checkProblem(im, p);
        if (!full && failures > 0) return;   // a mutant: caught, stop early
    }
    for (const Up2Problem& p : up2Problems(full)) {
        checkUp2(im, p);
        if (!full && failures > 0) return;
    }
}

// ---- mutants ----------------------------------------------------------------------------------
static conv_i64 mutTargetNoDrop(const ConvPad& p, int frames, int keep, int tau, int yy, int xx, int c) {   // frames never leave
    const conv_i64 at = conv_hist_target(p, frames, keep, tau, yy, xx, c);
    const int n = p.histFrames + frames, drop = n - std::min(keep, n);
    return at < 0 ? at : at + (conv_i64)drop * p.cin * p.h * p.w;
}
static conv_i64 mutTargetKeepAll(const ConvPad& p, int frames, int keep, int tau, int yy, int xx, int c) {   // kept = keep even when fewer exist
    const int f = tau - p.padFront, iy = yy - p.padTop, ix = xx - p.padLeft, drop = p.histFrames + frames - keep;
    if (f < std::max(drop, 0) || yy >= p.hp || iy < 0 || iy >= p.h || ix < 0 || ix >= p.w || c >= p.cin) return -1;
    if (drop == 0 && f < p.histFrames) return -1;
    return (((conv_i64)(f - drop) * p.cin + c) * p.h + iy) * p.w + ix;
}
static conv_i64 mutTargetEarly(const ConvPad& p, int frames, int keep, int tau, int yy, int xx, int c) {   // each frame written where the next goes
    return conv_hist_target(p, frames, keep, tau + 1, yy, xx, c);
}
static int mutSlotNoSwizzle(int pixel, int chunk) { return pixel * 8 + chunk; }   // producers skip the XOR
static ConvPadThread mutWriterOwnChunk(int groups, int bx, int by, int bz, int tid) { return conv_pad_thread(groups, bx, by, bz, tid); }
static conv_i64 mutNewPixelFromStart(const ConvPad& p, int tau, int yy, int xx) {
    return ((conv_i64)(tau - p.padFront) * p.h + (yy - p.padTop)) * p.w + (xx - p.padLeft);
}
static conv_i64 mutStepRow(const ConvPad& p) { return p.w; }
static ConvSource mutUp2AtUpsampled(const ConvPad& p, int tau, int yy, int xx, int c) { return conv_pad_source(p, tau, yy, xx, c); }

int main() {
    runAll(Impl{"kernel"}, true);
    if (failures) {
        std::printf("conv fused copies: %d failures\n", failures);
        return 1;
    }
    const size_t cases = problems(true).size() + up2Problems(true).size();
    std::vector<Impl> mutants;
    auto add = [&](const char* name, const std::function<void(Impl&)>& change) {
        Impl m{name};
        change(m);
        mutants.push_back(m);
    };
    add("history target without the frames that leave", [](Impl& m) { m.histTarget = mutTargetNoDrop; });
    add("history keeps `keep` frames when fewer exist", [](Impl& m) { m.histTarget = mutTargetKeepAll; });
    add("staging slot without the swizzle on one side", [](Impl& m) { m.stageSlot = mutSlotNoSwizzle; });
    add("each thread stores the chunk it computed", [](Impl& m) { m.stageWriter = mutWriterOwnChunk; });
    add("history written a frame early", [](Impl& m) { m.histTarget = mutTargetEarly; });
    add("new pixel indexed from the clip's start", [](Impl& m) { m.newPixel = mutNewPixelFromStart; });
    add("channel step of a row", [](Impl& m) { m.channelStep = mutStepRow; });
    add("one tau per thread (conv_pad_cl's grid)", [](Impl& m) { m.walkEveryTau = false; });
    add("upsampled copy reads x at the upsampled pixel", [](Impl& m) { m.up2Source = mutUp2AtUpsampled; });
    add("upsampled copy steps channels by the upsampled plane", [](Impl& m) { m.up2Step = conv_channel_step; });
    int missed = missedMutants(mutants, [](const Impl& m) { runAll(m, false); });
    if (missed) {
        std::printf("conv fused copies: %d of %zu mutants not caught\n", missed, mutants.size());
        return 1;
    }
    std::printf("conv fused copies: conv_pad_cl_norm writes the clip of [history, y] and slides the history in place, one thread per "
                "history element; conv_pad_cl_up2 writes the upsampled clip from x; on %zu cases, %zu mutants caught\n", cases, mutants.size());
    return 0;
}
