package livetalk.kernels.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;

/**
 * exp for vectors, built only from add, mul and fma. The Vector API's {@code lanewise(EXP)} is
 * computed by a different routine once the JIT compiles it than before, so its last bit changes
 * between the first and later calls of a kernel; these versions give the same bits in every JIT
 * tier and on every run, which keeps generation byte-reproducible.
 *
 * <p>Method: {@code e^x = 2^k · e^r} with {@code k = round(x / ln 2)} and {@code |r| ≤ ln 2 / 2},
 * {@code e^r} by a polynomial (float: Cephes' expf minimax fit, about 1 ulp; double: the Taylor
 * series to degree 13, relative error below 1e-15).
 */
public final class VecMath {
    private VecMath() {
    }

    private static final float LOG2E_F = 1.44269504088896341f;
    private static final float LN2_HI_F = 0.693359375f, LN2_LO_F = -2.12194440e-4f;
    private static final float ROUND_F = 12582912f; // 1.5·2^23: adding it rounds to an integer in the low mantissa bits

    /**
     * e^x per lane. Below −87.3 the result is 0 (so −∞, a masked logit, gives exactly 0); above
     * 88.3 it saturates at e^88.3; NaN stays NaN.
     */
    public static FloatVector exp(FloatVector in) {
        FloatVector x = in.max(-87.3f).min(88.3f);
        FloatVector t = x.fma(FloatVector.broadcast(x.species(), LOG2E_F), FloatVector.broadcast(x.species(), ROUND_F));
        FloatVector k = t.sub(ROUND_F);
        IntVector ki = t.reinterpretAsInts().sub(0x4B400000);
        FloatVector r = x.sub(k.mul(LN2_HI_F)).sub(k.mul(LN2_LO_F));
        FloatVector p = FloatVector.broadcast(x.species(), 1.9875691500e-4f);
        p = p.fma(r, FloatVector.broadcast(x.species(), 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 5.0000001201e-1f));
        FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
        FloatVector scale = ki.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(scale).blend(0f, in.compare(VectorOperators.LT, -87.3f));
    }

    /**
     * 2^x per lane for x ≤ 127, made for a softmax's exponents x ≤ 0 (the row max taken off,
     * times log2 e: FlashAttention): below −126 the result is 0 (so −∞, a masked logit, gives
     * exactly 0); NaN stays NaN. {@code 2^x = 2^k · 2^r} with
     * {@code k = round(x)}, so r = x − k is exact and no reduction by ln 2 is needed, and 2^r on
     * |r| ≤ 1/2 by a degree-6 minimax polynomial (Cephes' exp2f coefficients) in fma Horner form:
     * within 0.53 ulp. About two thirds of {@link #exp(FloatVector)}'s operations, and the same bits
     * in every JIT tier.
     */
    public static FloatVector exp2(FloatVector x) {
        FloatVector t = x.add(ROUND_F);                 // round(x) in the low mantissa bits
        FloatVector r = x.sub(t.sub(ROUND_F));          // exact, |r| ≤ 1/2
        FloatVector p = FloatVector.broadcast(x.species(), 1.535336188319500e-4f);
        p = p.fma(r, FloatVector.broadcast(x.species(), 1.339887440266574e-3f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 9.618437357674640e-3f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 5.550332471162809e-2f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 2.402264791363012e-1f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 6.931472028550421e-1f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f));
        // 2^k as bits: t's low bits hold k above 0x4B400000; the exponent field takes k + 127
        FloatVector scale = t.reinterpretAsInts().sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale).blend(0f, x.compare(VectorOperators.LT, -126f));
    }

    private static final double LOG2E = 1.4426950408889634;
    private static final double LN2_HI = 0.6931471803691238, LN2_LO = 1.9082149292705877e-10;
    private static final double ROUND = 6755399441055744.0; // 1.5·2^52

    /** e^x per lane: 0 below −708, saturating above 709, NaN stays NaN. */
    public static DoubleVector exp(DoubleVector in) {
        DoubleVector x = in.max(-708.0).min(709.0);
        DoubleVector t = x.fma(DoubleVector.broadcast(x.species(), LOG2E), DoubleVector.broadcast(x.species(), ROUND));
        DoubleVector k = t.sub(ROUND);
        LongVector ki = t.reinterpretAsLongs().sub(0x4338000000000000L);
        DoubleVector r = x.sub(k.mul(LN2_HI)).sub(k.mul(LN2_LO));
        DoubleVector p = DoubleVector.broadcast(x.species(), 1.0 / 6227020800.0);   // 1/13!
        double fact = 6227020800.0;
        for (int n = 12; n >= 1; n--) {
            fact /= n + 1;
            p = p.fma(r, DoubleVector.broadcast(x.species(), 1.0 / fact));   // coefficients 1/12!, ..., 1/1!
        }
        DoubleVector y = p.fma(r, DoubleVector.broadcast(x.species(), 1.0));
        DoubleVector scale = ki.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        return y.mul(scale).blend(0.0, in.compare(VectorOperators.LT, -708.0));
    }
}
