package livetalk.model.audio;

import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.TimeConv;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

class TimeConvTest {
    /** Direct grouped conv: out[t, o] = Σ_{c,k} w[o, c, k] · x[t·s + k − pad, g·per + c]. */
    static float[] direct(float[] x, int t, int cin, float[] w, int cout, int k, int s, int pad, int groups) {
        int tOut = TimeConv.outLength(t, k, s, pad), inPer = cin / groups, outPer = cout / groups;
        float[] out = new float[tOut * cout];
        for (int o = 0; o < cout; o++) {
            int g = o / outPer;
            for (int to = 0; to < tOut; to++) {
                double acc = 0;
                for (int c = 0; c < inPer; c++) {
                    for (int kk = 0; kk < k; kk++) {
                        int src = to * s + kk - pad;
                        if (src >= 0 && src < t) acc += (double) w[(o * inPer + c) * k + kk] * x[src * cin + g * inPer + c];
                    }
                }
                out[to * cout + o] = (float) acc;
            }
        }
        return out;
    }

    @Test
    void im2colTimesWeightIsTheConvolution() {
        Backend be = new CpuBackend();
        Props.forAll("im2col conv", 30, 3, rnd -> {
            int groups = 1 + rnd.nextInt(3), inPer = 1 + rnd.nextInt(3), outPer = 1 + rnd.nextInt(3);
            int cin = groups * inPer, cout = groups * outPer, k = 1 + rnd.nextInt(5), s = 1 + rnd.nextInt(3);
            int pad = rnd.nextInt(k), t = k + rnd.nextInt(20);
            float[] x = Props.normal(rnd, t * cin), w = Props.normal(rnd, cout * inPer * k);
            int tOut = TimeConv.outLength(t, k, s, pad);
            float[] got = new float[tOut * cout];
            for (int g = 0; g < groups; g++) {
                float[] wg = java.util.Arrays.copyOfRange(w, g * outPer * inPer * k, (g + 1) * outPer * inPer * k);
                Buf col = be.upload(TimeConv.columns(x, t, cin, g * inPer, inPer, k, s, pad, tOut));
                Buf y = be.alloc((long) tOut * outPer);
                be.linear(col, y, tOut, be.weight(Tensor.wrap(wg, outPer, inPer, k)), null);
                float[] yg = be.read(y);
                for (int i = 0; i < tOut; i++) System.arraycopy(yg, i * outPer, got, i * cout + g * outPer, outPer);
            }
            Props.assertClose(direct(x, t, cin, w, cout, k, s, pad, groups), got, 1e-5, "conv");
        });
    }

    /** The per-channel GroupNorm equals normalising one channel at a time in float64, bit for bit, on the host and through the backend. */
    @Test
    void channelNormIsEachChannelNormalisedOverTime() {
        Backend be = new CpuBackend();
        Props.forAll("channel norm", 20, 9, rnd -> {
            int t = 1 + rnd.nextInt(300), c = 1 + rnd.nextInt(40);
            float[] y = Props.normal(rnd, t * c), gamma = Props.normal(rnd, c), beta = Props.normal(rnd, c);
            float eps = 1e-5f;
            float[] expected = new float[y.length];
            for (int j = 0; j < c; j++) {
                double mean = 0, var = 0;
                for (int i = 0; i < t; i++) mean += y[i * c + j];
                mean /= t;
                for (int i = 0; i < t; i++) {
                    double d = y[i * c + j] - mean;
                    var += d * d;
                }
                var /= t;
                double inv = 1 / Math.sqrt(var + eps);
                for (int i = 0; i < t; i++) expected[i * c + j] = (float) ((y[i * c + j] - mean) * inv * gamma[j] + beta[j]);
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, TimeConv.channelNorm(y, t, c, eps, gamma, beta));
            Buf yb = be.upload(y);
            be.channelNormOverTime(yb, yb, t, c, eps, be.weight(Tensor.wrap(gamma, c)), be.weight(Tensor.wrap(beta, c)));
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, be.read(yb), "through Backend.channelNormOverTime, in place");
            Buf col = be.alloc((long) (t - 1) * 2 * c);
            be.columns1d(yb, t, c, 0, c, 2, 1, 0, t - 1, col);
            org.junit.jupiter.api.Assertions.assertArrayEquals(TimeConv.columns(expected, t, c, 0, c, 2, 1, 0, t - 1), be.read(col), "Backend.columns1d");
        });
    }
}
