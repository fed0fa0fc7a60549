package livetalk.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.KernelException;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The fast VAE kernels of the CPU backend against the scalar references, on random shapes. */
class ConvKernelsTest {
    private final Backend be = new CpuBackend();

    private static Conv3dSpec randomSpec(SplittableRandom r) {
        return randomSpec(r, 11);
    }

    private static Conv3dSpec randomSpec(SplittableRandom r, int maxCout) {
        return new Conv3dSpec(1 + r.nextInt(9), 1 + r.nextInt(maxCout), 1 + r.nextInt(3), 1 + r.nextInt(3), 1 + r.nextInt(3),
                1 + r.nextInt(2), 1 + r.nextInt(2), 1 + r.nextInt(2),
                r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3));
    }

    private Weight weight(SplittableRandom r, long n, long... shape) {
        Tensor t = Tensor.wrap(Props.uniform(r, (int) n, 1f), shape);
        return be.weight(r.nextBoolean() ? t : t.to(DType.BF16));
    }

    private void checkConv(SplittableRandom r, Conv3dSpec s, int histFrames, int frames, int h, int w) {
        int frame = s.cin() * h * w;
        float[] hist = Props.uniform(r, histFrames * frame, 2f), x = Props.uniform(r, frames * frame, 2f);
        Weight wt = weight(r, s.weightSize(), s.cout(), s.cin(), s.kt(), s.kh(), s.kw());
        Weight bias = r.nextBoolean() ? weight(r, s.cout(), s.cout()) : null;
        int tOut = s.outFrames(histFrames + frames);
        int n = tOut * s.cout() * s.outH(h) * s.outW(w);
        float[] expected = new float[n];
        VaeReferenceKernels.conv3d(hist, 0, histFrames, x, 0, frames, h, w, expected, 0, s, CpuWeight.of(wt), CpuWeight.of(bias));
        Buf out = be.alloc(n);
        be.conv3d(histFrames > 0 ? be.upload(hist) : null, histFrames, be.upload(x), frames, h, w, out, s, wt, bias);
        Props.assertClose(expected, be.read(out), 1e-5, "conv3d " + s + " hist " + histFrames + " frames " + frames + " " + h + "x" + w);
    }

    @Test
    void conv3dMatchesReferenceOnSmallShapes() {
        Props.forAll("conv3d small", 300, 11, r -> {
            Conv3dSpec s = randomSpec(r);
            int h = Math.max(1, s.kh() - s.padTop() - s.padBottom()) + r.nextInt(9);
            int w = Math.max(1, s.kw() - s.padLeft() - s.padRight()) + r.nextInt(9);
            int hist = r.nextInt(3), minIn = Math.max(0, s.kt() - s.padFront() - hist);
            checkConv(r, s, hist, Math.max(1, minIn) + r.nextInt(3), h, w);
        });
    }

    @Test
    void conv3dMatchesReferenceOnWideRows() {
        // Rows of 40..110 output columns and up to 23 output channels exercise the 6×4 and 1-channel
        // tiles over one or two 4-vector strips, and the padded columns past the row's end.
        Props.forAll("conv3d wide", 25, 12, r -> {
            Conv3dSpec s = randomSpec(r, 23);
            int h = Math.max(1, s.kh() - s.padTop() - s.padBottom()) + r.nextInt(4);
            int w = (40 + r.nextInt(70)) * s.sw();
            int hist = r.nextInt(3), minIn = Math.max(0, s.kt() - s.padFront() - hist);
            checkConv(r, s, hist, Math.max(1, minIn) + r.nextInt(2), h, w);
        });
    }

    @Test
    void historyIsTheSameAsConcatenatedInput() {
        Props.forAll("conv3d history", 30, 13, r -> {
            Conv3dSpec s = Conv3dSpec.of(1 + r.nextInt(5), 1 + r.nextInt(6), 3, 3, 3, 0, 1, 1);
            int h = 1 + r.nextInt(7), w = 1 + r.nextInt(20), hist = 1 + r.nextInt(3), frames = 3 + r.nextInt(3) - Math.min(hist, 2);
            int frame = s.cin() * h * w;
            float[] all = Props.uniform(r, (hist + frames) * frame, 1f);
            Weight wt = weight(r, s.weightSize(), s.cout(), s.cin(), 3, 3, 3);
            int n = s.outFrames(hist + frames) * s.cout() * h * w;
            Buf a = be.alloc(n), b = be.alloc(n);
            Buf in = be.upload(all);
            be.conv3d(null, 0, in, hist + frames, h, w, a, s, wt, null);
            be.conv3d(in.view(0, (long) hist * frame), hist, in.view((long) hist * frame, (long) frames * frame), frames, h, w, b, s, wt, null);
            assertArrayEquals(be.read(a), be.read(b));
        });
    }

    @Test
    void rmsNormChannelsMatchesReference() {
        Props.forAll("rmsNormChannels", 60, 14, r -> {
            int t = 1 + r.nextInt(3), c = 1 + r.nextInt(40), p = 1 + r.nextInt(1500);
            boolean silu = r.nextBoolean();
            float[] x = Props.uniform(r, t * c * p, 3f);
            if (r.nextInt(4) == 0) java.util.Arrays.fill(x, 0, c * p, 0f); // an all-zero frame hits the eps clamp
            Weight g = weight(r, c, c, 1, 1, 1);
            float[] expected = new float[x.length];
            VaeReferenceKernels.rmsNormChannels(x, 0, expected, 0, t, c, p, 1e-12f, CpuWeight.of(g), silu);
            Buf b = be.upload(x);
            be.rmsNormChannels(b, b, t, c, p, 1e-12f, g, silu); // in place
            Props.assertClose(expected, be.read(b), 1e-5, "rmsNormChannels");
        });
    }

    @Test
    void upsampleAndTransposeMatchReference() {
        Props.forAll("upsample/transpose", 60, 15, r -> {
            int planes = 1 + r.nextInt(5), h = 1 + r.nextInt(30), w = 1 + r.nextInt(30);
            float[] x = Props.uniform(r, planes * h * w, 1f);
            float[] up = new float[4 * x.length];
            VaeReferenceKernels.upsampleNearest2x(x, 0, up, 0, planes, h, w);
            Buf o = be.alloc(up.length);
            be.upsampleNearest2x(be.upload(x), o, planes, h, w);
            assertArrayEquals(up, be.read(o));
            float[] tr = new float[x.length];
            VaeReferenceKernels.transpose(x, 0, tr, 0, planes * h, w);
            Buf o2 = be.alloc(tr.length);
            be.transpose(be.upload(x), o2, planes * h, w);
            assertArrayEquals(tr, be.read(o2));
        });
    }

    @Test
    void knownSmallConvolution() {
        // One channel, 2×2 kernel of ones, stride 1, ZeroPad(right 1, bottom 1): sums of 2×2 windows.
        Conv3dSpec s = new Conv3dSpec(1, 1, 1, 2, 2, 1, 1, 1, 0, 0, 1, 0, 1);
        Weight w = be.weight(Tensor.wrap(new float[] {1, 1, 1, 1}, 1, 1, 2, 2));
        Buf out = be.alloc(4);
        be.conv3d(null, 0, be.upload(new float[] {1, 2, 3, 4}), 1, 2, 2, out, s, w, null);
        assertArrayEquals(new float[] {10, 6, 7, 4}, be.read(out));
    }

    @Test
    void badSizesAreKernelExceptions() {
        Conv3dSpec s = Conv3dSpec.of(2, 3, 3, 3, 3, 2, 1, 1);
        Weight w = be.weight(Tensor.zeros(3, 2, 3, 3, 3));
        assertThrows(KernelException.class, () -> be.conv3d(null, 0, be.alloc(10), 1, 4, 4, be.alloc(48), s, w, null));
        assertThrows(KernelException.class, () -> be.conv3d(null, 0, be.alloc(32), 1, 4, 4, be.alloc(47), s, w, null));
    }
}
