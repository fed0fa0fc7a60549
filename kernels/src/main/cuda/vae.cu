// The VAE's 3-D convolution as an implicit GEMM: im2col_bf16 gathers the patches of one output
// frame into a bf16 matrix [pixels, K] (K = cin·kt·kh·kw, in the weight's own order), and
// gemm_bf16_tn multiplies the weight [cout, K] by it, writing [cout, pixels] straight into the
// frame-major output. Reference: VaeReferenceKernels.conv3d.
#include "common.cuh"

// Input sequence τ: padFront zero frames, the histFrames frames of hist, then the frames of x;
// each frame [cin, h, w]. Writes col[p, kidx] for output pixels p0 .. p0+np of output frame t,
// zero for padding (time, space) and for kidx in [K, ldcol).
extern "C" __global__ void im2col_bf16(const float* __restrict__ hist, int histFrames, const float* __restrict__ x,
                                       int cin, int h, int w, int kt, int kh, int kw, int st, int sh, int sw,
                                       int padFront, int padTop, int padLeft, int t, int wout, i64 p0, int np,
                                       bf16* __restrict__ col, int ldcol) {
    int K = cin * kt * kh * kw;
    i64 n = (i64)np * ldcol;
    i64 frame = (i64)cin * h * w;
    FOR_EACH(i, n) {
        i64 p = i / ldcol;
        int kidx = (int)(i - p * ldcol);
        float val = 0.f;
        if (kidx < K) {
            i64 pix = p0 + p;
            int oy = (int)(pix / wout), ox = (int)(pix % wout);
            int dx = kidx % kw, r = kidx / kw;
            int dy = r % kh;
            r /= kh;
            int dt = r % kt, c = r / kt;
            int tau = t * st + dt - padFront;
            int iy = oy * sh + dy - padTop, ix = ox * sw + dx - padLeft;
            if (tau >= 0 && iy >= 0 && iy < h && ix >= 0 && ix < w) {
                const float* src = tau < histFrames ? hist + tau * frame : x + (tau - histFrames) * frame;
                val = src[((i64)c * h + iy) * w + ix];
            }
        }
        col[i] = __float2bfloat16_rn(val);
    }
}
