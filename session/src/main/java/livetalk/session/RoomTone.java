package livetalk.session;

import java.util.SplittableRandom;

/**
 * Quiet background noise, about −50 dBFS: what the model hears while nobody speaks, and what is
 * mixed under speech. All-zero audio is out of distribution for wav2vec2 (one published avatar
 * server got an open mouth from it, see live-system.md); low-level noise behaves like a quiet room.
 * Seeded, so a session is reproducible.
 */
public final class RoomTone {
    /** RMS level in full scale: −50 dBFS. */
    public static final float LEVEL = 0.00316f;

    private final SplittableRandom rnd;
    private float low;

    public RoomTone(long seed) {
        rnd = new SplittableRandom(seed);
    }

    /** {@code n} samples of tone: white noise through a one-pole low-pass (a softer hiss), scaled to {@link #LEVEL}. */
    public float[] next(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            low = 0.7f * low + 0.3f * (float) (rnd.nextDouble() * 2 - 1);
            out[i] = low * LEVEL * 4.12f;   // the filtered uniform noise has RMS √(0.09/3/0.51) ≈ 0.243: ×4.12 gives LEVEL
        }
        return out;
    }

    /** {@code speech} with tone mixed under it (a new array). */
    public float[] under(float[] speech) {
        float[] t = next(speech.length);
        for (int i = 0; i < t.length; i++) t[i] += speech[i];
        return t;
    }
}
