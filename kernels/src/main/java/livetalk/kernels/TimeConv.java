package livetalk.kernels;

/**
 * The host forms of wav2vec2's two time-axis operations (docs/model.md#wav2vec2), on time-major
 * arrays {@code x[t, c]}: the columns of a 1-D convolution and the per-channel GroupNorm. They are
 * {@link Backend#columns1d} and {@link Backend#channelNormOverTime}'s defaults, and the reference
 * a device backend's kernels give bit for bit.
 */
public final class TimeConv {
    private TimeConv() {
    }

    /** Output frames of a 1-D convolution over {@code t} frames. */
    public static int outLength(int t, int kernel, int stride, int pad) {
        return (t + 2 * pad - kernel) / stride + 1;
    }

    /**
     * Columns of channels {@code [c0, c0+cn)} of {@code x[t, channels]} for {@code outT} output
     * frames: {@code col[o, c·kernel + k] = x[o·stride + k − pad, c0 + c]}, zero outside
     * {@code [0, t)}: {@code [outT, cn·kernel]}, matching a PyTorch weight {@code [out, in, K]}
     * flattened to {@code [out, in·K]}.
     */
    public static float[] columns(float[] x, int t, int channels, int c0, int cn, int kernel, int stride, int pad, int outT) {
        float[] col = new float[outT * cn * kernel];
        for (int o = 0; o < outT; o++) {
            int base = o * cn * kernel;
            for (int k = 0; k < kernel; k++) {
                int src = o * stride + k - pad;
                if (src < 0 || src >= t) continue;
                int row = src * channels + c0;
                for (int c = 0; c < cn; c++) col[base + c * kernel + k] = x[row + c];
            }
        }
        return col;
    }

    /**
     * GroupNorm with one group per channel over {@code y[t, c]}: each channel normalised over time
     * in float64 (its mean, then its mean squared deviation, each summed over the frames in order,
     * {@code 1/√(var + eps)}), then {@code ·gamma[j] + beta[j]}, rounded to float32. The sums run over
     * the rows in order, all channels at once, so memory is read front to back (wav2vec2's 4 s
     * window is 12799 × 512 values).
     */
    public static float[] channelNorm(float[] y, int t, int c, float eps, float[] gamma, float[] beta) {
        float[] out = new float[y.length];
        double[] mean = new double[c], var = new double[c], inv = new double[c];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < c; j++) mean[j] += y[i * c + j];
        }
        for (int j = 0; j < c; j++) mean[j] /= t;
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < c; j++) {
                double d = y[i * c + j] - mean[j];
                var[j] += d * d;
            }
        }
        for (int j = 0; j < c; j++) inv[j] = 1 / Math.sqrt(var[j] / t + eps);
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < c; j++) out[i * c + j] = (float) ((y[i * c + j] - mean[j]) * inv[j] * gamma[j] + beta[j]);
        }
        return out;
    }
}
