package livetalk.kernels.cuda;

import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.tensor.DType;

/**
 * A device buffer of float32 (or bf16 storage, 2 bytes per element): elements {@code [off, off+len)}
 * of one allocation; views share it.
 */
final class CudaBuf implements Buf {
    final DeviceMemory mem;
    final long off;
    final long len;
    final DType dtype;

    CudaBuf(DeviceMemory mem, long off, long len) {
        this(mem, off, len, DType.F32);
    }

    CudaBuf(DeviceMemory mem, long off, long len, DType dtype) {
        this.mem = mem;
        this.off = off;
        this.len = len;
        this.dtype = dtype;
    }

    /** The device address of element 0. */
    long ptr() {
        return mem.ptr + off * dtype.byteSize();
    }

    @Override
    public DType dtype() {
        return dtype;
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
        return new CudaBuf(mem, off + offset, length, dtype);
    }

    @Override
    public String toString() {
        return "CudaBuf[" + dtype + ", off=" + off + ", len=" + len + "]";
    }
}
