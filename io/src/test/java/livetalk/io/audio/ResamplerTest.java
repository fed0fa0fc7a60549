package livetalk.io.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

class ResamplerTest {
    private static final int[] RATES = {8000, 11025, 22050, 24000, 32000, 44100, 48000, 96000, 12345};

    @Test
    void sineKeepsFrequencyAndAmplitude() {
        Props.forAll("resampled sine", 12, 5, rnd -> {
            int in = RATES[rnd.nextInt(RATES.length)], out = 16000;
            double nyq = Math.min(in, out) / 2.0;
            double freq = 50 + rnd.nextDouble() * (0.8 * nyq - 50);
            double amp = 0.1 + 0.8 * rnd.nextDouble();
            int n = in;   // one second
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float) (amp * Math.sin(2 * Math.PI * freq * i / in + 0.3));
            float[] y = Resampler.resample(x, in, out);
            assertEquals((long) Math.ceil((double) n * out / in), y.length);
            // Middle half, away from the zero-padded edges.
            int a = y.length / 4, b = 3 * y.length / 4;
            double ss = 0;
            int crossings = 0;
            for (int i = a; i < b; i++) {
                ss += (double) y[i] * y[i];
                if (i > a && (y[i - 1] < 0) != (y[i] < 0)) crossings++;
            }
            double rmsAmp = Math.sqrt(ss / (b - a)) * Math.sqrt(2);
            assertEquals(amp, rmsAmp, 0.01 * amp, "amplitude at " + freq + " Hz, " + in + " → " + out);
            double measured = crossings / 2.0 / ((b - a) / (double) out);
            assertEquals(freq, measured, Math.max(0.01 * freq, 2.5), "frequency " + in + " → " + out);
            // Exact phase check against the analytic sine.
            for (int i = a; i < b; i += 97) {
                double expect = amp * Math.sin(2 * Math.PI * freq * i / out + 0.3);
                assertEquals(expect, y[i], 0.01 * amp + 1e-4, "sample " + i);
            }
        });
    }

    @Test
    void aboveNyquistIsRemoved() {
        int in = 48000;
        float[] x = new float[in];
        for (int i = 0; i < in; i++) x[i] = (float) Math.sin(2 * Math.PI * 12000 * i / in);   // above 8 kHz
        float[] y = Resampler.resample(x, in, 16000);
        double max = 0;
        for (int i = y.length / 4; i < 3 * y.length / 4; i++) max = Math.max(max, Math.abs(y[i]));
        assertEquals(0, max, 1e-3);
    }

    @Test
    void sameRateIsIdentityAndDcIsKept() {
        float[] x = {0.5f, -0.25f, 1f};
        assertArrayEquals(x, Resampler.resample(x, 16000, 16000));
        float[] dc = new float[4410];
        java.util.Arrays.fill(dc, 0.7f);
        float[] y = Resampler.resample(dc, 44100, 16000);
        for (int i = 200; i < y.length - 200; i++) assertEquals(0.7f, y[i], 1e-5f);
    }
}
