package livetalk.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FlowMatchScheduleTest {
    @Test
    void officialScheduleAndBf16StepList() {
        FlowMatchSchedule s = FlowMatchSchedule.official();
        assertArrayEquals(new float[] {1f, 0.9375f, 0.8333333f, 0.625f}, s.sigmas(), 1e-7f);
        assertArrayEquals(new float[] {1000f, 937.5f, 833.3333f, 625f}, s.timesteps(), 1e-3f);
        assertArrayEquals(new float[] {1000f, 936f, 832f, 624f}, s.embeddingTimesteps(true));   // docs/sampler.md#timesteps
        assertArrayEquals(s.timesteps(), s.embeddingTimesteps(false));
    }

    @Test
    void sigmaComesFromTheNearestTimestep() {
        FlowMatchSchedule s = FlowMatchSchedule.official();
        float[] sig = s.sigmas();
        float[] rounded = s.embeddingTimesteps(true);
        for (int i = 0; i < rounded.length; i++) assertEquals(sig[i], s.sigmaAt(rounded[i]));
        assertEquals(0.625f, s.sigmaAt(0));   // t = 0 (clean pass) is never used for σ
    }

    @Test
    void seededNoiseIsReproducibleAndStandardNormal() {
        float[] a = new SeededNoise(42).next(20001), b = new SeededNoise(42).next(20001);
        assertArrayEquals(a, b);
        double m = 0, v = 0;
        for (float x : a) m += x;
        m /= a.length;
        for (float x : a) v += (x - m) * (x - m);
        v /= a.length;
        assertEquals(0, m, 0.03);
        assertEquals(1, v, 0.05);
    }
}
