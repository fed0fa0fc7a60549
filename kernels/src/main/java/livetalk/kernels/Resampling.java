package livetalk.kernels;

/** Resampling along the time axis, done on the host (the data are small and used once per clip). */
public final class Resampling {
    private Resampling() {
    }

    /**
     * Linear interpolation of {@code [tIn, c]} rows to {@code [tOut, c]} with PyTorch's
     * {@code align_corners=True}: output row i samples input position {@code i·(tIn−1)/(tOut−1)},
     * so the first and last rows are kept exactly.
     */
    public static float[] linearAlignCorners(float[] x, int tIn, int c, int tOut) {
        if (x.length != (long) tIn * c || tIn < 1 || tOut < 1) {
            throw new KernelException("linearAlignCorners: " + x.length + " values do not form [" + tIn + ", " + c + "]");
        }
        float[] out = new float[tOut * c];
        // PyTorch computes the ratio in float32 for float inputs (area_pixel_compute_scale).
        float ratio = tOut > 1 ? (float) (tIn - 1) / (tOut - 1) : 0f;
        for (int i = 0; i < tOut; i++) {
            float src = ratio * i;
            int i0 = Math.min((int) src, tIn - 1);
            int i1 = Math.min(i0 + 1, tIn - 1);
            float l1 = src - i0, l0 = 1f - l1;
            for (int j = 0; j < c; j++) {
                out[i * c + j] = l0 * x[i0 * c + j] + l1 * x[i1 * c + j];
            }
        }
        return out;
    }
}
