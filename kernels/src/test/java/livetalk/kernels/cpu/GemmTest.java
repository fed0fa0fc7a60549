package livetalk.kernels.cpu;

import java.util.SplittableRandom;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/**
 * The blocked GEMM against the scalar reference. The reference sums in double, the kernel in
 * float with a different order (k-blocks of 128, FMA); with K ≤ ~700 terms of size ≤ 1 the
 * float error is a few hundred ulps of the largest partial sum at worst, well below 1e-5 of
 * max|ref| for these value ranges (|ref| grows like √K while the error grows like √K·ulp).
 */
class GemmTest {
    static final double TOL = 1e-5;

    @Test
    void matchesReferenceOnRandomShapes() {
        Props.forAll("gemm random shapes", 60, 11, rnd -> check(rnd, 1 + rnd.nextInt(40), 1 + rnd.nextInt(300), 1 + rnd.nextInt(150)));
    }

    @Test
    void matchesReferenceOnTinyShapes() {
        Props.forAll("gemm tiny", 60, 12, rnd -> check(rnd, 1 + rnd.nextInt(7), 1 + rnd.nextInt(5), 1 + rnd.nextInt(6)));
    }

    @Test
    void matchesReferenceAcrossBlocksAndThreadCounts() {
        // Several row blocks (MC = 192), k-blocks (KC = 128), column panels and chunks, row and column edges;
        // with 1 thread, 3 threads (uneven splits; rows split when there are fewer panels than threads) and the default.
        int saved = Parallel.threads();
        try {
            for (int t : new int[] {1, 3, saved}) {
                Parallel.setThreads(t);
                Props.forAll("gemm blocks, threads " + t, 3, 13 + t, rnd -> check(rnd, 190 + rnd.nextInt(230), 130 + rnd.nextInt(270),
                        20 + rnd.nextInt(280)));
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void aRowsResultDoesNotDependOnTheRowsBesideIt() {
        // A block's last rows (fewer than the micro-kernel's MR) take a path of their own: each row's
        // sums must be the same bits as when it sits in a full tile (the same rows with more after them).
        // Calls of at most GEMV_ROWS rows are dot products, another order: not compared.
        Props.forAll("gemm last rows", 24, 14, rnd -> {
            int m = Gemm.GEMV_ROWS + 1 + rnd.nextInt(40), extra = 1 + rnd.nextInt(Gemm.MR + 3), k = 1 + rnd.nextInt(300);
            int n = Gemm.NR * (1 + rnd.nextInt(3)) + (rnd.nextBoolean() ? 0 : 1 + rnd.nextInt(Gemm.NR - 1));
            DType type = Bufs.weightType(rnd);
            float[] x = Props.uniform(rnd, (m + extra) * k, 1);
            Weight w = Bufs.weight(Props.uniform(rnd, n * k, 1), type, n, k);
            Weight b = rnd.nextBoolean() ? Bufs.weight(Props.uniform(rnd, n, 1), type, n) : null;
            Buf few = Bufs.BE.alloc((long) m * n), more = Bufs.BE.alloc((long) (m + extra) * n);
            Bufs.BE.linear(Bufs.BE.upload(java.util.Arrays.copyOf(x, m * k)), few, m, w, b);
            Bufs.BE.linear(Bufs.BE.upload(x), more, m + extra, w, b);
            float[] a = Bufs.read(few), all = Bufs.read(more);
            for (int i = 0; i < m * n; i++) {
                if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(all[i])) {
                    throw new AssertionError("linear " + m + " vs " + (m + extra) + " rows, " + k + " -> " + n + " " + type + ": row " + i / n
                            + " column " + i % n + ": " + a[i] + " vs " + all[i]);
                }
            }
        });
    }

    @Test
    void emptySumsAreTheBias() {
        // K = 0: no k-block writes out, yet every output is defined (the bias, or 0), whatever out held.
        Props.forAll("gemm k = 0", 12, 15, rnd -> check(rnd, 1 + rnd.nextInt(30), 0, 1 + rnd.nextInt(150)));
    }

    static void check(SplittableRandom rnd, int m, int k, int n) {
        DType type = Bufs.weightType(rnd);
        float[] x = Props.uniform(rnd, m * k, 1);
        Weight w = Bufs.weight(Props.uniform(rnd, n * k, 1), type, n, k);
        Weight b = rnd.nextBoolean() ? Bufs.weight(Props.uniform(rnd, n, 1), type, n) : null;
        Buf xb = Bufs.view(rnd, x), ob = Bufs.garbage(rnd, m * n);
        Bufs.BE.linear(xb, ob, m, w, b);
        float[] ref = new float[m * n];
        ReferenceKernels.linear(x, 0, ref, 0, m, k, n, CpuWeight.of(w), CpuWeight.of(b));
        Props.assertClose(ref, Bufs.read(ob), TOL, "linear " + m + "x" + k + "·" + k + "x" + n + " " + type + (b == null ? "" : " +bias"));
    }
}
