package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.TreeSet;
import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The wgmma flash attention (attention_sm90.cu, Hopper only) against the CPU reference and against
 * the validated mma.sync kernel. Skipped, saying why, unless the device has compute capability 9.0.
 *
 * <p>Tolerance, as CudaAttentionTest derives it: with q, k, v rounded to bf16 on both sides, what
 * remains is the rounding of the softmax weights P to bf16 before P·V; each weight is off by at most
 * 2^-9 of itself and an output is a weighted mean of values, so every output is within
 * 2^-9·max|v| of the reference, plus float32 noise (1e-5·max|v|). The bf16-output kernel computes the
 * same floats and rounds them as toBf16 does: its output must equal the float32 one rounded, bit
 * for bit.
 *
 * <p>Shapes: nq and nk straddle the 128-query block and the 128-key tile (ragged, 1, exact
 * multiples ± 1), 1–3 heads at column offsets h·128, q/k/v rows wider than heads·128 (the kernel's
 * ld) and outputs wider still (ldo), float32 and bf16 KV through {@code attention}; and the DiT
 * shape (3072 × 15360 × 12 heads), against mma.sync on the whole output and against a
 * double-precision reference on sampled rows.
 */
class CudaFlashWgmmaTest extends CudaTestBase {
    private static final int HD = 128;

    /** The kernel under test; CudaFlashTmaTest runs every test here on the TMA one. */
    FlashKernel kernel() {
        return FlashKernel.WGMMA;
    }

    @AfterEach
    void backToDefault() {
        if (cuda != null) cuda.useFlash(FlashKernel.MMA_SYNC);
    }

    private static void requireFlashWgmma() {
        String why = cuda.flashWgmmaUnavailableReason();
        assumeTrue(why == null, () -> "wgmma flash attention not available: " + why);
    }

    /** The kernel's contract through the raw launch: row strides wider than heads·128, each head's columns, both output dtypes. */
    @Test
    void raggedShapesWithWideRowsMatchReference() {
        requireFlashWgmma();
        Props.forAll("cuda flash wgmma ragged", 32, 301, rnd -> {
            int heads = 1 + rnd.nextInt(3);
            int nq = pick(rnd, 300), nk = pick(rnd, 420);
            int ld = heads * HD + 8 * rnd.nextInt(4), ldo = heads * HD + rnd.nextInt(9);
            checkRaw(rnd, nq, nk, heads, ld, ldo, 4 * Math.sqrt(HD));
        });
    }

    /** Sizes around the tile edges: 1, 127–129, 255–257, else random below max. */
    private static int pick(SplittableRandom rnd, int max) {
        int[] edges = {1, 2, 127, 128, 129, 255, 256, 257};
        return rnd.nextInt(3) == 0 ? edges[rnd.nextInt(edges.length)] : 1 + rnd.nextInt(max);
    }

    @Test
    void noKeysGivesZeros() {
        requireFlashWgmma();
        int nq = 130, heads = 2, w = heads * HD;
        Buf q = bf16Rows(new float[nq * w]), kv = bf16Rows(new float[w]);
        Buf o = cuda.upload(filled(nq * w, Float.NaN));
        cuda.attentions.flash(kernel(), 8, ptr(q), ptr(kv), ptr(kv), ptr(o), false, w, w, nq, 0, heads, HD, 0.1f);
        for (float x : cuda.read(o)) assertEquals(0f, x, "nk = 0: every output 0, as the mma.sync kernel gives");
    }

    /** The public path: attention() with the kernel selected, float32 or bf16 q, k/v (the KV cache) and out. */
    @Test
    void attentionSelectsItAndTakesEveryOperandDtype() {
        requireFlashWgmma();
        cuda.useFlash(kernel());
        assertEquals(kernel(), cuda.flashKernel());
        Props.forAll("cuda flash wgmma attention", 16, 302, rnd -> {
            int heads = 1 + rnd.nextInt(3), w = heads * HD, nq = pick(rnd, 260), nk = pick(rnd, 400);
            float scale = (float) (4 * Math.sqrt(HD) / HD);
            float[] q = Props.normal(rnd, nq * w), k = Props.normal(rnd, nk * w), v = Props.normal(rnd, nk * w);
            Buf oc = cpu.alloc((long) nq * w);
            cpu.attention(cpu.upload(bf16(q)), cpu.upload(bf16(k)), cpu.upload(bf16(v)), oc, nq, nk, heads, HD, scale, null);
            boolean bf16Q = rnd.nextBoolean(), bf16Kv = rnd.nextBoolean(), bf16Out = rnd.nextBoolean();
            Buf qg = bf16Q ? bf16Rows(q) : place(rnd, q).gpu();
            Buf kg = bf16Kv ? bf16Rows(k) : place(rnd, k).gpu(), vg = bf16Kv ? bf16Rows(v) : place(rnd, v).gpu();
            Buf og = bf16Out ? bf16Rows(filled(nq * w, Float.NaN)) : place(rnd, filled(nq * w, Float.NaN)).gpu();
            cuda.attention(qg, kg, vg, og, nq, nk, heads, HD, scale, null);
            float[] e = cpu.read(oc), a = cuda.read(og);
            // a bf16 out adds its own rounding: at most 2^-9 of |computed| ≤ |e| + bound, taken as 2^-8·max|e|
            double tol = bound(v) + (bf16Out ? Math.scalb(maxAbs(e), -8) : 0);
            String what = String.format(Locale.ROOT, "attention nq=%d nk=%d heads=%d q %s kv %s out %s", nq, nk, heads, bf16Q ? "bf16" : "f32",
                    bf16Kv ? "bf16" : "f32", bf16Out ? "bf16" : "f32");
            String wrong = whereWrong(e, a, nq, w, w, tol);
            if (wrong != null) throw new AssertionError(what + ": " + wrong);
        });
    }

    /**
     * The DiT's self-attention shape: 3072 queries of a block against 15360 cached keys, 12 heads,
     * a bf16 KV cache. Against the mma.sync kernel on every output (each within 2^-9·max|v| of exact,
     * so within 2^-8·max|v| of each other; over 4.7 M outputs the rounding differences average out,
     * so a relative L2 difference above 2^-7 is a wrong kernel, not rounding), and against a double
     * precision attention on 12 sampled query rows (block edges, the last row, the last block)
     * with the single-kernel bound.
     */
    @Test
    void ditShapeMatchesMmaSyncAndExactRows() {
        requireFlashWgmma();
        Props.forAll("cuda flash wgmma dit", 1, 303, rnd -> {
            int nq = 3072, nk = 15360, heads = 12, w = heads * HD;
            float scale = (float) (1 / Math.sqrt(HD));
            float[] q = bf16(Props.normal(rnd, nq * w)), k = bf16(Props.normal(rnd, nk * w)), v = bf16(Props.normal(rnd, nk * w));
            Buf qg = bf16Rows(q), kg = bf16Rows(k), vg = bf16Rows(v), og = cuda.alloc((long) nq * w);
            cuda.useFlashWarps(8);
            cuda.useFlash(FlashKernel.MMA_SYNC);
            cuda.attention(qg, kg, vg, og, nq, nk, heads, HD, scale, null);
            float[] ref = cuda.read(og);
            cuda.useFlash(kernel());
            cuda.fill(og, Float.NaN);
            cuda.attention(qg, kg, vg, og, nq, nk, heads, HD, scale, null);
            float[] got = cuda.read(og);
            double maxV = maxAbs(v);
            String wrong = whereWrong(ref, got, nq, w, w, Math.scalb(maxV, -8) + 2e-5 * maxV);
            if (wrong != null) throw new AssertionError("DiT shape against mma.sync: " + wrong);
            double rel = relL2(ref, got);
            assertTrue(rel <= Math.scalb(1.0, -7), "DiT shape: rel_l2 against mma.sync " + rel + " > 2^-7 (expected at most about 2e-3)");

            int[] rows = {0, 63, 64, 127, 128, 1000, 1535, 2047, 2944, 3000, 3070, 3071};
            double tol = bound(v);
            for (int m : rows) {
                for (int h = 0; h < heads; h++) {
                    double[] exact = exactRow(q, k, v, m, h, nk, w, scale);
                    for (int d = 0; d < HD; d++) {
                        float a = got[m * w + h * HD + d];
                        double diff = Math.abs(a - exact[d]);
                        if (!(diff <= tol)) {
                            throw new AssertionError(String.format(Locale.ROOT, "DiT shape row %d head %d d %d: got %g, exact %g (|diff| %.3g > %.3g)", m,
                                    h, d, a, exact[d], diff, tol));
                        }
                    }
                }
            }
        });
    }

    @Test
    void selectingItWhereItCannotRunFailsWithTheReason() {
        String why = cuda.flashWgmmaUnavailableReason();
        assumeTrue(why != null, "this device runs the wgmma flash attention");
        KernelException e = assertThrows(KernelException.class, () -> cuda.useFlash(FlashKernel.WGMMA));
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertEquals(FlashKernel.MMA_SYNC, cuda.flashKernel());
    }

    /**
     * One raw launch: heads of q, k, v at columns h·128 of rows ld apart (junk between and after the
     * heads: NaN in bf16, which poisons any output that reads it), out rows ldo apart over NaN; the
     * float32 output against the CPU, the columns outside the heads untouched, and the bf16 output
     * equal to the float32 one rounded.
     */
    /**
     * {@code kernel}'s attention output equals {@code reference}'s bit for bit on random shapes
     * (NaN-filled outputs, so a kernel that writes nothing cannot pass): for kernels that differ
     * only in how they load or schedule, not in what they compute.
     */
    static void sameBits(FlashKernel reference, FlashKernel kernel, String what, int trials, long seed, int minKeys, int maxKeys) {
        org.junit.jupiter.api.Assumptions.assumeTrue(cuda.flashWgmmaUnavailableReason() == null, "wgmma flash attention not available");
        livetalk.tensor.Props.forAll(what, trials, seed, rnd -> {
            int heads = 1 + rnd.nextInt(3), nq = 1 + rnd.nextInt(400), nk = minKeys + rnd.nextInt(maxKeys - minKeys + 1), w = heads * 128;
            Buf q = cuda.upload(livetalk.tensor.Props.uniform(rnd, nq * w, 1)), k = cuda.upload(livetalk.tensor.Props.uniform(rnd, nk * w, 1));
            Buf v = cuda.upload(livetalk.tensor.Props.uniform(rnd, nk * w, 1)), o = cuda.alloc((long) nq * w);
            float scale = (float) (1 / Math.sqrt(128));
            float[][] got = new float[2][];
            FlashKernel[] order = {reference, kernel};
            for (int i = 0; i < 2; i++) {
                cuda.useFlash(order[i]);
                cuda.fill(o, Float.NaN);
                cuda.attention(q, k, v, o, nq, nk, heads, 128, scale, null);
                got[i] = cuda.read(o);
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(got[0], got[1],
                    kernel + " vs " + reference + ", " + nq + " queries, " + nk + " keys, " + heads + " heads");
        });
    }

    void checkRaw(SplittableRandom rnd, int nq, int nk, int heads, int ld, int ldo, double logitScale) {
        int w = heads * HD;
        float scale = (float) (logitScale / HD);
        float[] q = Props.normal(rnd, nq * w), k = Props.normal(rnd, nk * w), v = Props.normal(rnd, nk * w);
        Buf oc = cpu.alloc((long) nq * w);
        cpu.attention(cpu.upload(bf16(q)), cpu.upload(bf16(k)), cpu.upload(bf16(v)), oc, nq, nk, heads, HD, scale, null);
        float[] expected = cpu.read(oc);
        Buf qg = bf16Rows(strided(q, nq, w, ld)), kg = bf16Rows(strided(k, nk, w, ld)), vg = bf16Rows(strided(v, nk, w, ld));
        Buf of = cuda.upload(filled(nq * ldo, Float.NaN)), ob = bf16Rows(filled(nq * ldo, Float.NaN));
        cuda.attentions.flash(kernel(), 8, ptr(qg), ptr(kg), ptr(vg), ptr(of), false, ld, ldo, nq, nk, heads, HD, scale);
        cuda.attentions.flash(kernel(), 8, ptr(qg), ptr(kg), ptr(vg), ptr(ob), true, ld, ldo, nq, nk, heads, HD, scale);
        float[] af = cuda.read(of), ab = cuda.read(ob);
        String what = String.format(Locale.ROOT, "nq=%d nk=%d heads=%d ld=%d ldo=%d", nq, nk, heads, ld, ldo);
        float[] packed = new float[nq * w];
        for (int m = 0; m < nq; m++) {
            System.arraycopy(af, m * ldo, packed, m * w, w);
            for (int c = w; c < ldo; c++) {
                int at = m * ldo + c;
                assertTrue(Float.isNaN(af[at]) && Float.isNaN(ab[at]), () -> what + ": column " + (at % ldo) + " outside the heads was written");
            }
        }
        String wrong = whereWrong(expected, packed, nq, w, w, bound(v));
        if (wrong != null) throw new AssertionError(what + ": " + wrong);
        float[] rounded = bf16(af);
        for (int i = 0; i < af.length; i++) {
            if (Float.floatToRawIntBits(rounded[i]) != Float.floatToRawIntBits(ab[i]) && !(Float.isNaN(rounded[i]) && Float.isNaN(ab[i]))) {
                throw new AssertionError(what + ": bf16 output at row " + i / ldo + " column " + i % ldo + " is " + ab[i]
                        + ", the float32 output rounded is " + rounded[i]);
            }
        }
    }

    /** 2^-9·max|bf16(v)| + 1e-5·max|v|: the flash path's bound (class comment). */
    private static double bound(float[] v) {
        double maxV = maxAbs(bf16(v));
        return Math.scalb(maxV, -9) + 1e-5 * maxV;
    }

    private static double maxAbs(float[] x) {
        double m = 0;
        for (float f : x) m = Math.max(m, Math.abs(f));
        return m;
    }

    /** Rows of w values spread to rows of ld, the gaps NaN. */
    private static float[] strided(float[] x, int rows, int w, int ld) {
        float[] y = filled(rows * ld, Float.NaN);
        for (int r = 0; r < rows; r++) System.arraycopy(x, r * w, y, r * ld, w);
        return y;
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, value);
        return a;
    }

    /** x rounded into a fresh (16-byte aligned) bf16 buffer of the CUDA backend. */
    private static Buf bf16Rows(float[] x) {
        Buf b = cuda.alloc(Math.max(1, x.length), DType.BF16);
        if (x.length > 0) cuda.toBf16(cuda.upload(x), b.view(0, x.length));
        return b;
    }

    private static long ptr(Buf b) {
        return ((CudaBuf) b).ptr();
    }

    /** Attention of query row m, head h in double precision (softmax over all nk keys). */
    private static double[] exactRow(float[] q, float[] k, float[] v, int m, int h, int nk, int w, float scale) {
        double[] s = new double[nk];
        double mx = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < nk; j++) {
            double acc = 0;
            for (int d = 0; d < HD; d++) acc += (double) q[m * w + h * HD + d] * k[j * w + h * HD + d];
            s[j] = acc * scale;
            mx = Math.max(mx, s[j]);
        }
        double sum = 0;
        for (int j = 0; j < nk; j++) sum += s[j] = Math.exp(s[j] - mx);
        double[] o = new double[HD];
        for (int j = 0; j < nk; j++) {
            double p = s[j] / sum;
            for (int d = 0; d < HD; d++) o[d] += p * v[j * w + h * HD + d];
        }
        return o;
    }

    /**
     * Null when every output is within {@code tol}, else where the wrong ones are, for a kernel never
     * run before: how many, which were never written (NaN), the first few (query, column), the
     * query rows mod 128 (the block), the columns mod 16 and the heads they fall on (a fragment
     * error shows as a pattern there, a pipeline error as whole tiles of keys gone wrong).
     */
    static String whereWrong(float[] expected, float[] actual, int rows, int cols, int ld, double tol) {
        int bad = 0, nan = 0;
        StringBuilder first = new StringBuilder();
        TreeSet<Integer> rowMod = new TreeSet<>(), colMod = new TreeSet<>(), heads = new TreeSet<>();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * ld + c;
                if (Math.abs(expected[i] - actual[i]) <= tol) continue;
                bad++;
                if (Float.isNaN(actual[i])) nan++;
                if (bad <= 4) first.append(String.format(Locale.ROOT, " (%d, %d) %g vs %g;", r, c, actual[i], expected[i]));
                rowMod.add(r % 128);
                colMod.add(c % 16);
                heads.add(c / HD);
            }
        }
        if (bad == 0) return null;
        return bad + " of " + rows * cols + " outputs off by more than " + (float) tol + " (" + nan + " never written or NaN); first (row, col) got vs expected:"
                + first + " rows mod 128 " + (rowMod.size() > 16 ? rowMod.size() + " distinct" : rowMod) + ", columns mod 16 " + colMod
                + ", heads " + heads;
    }
}
