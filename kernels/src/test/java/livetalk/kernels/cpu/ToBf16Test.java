package livetalk.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.tensor.DType;
import livetalk.tensor.Half;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/** bf16 storage buffers: toBf16 against the scalar {@link Half#f32ToBf16}, and read, copy, view. */
class ToBf16Test {
    private final CpuBackend be = new CpuBackend();

    @Test
    void roundsEveryValueToNearestEvenBf16() {
        Props.forAll("toBf16", 20, 3, rnd -> {
            float[] x = Props.uniform(rnd, 1 + rnd.nextInt(300), 1000f);
            Buf b = be.alloc(x.length, DType.BF16);
            be.toBf16(be.upload(x), b);
            float[] expected = new float[x.length];
            for (int i = 0; i < x.length; i++) expected[i] = Half.roundToBf16(x[i]);
            assertArrayEquals(expected, be.read(b));
        });
        Buf one = be.alloc(2, DType.BF16);   // ties: 1 + 2^-8 → 1, 1 + 3·2^-8 → 1 + 2^-6
        be.toBf16(be.upload(new float[] {1.00390625f, 1.01171875f}), one);
        assertEquals(1f, be.read(one)[0]);
        assertEquals(1.015625f, be.read(one)[1]);
    }

    /** The vector path and the scalar tail give Half's bits exactly, NaN payloads, infinities and subnormals included. */
    @Test
    void specialValuesAreBitExact() {
        float[] special = {1.00390625f, 1.01171875f, -1.00390625f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7F800001), Float.intBitsToFloat(0xFFC12345),
                Float.intBitsToFloat(0x7FFFFFFF), 0f, -0f, Float.MIN_VALUE, Float.intBitsToFloat(0x00018000),
                Float.intBitsToFloat(0x807FFFFF), 3.4e38f, 1e-40f, Float.intBitsToFloat(0x7F7FFFFF), Float.intBitsToFloat(0x3F808000)};
        for (int reps : new int[] {1, 7}) {   // 7 copies: long enough for the vector loop on any width
            float[] x = new float[special.length * reps];
            for (int r = 0; r < reps; r++) System.arraycopy(special, 0, x, r * special.length, special.length);
            // one element in: the vector loop on an offset that is not a multiple of the vector size
            java.lang.foreign.MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(2L * (x.length + 1));
            Bf16.narrow(x, 0, seg, 1, x.length);
            float[] back = new float[x.length];
            Bf16.widen(seg, 1, back, 0, x.length);
            for (int i = 0; i < x.length; i++) {
                short got = seg.getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i + 1);
                assertEquals(Half.f32ToBf16(x[i]), got, "bits of " + Integer.toHexString(Float.floatToRawIntBits(x[i])));
                assertEquals(Float.floatToRawIntBits(Half.bf16ToF32(got)), Float.floatToRawIntBits(back[i]));
            }
        }
    }

    /** The vector float16 widening of F16 weights against {@link Float#float16ToFloat} on every bit pattern. */
    @Test
    void f16WideningIsExactOnAllPatterns() {
        float[] all = new float[65536];
        short[] bits = new short[65536];
        for (int i = 0; i < bits.length; i++) bits[i] = (short) i;
        livetalk.tensor.Tensor t = livetalk.tensor.Tensor.of(DType.F16, java.lang.foreign.MemorySegment.ofArray(bits), bits.length);
        Widen.run((CpuWeight) be.weight(t), 0, all.length, all, 0);
        for (int i = 0; i < bits.length; i++) {
            int want = Float.floatToRawIntBits(Float.float16ToFloat(bits[i])), got = Float.floatToRawIntBits(all[i]);
            // A NaN keeps sign and payload; whether it comes out quiet depends on the platform's conversion.
            if (Float.isNaN(Float.float16ToFloat(bits[i]))) want |= 0x00400000;
            assertEquals(want, got, "f16 bits " + Integer.toHexString(i));
        }
    }

    @Test
    void viewsCopiesAndDtypeChecks() {
        float[] x = Props.uniform(new java.util.SplittableRandom(4), 100, 3f);
        Buf a = be.alloc(100, DType.BF16), b = be.alloc(100, DType.BF16);
        assertEquals(DType.BF16, a.dtype());
        be.toBf16(be.upload(x), a);
        be.copy(a.view(10, 30), b.view(50, 30));
        float[] all = be.read(a), moved = be.read(b.view(50, 30));
        assertArrayEquals(java.util.Arrays.copyOfRange(all, 10, 40), moved);
        assertEquals(0f, be.read(b)[0]);                                  // freshly allocated: zeros
        assertThrows(KernelException.class, () -> be.copy(a, be.alloc(100)));            // no silent dtype change
        assertThrows(KernelException.class, () -> be.add(a, a, be.alloc(100)));          // float ops refuse bf16
    }
}
