package livetalk.kernels.cuda;

import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;

/** A float32 device buffer: elements {@code [off, off+len)} of one allocation; views share it. */
final class CudaBuf implements Buf {
    final DeviceMemory mem;
    final long off;
    final long len;

    CudaBuf(DeviceMemory mem, long off, long len) {
        this.mem = mem;
        this.off = off;
        this.len = len;
    }

    /** The device address of element 0. */
    long ptr() {
        return mem.ptr + off * Float.BYTES;
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
        return new CudaBuf(mem, off + offset, length);
    }

    @Override
    public String toString() {
        return "CudaBuf[off=" + off + ", len=" + len + "]";
    }
}
