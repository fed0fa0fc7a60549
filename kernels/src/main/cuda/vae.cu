// The VAE's 3-D convolution as a GEMM of the weight [cout, K] (K = cin·kt·kh·kw, in the weight's
// own order) by the input's patches, written [cout, pixels] straight into the frame-major output.
// Stride 1 (the whole decoder): pad_frames_bf16 below, then conv_implicit_k64 (gemm.cu) gathers
// the patches itself. Other strides: im2col_kn_bf16 writes the patches, gemm_bf16_nn_k64 reads
// them. Input sequence τ: padFront zero frames, the histFrames frames of hist, then the frames of
// x; each frame [cin, h, w]. Reference: VaeReferenceKernels.conv3d.
#include "common.cuh"

// The patches of output frame t laid out [K, ldn]: row kidx holds that tap for every pixel p0 .. p0+np (zero
// for p in [np, ldn)), so neighbouring threads read neighbouring input pixels and write
// neighbouring outputs. Grid: x over pixels, y = kidx (one tap per block row: its channel and
// offsets are decoded once). Used with gemm_bf16_nn_k64.
extern "C" __global__ void im2col_kn_bf16(const float* __restrict__ hist, int histFrames, const float* __restrict__ x,
                                          int cin, int h, int w, int kt, int kh, int kw, int st, int sh, int sw,
                                          int padFront, int padTop, int padLeft, int t, int wout, int p0, int np,
                                          bf16* __restrict__ col, int ldn) {
    int kidx = blockIdx.y;
    int dx = kidx % kw, r = kidx / kw;
    int dy = r % kh;
    r /= kh;
    int dt = r % kt, c = r / kt;
    int tau = t * st + dt - padFront;
    i64 frame = (i64)cin * h * w;
    const float* src = tau < 0 ? nullptr : (tau < histFrames ? hist + tau * frame : x + (tau - histFrames) * frame) + (i64)c * h * w;
    bf16* row = col + (i64)kidx * ldn;
    for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < ldn; p += gridDim.x * blockDim.x) {
        float val = 0.f;
        if (p < np && src) {
            int pix = p0 + p;
            int oy = pix / wout, ox = pix - oy * wout;
            int iy = oy * sh + dy - padTop, ix = ox * sw + dx - padLeft;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) val = src[(i64)iy * w + ix];
        }
        row[p] = __float2bfloat16_rn(val);
    }
}

// The clip a stride-1 convolution reads, as bf16 planes zero-padded in space and time:
// xp[τ, c, yy, xx] for τ < padFront + histFrames + frames (τ < padFront: zeros, then hist, then x),
// yy < Hp = padTop + h + padBottom, xx < Wp; each plane is `plane` ≥ Hp·Wp elements, the tail zero
// (the implicit GEMM's last taps read a few elements past Hp·Wp for columns it then drops).
extern "C" __global__ void pad_frames_bf16(const float* __restrict__ hist, int histFrames, const float* __restrict__ x,
                                           int cin, int h, int w, int padFront, int padTop, int padLeft, int Hp, int Wp,
                                           int plane, int seqFrames, bf16* __restrict__ xp) {
    i64 n = (i64)seqFrames * cin * plane;
    i64 frame = (i64)cin * h * w;
    FOR_EACH(i, n) {
        i64 pl = i / plane;                      // τ·cin + c
        int q = (int)(i - pl * plane);
        int tau = (int)(pl / cin), c = (int)(pl - (i64)tau * cin);
        int yy = q / Wp, xx = q - yy * Wp;
        int iy = yy - padTop, ix = xx - padLeft, s = tau - padFront;
        float v = 0.f;
        if (s >= 0 && q < Hp * Wp && iy >= 0 && iy < h && ix >= 0 && ix < w) {
            const float* src = s < histFrames ? hist + s * frame : x + (s - histFrames) * frame;
            v = src[(i64)c * h * w + (i64)iy * w + ix];
        }
        xp[i] = __float2bfloat16_rn(v);
    }
}

// pad_frames_bf16 with the history already in bf16: a causal conv's cached frames kept in bf16
// (Backend.productInputDtype) round to themselves, so the padded clip holds the same bits as from
// a float32 history. A copy of the kernel above rather than a template over both, so that the
// float32 one compiles to the PTX that was validated on a GPU.
extern "C" __global__ void pad_frames_bf16_hist16(const bf16* __restrict__ hist, int histFrames, const float* __restrict__ x,
                                                  int cin, int h, int w, int padFront, int padTop, int padLeft, int Hp, int Wp,
                                                  int plane, int seqFrames, bf16* __restrict__ xp) {
    i64 n = (i64)seqFrames * cin * plane;
    i64 frame = (i64)cin * h * w;
    FOR_EACH(i, n) {
        i64 pl = i / plane;                      // τ·cin + c
        int q = (int)(i - pl * plane);
        int tau = (int)(pl / cin), c = (int)(pl - (i64)tau * cin);
        int yy = q / Wp, xx = q - yy * Wp;
        int iy = yy - padTop, ix = xx - padLeft, s = tau - padFront;
        float v = 0.f;
        if (s >= 0 && q < Hp * Wp && iy >= 0 && iy < h && ix >= 0 && ix < w) {
            i64 at = (i64)c * h * w + (i64)iy * w + ix;
            v = s < histFrames ? __bfloat162float(hist[s * frame + at]) : x[(s - histFrames) * frame + at];
        }
        xp[i] = __float2bfloat16_rn(v);
    }
}

