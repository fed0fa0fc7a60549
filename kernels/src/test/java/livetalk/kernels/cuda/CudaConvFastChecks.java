package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.cpu.CpuWeight;
import livetalk.kernels.cpu.VaeReferenceKernels;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fast convolution's checks, run by {@link CudaConvFastTest} (mma.sync, conv.cu),
 * {@link CudaConvWgmmaTest} (wgmma, conv_sm90.cu) and {@link CudaConvTmaTest} (wgmma fed by TMA,
 * conv_tma_sm90.cu; passed on an H200 in run 10): the
 * layout under test against the scalar CPU reference ({@link VaeReferenceKernels#conv3d} on the
 * same bf16-rounded inputs and weights, double accumulation) and against the validated
 * implicit-GEMM path. Both CUDA paths form the same bf16 products and accumulate them in float32,
 * in different orders (tap-major here, channel-major there), so the bound is CudaVaeTest's: 1e-5
 * of the largest output. Every output starts as NaN, so one never written fails too. Each
 * subclass runs in a JVM of its own in the GPU check (scripts/gpu-check.sh, steps tests-conv and
 * tests-conv-wgmma): a fault there cannot take the validated tests with it. Skipped, saying why,
 * where the device cannot run the layout.
 */
abstract class CudaConvFastChecks extends CudaTestBase {
    private static final double BOUND = 1e-5;

    /** The layout under test: FAST, WGMMA or TMA. */
    abstract ConvLayout layout();

    @AfterEach
    void backToDefault() {
        if (cuda != null) cuda.useConvLayout(ConvLayout.IMPLICIT);
    }

    private void requireFast() {
        String why = cuda.convUnavailableReason(layout());
        assumeTrue(why == null, () -> "fast convolution " + layout() + " not available: " + why);
    }

    /** One conv3d call's inputs, on the CPU as float arrays. */
    private record Case(Conv3dSpec s, int h, int w, int histFrames, int frames, float[] hist, float[] x, Tensor weight, float[] bias) {
        int tOut() {
            return s.outFrames(histFrames + frames);
        }

        long outSize() {
            return (long) tOut() * s.cout() * s.outH(h) * s.outW(w);
        }

        String describe() {
            return s + " " + h + "x" + w + " hist=" + histFrames + " frames=" + frames + " weight " + weight.dtype() + (bias == null ? "" : " bias");
        }
    }

    private static Case randomCase(SplittableRandom rnd, Conv3dSpec s, int h, int w, int histFrames, int frames, DType wDtype, boolean bias) {
        int frame = s.cin() * h * w;
        float[] hist = Props.uniform(rnd, Math.max(1, histFrames * frame), 1), x = Props.uniform(rnd, frames * frame, 1);
        // weights scaled so that outputs stay near 1 whatever the depth
        float scale = (float) (1 / Math.sqrt(s.cin() * s.kt() * s.kh() * s.kw()));
        Tensor wt = Tensor.wrap(Props.uniform(rnd, (int) s.weightSize(), scale), s.cout(), s.cin(), s.kt(), s.kh(), s.kw()).to(wDtype);
        return new Case(s, h, w, histFrames, frames, hist, x, wt, bias ? Props.uniform(rnd, s.cout(), 1) : null);
    }

    /** The scalar reference on the bf16-rounded operands the tensor cores see. */
    private static float[] reference(Case c) {
        float[] out = new float[(int) c.outSize()];
        Tensor wRef = Tensor.wrap(bf16(c.weight.toFloatArray()), c.s.cout(), c.s.cin(), c.s.kt(), c.s.kh(), c.s.kw());
        VaeReferenceKernels.conv3d(c.histFrames > 0 ? bf16(c.hist) : null, 0, c.histFrames, bf16(c.x), 0, c.frames, c.h, c.w, out, 0, c.s,
                (CpuWeight) cpu.weight(wRef), c.bias == null ? null : (CpuWeight) cpu.weight(Tensor.wrap(c.bias, c.s.cout())));
        return out;
    }

    /** conv3d on the GPU with the given layout; the history float32 or bf16. */
    private static float[] onGpu(Case c, ConvLayout layout, boolean hist16) {
        cuda.useConvLayout(layout);
        Buf hist = null, hist32 = null;
        if (c.histFrames > 0) {
            hist = hist32 = cuda.upload(c.hist);
            if (hist16) {
                hist = cuda.alloc(c.hist.length, DType.BF16);
                cuda.toBf16(hist32, hist);
            }
        }
        Buf x = cuda.upload(c.x), out = cuda.alloc(c.outSize());
        cuda.fill(out, Float.NaN);
        cuda.conv3d(hist, c.histFrames, x, c.frames, c.h, c.w, out, c.s, cuda.weight(c.weight),
                c.bias == null ? null : cuda.weight(Tensor.wrap(c.bias, c.s.cout())));
        float[] r = cuda.read(out);
        cuda.useConvLayout(ConvLayout.IMPLICIT);
        // the full-size cases hold hundreds of MB each: free them now rather than when collected
        cuda.free(x);
        cuda.free(out);
        if (hist32 != null) cuda.free(hist32);
        if (hist != hist32) cuda.free(hist);
        return r;
    }

    /** Fast against the reference and against the implicit path, each within BOUND of the largest output. */
    private void checkAgainstBoth(Case c) {
        float[] expected = reference(c), fast = onGpu(c, layout(), false), implicit = onGpu(c, ConvLayout.IMPLICIT, false);
        Props.assertClose(expected, fast, BOUND, layout() + " conv3d vs reference, " + c.describe());
        Props.assertClose(implicit, fast, BOUND, layout() + " conv3d vs implicit, " + c.describe());
    }

    @Test
    void raggedShapesMatchTheReferenceAndTheImplicitPath() {
        requireFast();
        DType[] dtypes = {DType.F32, DType.BF16, DType.F16};
        Props.forAll("cuda " + layout() + " conv3d ragged", 40, 1101, rnd -> {
            // cin across the 8-channel padding and the 64-deep k-tile, cout across the 32/96/128-row tiles,
            // h and w ragged against the 128-position tiles, kt 1 and 3 with front padding and history
            int cin = 1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 100 : 20), cout = 1 + rnd.nextInt(rnd.nextInt(3) == 0 ? 300 : 40);
            int kt = rnd.nextBoolean() ? 3 : 1, kh = rnd.nextInt(3) == 0 ? 1 : 3, kw = rnd.nextInt(4) == 0 ? 1 : kh;
            int padFront = rnd.nextInt(kt), pt = rnd.nextInt(kh / 2 + 1), pb = rnd.nextInt(kh / 2 + 1), pl = rnd.nextInt(kw / 2 + 1),
                    pr = rnd.nextInt(kw / 2 + 1);
            Conv3dSpec s = new Conv3dSpec(cin, cout, kt, kh, kw, 1, 1, 1, padFront, pt, pb, pl, pr);
            int side = cin * cout > 2000 ? 12 : 40;   // the scalar reference's time stays small
            int h = Math.max(1, kh - pt - pb) + rnd.nextInt(side), w = Math.max(1, kw - pl - pr) + rnd.nextInt(side);
            int histFrames = rnd.nextInt(3), frames = Math.max(1, kt - padFront - histFrames) + rnd.nextInt(3);
            Case c = randomCase(rnd, s, h, w, histFrames, frames, dtypes[rnd.nextInt(3)], rnd.nextBoolean());
            checkAgainstBoth(c);
            // a bf16 history gives the same bits (its values round to themselves in the copy)
            if (histFrames > 0) assertArrayEquals(onGpu(c, layout(), false), onGpu(c, layout(), true), "bf16 history, " + c.describe());
        });
    }

    @Test
    void decoderChannelCountsMatchTheReference() {
        requireFast();
        // {cin, cout, kt, kh, kw, padFront, histFrames, frames}: the decoder's convolutions at a small
        // ragged frame size (the scalar reference is slow): the latent conv 16 → 384 on the first chunk,
        // 384 → 384 and the time conv 384 → 768 (3×1×1), the resample's 1×3×3 384 → 192 and 192 → 96,
        // 192 → 384 with its 1×1×1 shortcut, 192 → 192, 96 → 96 and the image head 96 → 3
        int[][] shapes = {{16, 384, 3, 3, 3, 2, 0, 1}, {384, 384, 3, 3, 3, 0, 2, 1}, {384, 768, 3, 1, 1, 0, 2, 1},
                {384, 192, 1, 3, 3, 0, 0, 2}, {192, 384, 3, 3, 3, 0, 2, 2}, {192, 384, 1, 1, 1, 0, 0, 2}, {192, 192, 3, 3, 3, 0, 2, 1},
                {192, 96, 1, 3, 3, 0, 0, 1}, {96, 96, 3, 3, 3, 0, 2, 1}, {96, 3, 3, 3, 3, 0, 2, 1}};
        Props.forAll("cuda " + layout() + " conv3d decoder channels", 1, 1102, rnd -> {
            for (int[] v : shapes) {
                int p = v[3] / 2;
                Conv3dSpec s = Conv3dSpec.of(v[0], v[1], v[2], v[3], v[4], v[5], p, p);
                checkAgainstBoth(randomCase(rnd, s, 9, 13, v[6], v[7], DType.BF16, true));
            }
        });
    }

    @Test
    void fullSizeDecoderShapesMatchTheImplicitPathAndExactSamples() {
        requireFast();
        // {size, cin, cout, kt, kh, kw, padFront, histFrames, frames}: the decoder's stages at 512×512 video
        int[][] shapes = {{512, 96, 96, 3, 3, 3, 0, 2, 1}, {512, 192, 96, 1, 3, 3, 0, 0, 1}, {512, 96, 3, 3, 3, 3, 0, 2, 1},
                {256, 192, 192, 3, 3, 3, 0, 2, 1}, {128, 384, 384, 3, 3, 3, 0, 2, 2}, {128, 384, 768, 3, 1, 1, 0, 2, 1},
                {64, 384, 384, 3, 3, 3, 0, 2, 1}, {64, 16, 384, 3, 3, 3, 2, 0, 1}};
        Props.forAll("cuda " + layout() + " conv3d full size", 1, 1103, rnd -> {
            for (int[] v : shapes) {
                int p = v[4] / 2;
                Conv3dSpec s = Conv3dSpec.of(v[1], v[2], v[3], v[4], v[5], v[6], p, p);
                Case c = randomCase(rnd, s, v[0], v[0], v[7], v[8], DType.BF16, true);
                float[] fast = onGpu(c, layout(), v[7] > 0), implicit = onGpu(c, ConvLayout.IMPLICIT, v[7] > 0);
                Props.assertClose(implicit, fast, BOUND, layout() + " vs implicit, " + c.describe());
                // sampled outputs against double precision: the fast path no further off than twice the implicit one
                double[] err = sampledErrors(rnd, c, fast, implicit, 400);
                assertTrue(err[0] <= Math.max(BOUND * err[2], 2 * err[1]), layout() + " " + c.describe() + ": max error " + err[0]
                        + " on sampled outputs, implicit " + err[1] + ", max |out| " + err[2]);
            }
        });
    }

    /**
     * The largest error of {@code fast} and of {@code implicit} against a double-precision sum over
     * bf16-rounded operands at {@code n} random outputs, and the largest such output's magnitude.
     */
    private static double[] sampledErrors(SplittableRandom rnd, Case c, float[] fast, float[] implicit, int n) {
        Conv3dSpec s = c.s;
        int hOut = s.outH(c.h), wOut = s.outW(c.w), taps = s.kt() * s.kh() * s.kw();
        float[] wv = bf16(c.weight.toFloatArray());
        double[] r = new double[3];
        for (int i = 0; i < n; i++) {
            int t = rnd.nextInt(c.tOut()), o = rnd.nextInt(s.cout()), y = rnd.nextInt(hOut), xo = rnd.nextInt(wOut);
            double sum = c.bias == null ? 0 : c.bias[o];
            for (int dt = 0; dt < s.kt(); dt++) {
                int f = t + dt - s.padFront();
                if (f < 0) continue;
                float[] src = f < c.histFrames ? c.hist : c.x;
                long base = (long) (f < c.histFrames ? f : f - c.histFrames) * s.cin() * c.h * c.w;
                for (int ch = 0; ch < s.cin(); ch++)
                    for (int dy = 0; dy < s.kh(); dy++) {
                        int iy = y + dy - s.padTop();
                        if (iy < 0 || iy >= c.h) continue;
                        for (int dx = 0; dx < s.kw(); dx++) {
                            int ix = xo + dx - s.padLeft();
                            if (ix < 0 || ix >= c.w) continue;
                            double wgt = wv[(o * s.cin() + ch) * taps + (dt * s.kh() + dy) * s.kw() + dx];
                            sum += wgt * bf16one(src[(int) (base + ((long) ch * c.h + iy) * c.w + ix)]);
                        }
                    }
            }
            int at = ((t * s.cout() + o) * hOut + y) * wOut + xo;
            r[0] = Math.max(r[0], Math.abs(fast[at] - sum));
            r[1] = Math.max(r[1], Math.abs(implicit[at] - sum));
            r[2] = Math.max(r[2], Math.abs(sum));
        }
        assertEquals(false, Double.isNaN(r[0]), "output NaN at a sampled position, " + c.describe());
        return r;
    }

    private static float bf16one(float v) {
        return bf16(new float[]{v})[0];
    }

    @Test
    void stridedConvolutionsFallBackToTheValidatedPath() {
        requireFast();
        Props.forAll("cuda " + layout() + " conv3d strided", 4, 1104, rnd -> {
            Conv3dSpec s = new Conv3dSpec(5 + rnd.nextInt(20), 1 + rnd.nextInt(50), 3, 3, 3, 2, 2, 2, 2, 0, 1, 0, 1);
            Case c = randomCase(rnd, s, 9 + rnd.nextInt(20), 9 + rnd.nextInt(20), 1, 4, DType.F32, true);
            Props.assertClose(reference(c), onGpu(c, layout(), false), BOUND, "strided conv3d with " + layout() + " selected, " + c.describe());
        });
    }

    @Test
    void theSwitchSelectsAndReportsTheLayout() {
        requireFast();
        cuda.useConvLayout(layout());
        assertEquals(layout(), cuda.convLayout());
        cuda.useConvLayout(ConvLayout.IMPLICIT);
        assertEquals(ConvLayout.IMPLICIT, cuda.convLayout());
    }
}
