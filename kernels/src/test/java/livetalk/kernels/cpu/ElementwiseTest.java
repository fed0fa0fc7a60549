package livetalk.kernels.cpu;

import java.util.SplittableRandom;
import livetalk.kernels.Buf;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/**
 * add, mul, axpby, addRow, modulate, gatedAdd and rope against the scalar forms. The vector
 * bodies round in the same order as the scalar expressions (no fused multiply-adds), so these
 * agree to the last bit; rope too, since its vector body rotates in double exactly as the
 * reference does (products of floats are exact in double, one rounding per sum).
 */
class ElementwiseTest {
    @Test
    void flatOpsMatchScalar() {
        Props.forAll("flat elementwise", 40, 51, rnd -> {
            int n = size(rnd);
            float[] a = Props.uniform(rnd, n, 3), b = Props.uniform(rnd, n, 3);
            float alpha = (float) rnd.nextDouble(-2, 2), beta = (float) rnd.nextDouble(-2, 2);
            float[] add = new float[n], mul = new float[n], ax = new float[n];
            for (int i = 0; i < n; i++) {
                add[i] = a[i] + b[i];
                mul[i] = a[i] * b[i];
                ax[i] = alpha * a[i] + beta * b[i];
            }
            Buf ab = Bufs.view(rnd, a), bb = Bufs.view(rnd, b);
            Buf o = Bufs.garbage(rnd, n);
            Bufs.BE.add(ab, bb, o);
            Props.assertClose(add, Bufs.read(o), 1e-6, "add");
            Bufs.BE.mul(ab, bb, o);
            Props.assertClose(mul, Bufs.read(o), 1e-6, "mul");
            Bufs.BE.axpby(alpha, ab, beta, bb, ab); // in place
            Props.assertClose(ax, Bufs.read(ab), 1e-6, "axpby");
        });
    }

    @Test
    void rowOpsMatchScalar() {
        Props.forAll("row elementwise", 40, 52, rnd -> {
            int dim = 1 + rnd.nextInt(200), rows = Math.max(1, size(rnd) / dim);
            float[] x = Props.uniform(rnd, rows * dim, 3), y = Props.uniform(rnd, rows * dim, 3);
            float[] vec = Props.uniform(rnd, dim, 2), shift = Props.uniform(rnd, dim, 2), scale = Props.uniform(rnd, dim, 2);
            float[] addRow = new float[x.length], mod = new float[x.length], gated = x.clone();
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < dim; i++) {
                    int p = r * dim + i;
                    addRow[p] = x[p] + vec[i];
                    mod[p] = x[p] * (1 + scale[i]) + shift[i];
                    gated[p] += y[p] * vec[i];
                }
            }
            Buf xb = Bufs.view(rnd, x), yb = Bufs.view(rnd, y), vb = Bufs.view(rnd, vec);
            Buf shb = Bufs.view(rnd, shift), scb = Bufs.view(rnd, scale), o = Bufs.garbage(rnd, x.length);
            Bufs.BE.addRow(xb, vb, o, rows, dim);
            Props.assertClose(addRow, Bufs.read(o), 1e-6, "addRow");
            Bufs.BE.modulate(xb, shb, scb, o, rows, dim);
            Props.assertClose(mod, Bufs.read(o), 1e-6, "modulate");
            Bufs.BE.gatedAdd(xb, yb, vb, rows, dim);
            Props.assertClose(gated, Bufs.read(xb), 1e-6, "gatedAdd");
        });
    }

    @Test
    void ropeMatchesReference() {
        Props.forAll("rope", 40, 53, rnd -> {
            int rows = 1 + rnd.nextInt(rnd.nextInt(8) == 0 ? 400 : 30), heads = 1 + rnd.nextInt(4), d = 2 * (1 + rnd.nextInt(40));
            float[] x = Props.uniform(rnd, rows * heads * d, 3);
            float[] cos = new float[rows * d / 2], sin = new float[rows * d / 2];
            for (int i = 0; i < cos.length; i++) {
                double t = rnd.nextDouble(-10, 10);
                cos[i] = (float) Math.cos(t);
                sin[i] = (float) Math.sin(t);
            }
            float[] ref = x.clone();
            ReferenceKernels.rope(ref, 0, rows, heads, d, cos, 0, sin, 0);
            Buf xb = Bufs.view(rnd, x);
            Bufs.BE.rope(xb, rows, heads, d, Bufs.view(rnd, cos), Bufs.view(rnd, sin));
            Props.assertClose(ref, Bufs.read(xb), 1e-6, "rope");
            org.junit.jupiter.api.Assertions.assertArrayEquals(ref, Bufs.read(xb), "rope " + rows + "x" + heads + "x" + d + " bit for bit");
        });
    }

    /** Mostly small odd sizes (vector tails), sometimes large enough to be split over the pool. */
    private static int size(SplittableRandom rnd) {
        return rnd.nextInt(8) == 0 ? 70_000 + rnd.nextInt(1000) : 1 + rnd.nextInt(300);
    }
}
