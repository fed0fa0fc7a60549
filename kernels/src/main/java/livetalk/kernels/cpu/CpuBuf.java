package livetalk.kernels.cpu;

import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;

/** A CPU buffer: a window {@code [off, off+len)} of a Java float array. */
public record CpuBuf(float[] a, int off, int len) implements Buf {

    public CpuBuf(float[] a) {
        this(a, 0, a.length);
    }

    @Override
    public long size() {
        return len;
    }

    @Override
    public Buf view(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > len) {
            throw new KernelException("view [" + offset + ", " + (offset + length) + ") outside a buffer of " + len + " floats");
        }
        return new CpuBuf(a, off + (int) offset, (int) length);
    }

    /** The buffer as a CPU buffer, with a clear error for a buffer of another backend. */
    static CpuBuf of(Buf b) {
        if (b instanceof CpuBuf c) return c;
        if (b == null) throw new KernelException("null buffer");
        if (b instanceof CpuBf16Buf) throw new KernelException("bf16 buffer passed to an op that takes float32 (bf16 buffers are storage here: read, copy, toBf16,"
                + " attention's k and v; this backend's operandDtype() is F32)");
        throw new KernelException("buffer of another backend (" + b.getClass().getSimpleName() + ") passed to the CPU backend");
    }
}
