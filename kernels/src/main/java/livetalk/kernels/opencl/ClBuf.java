package livetalk.kernels.opencl;

import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.tensor.DType;

/**
 * A device buffer of float32 (or bf16 storage, as ushort): elements {@code [off, off+len)} of a cl_mem. Views share the cl_mem and
 * only move the offset, which the kernels take as an argument (sub-buffers would need the device's
 * base-address alignment).
 */
public final class ClBuf implements Buf {
    final ClMem mem;
    final long off;
    final long len;
    final OpenClBackend owner;
    final DType dtype;

    ClBuf(ClMem mem, long off, long len, OpenClBackend owner) {
        this(mem, off, len, owner, DType.F32);
    }

    ClBuf(ClMem mem, long off, long len, OpenClBackend owner, DType dtype) {
        this.mem = mem;
        this.off = off;
        this.len = len;
        this.owner = owner;
        this.dtype = dtype;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    /** Bytes per element. */
    long elemBytes() {
        return dtype.byteSize();
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
        return new ClBuf(mem, off + offset, length, owner, dtype);
    }

    @Override
    public String toString() {
        return "ClBuf[" + dtype + ", off=" + off + ", len=" + len + "]";
    }
}
