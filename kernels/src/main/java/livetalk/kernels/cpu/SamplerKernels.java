package livetalk.kernels.cpu;

import livetalk.kernels.PatchGrid;

/**
 * The sampler's step ops on float arrays ({@link livetalk.kernels.Backend#patchify},
 * {@link livetalk.kernels.Backend#unpatchify}, {@link livetalk.kernels.Backend#subtractScaled}):
 * data movement and one float64 update, so these loops are also the reference the device
 * backends are checked against, bit for bit.
 */
public final class SamplerKernels {
    private SamplerKernels() {
    }

    /** See {@link livetalk.kernels.Backend#patchify}; src and out from element offsets sOff and oOff. */
    static void patchify(float[] src, int sOff, long frameStride, long channelStride, int channels, float[] out, int oOff, int outChannels,
                         int c0, PatchGrid g) {
        int ph = g.ph(), pw = g.pw(), gh = g.gh(), gw = g.gw(), w = g.w(), per = outChannels * ph * pw;
        // in source order: each plane is read front to back (token order would read every plane at
        // a stride, which took 1 ms per DiT call at 512×512 on the 2-core build machine)
        for (int f = 0; f < g.frames(); f++) {
            for (int c = 0; c < channels; c++) {
                int planeStart = (int) (sOff + f * frameStride + c * channelStride);
                for (int i = 0; i < gh; i++) {
                    for (int a = 0; a < ph; a++) {
                        int row = planeStart + (i * ph + a) * w, to = oOff + (f * gh + i) * gw * per + ((c0 + c) * ph + a) * pw;
                        for (int j = 0; j < gw; j++, to += per) {
                            for (int b = 0; b < pw; b++) out[to + b] = src[row + j * pw + b];
                        }
                    }
                }
            }
        }
    }

    /** See {@link livetalk.kernels.Backend#unpatchify}. */
    static void unpatchify(float[] tokens, int tOff, int channels, float[] out, int oOff, PatchGrid g) {
        int ph = g.ph(), pw = g.pw(), gh = g.gh(), gw = g.gw(), h = g.h(), w = g.w(), per = ph * pw * channels;
        int t = 0;
        for (int f = 0; f < g.frames(); f++) {
            for (int i = 0; i < gh; i++) {
                for (int j = 0; j < gw; j++, t++) {
                    for (int a = 0; a < ph; a++) {
                        for (int b = 0; b < pw; b++) {
                            int src = tOff + t * per + (a * pw + b) * channels;
                            int dst = oOff + ((f * channels) * h + i * ph + a) * w + j * pw + b;
                            for (int c = 0; c < channels; c++) out[dst + c * h * w] = tokens[src + c];
                        }
                    }
                }
            }
        }
    }

    /** {@code out = (float) (a − s·b)} in float64, element by element; in place allowed. */
    public static void subtractScaled(float[] a, int aOff, double s, float[] b, int bOff, float[] out, int oOff, int n) {
        for (int k = 0; k < n; k++) out[oOff + k] = (float) ((double) a[aOff + k] - s * (double) b[bOff + k]);
    }
}
