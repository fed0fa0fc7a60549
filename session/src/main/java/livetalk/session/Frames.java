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
        if (chw.length != 3L * height * width) {
            throw new IllegalArgumentException(chw.length + " values do not form [3, " + height + ", " + width + "]");
        }
        return toRgb8(chw, 0, height, width);
    }

    /**
     * As {@link #toRgb8(float[], int, int)} for the frame at {@code offset} of a batch {@code [n, 3, H, W]},
     * without copying it out first. Pixel by pixel, each output byte written once in order (the
     * same value per byte as channel by channel; this runs for every frame on the decode thread).
     */
    public static byte[] toRgb8(float[] frames, int offset, int height, int width) {
        int plane = height * width;
        if (offset < 0 || offset + 3L * plane > frames.length) {
            throw new IllegalArgumentException("a [3, " + height + ", " + width + "] frame at " + offset + " of " + frames.length + " values");
        }
        byte[] out = new byte[3 * plane];
        for (int i = 0, o = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++, o++) {
                float v = Math.min(1f, Math.max(0f, frames[offset + c * plane + i] * 0.5f + 0.5f));
                out[o] = (byte) (int) (v * 255f);
            }
        }
        return out;
    }
}
