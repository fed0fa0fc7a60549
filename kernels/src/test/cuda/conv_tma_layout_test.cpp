// Host-side check of the TMA convolution (kernels/src/main/cuda/conv_tma_sm90.cu: the functions of
// conv_tma_sm90_layout.cuh it calls) against the wgmma convolution (conv_sm90.cu) whose bits it must
// give. Both kernels are emulated over the same memory, every element of the channels-last copy and
// of the re-laid weight holding its own index + 1 (so a value says which element was read, and 0
// that the loader filled a zero):
//   - the wgmma kernel's k16 chunks in issue order: chunk i of K, rows q = n0 + r read by cp.async
//     from conv_q_offset + conv_k_offset (zeros where k ≥ K or q ≥ n), channels o read from W';
//   - the TMA kernel's: per k-tile the producer's two boxes (conv_tma_x_row/_x_col over the copy as
//     the host encodes its map, [seqFrames·plane rows][cp], and conv_tma_w_col over W' [cout][K];
//     zeros outside either map, as TMA fills them), 4 chunks each, as tma_consume_tile issues them.
// Required, for the decoder's convolutions (real channel counts, small ragged frames, and the
// full-size 512×512 geometry on its first and last blocks) and random ragged ones with cp a
// multiple of 16: the TMA kernel's chunks whose channels lie below cp are the wgmma kernel's K/16
// real chunks in the same order, each with the same values on every kept row (q < n) and channel
// (o < cout); its other chunks are zero on every kept row of X (the zero-chunk argument of
// conv_tma_sm90_layout.cuh); the boxes obey cuTensorMapEncodeTiled's rules; the shared memory is
// what CudaConvolution allows; and the barrier pipeline (tma_schedule_model.h) holds for the
// k-tile counts and ring sizes these convolutions use. Then mutants of the box choice must be caught.
// The halves kernel (conv_cl_tma_h32_n*, cp ≡ 32 mod 64) is emulated through shared memory: its two
// X boxes per k-tile placed as TMA places 64-byte-swizzled boxes and read through its 64-byte
// descriptors as the ISA model says wgmma reads (sm90_isa_model.h); every one of its chunks, zero
// ones included, must be the wgmma kernel's chunk of the same index on every kept row.
// Run by scripts/build-ptx.sh --check (no GPU needed). Exit status 0 = pass.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "layout_check.h"
#include "../../main/cuda/conv_tma_sm90_layout.cuh"
#include "sm90_isa_model.h"
#include "tma_schedule_model.h"

struct Shape {
    int cin, cout, kt, kh, kw, padFront, padTop, padBottom, padLeft, padRight, h, w, hist, frames;
};

// The geometry as ConvFastGeometry.of builds it.
struct Geo {
    ConvGeom g;
    int seqFrames, tOut, hp;
};

static Geo geometry(const Shape& s) {
    const int cp = (s.cin + 7) & ~7, taps = s.kt * s.kh * s.kw;
    const int hp = s.h + s.padTop + s.padBottom, wp = s.w + s.padLeft + s.padRight;
    const int hOut = hp - s.kh + 1, wOut = wp - s.kw + 1, seqFrames = s.padFront + s.hist + s.frames;
    Geo r;
    r.g = {cp, s.kh * s.kw, s.kw, wp, (hp + 1) * wp, hOut * wp, taps * cp, wOut};
    r.seqFrames = seqFrames;
    r.tOut = seqFrames - s.kt + 1;
    r.hp = hp;
    return r;
}

static std::string describe(const Shape& s) {
    char b[200];
    std::snprintf(b, sizeof b, "cin %d cout %d kernel %dx%dx%d pad %d/%d/%d/%d/%d %dx%d hist %d frames %d", s.cin, s.cout, s.kt, s.kh, s.kw,
                  s.padFront, s.padTop, s.padBottom, s.padLeft, s.padRight, s.h, s.w, s.hist, s.frames);
    return b;
}

// The TMA kernel's box choice and the host's X map, replaceable piece by piece by the mutants.
struct Impl {
    const char* name;
    std::function<int(const ConvGeom&)> ktiles;
    std::function<int(const ConvGeom&, int)> xCol, wCol;
    std::function<int(const ConvGeom&, int, int, int)> xRow;
    std::function<long long(const ConvGeom&)> xInner;   // the X map's inner extent (CudaConvolution.convTmaArgs: cp)
};

static Impl kernelImpl(const char* name) {
    return {name, [](const ConvGeom& g) { return conv_tma_ktiles(g); }, [](const ConvGeom& g, int kt) { return conv_tma_x_col(g, kt); },
            [](const ConvGeom& g, int kt) { return conv_tma_w_col(g, kt); },
            [](const ConvGeom& g, int t, int n0, int kt) { return conv_tma_x_row(g, t, n0, kt); },
            [](const ConvGeom& g) { return (long long)g.cp; }};
}

// One k16 chunk as a wgmma reads it: A rows × 16 element ids (0 = a zero), B rows × 16.
struct Chunk {
    std::vector<long long> a, b;
};

// The wgmma kernel's chunk i (k = 16i .. 16i + 15) of the block (n0, o0, frame t), as its load_stage fills it.
static Chunk wgmmaChunk(const ConvGeom& g, int cout, int t, int n0, int o0, int bn, int i) {
    Chunk c;
    c.a.assign(128 * 16, 0);
    c.b.assign((size_t)bn * 16, 0);
    for (int e = 0; e < 16; e++) {
        const int k = 16 * i + e;
        if (k >= g.k) continue;
        for (int r = 0; r < 128; r++)
            if (n0 + r < g.n) c.a[r * 16 + e] = conv_q_offset(g, t, n0 + r) + conv_k_offset(g, k - k % 8) + k % 8 + 1;
        for (int r = 0; r < bn; r++)
            if (o0 + r < cout) c.b[r * 16 + e] = conv_w_offset(g, o0 + r, k - k % 8) + k % 8 + 1;
    }
    return c;
}

// Chunk s of the TMA kernel's k-tile kt: its boxes' columns [16s, 16s + 16), zero outside the maps.
static Chunk tmaChunk(const Impl& im, const ConvGeom& g, long long xRows, int cout, int t, int n0, int o0, int bn, int kt, int s) {
    Chunk c;
    c.a.assign(128 * 16, 0);
    c.b.assign((size_t)bn * 16, 0);
    const long long inner = im.xInner(g);
    const int row0 = im.xRow(g, t, n0, kt), xc0 = im.xCol(g, kt), wc0 = im.wCol(g, kt);
    for (int e = 0; e < 16; e++) {
        const int xc = xc0 + 16 * s + e, wc = wc0 + 16 * s + e;
        for (int r = 0; r < 128; r++) {
            const long long row = (long long)row0 + r;
            if (row >= 0 && row < xRows && xc < inner) c.a[r * 16 + e] = row * g.cp + xc + 1;
        }
        for (int r = 0; r < bn; r++)
            if (o0 + r < cout && wc < g.k) c.b[r * 16 + e] = (long long)(o0 + r) * g.k + wc + 1;
    }
    return c;
}

// One block of the TMA kernel against the wgmma kernel's.
static void checkBlock(const Impl& im, const Shape& s, const Geo& geo, int bn, int t, int n0, int o0) {
    const ConvGeom& g = geo.g;
    const long long xRows = (long long)geo.seqFrames * g.plane;
    const int ktiles = im.ktiles(g);
    int real = 0;   // the TMA kernel's real chunks so far: the next is the wgmma kernel's chunk `real`
    for (int kt = 0; kt < ktiles; kt++) {
        for (int c = 0; c < 4; c++) {
            const Chunk tc = tmaChunk(im, g, xRows, s.cout, t, n0, o0, bn, kt, c);
            if (im.xCol(g, kt) + 16 * c < g.cp) {   // channels below cp: a real chunk
                if (real >= g.k / 16) {
                    CHECK(false, "%s: BN %d block (t %d, q %d, o %d): k-tile %d chunk %d is real past K's %d chunks", describe(s).c_str(), bn, t,
                          n0, o0, kt, c, g.k / 16);
                    return;
                }
                const Chunk wc = wgmmaChunk(g, s.cout, t, n0, o0, bn, real);
                for (int r = 0; r < 128 && n0 + r < g.n; r++)
                    for (int e = 0; e < 16; e++)
                        if (tc.a[r * 16 + e] != wc.a[r * 16 + e]) {
                            CHECK(false, "%s: BN %d block (t %d, q %d, o %d): k-tile %d chunk %d (K chunk %d) reads X element %lld at row %d k %d, the wgmma kernel %lld",
                                  describe(s).c_str(), bn, t, n0, o0, kt, c, real, tc.a[r * 16 + e] - 1, r, e, wc.a[r * 16 + e] - 1);
                            return;
                        }
                for (int r = 0; r < bn && o0 + r < s.cout; r++)
                    for (int e = 0; e < 16; e++)
                        if (tc.b[r * 16 + e] != wc.b[r * 16 + e]) {
                            CHECK(false, "%s: BN %d block (t %d, q %d, o %d): k-tile %d chunk %d (K chunk %d) reads W' element %lld at o %d k %d, the wgmma kernel %lld",
                                  describe(s).c_str(), bn, t, n0, o0, kt, c, real, tc.b[r * 16 + e] - 1, r, e, wc.b[r * 16 + e] - 1);
                            return;
                        }
                real++;
            } else {   // past cp: X must be zero on every kept row, so that the chunk adds only zero products
                for (int r = 0; r < 128 && n0 + r < g.n; r++)
                    for (int e = 0; e < 16; e++)
                        if (tc.a[r * 16 + e] != 0) {
                            CHECK(false, "%s: BN %d block (t %d, q %d, o %d): k-tile %d chunk %d past cp reads X element %lld at row %d", describe(s).c_str(),
                                  bn, t, n0, o0, kt, c, tc.a[r * 16 + e] - 1, r);
                            return;
                        }
            }
        }
    }
    CHECK(real == g.k / 16, "%s: BN %d block (t %d, q %d, o %d): %d real chunks, K has %d", describe(s).c_str(), bn, t, n0, o0, real, g.k / 16);
}

// ---- The halves kernel (conv_cl_tma_h32_n*, cp ≡ 32 mod 64): its box choice, replaceable by the mutants.
struct HalvesImpl {
    const char* name;
    std::function<int(const ConvGeom&)> ktiles;
    std::function<int(const ConvGeom&, int, int)> xCol;             // (kt, half j)
    std::function<int(const ConvGeom&, int, int, int, int)> xRow;   // (t, n0, kt, half j)
    std::function<int(int)> wCol;                                   // (kt)
};

static HalvesImpl halvesImpl(const char* name) {
    return {name, [](const ConvGeom& g) { return conv_tma_h32_ktiles(g); },
            [](const ConvGeom& g, int kt, int j) { return conv_tma_h32_x_col(g, kt, j); },
            [](const ConvGeom& g, int t, int n0, int kt, int j) { return conv_tma_h32_x_row(g, t, n0, kt, j); },
            [](int kt) { return conv_tma_h32_w_col(kt); }};
}

// One block of the halves kernel against the wgmma kernel's, through shared memory: per k-tile the
// producer's two X boxes (128 rows × 32 channels of the map [seqFrames·plane][cp], zeros outside)
// land in the A tile's halves as TMA places a 64-byte-swizzled box (isa::tmaBoxAddress), and the
// consumers' 4 slices read them through the kernel's descriptors (sm90_desc64, sm90_desc64_k) as
// the ISA model says wgmma does (isa::kMajorAddress); W's box gives columns wCol + 16s + e. Every
// chunk, the zero ones included, must be the wgmma kernel's chunk 4kt + s on every kept row.
static void checkBlockHalves(const HalvesImpl& im, const Shape& s, const Geo& geo, int bn, int t, int n0, int o0) {
    typedef Sm90Ring<96> Ring;   // the A tile's layout is the same at every BN
    const ConvGeom& g = geo.g;
    const long long xRows = (long long)geo.seqFrames * g.plane;
    const int ktiles = im.ktiles(g);
    CHECK(ktiles == (g.k + SM90_BK - 1) / SM90_BK, "%s: %d k-tiles, the wgmma kernel has %d", describe(s).c_str(), ktiles,
          (g.k + SM90_BK - 1) / SM90_BK);
    const uint32_t aTile = Ring::a_tile(0, 1);
    std::vector<long long> mem(Ring::A_BYTES / 2);
    for (int kt = 0; kt < ktiles; kt++) {
        std::fill(mem.begin(), mem.end(), -1);   // -1: a byte no box wrote
        for (int j = 0; j < 2; j++) {
            const uint32_t half = Ring::a_half(aTile, j);
            const int row0 = im.xRow(g, t, n0, kt, j), c0 = im.xCol(g, kt, j);
            for (int r = 0; r < 128; r++)
                for (int c = 0; c < 32; c++) {
                    const long long row = (long long)row0 + r, xc = (long long)c0 + c;
                    mem[(isa::tmaBoxAddress(half, 64, 64, r, c) - aTile) / 2] = row >= 0 && row < xRows && xc >= 0 && xc < g.cp ? row * g.cp + xc + 1 : 0;
                }
        }
        for (int sl = 0; sl < 4; sl++) {
            const int i = 4 * kt + sl;
            const Chunk wc = wgmmaChunk(g, s.cout, t, n0, o0, bn, i);
            for (int wg = 0; wg < 2; wg++) {
                const uint64_t d = sm90_desc64_k(sm90_desc64(Ring::a_half_rows_of(Ring::a_half(aTile, 0), wg)), sl);
                for (int m = 0; m < 64 && n0 + 64 * wg + m < g.n; m++)
                    for (int e = 0; e < 16; e++) {
                        const uint32_t at = isa::kMajorAddress(d, m, e) - aTile;
                        const long long got = at < Ring::A_BYTES ? mem[at / 2] : -2, want = wc.a[(64 * wg + m) * 16 + e];
                        if (got != want) {
                            CHECK(false, "%s: halves BN %d block (t %d, q %d, o %d): k-tile %d slice %d (chunk %d) reads X element %lld at row %d k %d, the wgmma kernel %lld",
                                  describe(s).c_str(), bn, t, n0, o0, kt, sl, i, got - 1, 64 * wg + m, e, want - 1);
                            return;
                        }
                    }
            }
            for (int r = 0; r < bn && o0 + r < s.cout; r++)
                for (int e = 0; e < 16; e++) {
                    const int col = im.wCol(kt) + 16 * sl + e;
                    const long long got = col >= 0 && col < g.k ? (long long)(o0 + r) * g.k + col + 1 : 0;
                    if (got != wc.b[r * 16 + e]) {
                        CHECK(false, "%s: halves BN %d block (t %d, q %d, o %d): k-tile %d slice %d reads W' element %lld at o %d k %d, the wgmma kernel %lld",
                              describe(s).c_str(), bn, t, n0, o0, kt, sl, got - 1, r, e, wc.b[r * 16 + e] - 1);
                        return;
                    }
                }
        }
    }
}

// cuTensorMapEncodeTiled's rules (as scripts/stub-cuda/libcuda_stub.c holds them) for the two maps
// CudaConvolution.convTmaArgs encodes, and the TMA coordinates' range.
static void checkMaps(const Shape& s, const Geo& geo, int bn) {
    const ConvGeom& g = geo.g;
    const unsigned long long xRows = (unsigned long long)geo.seqFrames * g.plane;
    CHECK(g.cp * 2 % 16 == 0 && g.k * 2 % 16 == 0, "%s: a row stride not a multiple of 16 bytes", describe(s).c_str());
    CHECK(xRows <= (1ull << 31) - 1 && (unsigned long long)g.k <= (1ull << 32), "%s: a map too large for int coordinates", describe(s).c_str());
    // boxes of 64 bf16 (128 bytes: the 128-byte swizzle's span) × 128 rows (X) and bn rows (W), at most 256 each
    CHECK(CONV_TMA_BM <= 256 && bn <= 256, "box beyond the rules");
    // the halves kernel's X boxes: 32 bf16 = 64 bytes, the 64-byte swizzle's span, as one half's rows
    if (conv_tma_halves(g.cp)) CHECK(32 * 2 <= 64 && 32 * 2 == SM90_HALF_ROW_BYTES, "%s: halves box wider than its swizzle", describe(s).c_str());
}

template <int BN>
static void checkRingBytes(uint32_t expected) {
    typedef ConvTmaRing<BN> R;
    CHECK(R::SMEM_BYTES == expected, "BN %d: %u bytes of shared memory, CudaConvolution allows %u", BN, R::SMEM_BYTES, expected);
    // the barriers after the ring, inside the window once its base is rounded up (at most 1008 bytes lost)
    CHECK(TmaSchedule<R::STAGES>::empty_bar(0, R::RING_BYTES, R::STAGES - 1) + 8 + 1008 <= R::SMEM_BYTES, "BN %d: barriers past the window", BN);
    CHECK(Sm90Ring<BN>::STAGE_BYTES % SM90_GROUP_BYTES == 0, "BN %d: stages not 1024-byte aligned", BN);
    // the full barrier expects the stage's bytes: the X box's and the W box's, zero-filled parts included
    CHECK(Sm90Ring<BN>::STAGE_BYTES == (uint32_t)(CONV_TMA_BM + BN) * 64 * 2, "BN %d: the stage is not the two boxes", BN);
    // the halves kernel's: two X boxes of 128 × 32 and the W box, the same count
    CHECK(Sm90Ring<BN>::STAGE_BYTES == 2u * CONV_TMA_BM * 32 * 2 + (uint32_t)BN * 64 * 2, "BN %d: the stage is not the halves kernel's three boxes", BN);
    CHECK(Sm90Ring<BN>::a_half(0, 1) + SM90_A_HALF_BYTES == Sm90Ring<BN>::b_tile(0, 0), "BN %d: the halves do not fill the A tile", BN);
}

// A random geometry around s.cin (set by the caller): cout up to coutSpan (a third of the time, else 40),
// kt and kh/kw of 1 or 3 with front and side padding, planes ragged against the 128-position tiles, 0-2
// history frames and enough frames for an output.
template <typename Rnd>
static void randomGeometry(Shape& s, Rnd& rnd, int coutSpan, int hSpan, int wSpan) {
    s.cout = 1 + rnd(rnd(3) == 0 ? coutSpan : 40);
    s.kt = rnd(2) ? 3 : 1;
    s.kh = rnd(3) == 0 ? 1 : 3;
    s.kw = rnd(4) == 0 ? 1 : s.kh;
    s.padFront = rnd(s.kt);
    s.padTop = rnd(s.kh / 2 + 1);
    s.padBottom = rnd(s.kh / 2 + 1);
    s.padLeft = rnd(s.kw / 2 + 1);
    s.padRight = rnd(s.kw / 2 + 1);
    const int minH = s.kh - s.padTop - s.padBottom, minW = s.kw - s.padLeft - s.padRight;
    s.h = (minH > 1 ? minH : 1) + rnd(hSpan);
    s.w = (minW > 1 ? minW : 1) + rnd(wSpan);
    s.hist = rnd(3);
    const int need = s.kt - s.padFront - s.hist;
    s.frames = (need > 1 ? need : 1) + rnd(2);
}

static std::vector<Shape> shapes() {
    std::vector<Shape> ps;
    // the decoder's convolutions at small ragged frames (cf. CudaConvFastChecks): the latent conv
    // 16 → 384 on the first chunk, 384 → 384, the time conv 384 → 768, the resample 384 → 192 and
    // 192 → 96, 192 → 384 and its 1×1×1 shortcut, 192 → 192, 96 → 96 and the image head 96 → 3
    const int dec[][8] = {{16, 384, 3, 3, 3, 2, 0, 1}, {384, 384, 3, 3, 3, 0, 2, 1}, {384, 768, 3, 1, 1, 0, 2, 1}, {384, 192, 1, 3, 3, 0, 0, 2},
                          {192, 384, 3, 3, 3, 0, 2, 2}, {192, 384, 1, 1, 1, 0, 0, 2}, {192, 192, 3, 3, 3, 0, 2, 1}, {192, 96, 1, 3, 3, 0, 0, 1},
                          {96, 96, 3, 3, 3, 0, 2, 1}, {96, 3, 3, 3, 3, 0, 2, 1}};
    for (const auto& v : dec) {
        const int p = v[3] / 2, q = v[4] / 2;
        ps.push_back({v[0], v[1], v[2], v[3], v[4], v[5], p, p, q, q, 9, 13, v[6], v[7]});
    }
    // random ragged ones: cp a multiple of 16 (16 .. 208), any cout, kernels 1/3, padding, history
    uint64_t x = 0x1234567;
    auto rnd = [&](int n) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return (int)(x % (uint64_t)n); };
    for (int i = 0; i < 40; i++) {
        Shape s;
        s.cin = 16 * (1 + rnd(13)) - (rnd(3) == 0 ? rnd(8) : 0);   // cin 9..208: cp = its multiple of 8, kept where a multiple of 16
        randomGeometry(s, rnd, 300, 20, 30);
        if (!conv_tma_fits((s.cin + 7) & ~7)) continue;   // the host runs the wgmma kernel there
        ps.push_back(s);
    }
    return ps;
}

// The halves kernel's shapes: those above with cp ≡ 32 mod 64 (the decoder's 96-channel ones) and
// 24 random ragged ones with cp = 32, 96 or 160 (cin a little under it).
static std::vector<Shape> halvesShapes() {
    std::vector<Shape> ps;
    for (const Shape& s : shapes())
        if (conv_tma_halves((s.cin + 7) & ~7)) ps.push_back(s);
    uint64_t x = 0x9e3779b9;
    auto rnd = [&](int n) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return (int)(x % (uint64_t)n); };
    for (int i = 0; i < 24; i++) {
        Shape s;
        const int cps[] = {32, 96, 160};
        s.cin = cps[rnd(3)] - rnd(8);
        randomGeometry(s, rnd, 250, 16, 24);
        ps.push_back(s);
    }
    return ps;
}

static const int WIDTHS[] = {32, 96, 192};

// The halves kernel on every block of its shapes at every tile width, and the 512×512 stage's
// 96 → 96 3×3×3 convolution (27 taps: K/32 odd, so the last k-tile's second half is past K) on its
// first and last blocks.
static void runHalves(const HalvesImpl& im) {
    for (const Shape& s : halvesShapes()) {
        const Geo geo = geometry(s);
        for (int bn : WIDTHS)
            for (int t = 0; t < geo.tOut; t++)
                for (int n0 = 0; n0 < geo.g.n; n0 += 128)
                    for (int o0 = 0; o0 < s.cout; o0 += bn) checkBlockHalves(im, s, geo, bn, t, n0, o0);
    }
    const Shape big = {96, 96, 3, 3, 3, 0, 1, 1, 1, 1, 512, 512, 2, 1};
    const Geo geo = geometry(big);
    const int last = (geo.g.n - 1) / 128 * 128;
    for (int n0 : {0, 128, last - 128, last}) checkBlockHalves(im, big, geo, 96, 0, n0, 0);
}

// Every block of every shape at every tile width; the full-size stage on its first and last blocks.
static void runAll(const Impl& im, bool full) {
    for (const Shape& s : shapes()) {
        const Geo geo = geometry(s);
        for (int bn : WIDTHS) {
            if (full) checkMaps(s, geo, bn);
            for (int t = 0; t < geo.tOut; t++)
                for (int n0 = 0; n0 < geo.g.n; n0 += 128)
                    for (int o0 = 0; o0 < s.cout; o0 += bn) checkBlock(im, s, geo, bn, t, n0, o0);
        }
    }
    // 512×512, 96 → 96, 3×3×3 after two history frames; 256×256 192 → 192: the first and last blocks
    const Shape big[] = {{96, 96, 3, 3, 3, 0, 1, 1, 1, 1, 512, 512, 2, 1}, {192, 192, 3, 3, 3, 0, 1, 1, 1, 1, 256, 256, 2, 1}};
    for (const Shape& s : big) {
        const Geo geo = geometry(s);
        const int bn = s.cout == 96 ? 96 : 192, last = (geo.g.n - 1) / 128 * 128;
        if (full) checkMaps(s, geo, bn);
        for (int n0 : {0, 128, last - 128, last}) checkBlock(im, s, geo, bn, 0, n0, 0);
    }
}

int main() {
    const Impl kernel = kernelImpl("kernel");
    CHECK(conv_tma_fits(16) && conv_tma_fits(96) && conv_tma_fits(192) && conv_tma_fits(384) && !conv_tma_fits(8) && !conv_tma_fits(24),
          "conv_tma_fits");
    checkRingBytes<32>(164992);
    checkRingBytes<96>(230528);
    checkRingBytes<192>(205904);
    runAll(kernel, true);
    CHECK(conv_tma_halves(32) && conv_tma_halves(96) && conv_tma_halves(160) && !conv_tma_halves(16) && !conv_tma_halves(64) &&
              !conv_tma_halves(192) && !conv_tma_halves(48),
          "conv_tma_halves");
    runHalves(halvesImpl("halves"));
    // the barrier pipeline at these convolutions' k-tile counts, on the two ring sizes (5 stages at BN = 192, 8 else)
    std::set<int> counts;
    for (const Shape& s : shapes()) counts.insert(conv_tma_ktiles(geometry(s).g));
    for (const Shape& s : halvesShapes()) counts.insert(conv_tma_h32_ktiles(geometry(s).g));
    counts.insert(41);   // the 512×512 stage's 96 → 96 3×3×3: ⌈2592 / 64⌉
    for (int k : counts)
        for (uint64_t seed = 1; seed <= 6; seed++) {
            checkTmaSchedule<5>(k, seed);
            checkTmaSchedule<8>(k, seed);
        }
    // the persistent kernels (conv_tma_persistent): 2 to 4 tiles a block, the ring running on across
    // them, each tile's last stage released after its wait_group<0>
    for (int k : counts)
        for (int tiles = 2; tiles <= 4; tiles++)
            for (uint64_t seed = 1; seed <= 3; seed++) {
                checkTmaSchedule<5>(k, seed, tiles, true);
                checkTmaSchedule<8>(k, seed, tiles, true);
            }
    if (failures) {
        std::printf("conv_tma layout: %d failures\n", failures);
        return 1;
    }
    const size_t cases = shapes().size();
    std::vector<Impl> mutants;
    auto add = [&](const char* name, const std::function<void(Impl&)>& change) {
        Impl m = kernelImpl(name);
        change(m);
        mutants.push_back(m);
    };
    add("tma: X row without the tap's frame offset", [](Impl& m) {
        m.xRow = [](const ConvGeom& g, int t, int n0, int kt) {
            const int tap = conv_tma_tap(g, kt), r = tap % g.khw;
            return (int)(conv_q_offset(g, t, n0) / g.cp) + (r / g.kw) * g.wp + r % g.kw;
        };
    });
    add("tma: X row from the frame's start, not n0", [](Impl& m) {
        m.xRow = [](const ConvGeom& g, int t, int, int kt) { return conv_tma_x_row(g, t, 0, kt); };
    });
    add("tma: W column as the GEMM's (kt*64)", [](Impl& m) { m.wCol = [](const ConvGeom&, int kt) { return kt * 64; }; });
    add("tma: X map's inner extent rounded up to 64", [](Impl& m) { m.xInner = [](const ConvGeom& g) { return (long long)(g.cp + 63) / 64 * 64; }; });
    add("tma: k-tiles per tap rounded down", [](Impl& m) {
        m.ktiles = [](const ConvGeom& g) { return g.k / g.cp * (g.cp / 64 > 0 ? g.cp / 64 : 1); };
    });
    int missed = missedMutants(mutants, [](const Impl& m) { runAll(m, false); });
    std::vector<HalvesImpl> halvesMutants;
    auto addH = [&](const char* name, const std::function<void(HalvesImpl&)>& change) {
        HalvesImpl m = halvesImpl(name);
        change(m);
        halvesMutants.push_back(m);
    };
    addH("halves: the second half from the first half's tap", [](HalvesImpl& m) {
        m.xRow = [](const ConvGeom& g, int t, int n0, int kt, int) { return conv_tma_h32_x_row(g, t, n0, kt, 0); };
    });
    addH("halves: the second half's channels 64 on, not 32", [](HalvesImpl& m) {
        m.xCol = [](const ConvGeom& g, int kt, int j) {
            const int c = conv_tma_h32_x_col(g, kt, 0) + 64 * j;
            return j == 0 || conv_tma_h32_k0(kt, 1) >= g.k ? conv_tma_h32_x_col(g, kt, j) : c;
        };
    });
    addH("halves: a half past K read at its tap's real channels", [](HalvesImpl& m) {
        m.xCol = [](const ConvGeom& g, int kt, int j) { return conv_tma_h32_k0(kt, j) % g.cp; };
    });
    addH("halves: the one-box kernel's k-tiles (a tap per 2 k-tiles)", [](HalvesImpl& m) { m.ktiles = [](const ConvGeom& g) { return conv_tma_ktiles(g); }; });
    addH("halves: W column as the tap's (one-box kernel's)", [](HalvesImpl& m) {
        m.wCol = [](int kt) { return 64 * kt - 32 * (kt & 1); };
    });
    missed += missedMutants(halvesMutants, [](const HalvesImpl& m) { runHalves(m); });
    if (missed) return 1;
    std::printf("conv_tma layout: the TMA convolution's boxes give the wgmma convolution's chunks in its order (zeros elsewhere) on %zu shapes and "
                "the 512x512/256x256 stages; the halves kernel's (cp = 32 mod 64), through 64-byte-swizzled shared memory, give every one of its "
                "chunks on %zu shapes and the 512x512 stage; the maps obey the encoder's rules, the barrier pipeline holds; %zu mutants caught\n",
                cases + 2, halvesShapes().size(), mutants.size() + halvesMutants.size());
    return 0;
}
