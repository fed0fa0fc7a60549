package livetalk.kernels.cuda;

import java.lang.foreign.MemorySegment;

/**
 * Fills a tensor map for the TMA kernels: {@link CudaDriver#encodeTensorMap}'s arguments, a 2-D
 * bf16 matrix at {@code ptr} read in boxes of {@code boxRows × boxCols} with a swizzle of
 * {@code swizzleBytes} (128, or 64 for the halves convolution's copy). The launches pass the
 * driver's; a test passes one that records the arguments.
 */
interface TensorMapEncoder {
    void encode(MemorySegment map, long ptr, long rows, long cols, long rowStrideBytes, int boxRows, int boxCols, int swizzleBytes);

    /** The 128-byte swizzle, every TMA kernel's but the halves convolution's copy (boxCols 64: one 128-byte row). */
    default void encode(MemorySegment map, long ptr, long rows, long cols, long rowStrideBytes, int boxRows, int boxCols) {
        encode(map, ptr, rows, cols, rowStrideBytes, boxRows, boxCols, 128);
    }
}
