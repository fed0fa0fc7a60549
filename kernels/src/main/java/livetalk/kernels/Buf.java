package livetalk.kernels;

import livetalk.tensor.DType;

/**
 * An activation buffer owned by a {@link Backend} (Java heap for the CPU, device memory for
 * OpenCL and CUDA). A view covers {@code [offset, offset+size)} of its parent and shares its
 * memory; sizes and offsets count elements.
 *
 * <p>Almost every buffer is float32. A {@link DType#BF16} buffer ({@link Backend#alloc(long, DType)})
 * is storage only: it is written by {@link Backend#toBf16}, read back by {@link Backend#read}, copied
 * to another bf16 buffer, and read by {@link Backend#attention} as keys and values (the DiT's KV
 * cache, docs/kernels.md#backend-contract). A backend whose {@link Backend#operandDtype()} is BF16
 * also lets the ops that make and read GEMM operands take them (listed there). Other ops take
 * float32 buffers only.
 */
public interface Buf {
    long size();

    /** Elements {@code [offset, offset+length)} of this buffer, sharing memory. */
    Buf view(long offset, long length);

    /** The element type: F32, or BF16 for storage buffers. */
    default DType dtype() {
        return DType.F32;
    }
}
