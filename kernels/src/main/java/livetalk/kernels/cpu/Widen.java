package livetalk.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import livetalk.tensor.Half;
import livetalk.tensor.Tensor;

/** Reads runs of a weight (F32, BF16 or F16, kept in its file dtype) into float arrays. */
final class Widen {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int VL = F.length();
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(VL * 16));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    private Widen() {
    }

    /** {@code dst[dstOff + i] = w[elem + i]} for {@code i < len}, widened to float. */
    static void run(CpuWeight w, long elem, int len, float[] dst, int dstOff) {
        MemorySegment seg = w.segment();
        switch (w.dtype()) {
            case F32 -> MemorySegment.copy(seg, Tensor.F32_LE, elem * 4, dst, dstOff, len);
            case BF16 -> {
                // bf16 is the top half of a float32: sign-extend to int, shift into place.
                long base = elem * 2;
                int i = 0;
                for (; i <= len - VL; i += VL) {
                    ShortVector sv = ShortVector.fromMemorySegment(S, seg, base + 2L * i, ByteOrder.LITTLE_ENDIAN);
                    IntVector iv = (IntVector) sv.convertShape(VectorOperators.S2I, I, 0);
                    iv.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOff + i);
                }
                for (; i < len; i++) dst[dstOff + i] = Half.bf16ToF32(seg.get(Tensor.I16_LE, base + 2L * i));
            }
            case F16 -> {
                long base = elem * 2;
                int i = 0;
                for (; i <= len - VL; i += VL) {
                    ShortVector sv = ShortVector.fromMemorySegment(S, seg, base + 2L * i, ByteOrder.LITTLE_ENDIAN);
                    f16ToF32((IntVector) sv.convertShape(VectorOperators.S2I, I, 0)).intoArray(dst, dstOff + i);
                }
                for (; i < len; i++) dst[dstOff + i] = Half.f16ToF32(seg.get(Tensor.I16_LE, base + 2L * i));
            }
            case I64 -> throw new IllegalStateException("integer weight");
        }
    }

    /**
     * float16 → float32 on the (sign-extended) bit patterns in the lanes of {@code h}. Exponent and
     * mantissa move up by 13 bits, which makes an f16 value times 2^-112; multiplying by 2^112 (exact:
     * a power of two, no overflow) restores it, subnormals included. Infinities and NaNs (exponent
     * all ones) get the float32 all-ones exponent instead, keeping their payload, and NaNs are made
     * quiet (as x86's vcvtph2ps does). Then the sign. Bit for bit {@link Float#float16ToFloat} up to
     * the quiet bit of a NaN (ToBf16Test checks all 65536 patterns).
     */
    static FloatVector f16ToF32(IntVector h) {
        IntVector magnitude = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        FloatVector finite = magnitude.reinterpretAsFloats().mul(0x1p112f);
        IntVector special = magnitude.or(0x7F800000);
        special = special.blend(special.or(0x00400000), h.and(0x03FF).compare(VectorOperators.NE, 0));
        IntVector bits = finite.reinterpretAsInts().blend(special, h.and(0x7C00).compare(VectorOperators.EQ, 0x7C00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** The whole of a (small) weight as floats: its cached copy when it has one. */
    static float[] all(CpuWeight w) {
        float[] s = w.smallValues();
        if (s != null) return s;
        float[] a = new float[Math.toIntExact(w.numel())];
        run(w, 0, a.length, a, 0);
        return a;
    }
}
