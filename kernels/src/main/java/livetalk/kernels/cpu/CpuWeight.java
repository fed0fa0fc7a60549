package livetalk.kernels.cpu;

import java.lang.foreign.MemorySegment;
import livetalk.kernels.KernelException;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Half;
import livetalk.tensor.Tensor;

/**
 * A weight on the CPU: the (usually memory-mapped) tensor itself. Small vectors (norm scales,
 * biases, modulation tables) are also widened once into a float array, which costs nothing next
 * to the matrices and keeps the inner loops of norms simple.
 */
public final class CpuWeight implements Weight {
    static final long SMALL = 1 << 16;

    private final Tensor tensor;
    private final MemorySegment seg;
    private final DType dtype;
    private final float[] small;

    CpuWeight(Tensor t) {
        if (!t.dtype().isFloat()) {
            throw new KernelException("weight of dtype " + t.dtype() + " (expected F32, BF16 or F16)");
        }
        this.tensor = t.contiguous();
        this.seg = tensor.segment();
        this.dtype = t.dtype();
        this.small = tensor.numel() <= SMALL ? tensor.toFloatArray() : null;
    }

    @Override
    public Tensor tensor() {
        return tensor;
    }

    public DType dtype() {
        return dtype;
    }

    public MemorySegment segment() {
        return seg;
    }

    /** Element {@code i} of the flattened weight, widened to float. */
    public float at(long i) {
        if (small != null) return small[(int) i];
        return switch (dtype) {
            case F32 -> seg.getAtIndex(Tensor.F32_LE, i);
            case BF16 -> Half.bf16ToF32(seg.getAtIndex(Tensor.I16_LE, i));
            case F16 -> Half.f16ToF32(seg.getAtIndex(Tensor.I16_LE, i));
            case I64 -> throw new IllegalStateException();
        };
    }

    /** The widened values of a small weight, or null for a large one. */
    public float[] smallValues() {
        return small;
    }

    static CpuWeight of(Weight w) {
        if (w instanceof CpuWeight c) return c;
        if (w == null) return null;
        throw new KernelException("weight of another backend (" + w.getClass().getSimpleName() + ") passed to the CPU backend");
    }
}
