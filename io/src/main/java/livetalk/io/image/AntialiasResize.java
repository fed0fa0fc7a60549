package livetalk.io.image;

/**
 * Bilinear resizing with antialiasing, as {@code torch.nn.functional.interpolate(mode="bilinear",
 * antialias=True, align_corners=False)} (what torchvision's {@code Resize} runs on a float tensor):
 * a separable triangle filter whose support widens with the downscale factor, width pass first,
 * then height, weights normalised per output pixel. Arithmetic is float32 in PyTorch's order so
 * results agree to rounding.
 */
public final class AntialiasResize {
    private AntialiasResize() {
    }

    /** Resizes every channel of a planar image to {@code outH × outW}. */
    public static RgbImage resize(RgbImage img, int outH, int outW) {
        int h = img.height(), w = img.width();
        float[] tmp = new float[3 * h * outW];
        Taps tw = taps(w, outW);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                int src = (c * h + y) * w, dst = (c * h + y) * outW;
                for (int x = 0; x < outW; x++) {
                    float acc = 0;
                    int k0 = tw.min[x];
                    for (int j = 0; j < tw.size[x]; j++) acc += tw.weight[x][j] * img.data()[src + k0 + j];
                    tmp[dst + x] = acc;
                }
            }
        }
        float[] out = new float[3 * outH * outW];
        Taps th = taps(h, outH);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < outH; y++) {
                int dst = (c * outH + y) * outW;
                for (int x = 0; x < outW; x++) {
                    float acc = 0;
                    for (int j = 0; j < th.size[y]; j++) acc += th.weight[y][j] * tmp[(c * h + th.min[y] + j) * outW + x];
                    out[dst + x] = acc;
                }
            }
        }
        return new RgbImage(outW, outH, out);
    }

    private record Taps(int[] min, int[] size, float[][] weight) {
    }

    /** Filter taps for one axis (PyTorch's {@code _compute_weights_aa} with a triangle filter). */
    private static Taps taps(int in, int out) {
        float scale = (float) in / out;
        float support = scale >= 1f ? scale : 1f; // interp_size/2 = 1, widened when downscaling
        float invscale = scale >= 1f ? 1f / scale : 1f;
        int[] min = new int[out], size = new int[out];
        float[][] weight = new float[out][];
        for (int i = 0; i < out; i++) {
            float center = scale * (i + 0.5f);
            int xmin = Math.max((int) (center - support + 0.5f), 0);
            int xsize = Math.min((int) (center + support + 0.5f), in) - xmin;
            float[] wt = new float[Math.max(xsize, 0)];
            float total = 0;
            for (int j = 0; j < xsize; j++) {
                float t = Math.abs((j + xmin - center + 0.5f) * invscale);
                wt[j] = t < 1f ? 1f - t : 0f;
                total += wt[j];
            }
            if (total != 0f) {
                for (int j = 0; j < xsize; j++) wt[j] /= total;
            }
            min[i] = xmin;
            size[i] = Math.max(xsize, 0);
            weight[i] = wt;
        }
        return new Taps(min, size, weight);
    }
}
