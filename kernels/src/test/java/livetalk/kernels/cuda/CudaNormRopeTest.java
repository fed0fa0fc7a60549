package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import livetalk.kernels.Buf;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fused q/k norm and RoPE (rms_norm_rope, LIVETALK_CUDA_NORM_ROPE) against the sequence it
 * replaces on the same device: rmsNorm, rope, then the bf16 rounding, bit for bit, with float32
 * and bf16 output, on the DiT's rows (1536 wide, 12 heads of 128) and ragged ones; and, under the
 * same switch, the cross-attention's q normed straight into bf16 against the rounded float32 norm.
 * Skipped, saying why, without a GPU; its argument list is checked without one in NormRopeChoiceTest.
 */
class CudaNormRopeTest extends CudaTestBase {
    @AfterEach
    void unfused() {
        if (cuda != null) cuda.ditFusions().useNormRope(false);
    }

    @Test
    void fusedGivesTheSequencesBits() {
        Props.forAll("cuda rms norm rope", 16, 71, rnd -> {
            boolean dit = rnd.nextInt(4) == 0;
            int heads = dit ? 12 : 1 + rnd.nextInt(6), headDim = dit ? 128 : 2 * (1 + rnd.nextInt(40)), dim = heads * headDim;
            int rows = dit ? 3072 : 1 + rnd.nextInt(300);
            float[] x = Props.normal(rnd, rows * dim), g = Props.normal(rnd, dim);
            float[] cos = new float[rows * headDim / 2], sin = new float[cos.length];
            for (int i = 0; i < cos.length; i++) {
                double a = rnd.nextDouble() * 100;
                cos[i] = (float) Math.cos(a);
                sin[i] = (float) Math.sin(a);
            }
            Buf c = cuda.upload(cos), s = cuda.upload(sin);
            var gamma = rnd.nextInt(5) == 0 ? null : cuda.weight(Tensor.wrap(g, dim));
            for (DType out : new DType[]{DType.F32, DType.BF16}) {
                float[][] got = new float[2][];
                for (int fused = 0; fused < 2; fused++) {
                    cuda.ditFusions().useNormRope(fused == 1);
                    Buf xb = cuda.upload(x), ob = cuda.alloc((long) rows * dim, out);
                    cuda.rmsNormRope(xb, ob, rows, dim, 1e-6f, gamma, heads, headDim, c, s);
                    got[fused] = cuda.read(ob);
                }
                String what = rows + " rows of " + heads + "x" + headDim + ", " + out + (gamma == null ? ", no gamma" : "");
                assertArrayEquals(got[0], got[1], what);
                assertTrue(Float.isFinite(got[1][0]), what);
            }
        });
    }

    /** The cross-attention's q under the same switch: rmsNorm straight into bf16 (rms_norm_bf16out) against rmsNorm, then toBf16. */
    @Test
    void normIntoBf16GivesTheRoundedBits() {
        Props.forAll("cuda rms norm bf16 out", 12, 83, rnd -> {
            boolean dit = rnd.nextInt(4) == 0;
            int dim = dit ? 1536 : 1 + rnd.nextInt(900), rows = dit ? 3072 : 1 + rnd.nextInt(300);
            float[] x = Props.normal(rnd, rows * dim), g = Props.normal(rnd, dim);
            var gamma = rnd.nextInt(5) == 0 ? null : cuda.weight(Tensor.wrap(g, dim));
            Buf xb = cuda.upload(x), f = cuda.alloc((long) rows * dim), rounded = cuda.alloc((long) rows * dim, DType.BF16);
            cuda.rmsNorm(xb, f, rows, dim, 1e-6f, gamma);
            cuda.toBf16(f, rounded);
            Buf direct = cuda.alloc((long) rows * dim, DType.BF16);
            cuda.rmsNorm(xb, direct, rows, dim, 1e-6f, gamma);
            String what = rows + " rows of " + dim + (gamma == null ? ", no gamma" : "");
            assertArrayEquals(cuda.read(rounded), cuda.read(direct), what);
        });
    }
}
