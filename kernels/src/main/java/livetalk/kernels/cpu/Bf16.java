package livetalk.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import livetalk.tensor.Half;

/**
 * bf16 storage ↔ float32, a vector at a time. bf16 is the upper half of a float32, so widening is
 * a shift, and narrowing is an integer round-to-nearest-even on the upper 16 bits; integer
 * operations only, so the results are bit for bit those of {@link Half} (the scalar reference).
 */
final class Bf16 {
    static final VectorSpecies<Float> F = Widen.F;
    static final int VL = Widen.VL;
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(VL * 16));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    private Bf16() {
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ORDER);

    /** {@code dst[dOff + i] = float(src[sOff + i])} for {@code i < n}; src holds bf16 values (element, not byte, offsets). */
    static void widen(MemorySegment src, long sOff, float[] dst, int dOff, int n) {
        int i = 0;
        for (; i <= n - VL; i += VL) {
            IntVector iv = (IntVector) ShortVector.fromMemorySegment(S, src, 2 * (sOff + i), ORDER).convertShape(VectorOperators.S2I, I, 0);
            iv.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dOff + i);
        }
        for (; i < n; i++) dst[dOff + i] = Half.bf16ToF32(src.getAtIndex(BF16, sOff + i));
    }

    /** {@code dst[dOff + i] = bf16(src[sOff + i])} for {@code i < n}, as {@link Half#f32ToBf16}; dst holds bf16 values. */
    static void narrow(float[] src, int sOff, MemorySegment dst, long dOff, int n) {
        int i = 0;
        for (; i <= n - VL; i += VL) {
            IntVector x = FloatVector.fromArray(F, src, sOff + i).reinterpretAsInts();
            IntVector hi = x.lanewise(VectorOperators.LSHR, 16);
            IntVector rounded = x.add(hi.and(1)).add(0x7FFF).lanewise(VectorOperators.LSHR, 16);
            // A NaN must stay a NaN: rounding could carry its payload into the exponent (→ infinity).
            VectorMask<Integer> nan = x.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000);
            IntVector r = rounded.blend(hi.or(0x0040), nan);
            ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0)).intoMemorySegment(dst, 2 * (dOff + i), ORDER);
        }
        for (; i < n; i++) dst.setAtIndex(BF16, dOff + i, Half.f32ToBf16(src[sOff + i]));
    }
}
