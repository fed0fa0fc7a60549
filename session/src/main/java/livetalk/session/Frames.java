package livetalk.session;

/** Decoded pixels to 8-bit frames, exactly as the reference writes them (docs/model.md#video-output, docs/numerics.md#output-bytes). */
public final class Frames {
    private Frames() {
    }

    /**
     * {@code [3, H, W]} in [-1, 1] → interleaved RGB {@code [H, W, 3]}:
     * {@code uint8(clamp(x·0.5 + 0.5, 0, 1)·255)}, truncating like NumPy's {@code astype(uint8)}.
     */
    public static byte[] toRgb8(float[] chw, int height, int width) {
        int plane = height * width;
        if (chw.length != 3 * plane) {
            throw new IllegalArgumentException(chw.length + " values do not form [3, " + height + ", " + width + "]");
        }
        byte[] out = new byte[3 * plane];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                float v = Math.min(1f, Math.max(0f, chw[c * plane + i] * 0.5f + 0.5f));
                out[i * 3 + c] = (byte) (int) (v * 255f);
            }
        }
        return out;
    }
}
