/**
 * Tensors: shape, dtype (F32, BF16, F16, I64) and storage in a {@code MemorySegment} (heap, off-heap or a
 * mapped file), views, and bf16/f16 conversion. No math. The bottom of the module graph: it uses
 * nothing of the project, and everything may use it.
 */
package livetalk.tensor;
