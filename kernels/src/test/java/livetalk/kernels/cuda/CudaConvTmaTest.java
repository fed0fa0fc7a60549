package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The fast convolution with its operands fed by TMA (conv_tma_sm90.cu, {@code LIVETALK_CUDA_CONV=tma};
 * written without a GPU, passed on an H200 in run 10): every {@link CudaConvFastChecks} check, and the same
 * bits as the wgmma convolution (conv_sm90.cu) on the decoder's shapes, full size and small, on
 * ragged ones, and on ragged ones of the halves kernel's copies (cp ≡ 32 mod 64) (conv_tma_sm90_layout.cuh argues why they must be equal; conv_tma_layout_test.cpp
 * checks on the host that the kernels' boxes are the wgmma kernel's operands). A class of its own,
 * run in a JVM of its own by the GPU check (tests-conv-tma): a hang (a barrier that never
 * completes) or a fault cannot take the validated tests with it. Skipped, saying why, unless the
 * device has compute capability 9.0. {@link CudaConvTmaPersistentTest} runs every check on the
 * persistent kernels, {@link CudaConvTmaPingPongTest} on the ping-pong ones. The kernels' _resid
 * twins (LIVETALK_CUDA_VAE_FUSE=1: the residual added in the epilogue) are checked here too, in
 * this layout's own step, rather than in tests-vae-fuse with the FAST and WGMMA ones: a TMA kernel
 * that hangs there would lose that step's results.
 */
class CudaConvTmaTest extends CudaConvFastChecks {
    @Override
    ConvLayout layout() {
        return ConvLayout.TMA;
    }

    private void requireTma() {
        String why = cuda.convUnavailableReason(layout());
        assumeTrue(why == null, () -> "the TMA convolution is not available: " + why);
    }

    /** conv3d of random inputs on {@code layout}, the output as float bits. */
    private static int[] bits(ConvLayout layout, Conv3dSpec s, int h, int w, int histFrames, int frames, float[] hist, float[] x, Tensor weight,
                              float[] bias) {
        cuda.useConvLayout(layout);
        Buf hb = histFrames > 0 ? cuda.upload(hist) : null, xb = cuda.upload(x);
        long n = (long) s.outFrames(histFrames + frames) * s.cout() * s.outH(h) * s.outW(w);
        Buf out = cuda.alloc(n);
        cuda.fill(out, Float.NaN);
        cuda.conv3d(hb, histFrames, xb, frames, h, w, out, s, cuda.weight(weight), bias == null ? null : cuda.weight(Tensor.wrap(bias, s.cout())));
        float[] r = cuda.read(out);
        cuda.useConvLayout(ConvLayout.IMPLICIT);
        cuda.free(xb);
        cuda.free(out);
        if (hb != null) cuda.free(hb);
        int[] b = new int[r.length];
        for (int i = 0; i < r.length; i++) b[i] = Float.floatToRawIntBits(r[i]);
        return b;
    }

    private void assertSameBits(SplittableRandom rnd, Conv3dSpec s, int h, int w, int histFrames, int frames, boolean bias) {
        int frame = s.cin() * h * w;
        float[] hist = Props.uniform(rnd, Math.max(1, histFrames * frame), 1), x = Props.uniform(rnd, frames * frame, 1);
        float scale = (float) (1 / Math.sqrt(s.cin() * s.kt() * s.kh() * s.kw()));
        Tensor wt = Tensor.wrap(Props.uniform(rnd, (int) s.weightSize(), scale), s.cout(), s.cin(), s.kt(), s.kh(), s.kw()).to(DType.BF16);
        float[] b = bias ? Props.uniform(rnd, s.cout(), 1) : null;
        int[] wgmma = bits(ConvLayout.WGMMA, s, h, w, histFrames, frames, hist, x, wt, b);
        int[] tma = bits(layout(), s, h, w, histFrames, frames, hist, x, wt, b);
        String what = s + " " + h + "x" + w + " hist=" + histFrames + " frames=" + frames + (bias ? " bias" : "");
        assertEquals(wgmma.length, tma.length, what);
        for (int i = 0; i < wgmma.length; i++) {
            if (wgmma[i] != tma[i]) {
                throw new AssertionError(layout() + " vs wgmma convolution, " + what + ": output " + i + " is " + Float.intBitsToFloat(tma[i]) + ", wgmma "
                        + Float.intBitsToFloat(wgmma[i]) + " (the same bits expected)");
            }
        }
    }

    /**
     * {@link #assertSameBits} on a random geometry of {@code cin} → {@code cout}: kt and kh/kw of 1 or 3
     * with front and side padding, planes ragged against the 128-position tiles, 0-2 history frames.
     */
    private void assertSameBitsOnARandomGeometry(SplittableRandom rnd, int cin, int cout) {
        int kt = rnd.nextBoolean() ? 3 : 1, kh = rnd.nextInt(3) == 0 ? 1 : 3, kw = rnd.nextInt(4) == 0 ? 1 : kh;
        int padFront = rnd.nextInt(kt), pt = rnd.nextInt(kh / 2 + 1), pb = rnd.nextInt(kh / 2 + 1), pl = rnd.nextInt(kw / 2 + 1),
                pr = rnd.nextInt(kw / 2 + 1);
        Conv3dSpec s = new Conv3dSpec(cin, cout, kt, kh, kw, 1, 1, 1, padFront, pt, pb, pl, pr);
        int h = Math.max(1, kh - pt - pb) + rnd.nextInt(40), w = Math.max(1, kw - pl - pr) + rnd.nextInt(70);
        int histFrames = rnd.nextInt(3), frames = Math.max(1, kt - padFront - histFrames) + rnd.nextInt(3);
        assertSameBits(rnd, s, h, w, histFrames, frames, rnd.nextBoolean());
    }

    @Test
    void decoderShapesGiveTheWgmmaConvolutionsBits() {
        requireTma();
        // {size, cin, cout, kt, kh, kw, padFront, histFrames, frames}: the decoder's stages at 512×512 video
        // (cin 96: the halves kernel conv_cl_tma_h32_n*, two 32-channel boxes per k-tile) and the same channel counts small and ragged
        int[][] shapes = {{512, 96, 96, 3, 3, 3, 0, 2, 1}, {512, 192, 96, 1, 3, 3, 0, 0, 1}, {512, 96, 3, 3, 3, 3, 0, 2, 1},
                {256, 192, 192, 3, 3, 3, 0, 2, 1}, {128, 384, 384, 3, 3, 3, 0, 2, 2}, {128, 384, 768, 3, 1, 1, 0, 2, 1},
                {64, 384, 384, 3, 3, 3, 0, 2, 1}, {64, 16, 384, 3, 3, 3, 2, 0, 1}, {13, 96, 96, 3, 3, 3, 0, 2, 1}, {9, 16, 384, 3, 3, 3, 2, 0, 1},
                {11, 192, 384, 1, 1, 1, 0, 0, 2}, {7, 384, 192, 1, 3, 3, 0, 0, 2}};
        Props.forAll("cuda tma conv3d bits, decoder", 1, 1201, rnd -> {
            for (int[] v : shapes) {
                int p = v[4] / 2;
                assertSameBits(rnd, Conv3dSpec.of(v[1], v[2], v[3], v[4], v[5], v[6], p, p), v[0], v[0] + 3, v[7], v[8], true);
            }
        });
    }

    @Test
    void raggedShapesGiveTheWgmmaConvolutionsBits() {
        requireTma();
        Props.forAll("cuda tma conv3d bits, ragged", 30, 1202, rnd -> {
            // cin across 16 (TMA) and 8-but-not-16 (the wgmma kernel runs: the same bits trivially), cout across the tiles,
            // h and w ragged against the 128-position tiles, kt 1 and 3 with front padding and history, with and without bias
            int cin = 8 * (1 + rnd.nextInt(rnd.nextInt(3) == 0 ? 50 : 14)), cout = 1 + rnd.nextInt(rnd.nextInt(3) == 0 ? 400 : 60);
            assertSameBitsOnARandomGeometry(rnd, cin, cout);
        });
    }

    @Test
    void halvesKernelShapesGiveTheWgmmaConvolutionsBits() {
        requireTma();
        Props.forAll("cuda tma conv3d bits, halves", 20, 1203, rnd -> {
            // copies of 32, 96 or 160 channels (cp ≡ 32 mod 64: conv_cl_tma_h32_n*, each k-tile's halves from two taps),
            // cin a little under, an odd or even tap count (K/32 odd: the last k-tile's second half past K), ragged planes
            int cin = new int[]{32, 96, 160}[rnd.nextInt(3)] - rnd.nextInt(8), cout = 1 + rnd.nextInt(rnd.nextInt(3) == 0 ? 250 : 60);
            assertSameBitsOnARandomGeometry(rnd, cin, cout);
        });
    }

    /**
     * The _resid twins on this layout (conv3dResidual, and conv3dNormSilu with a residual block's
     * input) against the same layout's convolution then add(out, residual, out), as CudaVaeFuseTest
     * holds FAST's and WGMMA's: the same bits. One-box copies (192, 384 channels), halves ones (96),
     * and a copy of 8 channels, which TMA leaves to the wgmma kernel's twin.
     */
    @Test
    void residualTwinsGiveConvThenAddsBits() {
        requireTma();
        try {
            Props.forAll("cuda tma conv3d residual twins " + layout(), 1, 1204, rnd -> {
                // the decoder's shortcut (192 → 384 at 128²), its attention's projection (384 at 64²), ragged 1×1×1 and causal ones
                CudaVaeFuseTest.residualConvMatches(rnd, layout(), 192, 384, 1, 1, 128, 128, 0, 2);
                CudaVaeFuseTest.residualConvMatches(rnd, layout(), 384, 384, 1, 1, 64, 64, 0, 1);
                CudaVaeFuseTest.residualConvMatches(rnd, layout(), 96, 40, 3, 3, 23, 61, 1, 2);
                CudaVaeFuseTest.residualConvMatches(rnd, layout(), 8, 17, 3, 3, 9, 31, 2, 1);
                // the residual blocks' second convs: 512² (halves), 256², 64², and small ragged frames over a stream
                CudaVaeFuseTest.streamMatches(rnd, CudaVaeFuseTest.randomConv(rnd, 96, 96, 3, 3, 512, 512, DType.BF16), layout(), true, 1, 1);
                CudaVaeFuseTest.streamMatches(rnd, CudaVaeFuseTest.randomConv(rnd, 192, 192, 3, 3, 256, 256, DType.BF16), layout(), true, 1);
                CudaVaeFuseTest.streamMatches(rnd, CudaVaeFuseTest.randomConv(rnd, 384, 384, 3, 3, 64, 64, DType.BF16), layout(), true, 1, 1);
                CudaVaeFuseTest.streamMatches(rnd, CudaVaeFuseTest.randomConv(rnd, 160, 70, 3, 3, 11, 37, DType.F32), layout(), true, 1, 1, 3);
            });
        } finally {
            cuda.useVaeFuse(false);
        }
    }
}
