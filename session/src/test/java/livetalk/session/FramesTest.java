package livetalk.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every frame of a batch to bytes, in place, as the reference's uint8 conversion gives it. */
class FramesTest {
    /** The conversion channel by channel, the reference's order (docs/numerics.md#output-bytes). */
    private static byte[] reference(float[] chw, int plane) {
        byte[] out = new byte[3 * plane];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                float v = Math.min(1f, Math.max(0f, chw[c * plane + i] * 0.5f + 0.5f));
                out[i * 3 + c] = (byte) (int) (v * 255f);
            }
        }
        return out;
    }

    @Test
    void everyFrameOfABatchAsTheReference() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int trial = 0; trial < 20; trial++) {
            int h = 1 + rnd.nextInt(20), w = 1 + rnd.nextInt(20), n = 1 + rnd.nextInt(4), plane = h * w;
            float[] batch = new float[n * 3 * plane];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = switch (rnd.nextInt(8)) {
                    case 0 -> Float.NaN;
                    case 1 -> -1f;
                    case 2 -> 1f;
                    default -> (float) (rnd.nextDouble() * 3 - 1.5);   // past both ends too
                };
            }
            for (int f = 0; f < n; f++) {
                float[] one = java.util.Arrays.copyOfRange(batch, f * 3 * plane, (f + 1) * 3 * plane);
                assertArrayEquals(reference(one, plane), Frames.toRgb8(batch, f * 3 * plane, h, w), "frame " + f);
                assertArrayEquals(reference(one, plane), Frames.toRgb8(one, h, w), "frame " + f + " alone");
            }
        }
    }

    @Test
    void aFrameOutsideTheBatchIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Frames.toRgb8(new float[12], 1, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> Frames.toRgb8(new float[11], 2, 2));
    }
}
