// Host-side check of the fast convolution's index math (kernels/src/main/cuda/conv_layout.cuh and
// conv_sm90_layout.cuh: the functions conv.cu and conv_sm90.cu call), by emulating their kernels
// thread by thread on random stride-1 convolutions and comparing with a direct convolution. Run by
// scripts/build-ptx.sh --check (host C++ compiler, no GPU). Exit status 0 = pass.
//
// The data are small integers (inputs and weights in [-3, 3], bias in [-8, 8]), so every product
// and every partial sum is exact in bf16 and float32: the emulated result must equal the direct
// convolution exactly, and any element read from the wrong place shows (unless it happens to hold
// the same value, which the many outputs per case make irrelevant).
//
// What is emulated, for the kernel's own functions ("kernel") and then for each of a list of
// mutants, every one of which must be caught (so the checks are shown to bite):
//   copy      conv_pad_cl over the grid the host launches (CudaConvolution.conv3dFast): each thread's
//             (frame, row, pixel, channels) from conv_pad_thread, its 8 values from
//             conv_pad_source, stored as one 16-byte chunk at conv_pixel_offset; every element of
//             the copy must be written exactly once, chunks 16-byte aligned and inside it;
//   weight    conv_weight_cl: W'[o][k] from conv_weight_source;
//   gemm      conv_cl_m32 / _m96 / _m128 block by block: the 3-stage ring filled by each thread's
//             cp.async chunks (conv_load_row/col, A at row·k, B at conv_q_offset + conv_k_offset +
//             conv_b_row_step, the kernel's range predicates, zero fill), every source chunk
//             16-byte aligned and inside its buffer, every stage's tile covered once; then per warp
//             and 16-deep slice the ldmatrix.x4 row addresses (ConvTile::a_frag / b_frag) read
//             into registers as the PTX ISA's ldmatrix delivers them (lane l gets row l/4,
//             elements 2(l%4), +1 of matrix j from the address of lane 8j + l/4), mma.m16n8k16
//             computed from the ISA's A/B/C fragment figures, and the epilogue storing each
//             accumulator at ConvTile::acc_row/acc_col through conv_out_offset;
//   wgmma     conv_cl_wgmma_n32 / _n96 / _n192 block by block: the same copies into the ring of
//             ConvSm90Ring<BN> at sm90_chunk_offset (128-byte swizzle), then per warpgroup and
//             16-deep slice each operand element read where the PTX ISA says a wgmma reads it
//             through the kernel's descriptors (isa::kMajorAddress in sm90_isa_model.h, the model
//             the wgmma GEMM's test uses), the product spread over threads by the ISA's
//             accumulator figure, and stored by the kernel's map (sm90_acc_row/col, conv_out_offset);
//             also the ring's alignment and size, each (row, k) of every stage's descriptors against
//             the loader's store, and the accumulator maps covering 64×BN once (the k-loop's
//             schedule, Sm90Schedule<5>, is played out by gemm_sm90_layout_test.cpp);
//   result    every output element written exactly once and equal to the direct convolution.
// Shapes: random cin (not multiples of 8 or of the 64-deep k-tile), cout across one and several
// row tiles, h and w not multiples of anything, kt = 1 and 3 with and without front padding and
// history frames, 1×1×1, 1×3×3 and 3×3×3 kernels, asymmetric padding.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "../../main/cuda/conv_sm90_layout.cuh"
#include "layout_check.h"
#include "sm90_isa_model.h"

// The kernel's index functions (or a mutant of them) and the geometry the host builds.
struct Impl {
    const char* name;
    ConvSource (*padSource)(const ConvPad&, int, int, int, int) = conv_pad_source;
    ConvPadThread (*padThread)(int, int, int, int, int) = conv_pad_thread;
    conv_i64 (*pixelOffset)(const ConvGeom&, int, int, int) = conv_pixel_offset;
    conv_i64 (*weightSource)(int, int, int, int, int) = conv_weight_source;
    conv_i64 (*qOffset)(const ConvGeom&, int, int) = conv_q_offset;
    conv_i64 (*kOffset)(const ConvGeom&, int) = conv_k_offset;
    conv_i64 (*rowStep)(const ConvGeom&, int) = conv_b_row_step;
    int (*loadRow)(int, int) = conv_load_row;
    int (*loadCol)(int) = conv_load_col;
    conv_i64 (*outOffset)(const ConvGeom&, int, conv_i64, int, int, int) = conv_out_offset;
    // ConvTile<BM>'s fragment maps, with BM as an argument
    int (*aFrag)(int bm, int wm, int mi, int kk, int lane);
    int (*bFrag)(int bm, int wn, int nj, int kk, int lane);
    int (*accRow)(int bm, int wm, int mi, int lane, int e);
    int (*accCol)(int bm, int wn, int ni, int lane, int e);
    conv_i64 (*wOffset)(const ConvGeom&, int, int) = conv_w_offset;
    // the wgmma kernel's: the swizzled store, the ring (BN as an argument), descriptors, accumulator map
    uint32_t (*chunkOffset)(uint32_t r, uint32_t c) = sm90_chunk_offset;
    uint32_t (*aTile)(int bn, uint32_t base, int stage);
    uint32_t (*bTile)(int bn, uint32_t base, int stage);
    uint32_t (*aRowsOf)(int bn, uint32_t aTile, int wg);
    uint64_t (*desc)(uint32_t addr) = sm90_desc;
    uint64_t (*descK)(uint64_t desc, uint32_t k) = sm90_desc_k;
    uint32_t (*sm90AccRow)(uint32_t t, uint32_t i) = sm90_acc_row;
    uint32_t (*sm90AccCol)(uint32_t t, uint32_t i) = sm90_acc_col;
    bool checkK = true, checkN = true;   // the loader's k < K and q < N predicates
    int extraRows = 1;                   // the copy's plane is (Hp + extraRows)·Wp
    bool roundCp = true;                 // cp = cin rounded up to 8
};

#define DISPATCH(BM_, F, ...) ((BM_) == 32 ? ConvTile<32>::F(__VA_ARGS__) : (BM_) == 96 ? ConvTile<96>::F(__VA_ARGS__) : ConvTile<128>::F(__VA_ARGS__))
static int kAFrag(int bm, int wm, int mi, int kk, int lane) { return DISPATCH(bm, a_frag, wm, mi, kk, lane); }
static int kBFrag(int bm, int wn, int nj, int kk, int lane) { return DISPATCH(bm, b_frag, wn, nj, kk, lane); }
static int kAccRow(int bm, int wm, int mi, int lane, int e) { return DISPATCH(bm, acc_row, wm, mi, lane, e); }
static int kAccCol(int bm, int wn, int ni, int lane, int e) { return DISPATCH(bm, acc_col, wn, ni, lane, e); }

#define DISPATCH_N(BN_, F, ...) ((BN_) == 32 ? ConvSm90Ring<32>::F(__VA_ARGS__) : (BN_) == 96 ? ConvSm90Ring<96>::F(__VA_ARGS__) : ConvSm90Ring<192>::F(__VA_ARGS__))
static uint32_t kATile(int bn, uint32_t base, int stage) { return DISPATCH_N(bn, a_tile, base, stage); }
static uint32_t kBTile(int bn, uint32_t base, int stage) { return DISPATCH_N(bn, b_tile, base, stage); }
static uint32_t kARowsOf(int bn, uint32_t aTile, int wg) { return DISPATCH_N(bn, a_rows_of, aTile, wg); }
static uint32_t smemBytes(int bn) { return bn == 32 ? ConvSm90Ring<32>::SMEM_BYTES : bn == 96 ? ConvSm90Ring<96>::SMEM_BYTES : ConvSm90Ring<192>::SMEM_BYTES; }
static uint32_t bBytes(int bn) { return bn == 32 ? ConvSm90Ring<32>::B_BYTES : bn == 96 ? ConvSm90Ring<96>::B_BYTES : ConvSm90Ring<192>::B_BYTES; }
static const int WGMMA_STAGES = ConvSm90Ring<96>::STAGES;
static_assert(ConvSm90Ring<32>::STAGES == WGMMA_STAGES && ConvSm90Ring<192>::STAGES == WGMMA_STAGES, "one schedule for every BN");

static Impl kernelImpl(const char* name) {
    Impl k;
    k.name = name;
    k.aFrag = kAFrag;
    k.bFrag = kBFrag;
    k.accRow = kAccRow;
    k.accCol = kAccCol;
    k.aTile = kATile;
    k.bTile = kBTile;
    k.aRowsOf = kARowsOf;
    return k;
}


// One stride-1 convolution: Backend.conv3d's arguments.
struct Problem {
    int cin, cout, kt, kh, kw, padFront, padTop, padBottom, padLeft, padRight, h, w, histFrames, frames;
    bool bias;
    unsigned seed;
};

static std::string describe(const Problem& p) {
    char s[300];
    std::snprintf(s, sizeof s, "cin %d cout %d kernel %dx%dx%d pad front %d top %d bottom %d left %d right %d, %dx%d, hist %d frames %d%s",
                  p.cin, p.cout, p.kt, p.kh, p.kw, p.padFront, p.padTop, p.padBottom, p.padLeft, p.padRight, p.h, p.w,
                  p.histFrames, p.frames, p.bias ? ", bias" : "");
    return s;
}

// float32 → bf16 → float32 is the identity on the small integers used here; kept as float.
static float smallInt(std::mt19937& rng, int range) { return (float)((int)(rng() % (2 * range + 1)) - range); }

// conv_cl_wgmma_n<BN> over every block: the ring filled by the kernel's copies, each wgmma's
// operands read where the ISA model says the hardware reads them through the kernel's
// descriptors, the products accumulated per thread by the ISA's accumulator figure, then the
// kernel's epilogue. The window base is 2048 (the kernel rounds its window up to 1024 bytes).
static void emulateWgmma(const Impl& im, const Problem& p, const ConvGeom& g, const std::vector<float>& copy, const std::vector<float>& wp,
                         const std::vector<float>& bias, int BN, std::vector<float>& out, std::vector<int>& outWritten, const std::string& what) {
    typedef Sm90Schedule<WGMMA_STAGES> Plan;
    const uint32_t base = 2048, smemEnd = base + smemBytes(BN) - 1024;
    std::vector<float> smem(smemEnd / 2, NAN);   // one float per bf16 element, indexed by byte address / 2
    const int tOut = (int)(out.size() / ((size_t)p.cout * (g.n / g.wp) * g.wOut));
    const conv_i64 pixels = (conv_i64)(g.n / g.wp) * g.wOut;
    const int ktiles = (g.k + SM90_BK - 1) / SM90_BK;
    std::vector<float> acc(256 * (BN / 2));
    int bad = 0;
    auto fail = [&](const char* fmt, auto... args) {
        if (bad++ < 3) CHECK(false, fmt, args...);
        else failures++;
    };
    auto loadStage = [&](int stage, int kt, int n0, int o0, int t) {
        const uint32_t sa = im.aTile(BN, base, stage), sb = im.bTile(BN, base, stage);
        std::vector<int> cover((CONV_SM90_BM + BN) * 8, 0);
        for (int tid = 0; tid < CONV_SM90_THREADS; tid++) {
            const int col = im.loadCol(tid), chunk = col / 8, k = kt * SM90_BK + col;
            const bool kin = !im.checkK || k < g.k;
            auto put = [&](uint32_t tileAddr, uint32_t tileBytes, int row, int coverRow, bool ok, conv_i64 src, const std::vector<float>& from,
                           const char* which) {
                const uint32_t off = im.chunkOffset(row, chunk);
                if (off % 16 != 0 || off + 16 > tileBytes || tileAddr + off + 16 > smemEnd) {
                    fail("%s: wgmma BN %d %s chunk (row %d, chunk %d) at %u: misaligned or outside its tile", what.c_str(), BN, which, row, chunk, off);
                    return;
                }
                cover[coverRow * 8 + chunk]++;
                float* dst = &smem[(tileAddr + off) / 2];
                for (int e = 0; e < 8; e++) dst[e] = 0.f;
                if (!ok) return;
                if (src % 8 != 0 || src < 0 || src + 8 > (conv_i64)from.size()) {
                    fail("%s: wgmma BN %d %s chunk for (row %d, k %d) reads %lld: misaligned or outside [0, %zu)", what.c_str(), BN, which, row, k,
                         src, from.size());
                    return;
                }
                for (int e = 0; e < 8; e++) dst[e] = from[src + e];
            };
            const conv_i64 src = im.qOffset(g, t, n0 + im.loadRow(tid, 0)) + (kin ? im.kOffset(g, k) : 0);
            for (int j = 0; j < CONV_SM90_BM / 32; j++) {
                const int row = im.loadRow(tid, j);
                if (row < 0 || row >= CONV_SM90_BM) { fail("%s: wgmma A row %d", what.c_str(), row); continue; }
                put(sa, CONV_SM90_BM * SM90_ROW_BYTES, row, row, kin && (!im.checkN || n0 + row < g.n), src + im.rowStep(g, j), copy, "A");
            }
            for (int j = 0; j < BN / 32; j++) {
                const int row = im.loadRow(tid, j), o = o0 + row;
                if (row < 0 || row >= BN) { fail("%s: wgmma B row %d", what.c_str(), row); continue; }
                put(sb, bBytes(BN), row, CONV_SM90_BM + row, kin && o < p.cout, im.wOffset(g, o, k), wp, "B");
            }
        }
        for (size_t i = 0; i < cover.size(); i++)
            if (cover[i] != 1) fail("%s: wgmma BN %d %s row %zu chunk %zu copied %d times", what.c_str(), BN, i / 8 < CONV_SM90_BM ? "A" : "B",
                                    i / 8 % CONV_SM90_BM, i % 8, cover[i]);
    };
    std::vector<double> D(64 * BN);
    for (int t = 0; t < tOut; t++)
        for (int by = 0; by < (p.cout + BN - 1) / BN; by++)
            for (int bx = 0; bx < (g.n + CONV_SM90_BM - 1) / CONV_SM90_BM; bx++) {
                const int n0 = bx * CONV_SM90_BM, o0 = by * BN;
                std::fill(acc.begin(), acc.end(), 0.f);
                for (int tile = 0; tile < Plan::PREFETCH; tile++)
                    if (tile < ktiles) loadStage(Plan::stage(tile), tile, n0, o0, t);
                for (int kt = 0; kt < ktiles; kt++) {
                    const int stage = Plan::stage(kt);
                    for (int wg = 0; wg < 2; wg++) {
                        const uint64_t descA = im.desc(im.aRowsOf(BN, im.aTile(BN, base, stage), wg)), descB = im.desc(im.bTile(BN, base, stage));
                        for (int kk = 0; kk < SM90_BK / 16; kk++) {
                            const uint64_t dA = im.descK(descA, kk), dB = im.descK(descB, kk);
                            std::fill(D.begin(), D.end(), 0.0);
                            for (int m = 0; m < 64; m++)
                                for (int n = 0; n < BN; n++) {
                                    float d = 0.f;
                                    for (int k = 0; k < 16; k++) {
                                        const uint32_t a = isa::kMajorAddress(dA, m, k), b = isa::kMajorAddress(dB, n, k);
                                        const float av = a + 2 <= smemEnd ? smem[a / 2] : NAN, bv = b + 2 <= smemEnd ? smem[b / 2] : NAN;
                                        d += av * bv;
                                    }
                                    D[m * BN + n] = d;
                                }
                            for (int th = 0; th < 128; th++)
                                for (int i = 0; i < BN / 2; i++) acc[(wg * 128 + th) * (BN / 2) + i] += (float)D[isa::accRow(th, i) * BN + isa::accCol(th, i)];
                        }
                    }
                    const int next = kt + Plan::PREFETCH;
                    if (next < ktiles) loadStage(Plan::stage(next), next, n0, o0, t);
                }
                // epilogue
                for (int wg = 0; wg < 2; wg++)
                    for (int th = 0; th < 128; th++)
                        for (int i = 0; i < BN / 2; i++) {
                            const int q = n0 + wg * 64 + (int)im.sm90AccRow(th, i), o = o0 + (int)im.sm90AccCol(th, i);
                            if (q >= g.n || o >= p.cout) continue;
                            const conv_i64 at = im.outOffset(g, p.cout, pixels, t, o, q);
                            if (at < 0) continue;
                            if (at >= (conv_i64)out.size()) {
                                fail("%s: wgmma BN %d output (t %d, o %d, q %d) stored at %lld, outside %zu", what.c_str(), BN, t, o, q, at, out.size());
                                continue;
                            }
                            out[at] = acc[(wg * 128 + th) * (BN / 2) + i] + bias[o];
                            outWritten[at]++;
                        }
            }
}

// Emulates the fast path on one problem with the mma.sync kernel of tile height `tile` (32, 96,
// 128) or, when `wgmma`, the wgmma kernel of tile width `tile` (32, 96, 192); returns the number of
// failures this added (so the mutant runs can stop early).
static int checkProblem(const Impl& im, const Problem& p, int tile, bool wgmma) {
    const int BM = tile;   // the mma.sync kernel's name for it
    const int before = failures;
    std::mt19937 rng(p.seed);
    const int Hp = p.padTop + p.h + p.padBottom, Wp = p.padLeft + p.w + p.padRight;
    const int hOut = Hp - p.kh + 1, wOut = Wp - p.kw + 1;
    const int seqFrames = p.padFront + p.histFrames + p.frames, tOut = seqFrames - p.kt + 1;
    const int taps = p.kt * p.kh * p.kw;
    const int cp = im.roundCp ? (p.cin + 7) / 8 * 8 : p.cin;
    // the host's geometry (CudaConvolution.conv3dFast, ConvFastGeometry)
    const ConvGeom g = {cp, p.kh * p.kw, p.kw, Wp, (Hp + im.extraRows) * Wp, hOut * Wp, taps * cp, wOut};
    const conv_i64 pixels = (conv_i64)hOut * wOut;
    const std::string what = describe(p);

    std::vector<float> hist((size_t)p.histFrames * p.cin * p.h * p.w), x((size_t)p.frames * p.cin * p.h * p.w);
    std::vector<float> wt((size_t)p.cout * p.cin * taps), bias(p.cout, 0.f);
    for (float& v : hist) v = smallInt(rng, 3);
    for (float& v : x) v = smallInt(rng, 3);
    for (float& v : wt) v = smallInt(rng, 3);
    if (p.bias) for (float& v : bias) v = smallInt(rng, 8);

    // ---- conv_pad_cl: the copy, over the host's grid (⌈Wp/32⌉, plane/Wp rows, seqFrames·groups)
    const size_t copySize = (size_t)seqFrames * g.plane * g.cp;
    std::vector<float> copy(copySize, NAN);
    std::vector<int> written(copySize, 0);
    const ConvPad pad = {p.cin, p.h, p.w, p.padFront, p.padTop, p.padLeft, p.histFrames, Hp};
    const int groups = (cp + 63) / 64, rows = g.plane / g.wp;
    for (int bz = 0; bz < seqFrames * groups; bz++)
        for (int by = 0; by < rows; by++)
            for (int bx = 0; bx < (Wp + 31) / 32; bx++)
                for (int tid = 0; tid < 256; tid++) {
                    const ConvPadThread th = im.padThread(groups, bx, by, bz, tid);
                    if (th.xx >= g.wp || th.c0 >= g.cp) continue;
                    const conv_i64 at = im.pixelOffset(g, th.tau, th.yy, th.xx) + th.c0;
                    if (at % 8 != 0 || at < 0 || at + 8 > (conv_i64)copySize) {
                        CHECK(false, "%s: copy chunk of (tau %d, yy %d, xx %d, c %d) at %lld: misaligned or outside %zu", what.c_str(),
                              th.tau, th.yy, th.xx, th.c0, at, copySize);
                        continue;
                    }
                    for (int e = 0; e < 8; e++) {
                        const ConvSource s = im.padSource(pad, th.tau, th.yy, th.xx, th.c0 + e);
                        float v = 0.f;
                        if (s.from == 1) v = s.at >= 0 && s.at < (conv_i64)hist.size() ? hist[s.at] : NAN;
                        if (s.from == 2) v = s.at >= 0 && s.at < (conv_i64)x.size() ? x[s.at] : NAN;
                        copy[at + e] = v;
                        written[at + e]++;
                    }
                }
    size_t unwritten = 0, twice = 0;
    for (size_t i = 0; i < copySize; i++) {
        if (written[i] == 0) unwritten++;
        if (written[i] > 1) twice++;
    }
    CHECK(unwritten == 0 && twice == 0, "%s: %zu copy elements never written, %zu more than once (of %zu)", what.c_str(), unwritten, twice, copySize);

    // ---- conv_weight_cl
    std::vector<float> wp((size_t)p.cout * g.k);
    for (int o = 0; o < p.cout; o++)
        for (int k = 0; k < g.k; k++) {
            const conv_i64 s = im.weightSource(p.cin, taps, cp, o, k);
            wp[(size_t)o * g.k + k] = s < 0 ? 0.f : s < (conv_i64)wt.size() ? wt[s] : NAN;
        }

    std::vector<float> out((size_t)tOut * p.cout * pixels, NAN);
    std::vector<int> outWritten(out.size(), 0);
    if (wgmma) {
        emulateWgmma(im, p, g, copy, wp, bias, tile, out, outWritten, what);
    } else {
    // ---- the mma.sync GEMM, block by block
    const int aElems = BM * CONV_LDS, bElems = CONV_BN * CONV_LDS;
    std::vector<float> As(CONV_STAGES * aElems), Bs(CONV_STAGES * bElems);
    std::vector<int> aCover(aElems / 8), bCover(bElems / 8);
    const int ktiles = (g.k + CONV_BK - 1) / CONV_BK;
    const int MI = BM / 32;
    int misplaced = 0;

    auto loadStage = [&](int stage, int kt, int m0, int n0, int t) {
        std::fill(aCover.begin(), aCover.end(), 0);
        std::fill(bCover.begin(), bCover.end(), 0);
        for (int tid = 0; tid < CONV_THREADS; tid++) {
            const int col = im.loadCol(tid), k = kt * CONV_BK + col;
            const bool kin = !im.checkK || k < g.k;
            auto put = [&](std::vector<float>& smem, std::vector<int>& cover, int elems, int row, bool ok, conv_i64 src,
                           const std::vector<float>& from, const char* which) {
                const int dst = row * CONV_LDS + col;
                if (row < 0 || dst + 8 > elems || dst % 8 != 0 || col + 8 > CONV_BK) {
                    CHECK(false, "%s: BM %d %s chunk (row %d, col %d) outside its tile or misaligned", what.c_str(), BM, which, row, col);
                    return;
                }
                cover[dst / 8]++;
                for (int e = 0; e < 8; e++) smem[stage * elems + dst + e] = 0.f;
                if (!ok) return;
                if (src % 8 != 0 || src < 0 || src + 8 > (conv_i64)from.size()) {
                    if (misplaced++ < 3) CHECK(false, "%s: BM %d %s chunk for (row %d, k %d) reads %lld: misaligned or outside [0, %zu)",
                                               what.c_str(), BM, which, row, k, src, from.size());
                    else failures++;
                    return;
                }
                for (int e = 0; e < 8; e++) smem[stage * elems + dst + e] = from[src + e];
            };
            for (int j = 0; j < MI; j++) {
                const int row = im.loadRow(tid, j), gm = m0 + row;
                put(As, aCover, aElems, row, kin && gm < p.cout, im.wOffset(g, gm, k), wp, "A");
            }
            const conv_i64 src = im.qOffset(g, t, n0 + im.loadRow(tid, 0)) + (kin ? im.kOffset(g, k) : 0);
            for (int j = 0; j < CONV_BN / 32; j++) {
                const int row = im.loadRow(tid, j);
                put(Bs, bCover, bElems, row, kin && (!im.checkN || n0 + row < g.n), src + im.rowStep(g, j), copy, "B");
            }
        }
        // every chunk of both tiles is copied once (the 8 padding columns of a row are never read)
        for (int r = 0; r < BM; r++)
            for (int c = 0; c < CONV_BK / 8; c++) CHECK(aCover[(r * CONV_LDS + 8 * c) / 8] == 1, "%s: BM %d A chunk (%d, %d) copied %d times", what.c_str(), BM, r, c, aCover[(r * CONV_LDS + 8 * c) / 8]);
        for (int r = 0; r < CONV_BN; r++)
            for (int c = 0; c < CONV_BK / 8; c++) CHECK(bCover[(r * CONV_LDS + 8 * c) / 8] == 1, "%s: BM %d B chunk (%d, %d) copied %d times", what.c_str(), BM, r, c, bCover[(r * CONV_LDS + 8 * c) / 8]);
    };

    // acc[warp][lane][mi][ni][e]
    std::vector<float> acc(8 * 32 * MI * 4 * 4);
    auto A_ = [&](int warp, int lane, int mi, int ni, int e) -> float& { return acc[(((warp * 32 + lane) * MI + mi) * 4 + ni) * 4 + e]; };
    // ldmatrix.x4 as the ISA defines it: register j of lane l holds elements 2(l%4), 2(l%4)+1 of
    // row l/4 of matrix j, whose row r address lane 8j + r supplied.
    auto ldmatrix = [&](const float* tile, int tileElems, const std::function<int(int)>& rowAddr, int lane, float (&reg)[4][2]) {
        for (int j = 0; j < 4; j++) {
            const int a = rowAddr(8 * j + lane / 4) + 2 * (lane % 4);
            for (int e = 0; e < 2; e++) reg[j][e] = a >= 0 && a + e < tileElems ? tile[a + e] : NAN;
        }
    };

    for (int t = 0; t < tOut; t++)
        for (int by = 0; by < (p.cout + BM - 1) / BM; by++)
            for (int bx = 0; bx < (g.n + CONV_BN - 1) / CONV_BN; bx++) {
                const int m0 = by * BM, n0 = bx * CONV_BN;
                std::fill(acc.begin(), acc.end(), 0.f);
                for (int s = 0; s < CONV_STAGES - 1 && s < ktiles; s++) loadStage(s, s, m0, n0, t);
                for (int kt = 0; kt < ktiles; kt++) {
                    if (kt + CONV_STAGES - 1 < ktiles) loadStage((kt + CONV_STAGES - 1) % CONV_STAGES, kt + CONV_STAGES - 1, m0, n0, t);
                    const float* as = &As[(kt % CONV_STAGES) * aElems];
                    const float* bs = &Bs[(kt % CONV_STAGES) * bElems];
                    for (int kk = 0; kk < CONV_BK; kk += 16)
                        for (int warp = 0; warp < 8; warp++) {
                            const int wm = warp >> 2, wn = warp & 3;
                            float a[32][4][4][2], b[32][4][2][2];   // [lane][mi][reg][half], [lane][ni][reg][half]
                            for (int lane = 0; lane < 32; lane++) {
                                for (int mi = 0; mi < MI; mi++) {
                                    float r[4][2];
                                    ldmatrix(as, aElems, [&](int l) { return im.aFrag(BM, wm, mi, kk, l); }, lane, r);
                                    std::memcpy(a[lane][mi], r, sizeof r);
                                }
                                for (int nj = 0; nj < 2; nj++) {
                                    float r[4][2];
                                    ldmatrix(bs, bElems, [&](int l) { return im.bFrag(BM, wn, nj, kk, l); }, lane, r);
                                    // matrices 0, 1 → {b0, b1} of n8 tile 2nj; 2, 3 → of 2nj + 1
                                    std::memcpy(b[lane][2 * nj][0], r[0], sizeof r[0]);
                                    std::memcpy(b[lane][2 * nj][1], r[1], sizeof r[1]);
                                    std::memcpy(b[lane][2 * nj + 1][0], r[2], sizeof r[2]);
                                    std::memcpy(b[lane][2 * nj + 1][1], r[3], sizeof r[3]);
                                }
                            }
                            // mma.m16n8k16 from the ISA's fragment figures (g = lane/4, t = lane%4):
                            // A[g][2t+e] = a0, A[g+8][2t+e] = a1, A[g][2t+8+e] = a2, A[g+8][2t+8+e] = a3;
                            // B[2t+e][g] = b0, B[2t+8+e][g] = b1; D[g][2t], D[g][2t+1], D[g+8][2t], D[g+8][2t+1]
                            for (int mi = 0; mi < MI; mi++)
                                for (int ni = 0; ni < 4; ni++) {
                                    float Am[16][16], Bm[16][8];
                                    for (int l = 0; l < 32; l++) {
                                        const int gq = l / 4, tq = l % 4;
                                        for (int e = 0; e < 2; e++) {
                                            Am[gq][2 * tq + e] = a[l][mi][0][e];
                                            Am[gq + 8][2 * tq + e] = a[l][mi][1][e];
                                            Am[gq][2 * tq + 8 + e] = a[l][mi][2][e];
                                            Am[gq + 8][2 * tq + 8 + e] = a[l][mi][3][e];
                                            Bm[2 * tq + e][gq] = b[l][ni][0][e];
                                            Bm[2 * tq + 8 + e][gq] = b[l][ni][1][e];
                                        }
                                    }
                                    for (int l = 0; l < 32; l++) {
                                        const int gq = l / 4, tq = l % 4;
                                        for (int e = 0; e < 4; e++) {
                                            const int r = gq + 8 * (e >> 1), c = 2 * tq + (e & 1);
                                            float d = 0.f;
                                            for (int k = 0; k < 16; k++) d += Am[r][k] * Bm[k][c];
                                            A_(warp, l, mi, ni, e) += d;
                                        }
                                    }
                                }
                        }
                }
                // epilogue
                for (int warp = 0; warp < 8; warp++) {
                    const int wm = warp >> 2, wn = warp & 3;
                    for (int lane = 0; lane < 32; lane++)
                        for (int mi = 0; mi < MI; mi++)
                            for (int half = 0; half < 2; half++) {
                                const int m = m0 + im.accRow(BM, wm, mi, lane, 2 * half);
                                if (m >= p.cout) continue;
                                for (int ni = 0; ni < 4; ni++)
                                    for (int e = 0; e < 2; e++) {
                                        const int q = n0 + im.accCol(BM, wn, ni, lane, e);
                                        if (q >= g.n) continue;
                                        const conv_i64 at = im.outOffset(g, p.cout, pixels, t, m, q);
                                        if (at < 0) continue;
                                        if (at >= (conv_i64)out.size()) {
                                            CHECK(false, "%s: BM %d output (t %d, o %d, q %d) stored at %lld, outside %zu", what.c_str(), BM, t, m, q, at, out.size());
                                            continue;
                                        }
                                        out[at] = A_(warp, lane, mi, ni, 2 * half + e) + bias[m];
                                        outWritten[at]++;
                                    }
                            }
                }
            }

    }

    // ---- the direct convolution (Backend.conv3d's definition), exact in double
    int wrong = 0;
    for (int t = 0; t < tOut; t++)
        for (int o = 0; o < p.cout; o++)
            for (int y = 0; y < hOut; y++)
                for (int xo = 0; xo < wOut; xo++) {
                    double sum = bias[o];
                    for (int dt = 0; dt < p.kt; dt++) {
                        const int f = t + dt - p.padFront;
                        if (f < 0) continue;
                        const float* src = f < p.histFrames ? &hist[(size_t)f * p.cin * p.h * p.w] : &x[(size_t)(f - p.histFrames) * p.cin * p.h * p.w];
                        for (int c = 0; c < p.cin; c++)
                            for (int dy = 0; dy < p.kh; dy++) {
                                const int iy = y + dy - p.padTop;
                                if (iy < 0 || iy >= p.h) continue;
                                for (int dx = 0; dx < p.kw; dx++) {
                                    const int ix = xo + dx - p.padLeft;
                                    if (ix < 0 || ix >= p.w) continue;
                                    sum += (double)wt[(((size_t)o * p.cin + c) * p.kt + dt) * p.kh * p.kw + dy * p.kw + dx] *
                                           src[((size_t)c * p.h + iy) * p.w + ix];
                                }
                            }
                    }
                    const size_t at = (((size_t)t * p.cout + o) * hOut + y) * wOut + xo;
                    if (outWritten[at] != 1 || !(out[at] == (float)sum)) {
                        if (wrong++ < 3) {
                            CHECK(false, "%s: %s %d out[t %d, o %d, y %d, x %d] = %g written %d times, expected %g", what.c_str(),
                                  wgmma ? "wgmma BN" : "BM", tile, t, o, y, xo, out[at], outWritten[at], sum);
                        } else {
                            failures++;
                        }
                    }
                }
    return failures - before;
}

// The accumulator maps of each tile height cover the BM×128 block tile exactly once.
static void checkTileMaps(const Impl& im, int BM) {
    std::vector<int> seen(BM * CONV_BN, 0);
    for (int warp = 0; warp < 8; warp++)
        for (int lane = 0; lane < 32; lane++)
            for (int mi = 0; mi < BM / 32; mi++)
                for (int ni = 0; ni < 4; ni++)
                    for (int e = 0; e < 4; e++) {
                        const int r = im.accRow(BM, warp >> 2, mi, lane, e), c = im.accCol(BM, warp & 3, ni, lane, e);
                        if (r >= 0 && r < BM && c >= 0 && c < CONV_BN) seen[r * CONV_BN + c]++;
                        else CHECK(false, "BM %d: accumulator (warp %d lane %d mi %d ni %d e %d) at (%d, %d), outside the tile", BM, warp, lane, mi, ni, e, r, c);
                    }
    int bad = 0;
    for (int v : seen) bad += v != 1;
    CHECK(bad == 0, "BM %d: %d tile elements not covered exactly once by the accumulators", BM, bad);
    CHECK(ConvTile<32>::SMEM_BYTES == 3 * (32 + 128) * 72 * 2 && ConvTile<96>::SMEM_BYTES == 3 * (96 + 128) * 72 * 2 &&
              ConvTile<128>::SMEM_BYTES == 3 * (128 + 128) * 72 * 2,
          "shared memory per tile height is not what CudaBackend asks for");
}

// The wgmma kernel's ring for tile width BN: tiles 1024-byte aligned and disjoint within the window
// the host asks for; every chunk slot of a tile used once; every (row, k) that the kernel's
// descriptors make a wgmma read (ISA model) is the byte where the loader stored it; the
// accumulator map covers the warpgroup's 64×BN tile once, as the ISA's figure places it.
static void checkSm90Tiles(const Impl& im, int BN) {
    const uint32_t base = 2048;
    const uint32_t stageBytes = CONV_SM90_BM * SM90_ROW_BYTES + bBytes(BN);
    CHECK(smemBytes(BN) == WGMMA_STAGES * stageBytes + 1024 && smemBytes(BN) <= 232448, "BN %d: %u bytes of shared memory", BN, smemBytes(BN));
    for (int stage = 0; stage < WGMMA_STAGES; stage++) {
        const uint32_t a = im.aTile(BN, base, stage), b = im.bTile(BN, base, stage);
        CHECK(a % 1024 == 0 && b % 1024 == 0, "BN %d stage %d: tiles at %u and %u, not 1024-byte aligned", BN, stage, a, b);
        CHECK(a >= base && b >= a + CONV_SM90_BM * SM90_ROW_BYTES && b + bBytes(BN) <= base + smemBytes(BN) - 1024 &&
                  (stage == 0 || a >= im.bTile(BN, base, stage - 1) + bBytes(BN)),
              "BN %d stage %d: tiles overlap or leave the window", BN, stage);
        for (int wg = 0; wg < 2; wg++)
            for (uint32_t kk = 0; kk < 4; kk++) {
                const uint64_t dA = im.descK(im.desc(im.aRowsOf(BN, a, wg)), kk), dB = im.descK(im.desc(b), kk);
                for (uint32_t k = 0; k < 16; k++) {
                    for (uint32_t m = 0; m < 64; m++) {
                        const uint32_t row = 64 * wg + m, kc = 16 * kk + k;
                        const uint32_t stored = a + im.chunkOffset(row, kc / 8) + (kc % 8) * 2;
                        CHECK(isa::kMajorAddress(dA, m, k) == stored, "BN %d stage %d wg %d: A(q %u, k %u) read at %u, stored at %u", BN, stage, wg, row,
                              kc, isa::kMajorAddress(dA, m, k), stored);
                    }
                    for (uint32_t n = 0; n < (uint32_t)BN; n++) {
                        const uint32_t kc = 16 * kk + k, stored = b + im.chunkOffset(n, kc / 8) + (kc % 8) * 2;
                        CHECK(isa::kMajorAddress(dB, n, k) == stored, "BN %d stage %d: B(o %u, k %u) read at %u, stored at %u", BN, stage, n, kc,
                              isa::kMajorAddress(dB, n, k), stored);
                    }
                }
            }
    }
    std::vector<int> seen(64 * BN, 0);
    int off = 0;
    for (uint32_t th = 0; th < 128; th++)
        for (uint32_t i = 0; i < (uint32_t)BN / 2; i++) {
            const uint32_t r = im.sm90AccRow(th, i), c = im.sm90AccCol(th, i);
            if (r < 64 && c < (uint32_t)BN) seen[r * BN + c]++;
            off += !(r == isa::accRow(th, i) && c == isa::accCol(th, i));
        }
    int bad = 0;
    for (int v : seen) bad += v != 1;
    CHECK(bad == 0 && off == 0, "BN %d: the accumulator map covers %d of 64x%d elements other than once, and differs from the ISA's figure at %d",
          BN, bad, BN, off);
}

// The decoder's 512×512 geometry, the figures docs/cuda-performance.md and ConvFastGeometryTest quote.
static void checkDecoderGeometry() {
    const int Hp = 514, Wp = 514, cp = 96;
    const ConvGeom g = {cp, 9, 3, Wp, (Hp + 1) * Wp, 512 * Wp, 27 * cp, 512};
    CHECK(g.plane == 264710 && g.n == 263168 && g.k == 2592, "512x512 geometry: plane %d, n %d, k %d", g.plane, g.n, g.k);
    // the largest offset a junk position's last tap reads stays inside the last frame's plane
    const conv_i64 last = conv_q_offset(g, 0, g.n - 1) + conv_k_offset(g, g.k - 8) + 7;
    CHECK(last < (conv_i64)3 * g.plane * g.cp, "last read %lld past the 3-frame copy", last);
}

static std::vector<Problem> problems(bool full) {
    std::vector<Problem> ps;
    // fixed cases: the 3×3×3 causal conv at the start (front padding 2, no history) and later (history 2),
    // 1×3×3 (the resample's spatial conv), 1×1×1 (shortcuts, attention projections), the time conv (3×1×1),
    // cin a multiple of the k-tile and not, the image head (cout 3), a 1×1 frame
    ps.push_back({5, 7, 3, 3, 3, 2, 1, 1, 1, 1, 9, 11, 0, 1, true, 1});
    ps.push_back({12, 40, 3, 3, 3, 0, 1, 1, 1, 1, 7, 13, 2, 2, true, 2});
    ps.push_back({24, 33, 1, 3, 3, 0, 1, 1, 1, 1, 10, 6, 0, 2, false, 3});
    ps.push_back({16, 20, 1, 1, 1, 0, 0, 0, 0, 0, 5, 29, 0, 3, true, 4});
    ps.push_back({8, 17, 3, 1, 1, 1, 0, 0, 0, 0, 6, 5, 1, 2, true, 5});
    ps.push_back({96, 3, 3, 3, 3, 0, 1, 1, 1, 1, 3, 4, 2, 1, true, 6});
    ps.push_back({3, 5, 1, 3, 3, 0, 1, 1, 1, 1, 1, 1, 0, 1, true, 7});
    ps.push_back({64, 130, 3, 3, 3, 2, 1, 1, 1, 1, 4, 3, 0, 1, false, 8});
    std::mt19937 rng(20261129);
    const int random = full ? 60 : 6;
    for (int i = 0; i < random; i++) {
        Problem p;
        p.cin = 1 + (int)(rng() % (rng() % 4 == 0 ? 70 : 20));
        p.cout = 1 + (int)(rng() % (rng() % 3 == 0 ? 140 : 40));
        p.kt = rng() % 2 ? 3 : 1;
        p.kh = rng() % 3 ? 3 : 1;
        p.kw = rng() % 4 ? p.kh : 1 + 2 * (int)(rng() % 2);
        p.padFront = (int)(rng() % p.kt);
        p.padTop = (int)(rng() % (p.kh / 2 + 1)); p.padBottom = (int)(rng() % (p.kh / 2 + 1));
        p.padLeft = (int)(rng() % (p.kw / 2 + 1)); p.padRight = (int)(rng() % (p.kw / 2 + 1));
        p.h = std::max(1, p.kh - p.padTop - p.padBottom) + (int)(rng() % 9);
        p.w = std::max(1, p.kw - p.padLeft - p.padRight) + (int)(rng() % 17);
        p.histFrames = (int)(rng() % 3);
        p.frames = std::max(1, p.kt - p.padFront - p.histFrames) + (int)(rng() % 2);
        p.bias = rng() % 2;
        p.seed = 100 + i;
        ps.push_back(p);
    }
    return ps;
}

static void runAll(const Impl& im, bool full) {
    for (int bm : {32, 96, 128}) checkTileMaps(im, bm);
    for (int bn : {32, 96, 192}) checkSm90Tiles(im, bn);
    if (!full && failures > 0) return;
    const std::vector<Problem> ps = problems(full);
    // (kernel, tile): the mma.sync kernels' heights, then the wgmma kernels' widths
    const int tiles[6] = {32, 96, 128, 32, 96, 192};
    for (size_t i = 0; i < ps.size(); i++) {
        // every kernel on the fixed cases, one per random case (in turn) to keep the run short
        for (int j = 0; j < 6; j++) {
            if (i >= 8 && j != (int)(i % 6)) continue;
            checkProblem(im, ps[i], tiles[j], j >= 3);
            if (!full && failures > 0) return;   // a mutant: caught, stop early
        }
    }
}

// ---- mutants ----------------------------------------------------------------------------------
static conv_i64 mutKSwapDyDx(const ConvGeom& g, int k) {
    const int tap = k / g.cp, c = k - tap * g.cp, dt = tap / g.khw, r = tap - dt * g.khw, dy = r / g.kw, dx = r - dy * g.kw;
    return ((conv_i64)dt * g.plane + (conv_i64)dx * g.wp + dy) * g.cp + c;
}
static conv_i64 mutKNoTime(const ConvGeom& g, int k) {
    const int tap = k / g.cp, c = k - tap * g.cp, r = tap % g.khw, dy = r / g.kw, dx = r - dy * g.kw;
    return ((conv_i64)dy * g.wp + dx) * g.cp + c;
}
static conv_i64 mutKChannelMajor(const ConvGeom& g, int k) {   // k read as c·taps + tap, the old path's order
    const int taps = g.k / g.cp, c = k / taps, tap = k - c * taps, dt = tap / g.khw, r = tap - dt * g.khw, dy = r / g.kw, dx = r - dy * g.kw;
    return ((conv_i64)dt * g.plane + (conv_i64)dy * g.wp + dx) * g.cp + c;
}
static conv_i64 mutWeightTapsInner(int cin, int taps, int cp, int o, int k) {   // weight read as [cout][taps][cin]
    const int tap = k / cp, c = k - tap * cp;
    return c >= cin ? -1 : ((conv_i64)o * taps + tap) * cin + c;
}
static ConvSource mutPadNoLeft(const ConvPad& p, int tau, int yy, int xx, int c) {
    ConvPad q = p;
    q.padLeft = 0;
    return conv_pad_source(q, tau, yy, xx, c);
}
static ConvSource mutPadNewFramesIndex(const ConvPad& p, int tau, int yy, int xx, int c) {   // new frames indexed from the clip's start
    ConvSource s = conv_pad_source(p, tau, yy, xx, c);
    if (s.from == 2) s.at += (conv_i64)p.histFrames * p.cin * p.h * p.w;
    return s;
}
static ConvSource mutPadFrontIgnored(const ConvPad& p, int tau, int yy, int xx, int c) {
    ConvPad q = p;
    q.padFront = 0;
    return conv_pad_source(q, tau, yy, xx, c);
}
static ConvPadThread mutPadThreadChannels(int groups, int bx, int by, int bz, int tid) {
    ConvPadThread t = conv_pad_thread(groups, bx, by, bz, tid);
    t.c0 = (bz - t.tau * groups) * 64 + (tid >> 5) * 4;
    return t;
}
static conv_i64 mutRowStep(const ConvGeom&, int j) { return (conv_i64)32 * j; }
static int mutLoadRow(int tid, int j) { return (tid >> 3) + 16 * j; }
static conv_i64 mutOutKeepsJunk(const ConvGeom& g, int cout, conv_i64 pixels, int t, int o, int q) {
    const int oy = q / g.wp, ox = q - oy * g.wp;
    if (ox > g.wOut) return -1;
    return ((conv_i64)t * cout + o) * pixels + (conv_i64)oy * g.wOut + ox;
}
static conv_i64 mutOutUnpadded(const ConvGeom&, int cout, conv_i64 pixels, int t, int o, int q) {   // q taken as oy·wOut + ox
    return ((conv_i64)t * cout + o) * pixels + q < ((conv_i64)t * cout + o + 1) * pixels ? ((conv_i64)t * cout + o) * pixels + q : -1;
}
static int mutAFragWarpRows64(int bm, int wm, int mi, int kk, int lane) { return kAFrag(bm, 0, mi, kk, lane) + wm * 64 * CONV_LDS; }
static int mutAFragHalves(int bm, int wm, int mi, int kk, int lane) { return kAFrag(bm, wm, mi, kk, lane ^ 16); }
static int mutBFragMatrices(int bm, int wn, int nj, int kk, int lane) { return kBFrag(bm, wn, nj, kk, lane ^ 8); }
static int mutAccRowHalf(int bm, int wm, int mi, int lane, int e) { return kAccRow(bm, wm, mi, lane, (e & 1) << 1); }
static int mutAccColPair(int bm, int wn, int ni, int lane, int e) { return kAccCol(bm, wn, ni, lane, e ^ 1); }

static conv_i64 mutWeightRowsCp(const ConvGeom& g, int o, int k) { return (conv_i64)o * g.cp + k; }
static uint32_t mutChunkNoSwizzle(uint32_t r, uint32_t c) { return r * SM90_ROW_BYTES + (c << 4); }
static uint32_t mutARowsOfWg0(int bn, uint32_t aTile, int) { return kARowsOf(bn, aTile, 0); }
static uint32_t mutBTileHalfA(int bn, uint32_t base, int stage) { return kATile(bn, base, stage) + 64 * SM90_ROW_BYTES; }
static uint64_t mutDescKStep16(uint64_t d, uint32_t k) { return d + k; }
static uint32_t mutSm90AccRowHalves(uint32_t t, uint32_t i) { return sm90_acc_row(t, i ^ 2u); }

int main() {
    Impl kernel = kernelImpl("kernel");
    checkDecoderGeometry();
    runAll(kernel, true);
    if (failures) {
        std::printf("conv layout: %d failures\n", failures);
        return 1;
    }
    const size_t cases = problems(true).size();
    std::vector<Impl> mutants;
    auto add = [&](const char* name, const std::function<void(Impl&)>& change) {
        Impl m = kernelImpl(name);
        change(m);
        mutants.push_back(m);
    };
    add("tap offset with dy and dx swapped", [](Impl& m) { m.kOffset = mutKSwapDyDx; });
    add("tap offset without the frame step", [](Impl& m) { m.kOffset = mutKNoTime; });
    add("depth decoded channel-major", [](Impl& m) { m.kOffset = mutKChannelMajor; });
    add("weight read as [cout][taps][cin]", [](Impl& m) { m.weightSource = mutWeightTapsInner; });
    add("copy ignores the left padding", [](Impl& m) { m.padSource = mutPadNoLeft; });
    add("copy ignores the front padding", [](Impl& m) { m.padSource = mutPadFrontIgnored; });
    add("new frames indexed after the history", [](Impl& m) { m.padSource = mutPadNewFramesIndex; });
    add("copy threads 4 channels apart", [](Impl& m) { m.padThread = mutPadThreadChannels; });
    add("no extra zero row in the copy", [](Impl& m) { m.extraRows = 0; });
    add("cp = cin (not rounded up to 8)", [](Impl& m) { m.roundCp = false; });
    add("B row step without the channels", [](Impl& m) { m.rowStep = mutRowStep; });
    add("loader row step 16", [](Impl& m) { m.loadRow = mutLoadRow; });
    add("no k < K predicate", [](Impl& m) { m.checkK = false; });
    add("no q < N predicate", [](Impl& m) { m.checkN = false; });
    add("junk column wOut kept", [](Impl& m) { m.outOffset = mutOutKeepsJunk; });
    add("output at the padded width", [](Impl& m) { m.outOffset = mutOutUnpadded; });
    add("A warp rows 64 apart (BM 128's)", [](Impl& m) { m.aFrag = mutAFragWarpRows64; });
    add("A fragment k halves swapped", [](Impl& m) { m.aFrag = mutAFragHalves; });
    add("B fragment matrices swapped", [](Impl& m) { m.bFrag = mutBFragMatrices; });
    add("accumulator rows: wrong half", [](Impl& m) { m.accRow = mutAccRowHalf; });
    add("accumulator columns swapped in pairs", [](Impl& m) { m.accCol = mutAccColPair; });
    add("weight rows cp apart", [](Impl& m) { m.wOffset = mutWeightRowsCp; });
    add("wgmma: tiles stored unswizzled", [](Impl& m) { m.chunkOffset = mutChunkNoSwizzle; });
    add("wgmma: both warpgroups on positions 0-63", [](Impl& m) { m.aRowsOf = mutARowsOfWg0; });
    add("wgmma: B tile inside the A tile", [](Impl& m) { m.bTile = mutBTileHalfA; });
    add("wgmma: k slice step 16 bytes", [](Impl& m) { m.descK = mutDescKStep16; });
    add("wgmma: accumulator rows g and g+8 swapped", [](Impl& m) { m.sm90AccRow = mutSm90AccRowHalves; });
    int missed = missedMutants(mutants, [](const Impl& m) { runAll(m, false); });
    if (missed) {
        std::printf("conv layout: %d of %zu mutants not caught\n", missed, mutants.size());
        return 1;
    }
    std::printf("conv layout: the copy, the re-laid weight, the loaders, the ldmatrix/mma fragments (conv_cl_m32/_m96/_m128) and the "
                "wgmma descriptors and accumulators (conv_cl_wgmma_n32/_n96/_n192, ISA model) and the epilogues give the direct convolution "
                "exactly on %zu cases; %zu mutants caught\n", cases, mutants.size());
    return 0;
}
