package livetalk.kernels.cpu;

import livetalk.kernels.Buf;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/**
 * Norms against the double-precision reference. Outputs are O(1) (normalised, times gamma ≤ 2);
 * the kernel's float partial sums and float products give a few ulps, so 1e-5 of max|ref|. Rows
 * with a large mean next to their spread check the centring (hi + lo mean).
 */
class NormsTest {
    @Test
    void layerNormMatchesReference() {
        Props.forAll("layerNorm", 60, 31, rnd -> {
            int rows = 1 + rnd.nextInt(20), dim = 1 + rnd.nextInt(300);
            float offset = rnd.nextBoolean() ? 0 : (float) (rnd.nextDouble() * 200 - 100);
            float[] x = Props.uniform(rnd, rows * dim, 3);
            for (int i = 0; i < x.length; i++) x[i] += offset;
            DType type = Bufs.weightType(rnd);
            Weight g = rnd.nextBoolean() ? Bufs.weight(Props.uniform(rnd, dim, 2), type, dim) : null;
            Weight b = rnd.nextBoolean() ? Bufs.weight(Props.uniform(rnd, dim, 2), type, dim) : null;
            float eps = rnd.nextBoolean() ? 1e-6f : 1e-5f;
            float[] ref = new float[x.length];
            ReferenceKernels.layerNorm(x, 0, ref, 0, rows, dim, eps, CpuWeight.of(g), CpuWeight.of(b));
            Buf xb = Bufs.view(rnd, x);
            boolean inPlace = rnd.nextBoolean();
            Buf ob = inPlace ? xb : Bufs.garbage(rnd, x.length);
            Bufs.BE.layerNorm(xb, ob, rows, dim, eps, g, b);
            Props.assertClose(ref, Bufs.read(ob), 1e-5, "layerNorm " + rows + "x" + dim + " offset " + offset);
        });
    }

    @Test
    void rmsNormMatchesReference() {
        Props.forAll("rmsNorm", 60, 32, rnd -> {
            int rows = 1 + rnd.nextInt(20), dim = 1 + rnd.nextInt(300);
            float[] x = Props.uniform(rnd, rows * dim, (float) Math.exp(rnd.nextDouble() * 6 - 3));
            Weight g = rnd.nextBoolean() ? Bufs.weight(Props.uniform(rnd, dim, 2), Bufs.weightType(rnd), dim) : null;
            float[] ref = new float[x.length];
            ReferenceKernels.rmsNorm(x, 0, ref, 0, rows, dim, 1e-6f, CpuWeight.of(g));
            Buf xb = Bufs.view(rnd, x);
            Buf ob = rnd.nextBoolean() ? xb : Bufs.garbage(rnd, x.length);
            Bufs.BE.rmsNorm(xb, ob, rows, dim, 1e-6f, g);
            Props.assertClose(ref, Bufs.read(ob), 1e-5, "rmsNorm " + rows + "x" + dim);
        });
    }

    @Test
    void largeInputsRunInParallel() {
        // Enough rows to be split over the pool.
        Props.forAll("layerNorm large", 2, 33, rnd -> {
            int rows = 300, dim = 1536;
            float[] x = Props.normal(rnd, rows * dim);
            float[] ref = new float[x.length];
            ReferenceKernels.layerNorm(x, 0, ref, 0, rows, dim, 1e-6f, null, null);
            Buf xb = Bufs.view(rnd, x);
            Bufs.BE.layerNorm(xb, xb, rows, dim, 1e-6f, null, null);
            Props.assertClose(ref, Bufs.read(xb), 1e-5, "layerNorm large");
        });
    }
}
