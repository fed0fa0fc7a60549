package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import livetalk.cli.verify.GoldenDir;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.ForwardingBackend;
import livetalk.kernels.Weight;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.kernels.cuda.Bf16OperandBackend;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.DitConfig;
import livetalk.model.dit.KvCache;
import livetalk.model.dit.TextCache;
import livetalk.tensor.DType;
import org.junit.jupiter.api.Test;

/**
 * The DiT's use of bf16 operand buffers (Backend#operandDtype, docs/numerics.md#fused-bf16-operands),
 * checked on the CPU without a GPU. {@link FusedEmulation} is the CUDA backend's contract with bf16
 * operands on, emulated: it reports BF16, its producers (layerNorm, modulate, linear, attention)
 * write a bf16 out as their float32 result rounded by toBf16, its products read a bf16 input
 * widened (exact), and every other op refuses bf16 as the CPU does. Under
 * {@link Bf16OperandBackend} (products round their float32 inputs to bf16) the two must give the same
 * bits: this fails if the model hands an operand buffer to an op that does not take one, or if an
 * operand buffer is read by anything but a product (which would see a rounded value the float32
 * path never had).
 */
class FusedOperandWiringTest {

    @Test
    void ditWithBf16OperandsGivesTheSameBitsAsWithFloat32Operands() throws Exception {
        try (GoldenDir dir = new GoldenDir(Path.of("golden"))) {
            float[][] outputs = new float[2][];
            for (int mode = 0; mode < 2; mode++) {
                Backend emulation = new Bf16OperandBackend(new CpuBackend());
                Backend be = mode == 0 ? emulation : new FusedEmulation(emulation);
                outputs[mode] = twoBlocks(CausalDit.load(be, dir.file("dit_tiny"), dir.json("dit_tiny")));
            }
            assertEquals(outputs[0].length, outputs[1].length);
            for (int i = 0; i < outputs[0].length; i++) {
                int at = i;
                assertEquals(Float.floatToRawIntBits(outputs[0][i]), Float.floatToRawIntBits(outputs[1][i]),
                        () -> "output " + at + ": float32 operands " + outputs[0][at] + ", bf16 operands " + outputs[1][at]);
            }
        }
    }

    /** Two blocks of the block loop on random inputs: per block a denoising call and the clean cache refresh; both calls' outputs. */
    private static float[] twoBlocks(CausalDit dit) {
        DitConfig c = dit.config();
        int frames = 3, h = 8, w = 6;
        SplittableRandom rnd = new SplittableRandom(17);
        TextCache text = dit.encodeText(random(rnd, 20 * c.textDim()), 20);
        KvCache kv = dit.newKvCache(dit.frameSeqLength(h, w), 6, 3, KvCache.DEFAULT_DTYPE);
        float[] all = new float[0];
        for (int b = 0; b < 2; b++) {
            float[] x = random(rnd, frames * c.outDim() * h * w), y = random(rnd, (c.inDim() - c.outDim()) * frames * h * w);
            float[] audio = random(rnd, c.numAudioProjs() * frames * c.dim());
            float[] out = dit.forward(new CausalDit.Input(x, y, frames, h, w, new float[] {936, 936, 936}, audio, (long) b * frames), kv, text);
            dit.refreshCache(new CausalDit.Input(out, y, frames, h, w, new float[3], audio, (long) b * frames), kv, text);
            float[] grown = java.util.Arrays.copyOf(all, all.length + out.length);
            System.arraycopy(out, 0, grown, all.length, out.length);
            all = grown;
        }
        return all;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /** The CUDA backend's bf16-operand contract on top of a CPU backend (see the class comment). */
    static final class FusedEmulation extends ForwardingBackend {
        FusedEmulation(Backend be) {
            super(be);
        }

        @Override
        public DType operandDtype() {
            return DType.BF16;
        }

        /** A product's input: a bf16 buffer widened to float32 (exact). */
        private Buf in(Buf b) {
            return b.dtype() == DType.BF16 ? inner.upload(inner.read(b)) : b;
        }

        /** A producer's output: into a bf16 buffer, the float32 result rounded by toBf16. */
        private void out(Buf out, Consumer<Buf> op) {
            if (out.dtype() != DType.BF16) {
                op.accept(out);
                return;
            }
            Buf t = inner.alloc(out.size());
            op.accept(t);
            inner.toBf16(t, out);
        }

        @Override
        public void linear(Buf x, Buf o, int rows, Weight w, Weight bias) {
            out(o, t -> inner.linear(in(x), t, rows, w, bias));
        }

        @Override
        public void linearGelu(Buf x, Buf o, int rows, Weight w, Weight bias) {
            out(o, t -> inner.linearGelu(in(x), t, rows, w, bias));
        }

        @Override
        public void attention(Buf q, Buf k, Buf v, Buf o, int nq, int nk, int heads, int headDim, float scale, Buf bias) {
            out(o, t -> inner.attention(in(q), k, v, t, nq, nk, heads, headDim, scale, bias));
        }

        @Override
        public void layerNorm(Buf x, Buf o, int rows, int dim, float eps, Weight gamma, Weight beta) {
            out(o, t -> inner.layerNorm(x, t, rows, dim, eps, gamma, beta));
        }

        @Override
        public void modulate(Buf x, Buf shift, Buf scale, Buf o, int rows, int dim) {
            out(o, t -> inner.modulate(x, shift, scale, t, rows, dim));
        }

        // ------------------------------------------------------------------ the rest as it is (ForwardingBackend; bf16 refused)

        @Override
        public String name() {
            return "fused-operand emulation on " + inner.name();
        }
    }
}
