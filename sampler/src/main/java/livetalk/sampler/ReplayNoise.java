package livetalk.sampler;

import java.util.List;

/** Replays recorded draws (e.g. a golden file's {@code rng_*} tensors) in draw order. */
public final class ReplayNoise implements NoiseSource {
    private final List<float[]> draws;
    private int next;

    public ReplayNoise(List<float[]> draws) {
        this.draws = List.copyOf(draws);
    }

    @Override
    public float[] next(int n) {
        if (next >= draws.size()) {
            throw new IllegalStateException("noise replay exhausted: draw " + next + " requested, " + draws.size() + " recorded");
        }
        float[] d = draws.get(next);
        if (d.length != n) {
            throw new IllegalStateException("noise replay: draw " + next + " has " + d.length + " values, " + n + " requested");
        }
        next++;
        return d.clone();
    }

    /** Draws consumed so far. */
    public int used() {
        return next;
    }
}
