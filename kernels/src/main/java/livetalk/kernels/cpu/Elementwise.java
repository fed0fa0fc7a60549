package livetalk.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise ops on float arrays with offsets: vector bodies, scalar tails, and a parallel split
 * over rows (or over the flat range) once there is enough work to pay for the hand-off.
 */
final class Elementwise {
    static final VectorSpecies<Float> F = Widen.F;
    static final int VL = Widen.VL;
    /** Below this many elements a call stays on the calling thread. */
    static final int PARALLEL_MIN = 1 << 15;

    private Elementwise() {
    }

    /** {@code a[off, off+n) *= f}. */
    static void scale(float[] a, int off, int n, float f) {
        int i = 0;
        for (; i <= n - VL; i += VL) FloatVector.fromArray(F, a, off + i).mul(f).intoArray(a, off + i);
        for (; i < n; i++) a[off + i] *= f;
    }

    /** {@code dst[dOff + i] = src[sOff + i] · f}. */
    static void scaleTo(float[] src, int sOff, float[] dst, int dOff, int n, float f) {
        int i = 0;
        for (; i <= n - VL; i += VL) FloatVector.fromArray(F, src, sOff + i).mul(f).intoArray(dst, dOff + i);
        for (; i < n; i++) dst[dOff + i] = src[sOff + i] * f;
    }

    static void add(float[] a, int aOff, float[] b, int bOff, float[] o, int oOff, int n) {
        Parallel.forRange(n, PARALLEL_MIN, (lo, hi) -> {
            int i = lo;
            for (; i <= hi - VL; i += VL) {
                FloatVector.fromArray(F, a, aOff + i).add(FloatVector.fromArray(F, b, bOff + i)).intoArray(o, oOff + i);
            }
            for (; i < hi; i++) o[oOff + i] = a[aOff + i] + b[bOff + i];
        });
    }

    static void mul(float[] a, int aOff, float[] b, int bOff, float[] o, int oOff, int n) {
        Parallel.forRange(n, PARALLEL_MIN, (lo, hi) -> {
            int i = lo;
            for (; i <= hi - VL; i += VL) {
                FloatVector.fromArray(F, a, aOff + i).mul(FloatVector.fromArray(F, b, bOff + i)).intoArray(o, oOff + i);
            }
            for (; i < hi; i++) o[oOff + i] = a[aOff + i] * b[bOff + i];
        });
    }

    /** {@code o = alpha·a + beta·b}, rounded like the scalar {@code alpha * a + beta * b} (two products, one sum). */
    static void axpby(float alpha, float[] a, int aOff, float beta, float[] b, int bOff, float[] o, int oOff, int n) {
        Parallel.forRange(n, PARALLEL_MIN, (lo, hi) -> {
            int i = lo;
            for (; i <= hi - VL; i += VL) {
                FloatVector.fromArray(F, a, aOff + i).mul(alpha).add(FloatVector.fromArray(F, b, bOff + i).mul(beta)).intoArray(o, oOff + i);
            }
            for (; i < hi; i++) o[oOff + i] = alpha * a[aOff + i] + beta * b[bOff + i];
        });
    }

    /** {@code o[r, :] = x[r, :] + vec[:]}. */
    static void addRow(float[] x, int xOff, float[] vec, int vOff, float[] o, int oOff, int rows, int dim) {
        Parallel.forRange(rows, rowsPerTask(dim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xr = xOff + r * dim, or = oOff + r * dim;
                int i = 0;
                for (; i <= dim - VL; i += VL) {
                    FloatVector.fromArray(F, x, xr + i).add(FloatVector.fromArray(F, vec, vOff + i)).intoArray(o, or + i);
                }
                for (; i < dim; i++) o[or + i] = x[xr + i] + vec[vOff + i];
            }
        });
    }

    /** {@code o[r, :] = x[r, :] · (1 + scale[:]) + shift[:]}, in the scalar order: the factor {@code 1 + scale} rounded first. */
    static void modulate(float[] x, int xOff, float[] shift, int shOff, float[] scale, int scOff, float[] o, int oOff, int rows, int dim) {
        Parallel.forRange(rows, rowsPerTask(dim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xr = xOff + r * dim, or = oOff + r * dim;
                int i = 0;
                for (; i <= dim - VL; i += VL) {
                    FloatVector f = FloatVector.fromArray(F, scale, scOff + i).add(1f);
                    FloatVector.fromArray(F, x, xr + i).mul(f).add(FloatVector.fromArray(F, shift, shOff + i)).intoArray(o, or + i);
                }
                for (; i < dim; i++) o[or + i] = x[xr + i] * (1 + scale[scOff + i]) + shift[shOff + i];
            }
        });
    }

    /** {@code x[r, :] += y[r, :] · gate[:]} (product rounded, then the sum: no fused multiply-add, like the scalar form). */
    static void gatedAdd(float[] x, int xOff, float[] y, int yOff, float[] gate, int gOff, int rows, int dim) {
        Parallel.forRange(rows, rowsPerTask(dim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xr = xOff + r * dim, yr = yOff + r * dim;
                int i = 0;
                for (; i <= dim - VL; i += VL) {
                    FloatVector.fromArray(F, y, yr + i).mul(FloatVector.fromArray(F, gate, gOff + i))
                            .add(FloatVector.fromArray(F, x, xr + i)).intoArray(x, xr + i);
                }
                for (; i < dim; i++) x[xr + i] += y[yr + i] * gate[gOff + i];
            }
        });
    }

    /** Rows per parallel task so that each task has at least {@link #PARALLEL_MIN} elements. */
    static int rowsPerTask(int dim) {
        return Math.max(1, PARALLEL_MIN / Math.max(1, dim));
    }
}
