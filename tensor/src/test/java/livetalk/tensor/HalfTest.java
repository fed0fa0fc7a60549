package livetalk.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * bfloat16 and float16 conversions against an exact reference: the two neighbouring 16-bit values
 * of a float are compared by their exact distance (BigDecimal), ties go to the even one, and a
 * value at or past the halfway point above the largest finite one becomes infinity.
 */
class HalfTest {

    // ------------------------------------------------------------------ references

    /** Exact value of a non-negative bf16 bit pattern (0x7F80 = inf stands for 2^128, the next power). */
    private static BigDecimal bf16Value(int mag) {
        return mag == 0x7F80 ? new BigDecimal(Math.scalb(1.0, 128)) : new BigDecimal(Float.intBitsToFloat(mag << 16));
    }

    static short refBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        if (Float.isInfinite(f)) return (short) (sign | 0x7F80);
        int lo = (bits & 0x7FFFFFFF) >>> 16, hi = lo + 1;
        BigDecimal a = new BigDecimal(Math.abs((double) f));
        int pick;
        if (a.compareTo(bf16Value(lo)) == 0) {
            pick = lo;
        } else {
            int c = a.subtract(bf16Value(lo)).compareTo(bf16Value(hi).subtract(a));
            pick = c < 0 ? lo : c > 0 ? hi : ((lo & 1) == 0 ? lo : hi);
        }
        return (short) (sign | pick);
    }

    /** Exact value of a non-negative f16 magnitude (0x7C00 = inf stands for 2^16). */
    private static double f16Value(int mag) {
        int e = mag >>> 10, m = mag & 0x3FF;
        if (mag == 0x7C00) return 65536.0;
        return e == 0 ? Math.scalb((double) m, -24) : Math.scalb((double) (1024 + m), e - 25);
    }

    static short refF16(float f) {
        int sign = (Float.floatToRawIntBits(f) >>> 16) & 0x8000;
        if (Float.isInfinite(f)) return (short) (sign | 0x7C00);
        double a = Math.abs((double) f);
        if (a >= 65520.0) return (short) (sign | 0x7C00); // halfway between 65504 and 2^16 rounds to even (inf)
        int lo = 0, hi = 0x7BFF; // the largest magnitude with value <= a
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (f16Value(mid) <= a) lo = mid; else hi = mid - 1;
        }
        if (f16Value(lo) == a) return (short) (sign | lo);
        BigDecimal x = new BigDecimal(a);
        int up = lo + 1;
        int c = x.subtract(new BigDecimal(f16Value(lo))).compareTo(new BigDecimal(f16Value(up)).subtract(x));
        int pick = c < 0 ? lo : c > 0 ? up : ((lo & 1) == 0 ? lo : up);
        return (short) (sign | pick);
    }

    // ------------------------------------------------------------------ bf16

    private static void checkBf16(float f) {
        short got = Half.f32ToBf16(f);
        if (Float.isNaN(f)) {
            assertTrue(Float.isNaN(Half.bf16ToF32(got)), "NaN " + Integer.toHexString(Float.floatToRawIntBits(f)) + " stays NaN");
            assertEquals(Float.floatToRawIntBits(f) >>> 31, (got >>> 15) & 1, "NaN keeps its sign");
            return;
        }
        assertEquals(refBf16(f), got, () -> "bf16 of " + f + " (0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + ")");
    }

    @Test
    void bf16SpecialValues() {
        for (float f : new float[] {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1f, -1f, 3.14159f, 65504f, 1e-40f}) {
            checkBf16(f);
        }
        assertEquals(0x7F80, Half.f32ToBf16(Float.MAX_VALUE) & 0xFFFF, "max float rounds up to inf");
        assertEquals((short) 0x8000, Half.f32ToBf16(-0f), "-0 keeps its sign");
        assertEquals((short) 0x7FC1, Half.f32ToBf16(Float.intBitsToFloat(0x7FC1FFFF)), "a NaN payload is truncated, never rounded to inf");
        assertTrue(Float.isNaN(Half.bf16ToF32(Half.f32ToBf16(Float.intBitsToFloat(0x7F800001)))), "signalling NaN stays NaN");
    }

    @Test
    void bf16TiesGoToEven() {
        assertEquals(1f, Half.roundToBf16(1f + 0x1p-8f)); // halfway between 1 and 1+2^-7: down to even
        assertEquals(1f + 0x1p-6f, Half.roundToBf16(1f + 3 * 0x1p-8f)); // halfway between 1+2^-7 and 1+2^-6: up to even
        assertEquals(1f + 0x1p-7f, Half.roundToBf16(1f + 0x1p-8f + 0x1p-23f)); // just above halfway: up
        assertEquals(-1f, Half.roundToBf16(-1f - 0x1p-8f));
        // subnormal tie: 0x00008000 lies halfway between 0 and bf16 0x0001
        assertEquals(0, Half.f32ToBf16(Float.intBitsToFloat(0x00008000)));
        assertEquals(2, Half.f32ToBf16(Float.intBitsToFloat(0x00018000)));
    }

    @Test
    void bf16RandomBitsAgainstExactReference() {
        Props.forAll("bf16 random bits", 200, 101, rnd -> {
            for (int i = 0; i < 60; i++) checkBf16(Float.intBitsToFloat(rnd.nextInt()));
        });
    }

    @Test
    void bf16NearTiesAgainstExactReference() {
        Props.forAll("bf16 near ties", 200, 103, rnd -> {
            for (int i = 0; i < 40; i++) {
                int b = rnd.nextInt() & 0xFFFF0000 | 0x8000; // exact tie
                int delta = rnd.nextInt(5) - 2; // and its neighbours
                checkBf16(Float.intBitsToFloat(b + delta));
            }
        });
    }

    @Test
    void bf16WidensExactlyAndRoundTrips() {
        for (int b = 0; b < 1 << 16; b++) {
            float f = Half.bf16ToF32((short) b);
            assertEquals(b << 16, Float.floatToRawIntBits(f));
            if (!Float.isNaN(f)) assertEquals((short) b, Half.f32ToBf16(f));
        }
    }

    // ------------------------------------------------------------------ f16

    private static void checkF16(float f) {
        short got = Half.f32ToF16(f);
        if (Float.isNaN(f)) {
            assertTrue(Float.isNaN(Half.f16ToF32(got)));
            return;
        }
        assertEquals(refF16(f), got, () -> "f16 of " + f + " (0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + ")");
    }

    @Test
    void f16SpecialValues() {
        for (float f : new float[] {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 65504f, 65519.99f, 65520f, -65520f,
                0x1p-24f, 0x1p-25f, 0x1.000002p-25f, 0x1p-14f, 6.1e-5f, Float.MIN_VALUE, 1e-40f, 1f, 0.1f}) {
            checkF16(f);
        }
        assertEquals((short) 0x7BFF, Half.f32ToF16(65519.99f), "below halfway to 2^16 stays finite");
        assertEquals((short) 0x7C00, Half.f32ToF16(65520f), "halfway rounds to even: infinity");
        assertEquals(0, Half.f32ToF16(0x1p-25f), "half the smallest subnormal ties to even zero");
        assertEquals(1, Half.f32ToF16(0x1.000002p-25f), "just above rounds up");
        assertEquals(2, Half.f32ToF16(3 * 0x1p-25f), "1.5 subnormal ulps tie to even 2");
        assertEquals((short) 0x8000, Half.f32ToF16(-0f));
    }

    @Test
    void f16RandomValuesAgainstExactReference() {
        Props.forAll("f16 random", 200, 107, rnd -> {
            for (int i = 0; i < 100; i++) {
                checkF16(Float.intBitsToFloat(rnd.nextInt())); // any bits: mostly out of range
                // in and around the f16 range: exponents 2^-27 .. 2^17
                int bits = (rnd.nextInt(2) << 31) | ((100 + rnd.nextInt(45)) << 23) | rnd.nextInt(1 << 23);
                checkF16(Float.intBitsToFloat(bits));
            }
        });
    }

    @Test
    void f16NearTiesAgainstExactReference() {
        Props.forAll("f16 near ties", 200, 109, rnd -> {
            for (int i = 0; i < 80; i++) {
                int mag = rnd.nextInt(0x7BFF);
                double mid = (f16Value(mag) + f16Value(mag + 1)) / 2; // exact in double, and in float (12 bits)
                float f = (float) mid;
                float g = rnd.nextBoolean() ? f : Math.nextAfter(f, rnd.nextBoolean() ? 1e9 : -1e9);
                checkF16(rnd.nextBoolean() ? g : -g);
            }
        });
    }

    @Test
    void f16WidensExactlyAndRoundTrips() {
        for (int b = 0; b < 1 << 16; b++) {
            float f = Half.f16ToF32((short) b);
            if (Float.isNaN(f)) {
                assertEquals(0x7C00, b & 0x7C00);
                continue;
            }
            int mag = b & 0x7FFF;
            double expected = mag == 0x7C00 ? Double.POSITIVE_INFINITY : f16Value(mag);
            assertEquals((b & 0x8000) != 0 ? -expected : expected, (double) f, 0.0, "f16 0x" + Integer.toHexString(b));
            assertEquals((short) b, Half.f32ToF16(f));
        }
    }

    @Test
    void referenceSelfCheck() {
        // The references agree with simple facts, so a shared mistake is unlikely.
        assertEquals((short) 0x3F80, refBf16(1f));
        assertEquals((short) 0x3C00, refF16(1f));
        assertEquals((short) 0x0001, refF16(0x1p-24f));
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < 1000; i++) {
            float f = (float) rnd.nextGaussian();
            assertTrue(Math.abs(Half.bf16ToF32(refBf16(f)) - f) <= Math.ulp(f) * 65536);
        }
    }
}
