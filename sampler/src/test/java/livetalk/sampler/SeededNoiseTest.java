package livetalk.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/** The look-ahead changes no value: every draw equals Box–Muller drawn in place, for any sequence of sizes. */
class SeededNoiseTest {
    /** The draws as they were made before the look-ahead: one pair per two values, in place. */
    private static final class Plain {
        private final SplittableRandom rnd;

        Plain(long seed) {
            rnd = new SplittableRandom(seed);
        }

        float[] next(int n) {
            float[] a = new float[n];
            for (int i = 0; i < n; i += 2) {
                double u = 1.0 - rnd.nextDouble(), v = rnd.nextDouble();
                double r = Math.sqrt(-2.0 * Math.log(u));
                a[i] = (float) (r * Math.cos(2 * Math.PI * v));
                if (i + 1 < n) a[i + 1] = (float) (r * Math.sin(2 * Math.PI * v));
            }
            return a;
        }
    }

    @Test
    void sameValuesAsDrawingInPlace() {
        Props.forAll("seeded noise", 30, 41, rnd -> {
            long seed = rnd.nextLong();
            SeededNoise ahead = new SeededNoise(seed);
            Plain plain = new Plain(seed);
            for (int d = 0; d < 12; d++) {
                // sizes that repeat (the sampler's pattern), odd ones, tiny ones, ones larger than the last
                int n = switch (rnd.nextInt(4)) {
                    case 0 -> 196608;
                    case 1 -> 1 + 2 * rnd.nextInt(5000);
                    case 2 -> rnd.nextInt(4);
                    default -> rnd.nextInt(300_000);
                };
                assertArrayEquals(plain.next(n), ahead.next(n), "draw " + d + " of " + n + " values");
            }
        });
    }

    @Test
    void aBlockSizedStreamIsStandardNormal() {
        SeededNoise s = new SeededNoise(3);
        double sum = 0, sq = 0;
        int n = 0;
        for (int d = 0; d < 8; d++) {
            for (float x : s.next(196608)) {
                sum += x;
                sq += (double) x * x;
                n++;
            }
        }
        assertEquals(0, sum / n, 0.005);
        assertEquals(1, sq / n, 0.005);
    }
}
