package livetalk.kernels;

import livetalk.tensor.Tensor;

/**
 * A read-only parameter tensor made resident on a backend: for the CPU the memory-mapped tensor
 * itself (F32, BF16 or F16, widened inside the kernels), for a GPU a device copy made once.
 */
public interface Weight {
    Tensor tensor();

    default long[] shape() {
        return tensor().shape();
    }

    default long numel() {
        return tensor().numel();
    }
}
