package livetalk.kernels.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * GELU (tanh and erf forms) and SiLU, vectorised in double precision: accuracy first. The
 * activations are a small share of a DiT block next to its matrix products, and in double the
 * results round to the same floats as the scalar references (which also compute in double), so
 * no float-precision tanh/erf approximation error has to be argued about.
 */
final class Activations {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats as many as the double lanes: loaded, widened, computed, narrowed back. */
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(D.length() * 32));
    private static final int N = D.length();
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double INV_SQRT_2 = 1 / Math.sqrt(2);

    private Activations() {
    }

    static void gelu(float[] x, int xOff, float[] out, int oOff, int n, boolean tanh) {
        Parallel.forRange(n, Elementwise.PARALLEL_MIN / 4, (lo, hi) -> {
            int i = lo;
            for (; i <= hi - N; i += N) {
                DoubleVector v = (DoubleVector) FloatVector.fromArray(FH, x, xOff + i).convertShape(VectorOperators.F2D, D, 0);
                DoubleVector y = tanh ? geluTanh(v) : geluErf(v);
                ((FloatVector) y.convertShape(VectorOperators.D2F, FH, 0)).intoArray(out, oOff + i);
            }
            for (; i < hi; i++) out[oOff + i] = tanh ? ReferenceKernels.geluTanh(x[xOff + i]) : ReferenceKernels.geluErf(x[xOff + i]);
        });
    }

    static void silu(float[] x, int xOff, float[] out, int oOff, int n) {
        Parallel.forRange(n, Elementwise.PARALLEL_MIN / 4, (lo, hi) -> {
            int i = lo;
            for (; i <= hi - N; i += N) {
                DoubleVector v = (DoubleVector) FloatVector.fromArray(FH, x, xOff + i).convertShape(VectorOperators.F2D, D, 0);
                DoubleVector y = v.div(VecMath.exp(v.neg()).add(1));
                ((FloatVector) y.convertShape(VectorOperators.D2F, FH, 0)).intoArray(out, oOff + i);
            }
            for (; i < hi; i++) out[oOff + i] = ReferenceKernels.silu(x[xOff + i]);
        });
    }

    /**
     * {@code 0.5·x·(1 + tanh(u))} written as {@code x / (1 + exp(−2u))}, the same value without the
     * cancellation in {@code 1 + tanh(u)} for negative x; u = √(2/π)·(x + 0.044715·x³).
     */
    private static DoubleVector geluTanh(DoubleVector x) {
        DoubleVector u = x.mul(x).mul(x).mul(0.044715).add(x).mul(SQRT_2_OVER_PI);
        return x.div(VecMath.exp(u.mul(-2)).add(1));
    }

    /** {@code 0.5·x·(1 + erf(x/√2))} with the reference's erf formula (Numerical Recipes' erfc fit), term for term. */
    private static DoubleVector geluErf(DoubleVector x) {
        DoubleVector xs = x.mul(INV_SQRT_2);
        DoubleVector z = xs.abs();
        DoubleVector t = DoubleVector.broadcast(D, 1.0).div(z.mul(0.5).add(1));
        DoubleVector poly = t.mul(0.17087277).add(-0.82215223).mul(t).add(1.48851587).mul(t).add(-1.13520398).mul(t).add(0.27886807)
                .mul(t).add(-0.18628806).mul(t).add(0.09678418).mul(t).add(0.37409196).mul(t).add(1.00002368).mul(t);
        DoubleVector r = t.mul(VecMath.exp(z.mul(z).neg().sub(1.26551223).add(poly)));
        DoubleVector erf = r.neg().add(1).blend(r.sub(1), xs.compare(VectorOperators.LT, 0));
        return x.mul(0.5).mul(erf.add(1));
    }
}
