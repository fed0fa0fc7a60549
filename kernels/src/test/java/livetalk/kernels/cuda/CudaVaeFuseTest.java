package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The VAE's copies fused into the fast convolution's copy ({@link CudaBackend#useVaeFuse},
 * {@code LIVETALK_CUDA_VAE_FUSE=1}) against the unfused path on the same backend, on each
 * channels-last layout the device runs (FAST, and WGMMA on compute capability 9.0). The norm
 * (rms_scale_channels, then conv_pad_cl_norm, which slides the causal history in place) against
 * rms_norm_channels, conv_pad_cl, the GEMM and the history's update by copy and toBf16: the same
 * bits, output and history, after every chunk of a stream (0, 1 and 2 history frames, then 4 new
 * frames at once), with a float32 and a bf16 history. The upsample (conv_pad_cl_up2) against
 * upsample_nearest2x then conv_pad_cl: the same bits. Why the bits must be equal: both compute every normed value with
 * vae_norm.cuh's operations in the same order and round it with the same round-to-nearest-even,
 * and the GEMM reads the same copy (docs/cuda-performance.md). Shapes: ragged (cin not a multiple
 * of 8, h and w against the 32-pixel copy segments and the 128-position GEMM tiles), the decoder's
 * channel counts, and its full-size stages and resamples at 512×512 video (512², 256², 128², 64²).
 * The residual adds in the convolution's epilogue (the GEMMs' _resid twins: conv3dNormSilu's
 * residual, a residual block's input, and conv3dResidual, its shortcut convolution and the
 * attention block's projection) against the convolution then add(out, residual, out) on the same
 * layout: the same bits, since each element is the one float addition (acc + bias) + residual
 * either way (the TMA layouts' twins: CudaConvTmaTest, in their own steps). Not yet run on
 * a GPU; skipped, saying why, without one. Runs in a JVM of its own in the GPU check (step
 * tests-vae-fuse): a fault there cannot take the validated tests with it.
 */
class CudaVaeFuseTest extends CudaTestBase {
    private static final float EPS = 1e-12f;   // VaeNorm.EPS
    private static final int KEEP = 2;         // CausalConv3d.CACHE_T

    @AfterEach
    void backToDefault() {
        if (cuda != null) {
            cuda.useVaeFuse(false);
            cuda.useConvLayout(ConvLayout.IMPLICIT);
        }
    }

    /** The channels-last layouts this device runs. */
    private static List<ConvLayout> layouts() {
        List<ConvLayout> out = new ArrayList<>();
        for (ConvLayout l : new ConvLayout[]{ConvLayout.FAST, ConvLayout.WGMMA}) if (cuda.convUnavailableReason(l) == null) out.add(l);
        assumeTrue(!out.isEmpty(), () -> "no channels-last convolution: " + cuda.convUnavailableReason(ConvLayout.FAST));
        return out;
    }

    /** One causal convolution's weights and the frames of a stream of chunks. */
    record Conv(Conv3dSpec spec, int h, int w, Weight weight, Weight bias, Weight gamma, DType histDtype) {
        long frame() {
            return (long) spec.cin() * h * w;
        }

        String describe() {
            return spec + " " + h + "x" + w + ", " + histDtype + " history";
        }
    }

    static Conv randomConv(SplittableRandom r, int cin, int cout, int kh, int kw, int h, int w, DType histDtype) {
        int ph = kh / 2, pw = kw / 2;
        Conv3dSpec s = Conv3dSpec.of(cin, cout, 3, kh, kw, 2, ph, pw);   // causal: 2 frames in front, as CausalConv3d's
        float scale = (float) (1 / Math.sqrt(cin * 3 * kh * kw));
        Tensor wt = Tensor.wrap(Props.uniform(r, (int) s.weightSize(), scale), cout, cin, 3, kh, kw).to(DType.BF16);
        return new Conv(s, h, w, cuda.weight(wt), cuda.weight(Tensor.wrap(Props.uniform(r, cout, 1), cout)),
                cuda.weight(Tensor.wrap(Props.uniform(r, cin, 2), cin, 1, 1, 1)), histDtype);
    }

    /**
     * The stream of chunks {@code frames} through conv, fused and unfused, each path with its own
     * history: after every chunk the outputs and the kept history frames must be the same bits.
     */
    private static void streamMatches(SplittableRandom r, Conv c, ConvLayout layout, int... frames) {
        streamMatches(r, c, layout, false, frames);
    }

    /**
     * {@link #streamMatches(SplittableRandom, Conv, ConvLayout, int...)}, with a residual added to
     * every chunk's output when {@code withResidual} (a residual block's second conv): in the
     * epilogue on the fused path, by add after the history's update on the unfused one.
     */
    static void streamMatches(SplittableRandom r, Conv c, ConvLayout layout, boolean withResidual, int... frames) {
        cuda.useConvLayout(layout);
        long fs = c.frame();
        Buf histFused = cuda.alloc(KEEP * fs, c.histDtype), histPlain = cuda.alloc(KEEP * fs, c.histDtype);
        int cached = 0;
        for (int t : frames) {
            Conv3dSpec s = c.spec.withPadFront(c.spec.padFront() - cached);
            long outSize = (long) s.outFrames(cached + t) * c.spec.cout() * c.h * c.w;
            float[] x = Props.uniform(r, (int) (t * fs), 3);
            float[] residual = withResidual ? residual(r, outSize) : null;
            float[] plain = run(false, histPlain, cached, x, residual, t, c, s, outSize), fused = run(true, histFused, cached, x, residual, t, c, s, outSize);
            int after = Math.min(KEEP, cached + t);
            String what = layout + " " + c.describe() + ", " + t + " frames after " + cached + (withResidual ? ", residual" : "");
            for (float v : plain) assertFalse(Float.isNaN(v), "the unfused output has a NaN (an unwritten element?), " + what);
            assertArrayEquals(plain, fused, "output, " + what);
            assertArrayEquals(Arrays.copyOf(cuda.read(histPlain), (int) (after * fs)), Arrays.copyOf(cuda.read(histFused), (int) (after * fs)),
                    "history, " + what);
            cached = after;
        }
        cuda.free(histFused);
        cuda.free(histPlain);
    }

    private static float[] run(boolean fuse, Buf hist, int cached, float[] x, float[] residual, int t, Conv c, Conv3dSpec s, long outSize) {
        cuda.useVaeFuse(fuse);
        Buf xb = cuda.upload(x), normed = cuda.alloc(x.length), out = cuda.alloc(outSize), rb = residual == null ? null : cuda.upload(residual);
        cuda.fill(out, Float.NaN);
        cuda.conv3dNormSilu(hist, cached, KEEP, xb, t, c.h, c.w, c.gamma, EPS, normed, out, rb, s, c.weight, c.bias);
        float[] o = cuda.read(out);
        // the full-size cases hold hundreds of MB each: free them now rather than when collected
        cuda.free(xb);
        cuda.free(normed);
        cuda.free(out);
        if (rb != null) cuda.free(rb);
        return o;
    }

    /** A residual of n floats: uniform in ±3, one in 8 a zero of either sign (x + −0 is x, x + +0 flips a −0). */
    static float[] residual(SplittableRandom r, long n) {
        float[] v = Props.uniform(r, (int) n, 3);
        for (int i = 0; i < v.length; i++) if (r.nextInt(8) == 0) v[i] = r.nextBoolean() ? 0f : -0f;
        return v;
    }

    @Test
    void raggedShapesGiveTheUnfusedBits() {
        for (ConvLayout layout : layouts()) {
            Props.forAll("cuda vae fuse ragged " + layout, 24, 1301, r -> {
                // cin across the 8-channel chunks (a partial last chunk) and the 64-channel copy groups,
                // cout across the GEMM's tiles, h and w ragged against the copy's 32-pixel segments
                int cin = 1 + r.nextInt(r.nextInt(4) == 0 ? 100 : 20), cout = 1 + r.nextInt(r.nextInt(3) == 0 ? 200 : 40);
                int kh = r.nextInt(3) == 0 ? 1 : 3, kw = r.nextInt(4) == 0 ? 1 : kh;
                Conv c = randomConv(r, cin, cout, kh, kw, 1 + r.nextInt(30), 1 + r.nextInt(70), r.nextBoolean() ? DType.BF16 : DType.F32);
                streamMatches(r, c, layout, 1 + r.nextInt(2), 1, 1, 1 + r.nextInt(4), 1);
            });
        }
    }

    @Test
    void decoderChannelCountsGiveTheUnfusedBits() {
        // {cin, cout}: the decoder's residual blocks' convs (384, 192 → 384 before a shortcut, 192, 96) and
        // its image head; the encoder's 96 → 192 and its head 384 → 32
        int[][] shapes = {{384, 384}, {192, 384}, {192, 192}, {96, 96}, {96, 3}, {96, 192}, {384, 32}};
        for (ConvLayout layout : layouts()) {
            Props.forAll("cuda vae fuse decoder channels " + layout, 1, 1302, r -> {
                for (int[] v : shapes) {
                    for (DType d : new DType[]{DType.BF16, DType.F32}) streamMatches(r, randomConv(r, v[0], v[1], 3, 3, 9, 13, d), layout, 1, 1, 1, 4);
                }
            });
        }
    }

    @Test
    void fullSizeDecoderStagesGiveTheUnfusedBits() {
        // {size, cin, cout, frames per call}: the decoder's stages at 512×512 video, bf16 history as the
        // decoder keeps it: 512² (and the head) and 256² one frame at a time (VaeTower.perFrameFrom), 128² two, 64² one
        int[][] stages = {{512, 96, 96, 1}, {512, 96, 3, 1}, {256, 192, 192, 1}, {128, 192, 384, 2}, {128, 384, 384, 2}, {64, 384, 384, 1}};
        for (ConvLayout layout : layouts()) {
            Props.forAll("cuda vae fuse full size " + layout, 1, 1303, r -> {
                for (int[] v : stages) {
                    streamMatches(r, randomConv(r, v[1], v[2], 3, 3, v[0], v[0], DType.BF16), layout, 1, v[3], v[3]);
                }
            });
        }
    }

    @Test
    void raggedShapesWithAResidualGiveConvThenAddsBits() {
        for (ConvLayout layout : layouts()) {
            Props.forAll("cuda vae fuse residual ragged " + layout, 16, 1306, r -> {
                // as raggedShapesGiveTheUnfusedBits; the residual is [tOut, cout, h, w] like the output, ragged alike
                int cin = 1 + r.nextInt(r.nextInt(4) == 0 ? 100 : 20), cout = 1 + r.nextInt(r.nextInt(3) == 0 ? 200 : 40);
                int kh = r.nextInt(3) == 0 ? 1 : 3, kw = r.nextInt(4) == 0 ? 1 : kh;
                Conv c = randomConv(r, cin, cout, kh, kw, 1 + r.nextInt(30), 1 + r.nextInt(70), r.nextBoolean() ? DType.BF16 : DType.F32);
                streamMatches(r, c, layout, true, 1 + r.nextInt(2), 1, 1 + r.nextInt(4), 1);
            });
        }
    }

    @Test
    void decoderResidualBlocksGiveConvThenAddsBits() {
        // {size, channels, frames per call}: the identity residual blocks' second convs at 512×512 video, each
        // stage's (64² and 128² 384, 256² 192, 512² 96), the residual the block's input of the output's shape
        int[][] stages = {{64, 384, 1}, {128, 384, 2}, {256, 192, 1}, {512, 96, 1}};
        for (ConvLayout layout : layouts()) {
            Props.forAll("cuda vae fuse residual decoder " + layout, 1, 1307, r -> {
                for (int[] v : stages) streamMatches(r, randomConv(r, v[1], v[1], 3, 3, v[0], v[0], DType.BF16), layout, true, 1, v[2]);
                // the channel counts on a small frame, both history dtypes, 4 frames at once last
                for (int c : new int[]{384, 192, 96}) {
                    for (DType d : new DType[]{DType.BF16, DType.F32}) streamMatches(r, randomConv(r, c, c, 3, 3, 9, 13, d), layout, true, 1, 1, 4);
                }
            });
        }
    }

    /**
     * conv3dResidual on {@code layout}, fused (the _resid twin adds in the epilogue) and unfused
     * (conv3d, then add), on the same inputs: the same bits. kt 1 without history (a shortcut, the
     * attention's projection), or a causal 3×3×3 after {@code histFrames} of history (float32).
     */
    static void residualConvMatches(SplittableRandom r, ConvLayout layout, int cin, int cout, int kt, int kh, int h, int w, int histFrames,
                                            int frames) {
        cuda.useConvLayout(layout);
        Conv3dSpec s = Conv3dSpec.of(cin, cout, kt, kh, kh, kt == 1 ? 0 : 2 - histFrames, kh / 2, kh / 2);
        float scale = (float) (1 / Math.sqrt(cin * kt * kh * kh));
        Weight wt = cuda.weight(Tensor.wrap(Props.uniform(r, (int) s.weightSize(), scale), cout, cin, kt, kh, kh).to(DType.BF16));
        Weight bias = r.nextBoolean() ? cuda.weight(Tensor.wrap(Props.uniform(r, cout, 1), cout)) : null;
        long frame = (long) cin * h * w, outSize = (long) s.outFrames(histFrames + frames) * cout * s.outH(h) * s.outW(w);
        float[] hist = histFrames == 0 ? null : Props.uniform(r, (int) (histFrames * frame), 3), x = Props.uniform(r, (int) (frames * frame), 3);
        float[] residual = residual(r, outSize);
        float[][] got = new float[2][];
        for (int fuse = 0; fuse < 2; fuse++) {
            cuda.useVaeFuse(fuse == 1);
            Buf hb = hist == null ? null : cuda.upload(hist), xb = cuda.upload(x), rb = cuda.upload(residual), out = cuda.alloc(outSize);
            cuda.fill(out, Float.NaN);
            cuda.conv3dResidual(hb, histFrames, xb, frames, h, w, out, rb, s, wt, bias);
            got[fuse] = cuda.read(out);
            for (Buf b : new Buf[]{hb, xb, rb, out}) if (b != null) cuda.free(b);
        }
        String what = layout + " conv " + s + " + residual, " + h + "x" + w + ", " + histFrames + " history frames, " + frames + " new"
                + (bias == null ? "" : ", bias");
        for (float v : got[0]) assertFalse(Float.isNaN(v), "the unfused output has a NaN (an unwritten element?), " + what);
        assertArrayEquals(got[0], got[1], what);
    }

    @Test
    void residualConvolutionsGiveConvThenAddsBits() {
        for (ConvLayout layout : layouts()) {
            Props.forAll("cuda vae fuse conv3dResidual ragged " + layout, 16, 1308, r -> {
                boolean causal = r.nextBoolean();
                residualConvMatches(r, layout, 1 + r.nextInt(r.nextInt(3) == 0 ? 120 : 20), 1 + r.nextInt(r.nextInt(3) == 0 ? 200 : 40), causal ? 3 : 1,
                        r.nextInt(3) == 0 ? 1 : 3, 1 + r.nextInt(30), 1 + r.nextInt(70), causal ? r.nextInt(3) : 0, 1 + r.nextInt(3));
            });
            // the decoder's: the shortcut 192 → 384 at 128² (2 frames), the attention block's projection 384 → 384 at 64²
            // (one frame); the encoder's shortcuts 96 → 192 and 192 → 384
            Props.forAll("cuda vae fuse conv3dResidual decoder " + layout, 1, 1309, r -> {
                residualConvMatches(r, layout, 192, 384, 1, 1, 128, 128, 0, 2);
                residualConvMatches(r, layout, 384, 384, 1, 1, 64, 64, 0, 1);
                residualConvMatches(r, layout, 96, 192, 1, 1, 40, 56, 0, 4);
                residualConvMatches(r, layout, 192, 384, 1, 1, 20, 28, 0, 4);
            });
        }
    }

    /** conv3dUpsample2x, fused and unfused, on the same frames: the same bits. */
    private static void upsampleMatches(SplittableRandom r, ConvLayout layout, int cin, int cout, int kh, int h, int w, int frames) {
        cuda.useConvLayout(layout);
        Conv3dSpec s = Conv3dSpec.of(cin, cout, 1, kh, kh, 0, kh / 2, kh / 2);   // the resample's 1×3×3 conv
        float scale = (float) (1 / Math.sqrt(cin * kh * kh));
        Weight wt = cuda.weight(Tensor.wrap(Props.uniform(r, (int) s.weightSize(), scale), cout, cin, 1, kh, kh).to(DType.BF16));
        Weight bias = cuda.weight(Tensor.wrap(Props.uniform(r, cout, 1), cout));
        float[] x = Props.uniform(r, frames * cin * h * w, 3);
        long outSize = (long) frames * cout * s.outH(2 * h) * s.outW(2 * w);
        float[][] got = new float[2][];
        for (int fuse = 0; fuse < 2; fuse++) {
            cuda.useVaeFuse(fuse == 1);
            Buf xb = cuda.upload(x), up = cuda.alloc(4L * cin * h * w), out = cuda.alloc(outSize);
            cuda.fill(out, Float.NaN);
            cuda.conv3dUpsample2x(xb, frames, h, w, up, out, s, wt, bias);
            got[fuse] = cuda.read(out);
            cuda.free(xb);
            cuda.free(up);
            cuda.free(out);
        }
        String what = layout + " upsampled conv " + s + " from " + h + "x" + w + ", " + frames + " frames";
        for (float v : got[0]) assertFalse(Float.isNaN(v), "the unfused output has a NaN (an unwritten element?), " + what);
        assertArrayEquals(got[0], got[1], what);
    }

    @Test
    void upsampledConvolutionsGiveTheUnfusedBits() {
        for (ConvLayout layout : layouts()) {
            Props.forAll("cuda vae fuse upsample ragged " + layout, 16, 1304, r -> upsampleMatches(r, layout, 1 + r.nextInt(r.nextInt(3) == 0 ? 120 : 20),
                    1 + r.nextInt(60), r.nextInt(4) == 0 ? 1 : 3, 1 + r.nextInt(20), 1 + r.nextInt(40), 1 + r.nextInt(2)));
            // the decoder's resamples at 512×512 video: 64² → 128² (384 → 192, 2 frames), 128² → 256² (384 → 192,
            // 4 frames), 256² → 512² (192 → 96, one frame at a time in the per-frame stages)
            Props.forAll("cuda vae fuse upsample full size " + layout, 1, 1305, r -> {
                upsampleMatches(r, layout, 384, 192, 3, 64, 64, 2);
                upsampleMatches(r, layout, 384, 192, 3, 128, 128, 4);
                upsampleMatches(r, layout, 192, 96, 3, 256, 256, 1);
            });
        }
    }

    @Test
    void theSwitchSelectsAndReports() {
        cuda.useVaeFuse(true);
        assertEquals(true, cuda.vaeFuse());
        cuda.useVaeFuse(false);
        assertEquals(false, cuda.vaeFuse());
    }
}
