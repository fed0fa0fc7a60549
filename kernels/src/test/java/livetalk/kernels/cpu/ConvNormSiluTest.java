package livetalk.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.KernelException;
import livetalk.kernels.Weight;
import livetalk.kernels.cuda.Bf16OperandBackend;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@link Backend#conv3dNormSilu}'s default against the sequence the VAE's causal convolutions ran
 * before it existed (CausalConv3d: the norm with SiLU into a buffer, conv3d over the cached frames
 * and that buffer, then the last two frames of the buffer remembered, then ResidualBlock's add of
 * the block's input when a residual is passed), bit for bit, over a stream of chunks of 1 to 4
 * frames: the output and the history after every chunk. On the CPU with a float32 history, and on
 * the bf16-operand emulation with a bf16 history (the CUDA decoder's), where the update rounds
 * with toBf16. {@link Backend#conv3dResidual}'s default against conv3d then add, likewise. The CUDA
 * overrides are held against these defaults by CudaVaeFuseTest; the decoder's golden checks run
 * through them on every backend.
 */
class ConvNormSiluTest {
    private static final float EPS = 1e-12f;   // the VAE norm's (VaeNorm.EPS)
    private static final int CACHE_T = 2;      // frames a causal conv keeps (CausalConv3d.CACHE_T)

    @Test
    void defaultIsTheNormThenTheConvolutionThenTheHistoryF32() {
        streamMatchesTheOldSequence(new CpuBackend(), DType.F32, 1201);
    }

    @Test
    void defaultIsTheNormThenTheConvolutionThenTheHistoryBf16() {
        streamMatchesTheOldSequence(new Bf16OperandBackend(new CpuBackend()), DType.BF16, 1202);
    }

    private static void streamMatchesTheOldSequence(Backend be, DType histDtype, long seed) {
        Props.forAll("conv3dNormSilu default, " + histDtype + " history", 12, seed, r -> {
            int cin = 1 + r.nextInt(12), cout = 1 + r.nextInt(10), h = 1 + r.nextInt(7), w = 1 + r.nextInt(9);
            Conv3dSpec spec = Conv3dSpec.of(cin, cout, 3, 3, 3, 2, 1, 1);   // the decoder's causal 3×3×3 conv
            Weight wt = be.weight(Tensor.wrap(Props.uniform(r, (int) spec.weightSize(), 0.3f), cout, cin, 3, 3, 3));
            Weight bias = r.nextBoolean() ? be.weight(Tensor.wrap(Props.uniform(r, cout, 1f), cout)) : null;
            Weight gamma = be.weight(Tensor.wrap(Props.uniform(r, cin, 2f), cin, 1, 1, 1));
            long fs = (long) cin * h * w;
            Buf histNew = be.alloc(CACHE_T * fs, histDtype), histOld = be.alloc(CACHE_T * fs, histDtype);
            int cached = 0;
            boolean inPlace = r.nextBoolean();   // normed = x, as ResidualBlock's second conv passes it
            for (int chunk = 0; chunk < 5; chunk++) {
                int t = 1 + r.nextInt(r.nextInt(3) == 0 ? 4 : 1);
                float[] x = Props.uniform(r, (int) (t * fs), 3f);
                Conv3dSpec s = spec.withPadFront(spec.padFront() - cached);
                long outSize = (long) s.outFrames(cached + t) * cout * h * w;
                // a residual block's second conv adds the block's input; the first and the head add nothing
                float[] residual = r.nextBoolean() ? Props.uniform(r, (int) outSize, 3f) : null;
                // the op
                Buf xNew = be.upload(x), outNew = be.alloc(outSize);
                be.conv3dNormSilu(histNew, cached, CACHE_T, xNew, t, h, w, gamma, EPS, inPlace ? xNew : be.alloc(t * fs), outNew,
                        residual == null ? null : be.upload(residual), s, wt, bias);
                // the old sequence
                Buf xOld = be.upload(x), outOld = be.alloc(outSize), normed = inPlace ? xOld : be.alloc(t * fs);
                be.rmsNormChannels(xOld, normed, t, cin, h * w, EPS, gamma, true);
                be.conv3d(cached == 0 ? null : histOld.view(0, cached * fs), cached, normed, t, h, w, outOld, s, wt, bias);
                int after = rememberAsBefore(be, histOld, cached, normed, t, fs);
                if (residual != null) be.add(outOld, be.upload(residual), outOld);
                String what = histDtype + " history, chunk " + chunk + " of " + t + " frames after " + cached + ", cin " + cin + " " + h + "x" + w
                        + (residual == null ? "" : ", residual");
                assertArrayEquals(be.read(outOld), be.read(outNew), "output, " + what);
                assertArrayEquals(Arrays.copyOf(be.read(histOld), (int) (after * fs)), Arrays.copyOf(be.read(histNew), (int) (after * fs)),
                        "history, " + what);
                cached = after;
            }
        });
    }

    /** CausalConv3d.remember as it was: the cache ← the last CACHE_T frames of [cache, y]; the frames it then holds. */
    private static int rememberAsBefore(Backend be, Buf cache, int cached, Buf y, int t, long fs) {
        if (t >= CACHE_T) {
            store(be, y.view((t - CACHE_T) * fs, CACHE_T * fs), cache);
            return CACHE_T;
        }
        if (cached == 0) {
            store(be, y, cache.view(0, t * fs));
            return t;
        }
        if (cached == 2) be.copy(cache.view(fs, fs), cache.view(0, fs));
        store(be, y, cache.view(fs, fs));
        return 2;
    }

    private static void store(Backend be, Buf frames, Buf into) {
        if (into.dtype() == DType.BF16) be.toBf16(frames, into);
        else be.copy(frames, into);
    }

    @Test
    void residualDefaultIsTheConvolutionThenTheAdd() {
        residualMatchesConvThenAdd(new CpuBackend(), 1204);
        residualMatchesConvThenAdd(new Bf16OperandBackend(new CpuBackend()), 1205);
    }

    /**
     * conv3dResidual against conv3d then add(out, residual, out), as ResidualBlock's shortcut and
     * AttentionBlock's projection ran them: the same bits, with and without history and bias. The
     * residual holds signed zeros and values that cancel the convolution's exactly, where an add
     * of another order or of a zero would show.
     */
    private static void residualMatchesConvThenAdd(Backend be, long seed) {
        Props.forAll("conv3dResidual default", 16, seed, r -> {
            int cin = 1 + r.nextInt(12), cout = 1 + r.nextInt(10), h = 1 + r.nextInt(7), w = 1 + r.nextInt(9);
            boolean causal = r.nextBoolean();
            Conv3dSpec s = causal ? Conv3dSpec.of(cin, cout, 3, 3, 3, 2 - r.nextInt(3), 1, 1) : Conv3dSpec.of(cin, cout, 1, 1, 1, 0, 0, 0);
            int histFrames = causal ? 2 - s.padFront() : 0, t = 1 + r.nextInt(3);
            long fs = (long) cin * h * w, outSize = (long) s.outFrames(histFrames + t) * cout * h * w;
            Weight wt = be.weight(Tensor.wrap(Props.uniform(r, (int) s.weightSize(), 0.3f), cout, cin, s.kt(), s.kh(), s.kw()));
            Weight bias = r.nextBoolean() ? be.weight(Tensor.wrap(Props.uniform(r, cout, 1f), cout)) : null;
            Buf hist = histFrames == 0 ? null : be.upload(Props.uniform(r, (int) (histFrames * fs), 3f)), x = be.upload(Props.uniform(r, (int) (t * fs), 3f));
            Buf plain = be.alloc(outSize);
            be.conv3d(hist, histFrames, x, t, h, w, plain, s, wt, bias);
            float[] conv = be.read(plain), residual = Props.uniform(r, (int) outSize, 3f);
            for (int i = 0; i < residual.length; i++) {
                int pick = r.nextInt(4);
                if (pick == 0) residual[i] = -conv[i];                     // an exact cancellation: +0
                else if (pick == 1) residual[i] = r.nextBoolean() ? 0f : -0f;   // the convolution's own bits, its sign of zero
            }
            Buf fused = be.alloc(outSize);
            be.conv3dResidual(hist, histFrames, x, t, h, w, fused, be.upload(residual), s, wt, bias);
            be.add(plain, be.upload(residual), plain);
            // assertArrayEquals compares floats by their bits (floatToIntBits): +0 and −0 differ
            assertArrayEquals(be.read(plain), be.read(fused), s + " " + h + "x" + w + ", " + histFrames + " history frames, " + t + " new");
        });
    }

    @Test
    void historiesOfOtherLengthsKeepTheLastFramesOfTheSequence() {
        Backend be = new CpuBackend();
        Props.forAll("conv3dNormSilu sliding history", 30, 1203, r -> {
            int cin = 1 + r.nextInt(6), h = 1 + r.nextInt(5), w = 1 + r.nextInt(5), keep = 1 + r.nextInt(4);
            int histFrames = r.nextInt(keep + 1), t = 1 + r.nextInt(5);
            long fs = (long) cin * h * w;
            Conv3dSpec s = Conv3dSpec.of(cin, 2, 1, 1, 1, 0, 0, 0);
            Weight wt = be.weight(Tensor.wrap(Props.uniform(r, 2 * cin, 1f), 2, cin, 1, 1, 1));
            Weight gamma = be.weight(Tensor.wrap(Props.uniform(r, cin, 2f), cin));
            float[] hist0 = Props.uniform(r, (int) (keep * fs), 1f), x = Props.uniform(r, (int) (t * fs), 3f);
            Buf hist = be.upload(hist0), y = be.alloc(t * fs);
            Buf out = be.alloc((long) s.outFrames(histFrames + t) * 2 * h * w);
            be.conv3dNormSilu(hist, histFrames, keep, be.upload(x), t, h, w, gamma, EPS, be.alloc(t * fs), out, null, s, wt, null);
            be.rmsNormChannels(be.upload(x), y, t, cin, h * w, EPS, gamma, true);
            float[] seq = new float[(int) ((histFrames + t) * fs)];
            System.arraycopy(hist0, 0, seq, 0, (int) (histFrames * fs));
            System.arraycopy(be.read(y), 0, seq, (int) (histFrames * fs), (int) (t * fs));
            int kept = Math.min(keep, histFrames + t);
            assertArrayEquals(Arrays.copyOfRange(seq, (int) ((histFrames + t - kept) * fs), seq.length), Arrays.copyOf(be.read(hist), (int) (kept * fs)),
                    "keep " + keep + ", " + histFrames + " history frames, " + t + " new");
        });
    }

    @Test
    void historyArgumentsOutOfRangeAreRefused() {
        Backend be = new CpuBackend();
        Conv3dSpec s = Conv3dSpec.of(2, 2, 1, 1, 1, 0, 0, 0);
        Weight wt = be.weight(Tensor.wrap(new float[4], 2, 2, 1, 1, 1)), gamma = be.weight(Tensor.wrap(new float[]{1, 1}, 2));
        Buf x = be.alloc(8), out = be.alloc(8);
        assertThrows(KernelException.class, () -> be.conv3dNormSilu(be.alloc(16), 3, 2, x, 1, 2, 2, gamma, EPS, x, out, null, s, wt, null));
        assertThrows(KernelException.class, () -> be.conv3dNormSilu(be.alloc(12), 0, 2, x, 1, 2, 2, gamma, EPS, x, out, null, s, wt, null));
        assertThrows(KernelException.class, () -> be.conv3dNormSilu(null, 0, 2, x, 1, 2, 2, gamma, EPS, x, out, null, s, wt, null));
        assertThrows(KernelException.class, () -> be.conv3dNormSilu(be.alloc(0), 0, 0, x, 1, 2, 2, gamma, EPS, x, out, null, s, wt, null));
    }
}
