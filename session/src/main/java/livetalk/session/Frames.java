package livetalk.session;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

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

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Bytes as many as F has floats: where a vector of F's converted values goes. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * Byte.SIZE));

    /**
     * As {@link #toRgb8(float[], int, int)} for the frame at {@code offset} of a batch {@code [n, 3, H, W]},
     * without copying it out first. Each plane is converted with vector lanes (the same operations
     * per value, unfused: the Vector API's max and min propagate NaN as Math's do, and its
     * float-to-byte conversion is Java's cast, NaN to 0 included) into a row of bytes, which is then
     * interleaved; this runs for every frame on the decode thread.
     */
    public static byte[] toRgb8(float[] frames, int offset, int height, int width) {
        int plane = height * width;
        if (offset < 0 || offset + 3L * plane > frames.length) {
            throw new IllegalArgumentException("a [3, " + height + ", " + width + "] frame at " + offset + " of " + frames.length + " values");
        }
        byte[] out = new byte[3 * plane], row = new byte[plane];
        for (int c = 0; c < 3; c++) {
            int base = offset + c * plane, i = 0;
            for (int end = F.loopBound(plane); i < end; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, frames, base + i).mul(0.5f).add(0.5f).max(0f).min(1f).mul(255f);
                v.convertShape(VectorOperators.F2B, B, 0).reinterpretAsBytes().intoArray(row, i);
            }
            for (; i < plane; i++) {
                float v = Math.min(1f, Math.max(0f, frames[base + i] * 0.5f + 0.5f));
                row[i] = (byte) (int) (v * 255f);
            }
            for (int p = 0, o = c; p < plane; p++, o += 3) out[o] = row[p];
        }
        return out;
    }
}
