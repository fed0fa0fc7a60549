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
                for (int i = 0; i < len; i++) dst[dstOff + i] = Half.f16ToF32(seg.get(Tensor.I16_LE, base + 2L * i));
            }
            case I64 -> throw new IllegalStateException("integer weight");
        }
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
