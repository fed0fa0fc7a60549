package livetalk.kernels.opencl;

import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;

/**
 * A parameter tensor copied once to the device in its file dtype: F32 as 32-bit floats, BF16 and
 * F16 as 16-bit data that the kernels widen when they load it (so a BF16 checkpoint takes half the
 * device memory of an F32 one).
 */
public final class ClWeight implements Weight {
    final ClMem mem;
    final DType dtype;
    final OpenClBackend owner;
    private final Tensor tensor;

    ClWeight(ClMem mem, Tensor tensor, OpenClBackend owner) {
        this.mem = mem;
        this.dtype = tensor.dtype();
        this.tensor = tensor;
        this.owner = owner;
    }

    @Override
    public Tensor tensor() {
        return tensor;
    }

    /** The dtype code the kernels take ({@code W_F32}, {@code W_BF16}, {@code W_F16} in common.cl). */
    int code() {
        return switch (dtype) {
            case F32 -> 0;
            case BF16 -> 1;
            case F16 -> 2;
            case I64 -> throw new IllegalStateException("I64 weight");
        };
    }
}
