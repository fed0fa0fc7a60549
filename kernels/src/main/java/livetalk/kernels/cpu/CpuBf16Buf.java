package livetalk.kernels.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.tensor.DType;

/**
 * A CPU bf16 storage buffer: elements {@code [off, off+len)} of a native memory segment of bf16
 * bit patterns (2 bytes each, native byte order).
 *
 * <p>Off the Java heap on purpose. These buffers are the KV cache: 2.8 GB at full size that live as
 * long as a session. On the heap they counted towards the live set from which the garbage collector
 * sizes the heap (G1 keeps 40 % free by default), so a 2.8 GB cache cost about 4.7 GB of resident
 * memory. Natively it costs its own size. The memory is freed when the buffer becomes unreachable
 * ({@link Arena#ofAuto()}); the JDK counts it against {@code -XX:MaxDirectMemorySize} and collects
 * unreachable segments before it refuses an allocation, so caches of ended sessions cannot pile up.
 */
public record CpuBf16Buf(MemorySegment seg, long off, long len) implements Buf {

    /** A zero-filled buffer of {@code n} bf16 values. */
    static CpuBf16Buf allocate(long n) {
        if (n < 0 || n > Long.MAX_VALUE / 4) throw new KernelException("cannot allocate a CPU buffer of " + n + " bf16 values");
        return new CpuBf16Buf(Arena.ofAuto().allocate(Math.max(2, 2 * n), 64), 0, n);
    }

    @Override
    public long size() {
        return len;
    }

    @Override
    public DType dtype() {
        return DType.BF16;
    }

    @Override
    public Buf view(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > len) {
            throw new KernelException("view [" + offset + ", " + (offset + length) + ") outside a buffer of " + len + " elements");
        }
        return new CpuBf16Buf(seg, off + offset, length);
    }

    /** The buffer as a CPU bf16 buffer, with a clear error otherwise. */
    static CpuBf16Buf of(Buf b) {
        if (b instanceof CpuBf16Buf c) return c;
        if (b == null) throw new KernelException("null buffer");
        throw new KernelException("expected a bf16 buffer of the CPU backend, found " + b.getClass().getSimpleName() + " (" + b.dtype() + ")");
    }
}
