package livetalk.io.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FeatureNormalizerTest {
    @Test
    void zeroMeanUnitVariance() {
        float[] x = new float[1000];
        for (int i = 0; i < x.length; i++) x[i] = (float) (3 + 2 * Math.sin(i * 0.37));
        float[] y = FeatureNormalizer.normalize(x);
        double m = 0, v = 0;
        for (float f : y) m += f;
        m /= y.length;
        for (float f : y) v += (f - m) * (f - m);
        v /= y.length;
        assertEquals(0, m, 1e-5);
        assertEquals(1, v, 1e-4);
    }

    @Test
    void constantSignalStaysFinite() {
        float[] y = FeatureNormalizer.normalize(new float[]{0.5f, 0.5f, 0.5f});
        for (float f : y) assertEquals(0f, f, 0f);
    }
}
