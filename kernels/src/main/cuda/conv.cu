// The fast stride-1 3-D convolution (LIVETALK_CUDA_CONV=fast; the default below compute capability 9.0 since run 7): an implicit GEMM over a
// channels-last bf16 copy of the clip, so that every operand load is an aligned 16-byte cp.async
// and B goes through the same 3-stage pipeline as the plain GEMM. Same contract as vae.cu's
// pad_frames_bf16 + gemm.cu's conv_implicit_k64 (Backend.conv3d, stride 1); reference:
// VaeReferenceKernels.conv3d. Validated in run 7 (docs/cuda-performance.md).
//
// Why: conv_implicit_k64 reads B from planes [τ][c][yy·Wp + xx], where a tap (dt, dy, dx) is the
// plane shifted by dy·Wp + dx elements: a B row is contiguous but dx elements off 16-byte
// alignment, so it is gathered with 2-byte loads, synchronously, and the GEMM ran at 52 TFLOP/s
// against 188–235 for the same kernel on aligned operands. Here the channels are innermost, so a
// tap shifts whole pixels (cp·2 bytes, a multiple of 16) and every chunk of 8 channels is aligned.
// The index math, its layouts and the reasons for them are in conv_layout.cuh.
//
// Kernels (all launched by CudaConvolution.conv3dFast; the module loads only when the switch is on):
//   conv_weight_cl          the weight [cout, cin, kt, kh, kw] (any file dtype) → bf16 W' [cout][taps·cp]
//   conv_pad_cl(_hist16)    the clip (float32 frames after a float32 or bf16 history) → the bf16 copy Xc
//   conv_pad_cl_norm(_hist16)  the same copy of SiLU(norm(x)), the history slid in place (run 10: the unfused bits)
//   conv_pad_cl_up2         the same copy of x upsampled 2× (nearest), from x (run 10: the unfused bits)
//   conv_cl_m32/_m96/_m128  the GEMM, in block tiles of BM output channels × 128 positions
//   conv_cl_m*_resid        the same GEMM adding a residual in its epilogue (run 10: conv then add's bits)
#include "common.cuh"
#include "conv_layout.cuh"
#include "vae_norm.cuh"

// A weight [cout, cin, taps] of any file dtype as W' [cout][k = tap·cp + c] in bf16, zero for the
// padding channels. Rounded to nearest even, as weight_to_bf16 rounds the old path's matrix: the
// same bf16 values in another order.
extern "C" __global__ void conv_weight_cl(const void* __restrict__ src, int dtype, bf16* __restrict__ y,
                                          int cout, int cin, int taps, int cp) {
    const int K = taps * cp;
    i64 n = (i64)cout * K;
    FOR_EACH(i, n) {
        const int o = (int)(i / K), k = (int)(i - (i64)o * K);
        const i64 at = conv_weight_source(cin, taps, cp, o, k);
        y[i] = __float2bfloat16_rn(at < 0 ? 0.f : load_as_f32(src, dtype, at));
    }
}

// The copy Xc [seqFrames][Hp + 1][Wp][cp] (conv_layout.cuh). Grid: x = 32-pixel segments of a row,
// y = the row yy < Hp + 1, z = τ·groups + group of 64 channels. Lane l takes pixel 32·x + l, warp
// w the chunk of channels [64·group + 8w, +8): for each of its 8 channels a warp reads 32
// consecutive floats of one input row (coalesced), and each thread stores its 8 as one 16-byte
// chunk. HistT: float, or bf16 for a history kept in bf16 (Backend.productInputDtype), whose
// values round to themselves, so the copy holds the same bits either way.
template <typename HistT>
__device__ __forceinline__ void pad_cl(const HistT* __restrict__ hist, int histFrames, const float* __restrict__ x,
                                       int cin, int h, int w, int padFront, int padTop, int padLeft, int Hp,
                                       int cp, int Wp, int plane, int groups, bf16* __restrict__ xc) {
    // only the copy's strides are needed here
    const ConvGeom g = {cp, 0, 0, Wp, plane, 0, 0, 0};
    const ConvPadThread me = conv_pad_thread(groups, blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x);
    const int tau = me.tau, yy = me.yy, xx = me.xx, c0 = me.c0;
    if (xx >= g.wp || c0 >= g.cp) return;
    const ConvPad p = {cin, h, w, padFront, padTop, padLeft, histFrames, Hp};
    unsigned packed[4];
#pragma unroll
    for (int e = 0; e < 8; e += 2) {
        float v[2];
#pragma unroll
        for (int u = 0; u < 2; u++) {
            const ConvSource s = conv_pad_source(p, tau, yy, xx, c0 + e + u);
            v[u] = s.from == 0 ? 0.f : s.from == 1 ? as_f32(hist[s.at]) : x[s.at];
        }
        packed[e / 2] = pack_bf16(v[0], v[1]);
    }
    *(uint4*)(xc + conv_pixel_offset(g, tau, yy, xx) + c0) = make_uint4(packed[0], packed[1], packed[2], packed[3]);
}

extern "C" __global__ void __launch_bounds__(256) conv_pad_cl(
        const float* hist, int histFrames, const float* x, int cin, int h, int w, int padFront, int padTop, int padLeft, int Hp,
        int cp, int Wp, int plane, int groups, bf16* xc) {
    pad_cl(hist, histFrames, x, cin, h, w, padFront, padTop, padLeft, Hp, cp, Wp, plane, groups, xc);
}

extern "C" __global__ void __launch_bounds__(256) conv_pad_cl_hist16(
        const bf16* hist, int histFrames, const float* x, int cin, int h, int w, int padFront, int padTop, int padLeft, int Hp,
        int cp, int Wp, int plane, int groups, bf16* xc) {
    pad_cl(hist, histFrames, x, cin, h, w, padFront, padTop, padLeft, Hp, cp, Wp, plane, groups, xc);
}

// out[t, o, oy, ox] = bias[o] + Σ_k W'[o, k]·B[k, q] for the block tile (rows m0.., positions n0..)
// of frame t = blockIdx.z. The k-loop is gemm_bf16_tn_k64's (gemm.cu), unchanged: a 3-stage
// cp.async ring of 64-deep A and B tiles, one barrier per k-tile, ldmatrix from rows padded by 16
// bytes, mma.sync m16n8k16 into float32 accumulators; only the B addresses, the tile height and
// the epilogue differ. RESID: R (laid out as C) is added to each stored value (conv_layout.cuh's conv_store, in the epilogue below).
template <int BM, bool RESID = false>
__device__ __forceinline__ void conv_gemm(const bf16* __restrict__ A, const bf16* __restrict__ X, ConvGeom g,
                                          float* __restrict__ C, i64 pixels, const float* __restrict__ bias, int M,
                                          const float* __restrict__ R = nullptr) {
    typedef ConvTile<BM> T;
    extern __shared__ __align__(16) unsigned char smem[];
    bf16* As = (bf16*)smem;                          // [STAGES][BM][LDS]
    bf16* Bs = As + CONV_STAGES * T::A_ELEMS;        // [STAGES][BN][LDS]

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp >> 2, wn = warp & 3;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * CONV_BN, t = blockIdx.z;
    const int ktiles = (g.k + CONV_BK - 1) / CONV_BK;
    const int col = conv_load_col(tid);
    const i64 qBase = conv_q_offset(g, t, n0 + conv_load_row(tid, 0));   // this thread's first B row, tap (0, 0, 0)

    auto load_stage = [&](int stage, int kt) {
        const int k = kt * CONV_BK + col;
        const bool kin = k < g.k;                    // K is a multiple of 8: a chunk is all inside or all past it
#pragma unroll
        for (int j = 0; j < T::A_ROWS_PER_THREAD; j++) {
            const int row = conv_load_row(tid, j), gm = m0 + row;
            const bool ok = kin && gm < M;
            cp_async16(As + stage * T::A_ELEMS + row * CONV_LDS + col, ok ? (const void*)(A + conv_w_offset(g, gm, k)) : (const void*)A, ok ? 16 : 0);
        }
        // one decode of (tap, channel) per stage: this thread's chunk column is the same in every row
        const bf16* src = X + qBase + (kin ? conv_k_offset(g, k) : 0);
#pragma unroll
        for (int j = 0; j < T::B_ROWS_PER_THREAD; j++) {
            const int row = conv_load_row(tid, j);
            const bool ok = kin && n0 + row < g.n;
            cp_async16(Bs + stage * T::B_ELEMS + row * CONV_LDS + col, ok ? (const void*)(src + conv_b_row_step(g, j)) : (const void*)X, ok ? 16 : 0);
        }
    };

    float acc[T::MI][4][4];
#pragma unroll
    for (int i = 0; i < T::MI; i++)
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int e = 0; e < 4; e++) acc[i][j][e] = 0.f;

#pragma unroll
    for (int s = 0; s < CONV_STAGES - 1; s++) {
        if (s < ktiles) load_stage(s, s);
        cp_async_commit();
    }

    for (int kt = 0; kt < ktiles; kt++) {
        cp_async_wait<CONV_STAGES - 2>();
        __syncthreads();
        const int next = kt + CONV_STAGES - 1;
        if (next < ktiles) load_stage(next % CONV_STAGES, next);
        cp_async_commit();

        const bf16* as = As + (kt % CONV_STAGES) * T::A_ELEMS;
        const bf16* bs = Bs + (kt % CONV_STAGES) * T::B_ELEMS;
#pragma unroll
        for (int kk = 0; kk < CONV_BK; kk += 16) {
            unsigned a[T::MI][4], b[4][2];
#pragma unroll
            for (int mi = 0; mi < T::MI; mi++) ldmatrix_x4(a[mi][0], a[mi][1], a[mi][2], a[mi][3], as + T::a_frag(wm, mi, kk, lane));
#pragma unroll
            for (int nj = 0; nj < 2; nj++) {
                ldmatrix_x4(b[2 * nj][0], b[2 * nj][1], b[2 * nj + 1][0], b[2 * nj + 1][1], bs + T::b_frag(wn, nj, kk, lane));
            }
#pragma unroll
            for (int mi = 0; mi < T::MI; mi++)
#pragma unroll
                for (int ni = 0; ni < 4; ni++) mma_bf16(acc[mi][ni], a[mi], b[ni][0], b[ni][1]);
        }
    }
    cp_async_wait<0>();

    // Epilogue: bias per output channel, junk positions dropped; the same float additions as
    // conv_implicit_k64's (acc + bias). A row's 8 residual values are loaded before its 8 stores:
    // loaded one by one, each store waited for its own load (the compiler keeps a load of R after
    // an earlier store to C), one memory latency per element.
#pragma unroll
    for (int mi = 0; mi < T::MI; mi++) {
#pragma unroll
        for (int half = 0; half < 2; half++) {
            const int m = m0 + T::acc_row(wm, mi, lane, 2 * half);
            if (m >= M) continue;
            const float bm = bias != nullptr ? bias[m] : 0.f;
            i64 at[8];
            float r[8];
#pragma unroll
            for (int ni = 0; ni < 4; ni++) {
#pragma unroll
                for (int e = 0; e < 2; e++) {
                    const int q = n0 + T::acc_col(wn, ni, lane, e);
                    at[2 * ni + e] = q < g.n ? conv_out_offset(g, M, pixels, t, m, q) : -1;
                    r[2 * ni + e] = RESID && at[2 * ni + e] >= 0 ? R[at[2 * ni + e]] : 0.f;
                }
            }
#pragma unroll
            for (int ni = 0; ni < 4; ni++) {
#pragma unroll
                for (int e = 0; e < 2; e++) {
                    if (at[2 * ni + e] >= 0) conv_store<RESID>(C, at[2 * ni + e], acc[mi][ni][2 * half + e] + bm, r[2 * ni + e]);
                }
            }
        }
    }
}

// W' [cout][k] bf16 (conv_weight_cl), xc the copy (conv_pad_cl), C the output [tOut, cout, hOut,
// wOut] with pixels = hOut·wOut, bias [cout] float32 or null; the geometry's fields as ConvGeom's
// (one argument each: the host passes 8-byte scalar slots). Grid: (⌈n/128⌉, ⌈cout/BM⌉, tOut);
// CONV_THREADS threads; ConvTile<BM>::SMEM_BYTES of dynamic shared memory.
#define CONV_GEMM_KERNEL(NAME, BM)                                                                              \
    extern "C" __global__ void __launch_bounds__(CONV_THREADS, 2) NAME(                                          \
            const bf16* A, const bf16* xc, int cp, int khw, int kw, int Wp, int plane, int n, int k, int wOut,    \
            float* C, i64 pixels, const float* bias, int cout) {                                                 \
        const ConvGeom g = {cp, khw, kw, Wp, plane, n, k, wOut};                                                 \
        conv_gemm<BM>(A, xc, g, C, pixels, bias, cout);                                                          \
    }

CONV_GEMM_KERNEL(conv_cl_m32, 32)
CONV_GEMM_KERNEL(conv_cl_m96, 96)
CONV_GEMM_KERNEL(conv_cl_m128, 128)

// The copy of y = SiLU(norm(x)) for a convolution fed by the VAE's norm (Backend.conv3dNormSilu,
// LIVETALK_CUDA_VAE_FUSE=1), the causal history slid in place (conv_layout.cuh's
// conv_hist_target). Instead of rms_norm_channels writing y in float32 and conv_pad_cl reading it
// back, then toBf16 storing its last frames in the history: x is read here once, with scale[t, p]
// from rms_scale_channels (norms.cu), and every value of y is computed by vae_norm.cuh's operations
// in rms_norm_channels's order, so the copy and the history get the bits the unfused path gives
// them (pack_bf16 and store_out round to nearest even as conv_pad_cl and toBf16 do; history values
// are moved as they are). Grid: conv_pad_cl's with z = the group of 64 channels only; each thread
// walks every τ. HistT: float, or bf16 for a history kept in bf16 (Backend.productInputDtype).
template <typename HistT>
__device__ __forceinline__ void pad_cl_norm(HistT* hist, int histFrames, int keep, const float* __restrict__ x,
                                            const float* __restrict__ scale, const float* __restrict__ gamma, int frames,
                                            int cin, int h, int w, int padFront, int padTop, int padLeft, int Hp,
                                            int cp, int Wp, int plane, int groups, bf16* __restrict__ xc) {
    // the copy's chunks of this block, CONV_COPY_TAU_CHUNK τs of 32 pixels × 8 chunks, in conv_stage_slot order
    __shared__ uint4 stage[CONV_COPY_TAU_CHUNK][256];
    const ConvGeom g = {cp, 0, 0, Wp, plane, 0, 0, 0};
    const ConvPadThread me = conv_pad_thread(groups, blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x);
    const int yy = me.yy, xx = me.xx, c0 = me.c0;
    // Threads past the row or the channels compute nothing but take part in the block's barriers.
    const bool valid = xx < g.wp && c0 < g.cp;
    const ConvPadThread out = conv_stage_writer(groups, blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x);
    const bool writes = out.xx < g.wp && out.c0 < g.cp;
    const ConvPad p = {cin, h, w, padFront, padTop, padLeft, histFrames, Hp};
    float gam[8];
#pragma unroll
    for (int e = 0; e < 8; e++) gam[e] = c0 + e < cin ? gamma[c0 + e] : 0.f;
    const int seqFrames = padFront + histFrames + frames;
    const i64 step = conv_channel_step(p);   // channel c0 + e is e planes after c0, in x and in hist alike
    const int nc = min(8, cin - c0);          // this chunk's real channels (8 wherever cin is a multiple of 8)
    for (int t0 = 0; t0 < seqFrames; t0 += CONV_COPY_TAU_CHUNK) {
        // 1. The chunk's loads, all in flight together (conv_layout.cuh: why the history allows it).
        // Where channel c0 of (τ, yy, xx) comes from: zero, the history or x (the same for all 8
        // channels). All 8 loads of a τ are unconditional: a channel past cin (a partial last
        // chunk) reads the chunk's last real channel again and is dropped.
        int from[CONV_COPY_TAU_CHUNK];
        float raw[CONV_COPY_TAU_CHUNK][8], sc[CONV_COPY_TAU_CHUNK];
#pragma unroll
        for (int u = 0; u < CONV_COPY_TAU_CHUNK; u++) {
            const int tau = t0 + u;
            from[u] = 0;
            sc[u] = 0.f;
            if (!valid || tau >= seqFrames) continue;
            const ConvSource s = conv_pad_source(p, tau, yy, xx, c0);
            from[u] = s.from;
            if (s.from == 1) {
#pragma unroll
                for (int e = 0; e < 8; e++) raw[u][e] = as_f32(hist[s.at + min(e, nc - 1) * step]);
            } else if (s.from == 2) {
#pragma unroll
                for (int e = 0; e < 8; e++) raw[u][e] = x[s.at + min(e, nc - 1) * step];
                sc[u] = scale[conv_new_pixel(p, tau, yy, xx)];
            }
        }
        // 2. The chunk's values: the copy's into the block's staging slots, the history's stored.
#pragma unroll
        for (int u = 0; u < CONV_COPY_TAU_CHUNK; u++) {
            const int tau = t0 + u;
            if (!valid || tau >= seqFrames) continue;
            // v: the copy's values; kept: what the history keeps of each, a history element as it
            // was (float32 exactly; bf16 widened and narrowed back, the same value) or y
            float v[8], kept[8];
            if (from[u] == 1) {
#pragma unroll
                for (int e = 0; e < 8; e++) kept[e] = v[e] = e < nc ? raw[u][e] : 0.f;
            } else if (from[u] == 2) {
#pragma unroll
                for (int e = 0; e < 8; e++) kept[e] = v[e] = e < nc ? vae_norm_apply(raw[u][e] * sc[u], gam[e], true) : 0.f;
            } else {
#pragma unroll
                for (int e = 0; e < 8; e++) kept[e] = v[e] = 0.f;
            }
            stage[u][conv_stage_slot(threadIdx.x & 31, threadIdx.x >> 5)] =
                    make_uint4(pack_bf16(v[0], v[1]), pack_bf16(v[2], v[3]), pack_bf16(v[4], v[5]), pack_bf16(v[6], v[7]));
            const i64 to = conv_hist_target(p, frames, keep, tau, yy, xx, c0);
            if (to >= 0) {
#pragma unroll
                for (int e = 0; e < 8; e++)
                    if (e < nc) store_out(hist + to + e * step, kept[e]);
            }
        }
        // 3. The copy's stores from the slots: a warp writes 4 pixels' runs of 64 channels, where a
        // thread storing its own 16 bytes made a warp's store 32 pieces a pixel's channel run apart.
        __syncthreads();
#pragma unroll
        for (int u = 0; u < CONV_COPY_TAU_CHUNK; u++) {
            const int tau = t0 + u;
            if (writes && tau < seqFrames)
                *(uint4*)(xc + conv_pixel_offset(g, tau, out.yy, out.xx) + out.c0) =
                        stage[u][conv_stage_slot(threadIdx.x >> 3, threadIdx.x & 7)];
        }
        __syncthreads();   // the slots are written again by the next chunk
    }
}

extern "C" __global__ void __launch_bounds__(256, 3) conv_pad_cl_norm(
        float* hist, int histFrames, int keep, const float* x, const float* scale, const float* gamma, int frames, int cin, int h, int w,
        int padFront, int padTop, int padLeft, int Hp, int cp, int Wp, int plane, int groups, bf16* xc) {
    pad_cl_norm(hist, histFrames, keep, x, scale, gamma, frames, cin, h, w, padFront, padTop, padLeft, Hp, cp, Wp, plane, groups, xc);
}

extern "C" __global__ void __launch_bounds__(256, 3) conv_pad_cl_norm_hist16(
        bf16* hist, int histFrames, int keep, const float* x, const float* scale, const float* gamma, int frames, int cin, int h, int w,
        int padFront, int padTop, int padLeft, int Hp, int cp, int Wp, int plane, int groups, bf16* xc) {
    pad_cl_norm(hist, histFrames, keep, x, scale, gamma, frames, cin, h, w, padFront, padTop, padLeft, Hp, cp, Wp, plane, groups, xc);
}

// The copy of the nearest-2× upsample of x [frames][cin][h/2][w/2] for a convolution that reads
// it (Backend.conv3dUpsample2x, LIVETALK_CUDA_VAE_FUSE=1; the decoder's Resample), without the
// upsampled frames: each element is read from x where upsample_nearest2x would have copied it
// from (conv_up2_source), so the copy holds the bits the unfused path (upsample_nearest2x, then
// conv_pad_cl) gives it. h and w are the upsampled frame's; no history. conv_pad_cl's grid and
// thread map: a warp's 32 pixels read 16 consecutive floats of x per channel.
extern "C" __global__ void __launch_bounds__(256) conv_pad_cl_up2(
        const float* __restrict__ x, int cin, int h, int w, int padFront, int padTop, int padLeft, int Hp, int cp, int Wp, int plane,
        int groups, bf16* __restrict__ xc) {
    const ConvGeom g = {cp, 0, 0, Wp, plane, 0, 0, 0};
    const ConvPadThread me = conv_pad_thread(groups, blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x);
    if (me.xx >= g.wp || me.c0 >= g.cp) return;
    const ConvPad p = {cin, h, w, padFront, padTop, padLeft, 0, Hp};
    // channel c0's source; c0 + e is e planes of x further (the same for all 8 channels, as in conv_pad_cl_norm)
    const ConvSource s = conv_up2_source(p, me.tau, me.yy, me.xx, me.c0);
    const int nc = min(8, cin - me.c0);
    float v[8];
    if (s.from == 2) {
        const i64 step = conv_up2_channel_step(p);
        // 8 unconditional loads in flight together; a channel past cin reads the last real one again and is dropped
#pragma unroll
        for (int e = 0; e < 8; e++) v[e] = x[s.at + min(e, nc - 1) * step];
#pragma unroll
        for (int e = 0; e < 8; e++) v[e] = e < nc ? v[e] : 0.f;
    } else {
#pragma unroll
        for (int e = 0; e < 8; e++) v[e] = 0.f;
    }
    *(uint4*)(xc + conv_pixel_offset(g, me.tau, me.yy, me.xx) + me.c0) =
            make_uint4(pack_bf16(v[0], v[1]), pack_bf16(v[2], v[3]), pack_bf16(v[4], v[5]), pack_bf16(v[6], v[7]));
}

// The GEMM's _resid twins (Backend.conv3dResidual and conv3dNormSilu's residual, LIVETALK_CUDA_VAE_FUSE=1;
// passed in run 10): conv_cl_m*'s arguments, then R, float32 laid out as C and not overlapping
// it; each element stored is (acc + bias) + R[at], the bits of storing acc + bias and then
// add(C, R, C). Defined last: a kernel's branch labels are numbered by its place in the module,
// so kernels added before the others would change the others' PTX.
#define CONV_GEMM_RESID_KERNEL(NAME, BM)                                                                        \
    extern "C" __global__ void __launch_bounds__(CONV_THREADS, 2) NAME(                                          \
            const bf16* A, const bf16* xc, int cp, int khw, int kw, int Wp, int plane, int n, int k, int wOut,    \
            float* C, i64 pixels, const float* bias, int cout, const float* R) {                                 \
        const ConvGeom g = {cp, khw, kw, Wp, plane, n, k, wOut};                                                 \
        conv_gemm<BM, true>(A, xc, g, C, pixels, bias, cout, R);                                                 \
    }

CONV_GEMM_RESID_KERNEL(conv_cl_m32_resid, 32)
CONV_GEMM_RESID_KERNEL(conv_cl_m96_resid, 96)
CONV_GEMM_RESID_KERNEL(conv_cl_m128_resid, 128)
