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
