package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The wgmma GEMM (gemm_sm90.cu, Hopper only) against the CPU on the same bf16-rounded operands,
 * with CudaLinearTest's tolerance: exact bf16 products and float32 accumulation leave only the
 * order of the sums, so 1e-5 of the largest output. Shapes straddle the 128-row and 128/256-column
 * tiles and the 64-deep k-tile (K = the input width padded to a multiple of 8, so most depths end
 * inside a k-tile), with and without bias and the GELU epilogue, F32, BF16 and F16 weights, and
 * outputs at odd float offsets (the epilogue's float2 stores must fall back to scalars there).
 * Skipped, saying why, unless the device has compute capability 9.0.
 */
class CudaWgmmaTest extends CudaTestBase {
    /** The kernels under test at fixed tile widths; CudaTmaGemmTest runs every test here on the TMA ones. */
    GemmKernel[] tiles() {
        return new GemmKernel[]{GemmKernel.WGMMA_N128, GemmKernel.WGMMA_N256};
    }

    /** The kernel that picks its tile width per shape. */
    GemmKernel auto() {
        return GemmKernel.WGMMA;
    }

    @AfterEach
    void backToDefault() {
        if (cuda != null) cuda.useGemm(GemmKernel.MMA_SYNC);
    }

    private static void requireWgmma() {
        String why = cuda.wgmmaUnavailableReason();
        assumeTrue(why == null, () -> "wgmma GEMM not available: " + why);
    }

    @Test
    void linearMatchesReferenceOnRaggedShapes() {
        requireWgmma();
        DType[] dtypes = {DType.F32, DType.BF16, DType.F16};
        for (GemmKernel kernel : tiles()) {
            Props.forAll("cuda wgmma linear " + kernel, 40, 201 + kernel.ordinal(), rnd -> {
                int rows = 1 + rnd.nextInt(rnd.nextBoolean() ? 9 : 300);
                int in = 1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 300);
                int out = 1 + rnd.nextInt(rnd.nextBoolean() ? 12 : 600);
                DType dt = dtypes[rnd.nextInt(3)];
                boolean hasBias = rnd.nextBoolean(), gelu = rnd.nextInt(4) == 0;
                check(kernel, rnd, rows, in, out, dt, hasBias, gelu);
            });
        }
    }

    @Test
    void ditShapedProductsAcrossManyTilesAndDeepK() {
        requireWgmma();
        // [rows, in, out]: the DiT widths (1536, FFN 8960) with a ragged row count; 8960-deep K
        // runs the stage ring around 35 times. At that depth float32 summation-order differences
        // approach 1e-5 of the largest output (~K·2^-24 relative to the partial sums), so the bound
        // is the larger of 1e-5 and twice the error of the validated mma.sync kernel on the same product.
        int[][] shapes = {{1000, 1536, 1600}, {130, 8960, 1600}, {1000, 1536, 8960}};
        for (GemmKernel kernel : tiles()) {
            Props.forAll("cuda wgmma linear large " + kernel, 1, 211 + kernel.ordinal(), rnd -> {
                for (int[] s : shapes) {
                    int rows = s[0], in = s[1], out = s[2];
                    boolean gelu = out == 8960;
                    Tensor wt = Tensor.wrap(Props.normal(rnd, out * in), out, in).to(DType.BF16);
                    Tensor bt = Tensor.wrap(Props.uniform(rnd, out, 1), out);
                    float[] x = Props.normal(rnd, rows * in);
                    Buf yc = cpu.alloc((long) rows * out);
                    cpu.linear(cpu.upload(bf16(x)), yc, rows, cpu.weight(wt), cpu.weight(bt));
                    if (gelu) cpu.gelu(yc, yc, true);
                    float[] expected = cpu.read(yc);
                    Buf xg = cuda.upload(x), yg = cuda.alloc((long) rows * out);
                    var w = cuda.weight(wt);
                    var b = cuda.weight(bt);
                    float[][] got = new float[2][];
                    GemmKernel[] order = {GemmKernel.MMA_SYNC, kernel};
                    for (int j = 0; j < 2; j++) {
                        cuda.useGemm(order[j]);
                        cuda.fill(yg, Float.NaN);
                        if (gelu) cuda.linearGelu(xg, yg, rows, w, b);
                        else cuda.linear(xg, yg, rows, w, b);
                        got[j] = cuda.read(yg);
                    }
                    double tol = Math.max(1e-5, 2 * relMaxError(expected, got[0]));
                    String what = kernel + " linear " + rows + "x" + in + "->" + out + (gelu ? " gelu" : "") + " (bound " + (float) tol + ")";
                    String wrong = whereWrong(expected, got[1], rows, out, tol);
                    if (wrong != null) throw new AssertionError(what + ": " + wrong);
                }
            });
        }
    }

    /**
     * Into a bf16 buffer (the FFN's hidden layer with bf16 operands), each kernel writes its own
     * float32 output rounded to nearest even, bit for bit, at ragged shapes and misaligned views.
     */
    @Test
    void bf16OutputIsTheRoundedFloat32Output() {
        requireWgmma();
        for (GemmKernel kernel : tiles()) {
            Props.forAll("cuda wgmma linear bf16 out " + kernel, 20, 231 + kernel.ordinal(), rnd -> {
                cuda.useGemm(kernel);
                int rows = 1 + rnd.nextInt(rnd.nextBoolean() ? 9 : 300), in = 8 * (1 + rnd.nextInt(40)), out = 1 + rnd.nextInt(600);
                var w = cuda.weight(Tensor.wrap(Props.uniform(rnd, out * in, 1), out, in).to(DType.BF16));
                var bias = rnd.nextBoolean() ? cuda.weight(Tensor.wrap(Props.uniform(rnd, out, 1), out)) : null;
                boolean gelu = rnd.nextBoolean();
                Buf x = place(rnd, Props.uniform(rnd, rows * in, 2)).gpu(), yf = place(rnd, new float[rows * out]).gpu();
                Buf yb = CudaFusedOperandTest.bf16Out(rnd, rows * out);
                cuda.fill(yf, Float.NaN);
                if (gelu) {
                    cuda.linearGelu(x, yf, rows, w, bias);
                    cuda.linearGelu(x, yb, rows, w, bias);
                } else {
                    cuda.linear(x, yf, rows, w, bias);
                    cuda.linear(x, yb, rows, w, bias);
                }
                CudaFusedOperandTest.assertSameBits(CudaFusedOperandTest.rounded(yf), cuda.read(yb),
                        kernel + " linear " + rows + "x" + in + "->" + out + (gelu ? " gelu" : "") + " bf16 out");
            });
        }
    }

    /** max |actual − expected| / max |expected|. */
    private static double relMaxError(float[] expected, float[] actual) {
        double d = 0, ref = 1e-30;
        for (int i = 0; i < expected.length; i++) {
            d = Math.max(d, Math.abs(expected[i] - actual[i]));
            ref = Math.max(ref, Math.abs(expected[i]));
        }
        return d / ref;
    }

    @Test
    void tileWidthChosenPerShapeComputesTheSame() {
        requireWgmma();
        Props.forAll("cuda wgmma linear auto", 4, 221, rnd -> {
            int rows = 1 + rnd.nextInt(700), in = 8 * (1 + rnd.nextInt(40)), out = 1 + rnd.nextInt(700);
            check(auto(), rnd, rows, in, out, DType.BF16, rnd.nextBoolean(), rnd.nextBoolean());
        });
    }

    @Test
    void selectingWgmmaWhereItCannotRunFailsWithTheReason() {
        String why = cuda.wgmmaUnavailableReason();
        assumeTrue(why != null, "this device runs the wgmma GEMM");
        KernelException e = assertThrows(KernelException.class, () -> cuda.useGemm(GemmKernel.WGMMA));
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertEquals(GemmKernel.MMA_SYNC, cuda.gemmKernel());
    }

    /** One product on `kernel` against the CPU on bf16-rounded operands. */
    private static void check(GemmKernel kernel, SplittableRandom rnd, int rows, int in, int out, DType dt, boolean hasBias, boolean gelu) {
        cuda.useGemm(kernel);
        float[] wv = Props.uniform(rnd, out * in, 1);
        Tensor wt = Tensor.wrap(wv, out, in).to(dt);
        Tensor bt = Tensor.wrap(Props.uniform(rnd, out, 1), out).to(rnd.nextBoolean() ? dt : DType.F32);
        float[] x = Props.uniform(rnd, rows * in, 2);
        Tensor wRef = Tensor.wrap(bf16(wt.toFloatArray()), out, in);
        Buf yc = cpu.alloc((long) rows * out);
        cpu.linear(cpu.upload(bf16(x)), yc, rows, cpu.weight(wRef), hasBias ? cpu.weight(bt) : null);
        if (gelu) cpu.gelu(yc, yc, true);
        Pair xp = place(rnd, x), yp = place(rnd, new float[rows * out]);
        cuda.fill(yp.gpu(), Float.NaN);
        if (gelu) cuda.linearGelu(xp.gpu(), yp.gpu(), rows, cuda.weight(wt), hasBias ? cuda.weight(bt) : null);
        else cuda.linear(xp.gpu(), yp.gpu(), rows, cuda.weight(wt), hasBias ? cuda.weight(bt) : null);
        String what = kernel + " linear " + rows + "x" + in + "->" + out + " " + dt + (hasBias ? " bias" : "") + (gelu ? " gelu" : "");
        float[] expected = cpu.read(yc), actual = cuda.read(yp.gpu());
        String wrong = whereWrong(expected, actual, rows, out, 1e-5);
        if (wrong != null) throw new AssertionError(what + ": " + wrong);
        Props.assertClose(expected, actual, 1e-5, what);
    }

    /**
     * Null when every output is within {@code relTol} of the largest, else where the wrong ones are,
     * for a kernel never run before: how many, which were never written (NaN), the first few
     * (row, column), and the rows mod 64 / columns mod 16 they fall on (a fragment-layout error shows
     * as a pattern there, a pipeline error as whole k-dependent garbage).
     */
    static String whereWrong(float[] expected, float[] actual, int rows, int cols, double relTol) {
        double maxRef = 0;
        for (float v : expected) maxRef = Math.max(maxRef, Math.abs(v));
        double tol = relTol * Math.max(1e-6, maxRef);
        int bad = 0, nan = 0;
        StringBuilder first = new StringBuilder();
        java.util.TreeSet<Integer> rowMod = new java.util.TreeSet<>(), colMod = new java.util.TreeSet<>();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                if (Math.abs(expected[i] - actual[i]) <= tol) continue;
                bad++;
                if (Float.isNaN(actual[i])) nan++;
                if (bad <= 4) first.append(String.format(java.util.Locale.ROOT, " (%d, %d) %g vs %g;", r, c, actual[i], expected[i]));
                rowMod.add(r % 64);
                colMod.add(c % 16);
            }
        }
        if (bad == 0) return null;
        return bad + " of " + expected.length + " outputs off by more than " + (float) tol + " (" + nan + " never written); first (row, col) got vs expected:"
                + first + " rows mod 64 " + (rowMod.size() > 16 ? rowMod.size() + " distinct" : rowMod) + ", columns mod 16 " + colMod;
    }
}
