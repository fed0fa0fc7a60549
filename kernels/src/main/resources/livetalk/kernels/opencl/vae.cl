// The VAE section of the backend: 3-D convolution, channel RMS norm, nearest 2x upsampling,
// transpose. Activations are frame-major [T, C, H, W] (see Backend.conv3d).

// conv3d as an implicit GEMM: out[t, o, p] = bias[o] + sum_K W[o, K] * in(t, K, p), where p = (y, x)
// is an output pixel and K = (c, dt, dy, dx) runs over the weight's [cin, kt, kh, kw]. The input
// "matrix" is never built: each tile is gathered from the history/current frames with the zero
// padding applied on the fly. Tiling as in gemm.cl (TS x TS outputs per group, WPT x WPT per item);
// one group row per output frame t (dimension 2).
#define CTS 64
#define CTK 16
#define CWPT 4
#define CRTS (CTS / CWPT)

__kernel __attribute__((reqd_work_group_size(CRTS, CRTS, 1)))
void conv3d(const __global float* hist, long histOff, int histFrames, const __global float* x, long xOff,
            __global float* out, long outOff,
            const __global ushort* w, int wType, const __global ushort* bias, int bType, int hasBias,
            int cin, int cout, int kt, int kh, int kw, int st, int sh, int sw, int padFront, int padTop, int padLeft,
            int h, int wd, int hOut, int wOut) {
    __local float ins[CTK][CTS + 1];
    __local float ws[CTK][CTS + 1];
    const int tx = get_local_id(0), ty = get_local_id(1); // tx over pixels, ty over output channels
    const int lid = ty * CRTS + tx;
    const int p0 = get_group_id(0) * CTS, o0 = get_group_id(1) * CTS, t = get_group_id(2);
    const int P = hOut * wOut;
    const int K = cin * kt * kh * kw;
    const long frame = (long) cin * h * wd;

    float acc[CWPT][CWPT];
    for (int i = 0; i < CWPT; i++)
        for (int j = 0; j < CWPT; j++) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += CTK) {
        for (int l = 0; l < CTS * CTK / (CRTS * CRTS); l++) {
            const int e = lid + l * CRTS * CRTS;
            // Weights: consecutive items read consecutive K of one output channel.
            {
                const int kk = e % CTK, rr = e / CTK;
                const int k = k0 + kk, o = o0 + rr;
                ws[kk][rr] = (o < cout && k < K) ? ldw(w, (long) o * K + k, wType) : 0.0f;
            }
            // Input: consecutive items read consecutive pixels of one K (coalesced along x).
            {
                const int kk = e / CTS, rr = e % CTS;
                const int k = k0 + kk, p = p0 + rr;
                float v = 0.0f;
                if (k < K && p < P) {
                    int r = k;
                    const int dx = r % kw; r /= kw;
                    const int dy = r % kh; r /= kh;
                    const int dt = r % kt;
                    const int c = r / kt;
                    const int tau = t * st + dt - padFront;
                    const int yi = (p / wOut) * sh + dy - padTop;
                    const int xi = (p % wOut) * sw + dx - padLeft;
                    if (tau >= 0 && yi >= 0 && yi < h && xi >= 0 && xi < wd) {
                        const __global float* src = tau < histFrames ? hist + histOff + tau * frame
                                                                     : x + xOff + (tau - histFrames) * frame;
                        v = src[((long) c * h + yi) * wd + xi];
                    }
                }
                ins[kk][rr] = v;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < CTK; kk++) {
            float a[CWPT], b[CWPT];
            for (int i = 0; i < CWPT; i++) a[i] = ws[kk][ty + i * CRTS];
            for (int j = 0; j < CWPT; j++) b[j] = ins[kk][tx + j * CRTS];
            for (int i = 0; i < CWPT; i++)
                for (int j = 0; j < CWPT; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int i = 0; i < CWPT; i++) {
        const int o = o0 + ty + i * CRTS;
        if (o >= cout) continue;
        const float b0 = hasBias ? ldw(bias, o, bType) : 0.0f;
        for (int j = 0; j < CWPT; j++) {
            const int p = p0 + tx + j * CRTS;
            if (p < P) out[outOff + ((long) t * cout + o) * P + p] = acc[i][j] + b0;
        }
    }
}

// y = x / max(||x[t, :, p]||, eps) * sqrt(C) * gamma[c], then optionally SiLU. One item per (t, p):
// neighbouring items read neighbouring pixels of the same channel (coalesced).
__kernel void rms_norm_channels(const __global float* x, long xOff, __global float* out, long outOff,
                                int frames, int channels, int pixels, float eps,
                                const __global ushort* gamma, int gType, int silu) {
    const long g = get_global_id(0);
    if (g >= (long) frames * pixels) return;
    const long t = g / pixels, p = g % pixels;
    const long base = t * channels * pixels + p;
    float ss = 0.0f;
    for (int c = 0; c < channels; c++) {
        const float v = x[xOff + base + (long) c * pixels];
        ss = fma(v, v, ss);
    }
    const float inv = sqrt((float) channels) / fmax(sqrt(ss), eps);
    for (int c = 0; c < channels; c++) {
        const long i = base + (long) c * pixels;
        const float y = x[xOff + i] * inv * ldw(gamma, c, gType);
        out[outOff + i] = silu ? y / (1.0f + exp(-y)) : y;
    }
}

// out[p, y, x] = x[p, y/2, x/2]; one item per output element.
__kernel void upsample_nearest2x(const __global float* x, long xOff, __global float* out, long outOff,
                                 int planes, int h, int w) {
    const long g = get_global_id(0);
    const long w2 = 2L * w, h2 = 2L * h;
    if (g >= planes * h2 * w2) return;
    const long xo = g % w2, r = g / w2;
    const long y = r % h2, p = r / h2;
    out[outOff + g] = x[xOff + (p * h + y / 2) * w + xo / 2];
}

// out[j, i] = x[i, j] through a 16x16 tile in local memory, so that reads and writes are both
// along rows.
#define TT 16
__kernel __attribute__((reqd_work_group_size(TT, TT, 1)))
void transpose(const __global float* x, long xOff, __global float* out, long outOff, int rows, int cols) {
    __local float tile[TT][TT + 1];
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int c0 = get_group_id(0) * TT, r0 = get_group_id(1) * TT;
    if (r0 + ly < rows && c0 + lx < cols) tile[ly][lx] = x[xOff + (long) (r0 + ly) * cols + c0 + lx];
    barrier(CLK_LOCAL_MEM_FENCE);
    if (c0 + ly < cols && r0 + lx < rows) out[outOff + (long) (c0 + ly) * rows + r0 + lx] = tile[lx][ly];
}
