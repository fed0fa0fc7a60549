package livetalk.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

class VecMathTest {
    static final jdk.incubator.vector.VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final jdk.incubator.vector.VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    @Test
    void floatExpIsWithinTwoUlpsOfMathExp() {
        Props.forAll("float exp", 200, 3, r -> {
            float[] x = Props.uniform(r, F.length(), 90f);
            float[] y = new float[x.length];
            VecMath.exp(FloatVector.fromArray(F, x, 0)).intoArray(y, 0);
            for (int i = 0; i < x.length; i++) {
                double want = Math.exp(x[i]);
                if (x[i] < -87.3f) {
                    assertEquals(0f, y[i], "x=" + x[i]);
                } else if (x[i] <= 88.3f) {
                    assertEquals(want, y[i], 2 * Math.ulp((float) want), "x=" + x[i]);
                }
            }
        });
    }

    /** 2^x for the softmax's x ≤ 0, and up to 127: within one ulp of Math.pow (0.53 by the polynomial's bound), 0 below −126. */
    @Test
    void floatExp2IsWithinOneUlpOfMathPow() {
        Props.forAll("float exp2", 300, 5, r -> {
            float[] x = Props.uniform(r, F.length(), 140f);          // [-140, 140): both clamps and the middle
            for (int i = 0; i < x.length; i++) if (x[i] > 127f) x[i] -= 140f;
            if (r.nextInt(4) == 0) x[0] = (float) (r.nextDouble() - 0.5);   // near 0, where r = x
            float[] y = new float[x.length];
            VecMath.exp2(FloatVector.fromArray(F, x, 0)).intoArray(y, 0);
            for (int i = 0; i < x.length; i++) {
                double want = Math.pow(2, x[i]);
                if (x[i] < -126f) assertEquals(0f, y[i], "x=" + x[i]);
                else assertEquals(want, y[i], Math.ulp((float) want), "x=" + x[i]);
            }
        });
    }

    @Test
    void exp2SpecialValues() {
        float[] x = new float[F.length()];
        x[0] = Float.NEGATIVE_INFINITY;
        x[1 % x.length] = Float.NaN;
        if (x.length > 3) {
            x[2] = 0f;
            x[3] = -126f;
        }
        float[] y = new float[x.length];
        VecMath.exp2(FloatVector.fromArray(F, x, 0)).intoArray(y, 0);
        assertEquals(0f, y[0], "2^-inf: a masked logit contributes nothing");
        if (x.length > 1) assertTrue(Float.isNaN(y[1]));
        if (x.length > 3) {
            assertEquals(1f, y[2]);
            assertEquals(0x1p-126f, y[3]);
        }
    }

    @Test
    void doubleExpIsAccurate() {
        Props.forAll("double exp", 200, 4, r -> {
            double[] x = new double[D.length()];
            for (int i = 0; i < x.length; i++) x[i] = (r.nextDouble() * 2 - 1) * 700;
            double[] y = new double[x.length];
            VecMath.exp(DoubleVector.fromArray(D, x, 0)).intoArray(y, 0);
            for (int i = 0; i < x.length; i++) {
                double want = Math.exp(x[i]);
                assertEquals(want, y[i], 4e-15 * want, "x=" + x[i]);
            }
        });
    }

    @Test
    void specialValues() {
        float[] x = new float[F.length()];
        x[0] = Float.NEGATIVE_INFINITY;
        x[1 % x.length] = Float.NaN;
        float[] y = new float[x.length];
        VecMath.exp(FloatVector.fromArray(F, x, 0)).intoArray(y, 0);
        assertEquals(0f, y[0]);
        if (x.length > 1) assertTrue(Float.isNaN(y[1]));
    }
}
