package livetalk.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

class ResamplingTest {
    @Test
    void endpointsAreKeptAndMidpointsAreMeans() {
        Props.forAll("resampling endpoints", 50, 7, rnd -> {
            int tIn = 2 + rnd.nextInt(30), c = 1 + rnd.nextInt(5);
            float[] x = Props.uniform(rnd, tIn * c, 3);
            int tOut = 2 * tIn - 1; // every other output row is an input row, the rest are midpoints
            float[] y = Resampling.linearAlignCorners(x, tIn, c, tOut);
            for (int i = 0; i < tIn; i++) {
                for (int j = 0; j < c; j++) {
                    assertEquals(x[i * c + j], y[2 * i * c + j], 1e-5f, "row " + i);
                    if (i + 1 < tIn) assertEquals((x[i * c + j] + x[(i + 1) * c + j]) / 2, y[(2 * i + 1) * c + j], 1e-5f);
                }
            }
        });
    }
}
