package livetalk.io.audio;

/**
 * Band-limited resampling by any rational rate ratio: a Kaiser-windowed sinc, evaluated as a
 * polyphase filter (one phase per distinct fractional input position). The cutoff is 95% of the
 * lower Nyquist frequency; 32 zero crossings and Kaiser β = 9 give about 90 dB of stopband
 * attenuation. Every phase is normalised to unit DC gain, so amplitudes in the passband are
 * kept. Samples outside the signal count as zero.
 *
 * <p>librosa's default ({@code soxr_hq}) is a different filter, so resampled audio matches it
 * only to within the passband ripple and the transition band; 16 kHz input is passed through.
 */
public final class Resampler {
    static final int ZERO_CROSSINGS = 32;
    static final double ROLLOFF = 0.95, BETA = 9.0;
    private static final int MAX_TABLE_PHASES = 4096;

    private Resampler() {
    }

    /** {@code x} at {@code inRate} resampled to {@code outRate}; {@code ceil(n·out/in)} samples. */
    public static float[] resample(float[] x, int inRate, int outRate) {
        if (inRate <= 0 || outRate <= 0) throw new IllegalArgumentException("sample rates must be positive: " + inRate + " → " + outRate);
        if (inRate == outRate) return x.clone();
        long g = gcd(inRate, outRate);
        int up = (int) (outRate / g), down = (int) (inRate / g);        // out[n] sits at input position n·down/up
        double cutoff = ROLLOFF * Math.min(1.0, (double) outRate / inRate);   // in cycles per input sample × 2
        int half = (int) Math.ceil(ZERO_CROSSINGS / cutoff);            // filter half-width in input samples
        int taps = 2 * half;
        int outLen = (int) (((long) x.length * up + down - 1) / down);
        float[] out = new float[outLen];
        float[][] table = up <= MAX_TABLE_PHASES ? new float[up][] : null;
        for (int n = 0; n < outLen; n++) {
            long num = (long) n * down;
            int base = (int) (num / up);
            int phase = (int) (num % up);
            float[] h = table == null ? coefficients(phase, up, half, cutoff) : table[phase];
            if (h == null) h = table[phase] = coefficients(phase, up, half, cutoff);
            int first = base - half + 1;                                 // taps cover input [first, first + taps)
            double acc = 0;
            int j0 = Math.max(0, -first), j1 = Math.min(taps, x.length - first);
            for (int j = j0; j < j1; j++) acc += h[j] * x[first + j];
            out[n] = (float) acc;
        }
        return out;
    }

    /** Taps for fractional position {@code phase/up} between input samples, normalised to sum 1. */
    private static float[] coefficients(int phase, int up, int half, double cutoff) {
        double frac = (double) phase / up;
        int taps = 2 * half;
        double[] h = new double[taps];
        double sum = 0;
        for (int j = 0; j < taps; j++) {
            double t = (j - half + 1) - frac;                            // distance from the output instant, input samples
            double win = kaiser(t / half);
            h[j] = cutoff * sinc(cutoff * t) * win;
            sum += h[j];
        }
        float[] f = new float[taps];
        for (int j = 0; j < taps; j++) f[j] = (float) (h[j] / sum);
        return f;
    }

    private static double sinc(double x) {
        if (Math.abs(x) < 1e-12) return 1;
        double px = Math.PI * x;
        return Math.sin(px) / px;
    }

    /** Kaiser window at {@code u} ∈ [−1, 1] (0 outside). */
    private static double kaiser(double u) {
        if (Math.abs(u) >= 1) return 0;
        return besselI0(BETA * Math.sqrt(1 - u * u)) / besselI0(BETA);
    }

    private static double besselI0(double x) {
        double sum = 1, term = 1, q = x * x / 4;
        for (int k = 1; k < 100; k++) {
            term *= q / ((double) k * k);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        return sum;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
