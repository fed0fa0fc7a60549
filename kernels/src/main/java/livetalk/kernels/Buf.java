package livetalk.kernels;

/**
 * A float32 activation buffer owned by a {@link Backend} (Java heap for the CPU, device memory for
 * OpenCL). A view covers {@code [offset, offset+size)} of its parent and shares its memory.
 */
public interface Buf {
    long size();

    /** Elements {@code [offset, offset+length)} of this buffer, sharing memory. */
    Buf view(long offset, long length);
}
