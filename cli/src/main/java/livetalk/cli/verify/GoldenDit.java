package livetalk.cli.verify;

import java.util.Map;
import livetalk.kernels.Backend;
import livetalk.model.dit.CausalDit;

/** Loading the golden set's DiT ({@code dit_tiny}: weights + its JSON config for what shapes cannot tell). */
final class GoldenDit {
    static final String WEIGHTS = "dit_tiny";

    private GoldenDit() {
    }

    static CausalDit load(GoldenDir dir, Backend backend) {
        Map<String, Object> cfg = dir.has(WEIGHTS) && java.nio.file.Files.exists(dir.path().resolve(WEIGHTS + ".json")) ? dir.json(WEIGHTS) : null;
        return CausalDit.load(backend, dir.file(WEIGHTS), cfg);
    }

    /** {@code [..., rows, cols]} (last two dims) transposed: a host reshuffle for comparing layouts. */
    static float[] transposeLast2(float[] a, int rows, int cols) {
        float[] out = new float[a.length];
        int mats = a.length / (rows * cols);
        for (int m = 0; m < mats; m++) {
            int base = m * rows * cols;
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) out[base + c * rows + r] = a[base + r * cols + c];
            }
        }
        return out;
    }

}
