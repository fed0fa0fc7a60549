package livetalk.tensor;

import java.util.SplittableRandom;

/**
 * Property tests over seeded random inputs: runs a check for many seeds and, when one fails,
 * rethrows with the seed so the case can be replayed with {@link #replay}.
 */
public final class Props {
    private Props() {
    }

    public interface Check {
        void run(SplittableRandom rnd) throws Exception;
    }

    /** Runs {@code check} for {@code trials} seeds derived from {@code baseSeed}. */
    public static void forAll(String name, int trials, long baseSeed, Check check) {
        for (int i = 0; i < trials; i++) {
            long seed = baseSeed * 1_000_003L + i;
            replay(name, seed, check);
        }
    }

    /** Runs {@code check} once with exactly this seed. */
    public static void replay(String name, long seed, Check check) {
        try {
            check.run(new SplittableRandom(seed));
        } catch (Throwable t) {
            AssertionError e = new AssertionError(name + " failed for seed " + seed + " (replay with Props.replay(\"" + name + "\", "
                    + seed + "L, ...)): " + t.getMessage(), t);
            throw e;
        }
    }

    /** {@code n} values uniform in [-scale, scale). */
    public static float[] uniform(SplittableRandom rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return a;
    }

    /** Standard normal values. */
    public static float[] normal(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i += 2) {
            double u = 1 - rnd.nextDouble(), v = rnd.nextDouble();
            double r = Math.sqrt(-2 * Math.log(u));
            a[i] = (float) (r * Math.cos(2 * Math.PI * v));
            if (i + 1 < n) a[i + 1] = (float) (r * Math.sin(2 * Math.PI * v));
        }
        return a;
    }

    /** Max |a-b| / max(1, max|b|)-style check with a message naming the first worst index. */
    public static void assertClose(float[] expected, float[] actual, double relTol, String what) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": length " + actual.length + ", expected " + expected.length);
        }
        double maxRef = 0;
        for (float v : expected) maxRef = Math.max(maxRef, Math.abs(v));
        double tol = relTol * Math.max(1e-6, maxRef);
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (!(d <= tol)) {
                throw new AssertionError(what + ": index " + i + " got " + actual[i] + ", expected " + expected[i] + " (|diff| "
                        + d + " > " + tol + ")");
            }
        }
    }
}
