package livetalk.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/** The look-ahead changes no value: every draw equals Box–Muller drawn in place, for any sequence of sizes. */
class SeededNoiseTest {
    @Test
    void sameValuesAsDrawingInPlace() {
        Props.forAll("seeded noise", 30, 41, rnd -> {
            long seed = rnd.nextLong();
            SeededNoise ahead = new SeededNoise(seed);
            SplittableRandom plain = new SplittableRandom(seed);   // the draws as made before the look-ahead: in place
            for (int d = 0; d < 12; d++) {
                // sizes that repeat (the sampler's pattern), odd ones, tiny ones, ones larger than the last
                int n = switch (rnd.nextInt(4)) {
                    case 0 -> 196608;
                    case 1 -> 1 + 2 * rnd.nextInt(5000);
                    case 2 -> rnd.nextInt(4);
                    default -> rnd.nextInt(300_000);
                };
                assertArrayEquals(Props.normal(plain, n), ahead.next(n), "draw " + d + " of " + n + " values");
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
