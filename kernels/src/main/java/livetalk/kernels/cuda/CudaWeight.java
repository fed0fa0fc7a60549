package livetalk.kernels.cuda;

import livetalk.kernels.KernelException;
import livetalk.kernels.Weight;
import livetalk.tensor.Tensor;

/**
 * A parameter tensor on the device, in the form its kernels read: a bf16 matrix for the tensor
 * cores ({@code [rows, ld]}, rows = the first dimension, the rest flattened and zero-padded to a
 * multiple of 8), or float32 for the small vectors (biases, norm gains, modulation), or for a
 * convolution weight on the fast path ({@link ConvLayout#FAST}) the bf16 tap-major form
 * {@code [cout][tap·cp + c]}. Each form is made on first use, so a weight normally lives on the
 * device once, whatever the file's dtype. {@link #release} drops every form; the next use makes
 * them again.
 */
final class CudaWeight implements Weight {
    private final Tensor tensor;
    private final CudaBackend owner;
    private volatile DeviceMemory bf16, f32, conv;
    /** What the conv form was made for: cin·2^16 + cp, checked on every use (a weight serves one convolution). */
    private int convShape;

    CudaWeight(Tensor tensor, CudaBackend owner) {
        this.tensor = tensor;
        this.owner = owner;
    }

    @Override
    public Tensor tensor() {
        return tensor;
    }

    CudaBackend owner() {
        return owner;
    }

    /** Rows of the matrix form. */
    int rows() {
        return tensor.rank() == 0 ? 1 : (int) tensor.dim(0);
    }

    /** Columns of the matrix form before padding. */
    int cols() {
        return (int) (tensor.numel() / Math.max(1, rows()));
    }

    /** Row length of the bf16 matrix form: cols rounded up to a multiple of 8. */
    int ld() {
        return CudaBackend.pad8(cols());
    }

    long bf16Ptr() {
        DeviceMemory m = bf16;
        if (m == null) {
            synchronized (this) {
                if (bf16 == null) bf16 = owner.uploadBf16Matrix(tensor, rows(), cols(), ld());
                m = bf16;
            }
        }
        return m.ptr;
    }

    long f32Ptr() {
        DeviceMemory m = f32;
        if (m == null) {
            synchronized (this) {
                if (f32 == null) f32 = owner.uploadF32(tensor);
                m = f32;
            }
        }
        return m.ptr;
    }

    /**
     * The fast convolution's form of a weight {@code [rows = cout, cin, taps]}: bf16 {@code [cout][taps·cp]}
     * with k = tap·cp + c, zero for the channels c ≥ cin (conv_weight_cl in conv.cu).
     */
    long convPtr(int cin, int taps, int cp) {
        if ((long) cin * taps != cols()) throw new KernelException("conv weight of " + cols() + " columns read as " + cin + "x" + taps);
        DeviceMemory m = conv;
        if (m == null) {
            synchronized (this) {
                if (conv == null) {
                    convShape = cin << 16 | cp;
                    conv = owner.convolutions.uploadConvWeight(tensor, rows(), cin, taps, cp);
                }
                m = conv;
            }
        }
        if (convShape != (cin << 16 | cp)) throw new KernelException("conv weight made for another channel padding");
        return m.ptr;
    }

    /** Frees the device forms (stream-ordered after the work that read them); the caller must not use the weight meanwhile. */
    synchronized void release() {
        if (bf16 != null) bf16.free();
        if (f32 != null) f32.free();
        if (conv != null) conv.free();
        bf16 = null;
        f32 = null;
        conv = null;
    }

    /** Device bytes held by the forms made so far. */
    long deviceBytes() {
        DeviceMemory a = bf16, b = f32, c = conv;
        return (a == null ? 0 : a.bytes) + (b == null ? 0 : b.bytes) + (c == null ? 0 : c.bytes);
    }
}
