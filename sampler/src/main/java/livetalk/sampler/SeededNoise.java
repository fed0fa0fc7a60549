package livetalk.sampler;

import java.util.SplittableRandom;

/**
 * Reproducible Gaussian noise: Box–Muller over a {@link SplittableRandom} seeded once, so the same
 * seed gives the same draws on every run and machine. (It does not reproduce PyTorch's CUDA
 * stream, which is unseeded in the reference anyway, docs/sampler.md#block-loop.)
 */
public final class SeededNoise implements NoiseSource {
    private final SplittableRandom rnd;

    public SeededNoise(long seed) {
        rnd = new SplittableRandom(seed);
    }

    @Override
    public float[] next(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i += 2) {
            double u = 1.0 - rnd.nextDouble(), v = rnd.nextDouble();   // u in (0, 1]
            double r = Math.sqrt(-2.0 * Math.log(u));
            a[i] = (float) (r * Math.cos(2 * Math.PI * v));
            if (i + 1 < n) a[i + 1] = (float) (r * Math.sin(2 * Math.PI * v));
        }
        return a;
    }
}
