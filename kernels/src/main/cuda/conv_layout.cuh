// Index math of the channels-last implicit-GEMM convolution (conv.cu), kept free of device code so
// that a host program can emulate the kernels with it and compare against a direct convolution
// (kernels/src/test/cuda/conv_layout_test.cpp, run by scripts/build-ptx.sh --check). Every
// function here is what the kernels themselves call.
//
// Letters: a stride-1 convolution of `cin` → `cout` channels, kernel kt×kh×kw, over a clip of
// seqFrames = padFront + histFrames + frames frames of h×w; Hp = padTop + h + padBottom,
// Wp = padLeft + w + padRight; hOut = Hp − kh + 1, wOut = Wp − kw + 1, tOut = seqFrames − kt + 1.
//
// The copy. conv_pad_cl writes the clip once as bf16, zero-padded in time and space and with the
// channels innermost ("channels last"):
//     Xc[τ][yy][xx][c],  τ < seqFrames, yy < Hp + 1, xx < Wp, c < cp = cin rounded up to 8,
// zero where τ < padFront, outside the frame, in the extra row yy = Hp, and for c ≥ cin. One
// pixel is cp·2 bytes, a multiple of 16, so every 8 channels of every pixel form one aligned
// 16-byte chunk: whatever the tap's shift, a chunk is one cp.async. (The old path's planes
// [τ][c][yy·Wp + xx] make a tap a shift by dx elements inside a row, which rules that out.)
//
// The GEMM, per output frame t (blockIdx.z):
//     C[o, q] = Σ_k W'[o, k] · B[k, q],  q < N = hOut·Wp,  k < K = taps·cp,
//     k = tap·cp + c,  tap = (dt·kh + dy)·kw + dx,
//     B[k, q] = Xc[t + dt][pixel q + dy·Wp + dx][c]
// q runs over the output rows at the padded width Wp, so that a tap is one constant offset
// (dt·plane + dy·Wp + dx pixels) for every q; the Wp − wOut last positions of each row are junk
// (they wrap into the next row) and are dropped by the epilogue. The junk positions' last taps
// read up to pixel Hp·Wp + kw − 2 of frame t + kt − 1: the extra zero row keeps that inside the
// frame's plane of (Hp + 1)·Wp pixels (Wp ≥ kw). W' is the weight [cout, cin, kt, kh, kw]
// re-laid tap-major, [cout][tap][cp] with zero channels past cin (conv_weight_cl).
//
// So B, stored [q][k] in the copy (k contiguous in runs of cp), is exactly the "TN" operand of the
// plain GEMM (gemm.cu's B_NK: each B tile row is one position's 64 consecutive k, in 16-byte
// chunks), except that row q's chunk at k comes from conv_q_offset(q) + conv_k_offset(k)
// instead of q·ldb + k. Products are the old path's (the same bf16 weights and inputs, fp32
// accumulation), summed in another order: k tap-major here, channel-major (k = c·taps + tap)
// there.
#pragma once

#if defined(__CUDACC__)
#define CONV_HD __host__ __device__ __forceinline__
#else
#define CONV_HD inline
#endif

typedef long long conv_i64;

#define CONV_BN 128              // output positions per block tile (the GEMM's N)
#define CONV_BK 64               // depth per k-tile: 8 chunks of 8 channels
#define CONV_LDS (CONV_BK + 8)   // shared row pitch in elements: 16 bytes of padding put the 8 row addresses of an ldmatrix in distinct bank groups
#define CONV_STAGES 3            // cp.async ring depth (as gemm_bf16_tn_k64)
#define CONV_THREADS 256         // 8 warps: 2 along M × 4 along N

// The geometry every kernel of the fast path shares (built by the host, CudaConvolution.conv3dFast).
struct ConvGeom {
    int cp;      // channels per pixel in the copy: cin rounded up to a multiple of 8
    int khw;     // kh·kw: taps per time offset
    int kw;      // taps per row offset
    int wp;      // padded width Wp
    int plane;   // pixels per frame in the copy: (Hp + 1)·Wp
    int n;       // output positions per frame: hOut·Wp (the GEMM's N)
    int k;       // GEMM depth taps·cp, also the re-laid weight's row length
    int wOut;    // output width: positions with q mod Wp ≥ wOut are junk
};

// ---- the copy (conv_pad_cl) --------------------------------------------------------------------

// What the copy's element (τ, yy, xx, c) holds: from = 0 zero, 1 the history, 2 the new frames;
// `at` is the element's index in that buffer ([frames][cin][h][w]).
struct ConvSource {
    int from;
    conv_i64 at;
};

struct ConvPad {
    int cin, h, w, padFront, padTop, padLeft, histFrames, hp;
};

CONV_HD ConvSource conv_pad_source(const ConvPad& p, int tau, int yy, int xx, int c) {
    ConvSource s = {0, 0};
    const int f = tau - p.padFront, iy = yy - p.padTop, ix = xx - p.padLeft;
    // yy < hp also excludes the extra zero row; c ≥ cin is channel padding
    if (f < 0 || yy >= p.hp || iy < 0 || iy >= p.h || ix < 0 || ix >= p.w || c >= p.cin) return s;
    const bool hist = f < p.histFrames;
    s.from = hist ? 1 : 2;
    s.at = (((conv_i64)(hist ? f : f - p.histFrames) * p.cin + c) * p.h + iy) * p.w + ix;
    return s;
}

// Which chunk of the copy a thread of conv_pad_cl writes: grid x = ⌈Wp/32⌉ segments of a row, y =
// the row yy < Hp + 1, z = τ·groups + group (groups = ⌈cp/64⌉); lane l takes pixel 32·x + l,
// warp w the 8 channels [64·group + 8w, +8). Threads with xx ≥ Wp or c0 ≥ cp write nothing.
struct ConvPadThread {
    int tau, yy, xx, c0;
};

CONV_HD ConvPadThread conv_pad_thread(int groups, int bx, int by, int bz, int tid) {
    ConvPadThread p;
    p.tau = bz / groups;
    p.yy = by;
    p.xx = bx * 32 + (tid & 31);
    p.c0 = (bz - p.tau * groups) * 64 + (tid >> 5) * 8;
    return p;
}

// Element offset of pixel (yy, xx) of frame τ, channel 0, in the copy.
CONV_HD conv_i64 conv_pixel_offset(const ConvGeom& g, int tau, int yy, int xx) {
    return (((conv_i64)tau * g.plane) + (conv_i64)yy * g.wp + xx) * g.cp;
}

// ---- the copy of a convolution fed by the VAE's norm (conv_pad_cl_norm) -------------------------
//
// The same copy, but of y = SiLU(norm(x)) computed from x as it is written, and with the causal
// history updated in place (Backend.conv3dNormSilu): hist holds `keep` frames [keep][cin][h][w],
// of which the first histFrames are the clip's history; afterwards its first
// kept = min(keep, histFrames + frames) frames are the last kept frames of [history, y], the
// first `drop` = histFrames + frames − kept frames of that sequence leaving.
//
// Grid: conv_pad_cl's with one block row per group of 64 channels (bz = group, τ = 0 from
// conv_pad_thread), each thread walking every τ of the clip for its pixel and 8 channels. So every
// history element (slot, c, iy, ix) is read and written by one thread only, and in τ order: the
// history frame a slot held is read at τ = padFront + slot, before the write of the sequence frame
// slot + drop lands there (at that τ or later; at the same τ only when drop = 0, and then only the
// new frames are written, to slots no thread reads). No other thread touches it, so the update
// needs no second buffer and no second pass.
//
// A thread takes its τs CONV_COPY_TAU_CHUNK at a time: first every load of the chunk (history, x,
// scale), then the chunk's values and stores. That keeps the order above: a slot is read at a τ no
// later than the one whose write overwrites it, and each slot is read once, so no read of a chunk
// can follow a write to its element, in that chunk or an earlier one. Why: a thread's loads of one τ
// waited for the stores of the τ before (the compiler cannot tell the history's reads from its
// writes), one memory latency per τ with 8 loads in flight, where a one-frame call at 512×512 and
// 256×256 has 3 τs (2 history frames and the new one).
constexpr int CONV_COPY_TAU_CHUNK = 3;

// The copy's 16-byte chunks go out through the block's shared memory: the thread that computes
// the chunk of (pixel lane l, channels 8w..8w+7 of the group) puts it in slot conv_stage_slot(l, w)
// of 256, and after a barrier thread t stores the chunk conv_stage_writer names (pixel t / 8,
// chunk t mod 8, from slot conv_stage_slot(t / 8, t mod 8)). So a warp's 32 stores are 4 pixels'
// runs of 64 channels, 128 bytes each in whole sectors, where each thread's own store made a
// warp's store 32 pieces a pixel's channel run apart (192 bytes at 96 channels), 32 sectors half
// written. The slot's chunk index is XORed with the pixel's low bits so that neither side's 8
// consecutive 16-byte accesses fall in the same shared-memory banks.
CONV_HD int conv_stage_slot(int pixel, int chunk) {
    return pixel * 8 + (chunk ^ (pixel & 7));
}

// The chunk thread `tid` of block (bx, by, bz) stores from the slots (bz as in conv_pad_thread).
CONV_HD ConvPadThread conv_stage_writer(int groups, int bx, int by, int bz, int tid) {
    ConvPadThread p;
    p.tau = bz / groups;
    p.yy = by;
    p.xx = bx * 32 + (tid >> 3);
    p.c0 = (bz - p.tau * groups) * 64 + (tid & 7) * 8;
    return p;
}

// Where element (τ, yy, xx, c) of the clip goes in the history after the call: its index in hist,
// or -1 (a padding frame, row, column or channel, a frame that leaves, or a history frame that
// stays in its slot because nothing leaves).
CONV_HD conv_i64 conv_hist_target(const ConvPad& p, int frames, int keep, int tau, int yy, int xx, int c) {
    const int f = tau - p.padFront, iy = yy - p.padTop, ix = xx - p.padLeft;
    const int n = p.histFrames + frames, kept = n < keep ? n : keep, drop = n - kept;
    if (f < drop || yy >= p.hp || iy < 0 || iy >= p.h || ix < 0 || ix >= p.w || c >= p.cin) return -1;
    if (drop == 0 && f < p.histFrames) return -1;
    return (((conv_i64)(f - drop) * p.cin + c) * p.h + iy) * p.w + ix;
}

// The distance between channels c and c + 1 of one pixel in x and in hist ([frames][cin][h][w]):
// a thread's 8 channels share conv_pad_source's and conv_hist_target's answer for its first one,
// these many elements apart (a chunk starting below cin; channels past cin are padding).
CONV_HD conv_i64 conv_channel_step(const ConvPad& p) {
    return (conv_i64)p.h * p.w;
}

// The index, in a per-pixel buffer of the new frames [frames][h][w] (the norm's scale), of the
// pixel of element (τ, yy, xx) whose source is x (conv_pad_source's from = 2).
CONV_HD conv_i64 conv_new_pixel(const ConvPad& p, int tau, int yy, int xx) {
    return ((conv_i64)(tau - p.padFront - p.histFrames) * p.h + (yy - p.padTop)) * p.w + (xx - p.padLeft);
}

// ---- the copy of a convolution fed by the nearest-2× upsample (conv_pad_cl_up2) ----------------
//
// The same copy of up[f][c][Y][X] = x[f][c][Y/2][X/2] (Backend.conv3dUpsample2x, the decoder's
// Resample), read from x where upsample_nearest2x would have read it, so that the upsampled frame
// is never written. p describes the upsampled clip (p.h = 2h, p.w = 2w); the element's source is
// conv_pad_source's, with `at` moved into x [frames][cin][h][w].
CONV_HD ConvSource conv_up2_source(const ConvPad& p, int tau, int yy, int xx, int c) {
    ConvSource s = conv_pad_source(p, tau, yy, xx, c);
    if (s.from != 2) return s;
    const int f = tau - p.padFront - p.histFrames, iy = yy - p.padTop, ix = xx - p.padLeft, h = p.h / 2, w = p.w / 2;
    s.at = (((conv_i64)f * p.cin + c) * h + iy / 2) * w + ix / 2;
    return s;
}

// The distance between channels c and c + 1 of one pixel in x (conv_channel_step's, before the upsample).
CONV_HD conv_i64 conv_up2_channel_step(const ConvPad& p) {
    return (conv_i64)(p.h / 2) * (p.w / 2);
}

// ---- the re-laid weight (conv_weight_cl) -------------------------------------------------------

// Column k of row o of W' [cout][taps·cp]: the index of the weight [cout, cin, taps] element it
// holds, or -1 for a padding channel (c ≥ cin), which is zero.
CONV_HD conv_i64 conv_weight_source(int cin, int taps, int cp, int o, int k) {
    const int tap = k / cp, c = k - tap * cp;
    if (c >= cin) return -1;
    return ((conv_i64)o * cin + c) * taps + tap;
}

// Offset in W' of the 8 weights [k, k + 8) of output channel o (rows of length k = taps·cp).
CONV_HD conv_i64 conv_w_offset(const ConvGeom& g, int o, int k) {
    return (conv_i64)o * g.k + k;
}

// ---- the GEMM's B operand ----------------------------------------------------------------------

// Offset in the copy of output position q's own pixel in frame t, channel 0: the tap (0, 0, 0).
CONV_HD conv_i64 conv_q_offset(const ConvGeom& g, int t, int q) {
    return ((conv_i64)t * g.plane + q) * g.cp;
}

// A thread's B rows are 32 positions apart (conv_load_row), and conv_q_offset is linear in q: row
// j's offset is row 0's plus this, so the kernel keeps one 64-bit base per thread.
CONV_HD conv_i64 conv_b_row_step(const ConvGeom& g, int j) { return (conv_i64)(32 * j) * g.cp; }

// Offset, relative to conv_q_offset, of the 8 channels [c, c + 8) of tap `tap` that depth k =
// tap·cp + c names (k a multiple of 8): the pixel dy·Wp + dx further in frame t + dt. The same for
// every position q, which is what makes the convolution an implicit GEMM.
CONV_HD conv_i64 conv_k_offset(const ConvGeom& g, int k) {
    const int tap = k / g.cp, c = k - tap * g.cp;
    const int dt = tap / g.khw, r = tap - dt * g.khw;
    const int dy = r / g.kw, dx = r - dy * g.kw;
    return ((conv_i64)dt * g.plane + (conv_i64)dy * g.wp + dx) * g.cp + c;
}

// ---- block tile ----------------------------------------------------------------------------------

// Which 16-byte chunks of a stage thread `tid` copies (gemm.cu's loader: chunk i·256 + tid of a
// tile of 8 chunks per row): rows tid/8 + 32j, the same chunk column in each.
CONV_HD int conv_load_row(int tid, int j) { return (tid >> 3) + 32 * j; }
CONV_HD int conv_load_col(int tid) { return (tid & 7) * 8; }

// A block computes BM output channels × CONV_BN positions; warp w = 4·wm + wn owns rows
// [wm·BM/2, +BM/2) and columns [wn·32, +32), i.e. MI = BM/32 m16 tiles × 4 n8 tiles of mma.sync
// m16n8k16. BM = 128 is gemm_bf16_tn_k64's tile; 96 fits cout = 96 and 192 without the quarter of
// idle rows a 128-row tile leaves, 32 the image head (cout = 3) and the 16-channel latent convs.
template <int BM>
struct ConvTile {
    static_assert(BM % 32 == 0 && BM >= 32 && BM <= 128, "BM = 32, 64, 96 or 128");
    static constexpr int MI = BM / 32;                 // m16 tiles per warp
    static constexpr int WARP_ROWS = BM / 2;           // rows per warp
    static constexpr int A_ROWS_PER_THREAD = BM / 32;  // A chunks per thread per stage (BM·8 chunks / 256 threads)
    static constexpr int B_ROWS_PER_THREAD = CONV_BN / 32;
    static constexpr int A_ELEMS = BM * CONV_LDS;      // one stage's A tile [BM][LDS]
    static constexpr int B_ELEMS = CONV_BN * CONV_LDS; // one stage's B tile [BN][LDS]
    static constexpr int SMEM_BYTES = CONV_STAGES * (A_ELEMS + B_ELEMS) * 2;

    // ldmatrix.x4 row address (element offset in a stage's A tile) that `lane` supplies for the
    // m16 tile mi at depth kk: matrices (rows 0-7, k 0-7), (rows 8-15, k 0-7), (rows 0-7, k 8-15),
    // (rows 8-15, k 8-15), i.e. the A fragment registers a0..a3 of mma.m16n8k16.
    static CONV_HD int a_frag(int wm, int mi, int kk, int lane) {
        return (wm * WARP_ROWS + mi * 16 + (lane & 15)) * CONV_LDS + kk + (lane >> 4) * 8;
    }
    // ldmatrix.x4 row address in a stage's B tile (rows = positions, k contiguous) for the n16
    // pair nj at depth kk: matrices (n 0-7, k 0-7), (n 0-7, k 8-15), (n 8-15, k 0-7), (n 8-15,
    // k 8-15) = the B registers {b0, b1} of n8 tile 2·nj, then of 2·nj + 1.
    static CONV_HD int b_frag(int wn, int nj, int kk, int lane) {
        return (wn * 32 + nj * 16 + ((lane >> 4) << 3) + (lane & 7)) * CONV_LDS + kk + ((lane >> 3) & 1) * 8;
    }
    // The block-tile row and column of accumulator e (0..3) of m16 tile mi, n8 tile ni in `lane`
    // (mma's C fragment: (g, 2t), (g, 2t+1), (g+8, 2t), (g+8, 2t+1), g = lane/4, t = lane%4).
    static CONV_HD int acc_row(int wm, int mi, int lane, int e) { return wm * WARP_ROWS + mi * 16 + (lane >> 2) + (e >> 1) * 8; }
    static CONV_HD int acc_col(int wn, int ni, int lane, int e) { return wn * 32 + ni * 8 + 2 * (lane & 3) + (e & 1); }
};

// ---- the epilogue --------------------------------------------------------------------------------

// Where C[o, q] of frame t goes in the output [tOut, cout, hOut, wOut], or -1 when q is a junk
// position (its column q mod Wp ≥ wOut).
CONV_HD conv_i64 conv_out_offset(const ConvGeom& g, int cout, conv_i64 pixels, int t, int o, int q) {
    const int oy = q / g.wp, ox = q - oy * g.wp;
    if (ox >= g.wOut) return -1;
    return ((conv_i64)t * cout + o) * pixels + (conv_i64)oy * g.wOut + ox;
}

// Stores one output element v = acc + bias at `at`, plus the residual r = R[at] (R laid out as C,
// loaded by the caller, which loads a batch of them before its stores) in a kernel's _resid twin
// (Backend.conv3dResidual; RESID false: r is not used). The residual is added only there, never as
// v + 0 for a plain kernel (−0 + 0 = +0 would change a bit), and as the one float addition v + r,
// the bits of storing v and then add(C, R, C) (C[at] + R[at]).
template <bool RESID>
CONV_HD void conv_store(float* __restrict__ C, conv_i64 at, float v, float r) {
    if constexpr (RESID) C[at] = v + r;
    else C[at] = v;
}
