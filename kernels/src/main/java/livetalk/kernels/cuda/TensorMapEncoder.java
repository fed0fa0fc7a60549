package livetalk.kernels.cuda;

import java.lang.foreign.MemorySegment;

/**
 * Fills a tensor map for the TMA kernels: {@link CudaDriver#encodeTensorMap}'s arguments, a 2-D
 * bf16 matrix at {@code ptr} read in boxes of {@code boxRows × boxCols}. The launches pass the
 * driver's; a test passes one that records the arguments.
 */
interface TensorMapEncoder {
    void encode(MemorySegment map, long ptr, long rows, long cols, long rowStrideBytes, int boxRows, int boxCols);
}
