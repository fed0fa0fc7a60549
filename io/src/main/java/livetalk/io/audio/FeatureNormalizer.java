package livetalk.io.audio;

/**
 * {@code Wav2Vec2FeatureExtractor} with {@code do_normalize} (docs/model.md#audio-input):
 * {@code (x − mean) / sqrt(var + 1e-7)} over the whole clip, population variance, float32
 * results. The statistics are accumulated in double (numpy sums float32 pairwise; the
 * difference is at the float32 rounding level).
 */
public final class FeatureNormalizer {
    public static final float EPS = 1e-7f;

    private FeatureNormalizer() {
    }

    public static float[] normalize(float[] x) {
        if (x.length == 0) throw new IllegalArgumentException("cannot normalise an empty waveform");
        double sum = 0;
        for (float v : x) sum += v;
        float mean = (float) (sum / x.length);
        double ss = 0;
        for (float v : x) {
            double d = v - (double) mean;
            ss += d * d;
        }
        float var = (float) (ss / x.length);
        float denom = (float) Math.sqrt(var + EPS);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (x[i] - mean) / denom;
        return out;
    }
}
