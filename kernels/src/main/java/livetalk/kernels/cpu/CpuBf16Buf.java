package livetalk.kernels.cpu;

import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.tensor.DType;

/** A CPU bf16 storage buffer: a window {@code [off, off+len)} of a Java short array (bf16 bit patterns). */
public record CpuBf16Buf(short[] a, int off, int len) implements Buf {

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
        return new CpuBf16Buf(a, off + (int) offset, (int) length);
    }

    /** The buffer as a CPU bf16 buffer, with a clear error otherwise. */
    static CpuBf16Buf of(Buf b) {
        if (b instanceof CpuBf16Buf c) return c;
        if (b == null) throw new KernelException("null buffer");
        throw new KernelException("expected a bf16 buffer of the CPU backend, found " + b.getClass().getSimpleName() + " (" + b.dtype() + ")");
    }
}
