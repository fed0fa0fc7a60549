package livetalk.model.dit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

    @Test
    void headDim16CannotBeSplit() {
        assertThrows(RuntimeException.class, () -> new Rope3d(16, 10000));   // golden README: 7 pairs for 8
        new Rope3d(32, 10000);                                                // 12/10/10 works
    }
}
