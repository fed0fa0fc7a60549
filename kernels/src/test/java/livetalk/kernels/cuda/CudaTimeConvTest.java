package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import livetalk.kernels.Buf;
import livetalk.kernels.TimeConv;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * wav2vec2's conv encoder on the device: columns_1d gives TimeConv.columns's values and
 * channel_norm_over_time TimeConv.channelNorm's bits (float64 in the host's order, no fma), on
 * ragged shapes and the 4 s window a live block runs (12799 frames × 512 channels). Their argument
 * lists are held against the kernels' PTX parameters without a GPU in KernelArgsTest.
 */
class CudaTimeConvTest extends CudaTestBase {
    @Test
    void columnsAreTheHostsColumns() {
        Props.forAll("cuda columns1d", 20, 61, rnd -> {
            int channels = 1 + rnd.nextInt(40), c0 = rnd.nextInt(channels), cn = 1 + rnd.nextInt(channels - c0);
            int k = 1 + rnd.nextInt(10), s = 1 + rnd.nextInt(5), pad = rnd.nextInt(k), t = k + rnd.nextInt(300);
            int outT = TimeConv.outLength(t, k, s, pad);
            float[] x = Props.normal(rnd, t * channels);
            Buf col = cuda.alloc((long) outT * cn * k);
            cuda.fill(col, Float.NaN);
            cuda.columns1d(cuda.upload(x), t, channels, c0, cn, k, s, pad, outT, col);
            assertArrayEquals(TimeConv.columns(x, t, channels, c0, cn, k, s, pad, outT), cuda.read(col),
                    "t " + t + " channels " + channels + " [" + c0 + ", +" + cn + ") k " + k + " stride " + s + " pad " + pad);
        });
    }

    @Test
    void channelNormIsTheHostsBits() {
        Props.forAll("cuda channel norm", 12, 62, rnd -> {
            boolean live = rnd.nextInt(4) == 0;
            int t = live ? 12799 : 1 + rnd.nextInt(3000), c = live ? 512 : 1 + rnd.nextInt(700);
            float[] y = Props.normal(rnd, t * c), g = Props.normal(rnd, c), b = Props.normal(rnd, c);
            for (int i = 0; i < y.length; i += 97) y[i] *= 1000;   // a wide range, so that any other rounding shows
            Buf yb = cuda.upload(y);
            cuda.channelNormOverTime(yb, yb, t, c, 1e-5f, cuda.weight(Tensor.wrap(g, c)), cuda.weight(Tensor.wrap(b, c)));
            assertArrayEquals(TimeConv.channelNorm(y, t, c, 1e-5f, g, b), cuda.read(yb), "t " + t + " c " + c + " in place");
        });
    }
}
