package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The mma.sync kernels at k step 32 (gemm_k32.cu: what a 99 KB card runs, forced here on any
 * card) against the same products at k step 64, bit for bit: the k step only tiles the loop, each
 * accumulator takes its products in the same order. Every user of the kernels: linear (float and
 * bf16 output), the two-product attention of head sizes the flash kernels do not take (the VAE's
 * 384: a TN product, then an NN one), and the convolution's implicit and K-major GEMMs.
 */
class CudaGemmDepthTest extends CudaTestBase {

    private static int deviceDepth = 64;

    @org.junit.jupiter.api.BeforeEach
    void rememberTheDevicesDepth() {
        if (cuda != null && cuda.gemmDepth() != 0) deviceDepth = cuda.gemmDepth();
        // a 99 KB card runs k 32 only: there the other CUDA tests check those kernels against the CPU
        org.junit.jupiter.api.Assumptions.assumeTrue(deviceDepth == 64, "this card cannot run the k-64 kernels to compare with");
    }

    @AfterEach
    void backToTheDevicesDepth() {
        if (cuda != null) {
            cuda.useGemmDepth(deviceDepth);
            cuda.useGemm(GemmKernel.MMA_SYNC);
        }
    }

    /** The output of {@code op} at k step 64 and at 32, out filled with NaN before each (an element not written shows). */
    private static float[][] atBothDepths(Buf out, Runnable op) {
        float[][] got = new float[2][];
        int[] depths = {64, 32};
        for (int i = 0; i < 2; i++) {
            cuda.useGemmDepth(depths[i]);
            fillWithNaN(out);
            op.run();
            got[i] = cuda.read(out);
        }
        return got;
    }

    /** fill takes float32 only; a bf16 out gets its NaNs rounded from a float32 buffer. */
    private static void fillWithNaN(Buf out) {
        if (out.dtype() != DType.BF16) {
            cuda.fill(out, Float.NaN);
            return;
        }
        Buf nan = cuda.alloc(out.size());
        cuda.fill(nan, Float.NaN);
        cuda.toBf16(nan, out);
        cuda.free(nan);
    }

    @Test
    void linearGivesTheSameBits() {
        Props.forAll("cuda gemm k32 linear", 20, 501, rnd -> {
            cuda.useGemm(GemmKernel.MMA_SYNC);
            int rows = 1 + rnd.nextInt(300), in = 1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 700), out = 1 + rnd.nextInt(300);
            Weight w = cuda.weight(Tensor.wrap(Props.uniform(rnd, out * in, 1), out, in).to(DType.BF16));
            Weight b = rnd.nextBoolean() ? cuda.weight(Tensor.wrap(Props.uniform(rnd, out, 1), out)) : null;
            boolean gelu = rnd.nextBoolean(), bf16Out = rnd.nextBoolean();
            Buf x = place(rnd, Props.uniform(rnd, rows * in, 2)).gpu();
            Buf y = bf16Out ? cuda.alloc((long) rows * out, DType.BF16) : cuda.alloc((long) rows * out);
            float[][] got = atBothDepths(y, () -> {
                if (gelu) cuda.linearGelu(x, y, rows, w, b);
                else cuda.linear(x, y, rows, w, b);
            });
            CudaFusedOperandTest.assertSameBits(got[0], got[1], "linear " + rows + "x" + in + "->" + out + (gelu ? " gelu" : "") + (bf16Out ? " bf16 out" : ""));
        });
    }

    @Test
    void twoProductAttentionGivesTheSameBits() {
        Props.forAll("cuda gemm k32 attention", 6, 502, rnd -> {
            int heads = 1 + rnd.nextInt(2), hd = 8 * (1 + rnd.nextInt(48)), nq = 1 + rnd.nextInt(200), nk = 1 + rnd.nextInt(300);
            if (hd == 64 || hd == 128) hd = 384;     // the flash head sizes take other kernels
            int w = heads * hd;
            final int d = hd;
            Buf q = cuda.upload(Props.uniform(rnd, nq * w, 1)), k = cuda.upload(Props.uniform(rnd, nk * w, 1));
            Buf v = cuda.upload(Props.uniform(rnd, nk * w, 1)), o = cuda.alloc((long) nq * w);
            float[][] got = atBothDepths(o, () -> cuda.attention(q, k, v, o, nq, nk, heads, d, 0.05f, null));
            CudaFusedOperandTest.assertSameBits(got[0], got[1], "attention " + nq + "x" + nk + " heads " + heads + " d " + d);
        });
    }

    @Test
    void convolutionGivesTheSameBits() {
        Props.forAll("cuda gemm k32 conv", 12, 503, rnd -> {
            int cin = 1 + rnd.nextInt(40), cout = 1 + rnd.nextInt(140), k = 1 + 2 * rnd.nextInt(2);
            boolean strided = rnd.nextInt(3) == 0;
            Conv3dSpec s = new Conv3dSpec(cin, cout, k, k, k, 1, strided ? 2 : 1, strided ? 2 : 1, k - 1, k / 2, k / 2, k / 2, k / 2);
            int h = k + rnd.nextInt(24), wd = k + rnd.nextInt(24), frames = 1 + rnd.nextInt(2);
            Buf x = cuda.upload(Props.uniform(rnd, frames * cin * h * wd, 1));
            Weight wt = cuda.weight(Tensor.wrap(Props.uniform(rnd, (int) s.weightSize(), 1), cout, cin, k, k, k).to(DType.BF16));
            Weight bias = cuda.weight(Tensor.wrap(Props.uniform(rnd, cout, 1), cout));
            Buf out = cuda.alloc((long) s.outFrames(frames) * cout * s.outH(h) * s.outW(wd));
            for (ConvLayout layout : new ConvLayout[]{ConvLayout.IMPLICIT, ConvLayout.K_MAJOR}) {
                cuda.useConvLayout(layout);
                float[][] got = atBothDepths(out, () -> cuda.conv3d(null, 0, x, frames, h, wd, out, s, wt, bias));
                CudaFusedOperandTest.assertSameBits(got[0], got[1], "conv3d " + layout + " " + s + " " + h + "x" + wd);
            }
            cuda.useConvLayout(ConvLayout.IMPLICIT);
        });
    }

    @Test
    void aDepthOtherThan64Or32IsRefused() {
        assertEquals("mma.sync k step 16 (64 or 32)",
                org.junit.jupiter.api.Assertions.assertThrows(livetalk.kernels.KernelException.class, () -> cuda.useGemmDepth(16)).getMessage());
    }
}
