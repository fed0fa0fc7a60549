package livetalk.tensor;

/**
 * Conversions between float32 and the two 16-bit float formats, both rounding to nearest even
 * (the rounding PyTorch's {@code .to(torch.bfloat16)} and {@code .half()} use).
 */
public final class Half {
    private Half() {
    }

    /** bfloat16 is the upper half of a float32: widening is a shift. */
    public static float bf16ToF32(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    public static short f32ToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7F800000) == 0x7F800000 && (x & 0x007FFFFF) != 0) {
            return (short) ((x >>> 16) | 0x0040); // keep NaN a (quiet) NaN
        }
        int roundingBias = 0x7FFF + ((x >>> 16) & 1);
        return (short) ((x + roundingBias) >>> 16);
    }

    /** Rounds a float32 to the nearest bfloat16 value and returns it as a float32. */
    public static float roundToBf16(float f) {
        return bf16ToF32(f32ToBf16(f));
    }

    public static float f16ToF32(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static short f32ToF16(float f) {
        return Float.floatToFloat16(f);
    }
}
