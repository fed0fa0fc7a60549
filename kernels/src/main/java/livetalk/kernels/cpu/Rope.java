package livetalk.kernels.cpu;

/**
 * Rotary embedding on interleaved pairs, in place, parallel over rows. Each pair is rotated in
 * double (as the reference does) so that {@code x0·c − x1·s} keeps its precision when the two
 * products nearly cancel; the op is memory-bound, so the scalar double form costs little.
 */
final class Rope {
    private Rope() {
    }

    static void rope(float[] x, int xOff, int rows, int heads, int headDim, float[] cos, int cOff, float[] sin, int sOff) {
        int half = headDim / 2;
        Parallel.forRange(rows, Elementwise.rowsPerTask(heads * headDim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int cr = cOff + r * half, sr = sOff + r * half;
                for (int h = 0; h < heads; h++) {
                    int base = xOff + (r * heads + h) * headDim;
                    for (int j = 0; j < half; j++) {
                        double c = cos[cr + j], s = sin[sr + j];
                        double x0 = x[base + 2 * j], x1 = x[base + 2 * j + 1];
                        x[base + 2 * j] = (float) (x0 * c - x1 * s);
                        x[base + 2 * j + 1] = (float) (x0 * s + x1 * c);
                    }
                }
            }
        });
    }
}
