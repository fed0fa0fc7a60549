package livetalk.sampler;

import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Reproducible Gaussian noise: Box–Muller over a {@link SplittableRandom} seeded once, so the same
 * seed gives the same draws on every run and machine. (It does not reproduce PyTorch's CUDA
 * stream, which is unseeded in the reference anyway, docs/sampler.md#block-loop.)
 *
 * <p>The draws form one stream of pairs: pair k takes two uniforms u, v and gives
 * {@code r·cos(2πv)} then {@code r·sin(2πv)} with {@code r = √(−2 ln(1 − u))}; a draw of n values
 * takes the next ⌈n/2⌉ pairs (an odd n drops its last sine). The next draw's pairs are computed on
 * another thread while the caller works, sized like the last draw: a 512×512 block's draw (196608
 * values) took 4.5 ms of host time, four times per block, during which a GPU sat idle
 * (docs/sampler.md#noise). Precomputing changes no value: every pair comes from the same two
 * uniforms in the same order, whatever the draw sizes.
 */
public final class SeededNoise implements NoiseSource {
    /** One daemon thread for every source's look-ahead: the pairs of one source are made in order. */
    private static final ExecutorService AHEAD = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "livetalk-noise");
        t.setDaemon(true);
        return t;
    });

    private final SplittableRandom rnd;
    /** Pair values not yet handed out: {@code chunk[at..]}, cos and sin alternating. */
    private float[] chunk = new float[0];
    private int at;
    /** The next chunk, being made from the uniforms that follow the current chunk's; null before the first draw. */
    private CompletableFuture<float[]> ahead;

    public SeededNoise(long seed) {
        rnd = new SplittableRandom(seed);
    }

    @Override
    public float[] next(int n) {
        if (n < 0) throw new IllegalArgumentException("a draw of " + n + " values");
        float[] a = new float[n];
        int i = 0;
        while (i < n) {
            if (at == chunk.length) refill(n - i);
            int pairs = Math.min((n - i + 1) / 2, (chunk.length - at) / 2), len = Math.min(2 * pairs, n - i);
            System.arraycopy(chunk, at, a, i, len);
            at += 2 * pairs;
            i += len;
        }
        return a;
    }

    /**
     * The next chunk: the look-ahead's (waiting for it if it is still being made), or, on the
     * first draw, {@code need} values made here; then starts the look-ahead of a chunk as large.
     */
    private void refill(int need) {
        int pairs = (need + 1) / 2;
        chunk = ahead == null ? pairs(pairs) : ahead.join();
        at = 0;
        int size = Math.max(pairs, chunk.length / 2);
        ahead = CompletableFuture.supplyAsync(() -> pairs(size), AHEAD);
    }

    /** {@code count} pairs from the uniforms that follow the last ones taken (one thread at a time: see refill). */
    private float[] pairs(int count) {
        float[] a = new float[2 * count];
        for (int i = 0; i < a.length; i += 2) {
            double u = 1.0 - rnd.nextDouble(), v = rnd.nextDouble();   // u in (0, 1]
            double r = Math.sqrt(-2.0 * Math.log(u));
            a[i] = (float) (r * Math.cos(2 * Math.PI * v));
            a[i + 1] = (float) (r * Math.sin(2 * Math.PI * v));
        }
        return a;
    }
}
