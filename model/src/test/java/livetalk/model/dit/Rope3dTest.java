package livetalk.model.dit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

class Rope3dTest {
    /** 128 → 44/42/42 real dims (22/21/21 pairs), θ_j = 10000^(−2j/m), absolute frame positions, no 1024 limit. */
    @Test
    void officialSplitAndPositionsBeyondTheTable() {
        Rope3d r = new Rope3d(128, 10000);
        long start = 2000;                                    // past the official 1024-entry table
        float[][] t = r.tables(start, 2, 3, 4);
        int row = (1 * 3 + 2) * 4 + 3;                         // frame 1, row 2, col 3
        for (int j = 0; j < 64; j++) {
            double angle;
            if (j < 22) angle = (start + 1) * Math.pow(10000, -2.0 * j / 44);
            else if (j < 43) angle = 2 * Math.pow(10000, -2.0 * (j - 22) / 42);
            else angle = 3 * Math.pow(10000, -2.0 * (j - 43) / 42);
            assertEquals((float) Math.cos(angle), t[0][row * 64 + j]);
            assertEquals((float) Math.sin(angle), t[1][row * 64 + j]);
        }
    }

    /**
     * Every entry of the tables equals cos/sin of its own axis position times its θ, computed in
     * float64 per entry: the per-axis assembly changes no bit, at any head size, grid and start.
     */
    @Test
    void everyEntryIsItsOwnAngle() {
        Props.forAll("rope tables", 40, 31, rnd -> {
            int headDim = 2 * (12 + rnd.nextInt(60)), half = headDim / 2, frames = 1 + rnd.nextInt(4);
            int h = 1 + rnd.nextInt(9), w = 1 + rnd.nextInt(9);
            long start = rnd.nextInt(3) == 0 ? rnd.nextLong(1L << 31) : rnd.nextInt(2000);
            Rope3d r;
            try {
                r = new Rope3d(headDim, 10000);
            } catch (RuntimeException unsplittable) {
                return;
            }
            int dh = headDim / 3, dt = headDim - 2 * dh, pt = dt / 2, ph = dh / 2;
            float[][] t = r.tables(start, frames, h, w);
            assertEquals(frames * h * w * half, t[0].length);
            for (int row = 0; row < frames * h * w; row++) {
                long f = row / (h * w), y = row / w % h, x = row % w;
                for (int j = 0; j < half; j++) {
                    double angle = j < pt ? (start + f) * (1.0 / Math.pow(10000, 2.0 * j / dt))
                            : j < pt + ph ? y * (1.0 / Math.pow(10000, 2.0 * (j - pt) / dh))
                            : x * (1.0 / Math.pow(10000, 2.0 * (j - pt - ph) / dh));
                    assertEquals((float) Math.cos(angle), t[0][row * half + j], "cos row " + row + " pair " + j);
                    assertEquals((float) Math.sin(angle), t[1][row * half + j], "sin row " + row + " pair " + j);
                }
            }
        });
    }

    @Test
    void headDim16CannotBeSplit() {
        assertThrows(RuntimeException.class, () -> new Rope3d(16, 10000));   // golden README: 7 pairs for 8
        new Rope3d(32, 10000);                                                // 12/10/10 works
    }
}
