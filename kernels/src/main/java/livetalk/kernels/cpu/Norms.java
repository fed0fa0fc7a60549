package livetalk.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * LayerNorm and RMSNorm over rows, parallel over rows. Sums run in four float vectors (64
 * independent partial sums of a few dozen terms each for the DiT's dim 1536) and are finished in
 * double; the mean is then kept as a float pair {@code hi + lo} so that {@code (x − hi) − lo}
 * centres each value as precisely as the double-precision reference does, even when the mean is
 * large next to the spread.
 */
final class Norms {
    static final VectorSpecies<Float> F = Widen.F;
    static final int VL = Widen.VL;

    private Norms() {
    }

    static void layerNorm(float[] x, int xOff, float[] out, int oOff, int rows, int dim, float eps, float[] gamma, float[] beta) {
        Parallel.forRange(rows, Elementwise.rowsPerTask(dim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) layerNormRow(x, xOff + r * dim, out, oOff + r * dim, dim, eps, gamma, beta);
        });
    }

    private static void layerNormRow(float[] x, int xr, float[] out, int or, int dim, float eps, float[] gamma, float[] beta) {
        double mean = sum(x, xr, dim, 0f, 0f, false) / dim;
        float hi = (float) mean, lo = (float) (mean - hi);
        double var = sum(x, xr, dim, hi, lo, true) / dim;
        float inv = (float) (1.0 / Math.sqrt(var + eps));
        int i = 0;
        for (; i <= dim - VL; i += VL) {
            FloatVector y = FloatVector.fromArray(F, x, xr + i).sub(hi).sub(lo).mul(inv);
            if (gamma != null) y = y.mul(FloatVector.fromArray(F, gamma, i));
            if (beta != null) y = y.add(FloatVector.fromArray(F, beta, i));
            y.intoArray(out, or + i);
        }
        for (; i < dim; i++) {
            float y = (x[xr + i] - hi - lo) * inv;
            if (gamma != null) y *= gamma[i];
            if (beta != null) y += beta[i];
            out[or + i] = y;
        }
    }

    static void rmsNorm(float[] x, int xOff, float[] out, int oOff, int rows, int dim, float eps, float[] gamma) {
        Parallel.forRange(rows, Elementwise.rowsPerTask(dim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xr = xOff + r * dim, or = oOff + r * dim;
                double ss = sum(x, xr, dim, 0f, 0f, true);
                float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
                int i = 0;
                for (; i <= dim - VL; i += VL) {
                    FloatVector y = FloatVector.fromArray(F, x, xr + i).mul(inv);
                    if (gamma != null) y = y.mul(FloatVector.fromArray(F, gamma, i));
                    y.intoArray(out, or + i);
                }
                for (; i < dim; i++) {
                    float y = x[xr + i] * inv;
                    if (gamma != null) y *= gamma[i];
                    out[or + i] = y;
                }
            }
        });
    }

    /** {@code Σ c} or {@code Σ c²} (squares) with {@code c = (x − hi) − lo}, partial sums in float, total in double. */
    private static double sum(float[] x, int off, int n, float hi, float lo, boolean squares) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= n - 4 * VL; i += 4 * VL) {
            FloatVector c0 = FloatVector.fromArray(F, x, off + i).sub(hi).sub(lo);
            FloatVector c1 = FloatVector.fromArray(F, x, off + i + VL).sub(hi).sub(lo);
            FloatVector c2 = FloatVector.fromArray(F, x, off + i + 2 * VL).sub(hi).sub(lo);
            FloatVector c3 = FloatVector.fromArray(F, x, off + i + 3 * VL).sub(hi).sub(lo);
            if (squares) {
                s0 = c0.fma(c0, s0); s1 = c1.fma(c1, s1); s2 = c2.fma(c2, s2); s3 = c3.fma(c3, s3);
            } else {
                s0 = s0.add(c0); s1 = s1.add(c1); s2 = s2.add(c2); s3 = s3.add(c3);
            }
        }
        float[] parts = new float[4 * VL];
        s0.intoArray(parts, 0);
        s1.intoArray(parts, VL);
        s2.intoArray(parts, 2 * VL);
        s3.intoArray(parts, 3 * VL);
        double total = 0;
        for (float p : parts) total += p;
        for (; i < n; i++) {
            double c = (double) x[off + i] - hi - lo;
            total += squares ? c * c : c;
        }
        return total;
    }
}
