package livetalk.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An n-dimensional array: a dtype, a shape, element strides and a {@link MemorySegment} that holds
 * the bytes (a Java heap array, off-heap memory or a memory-mapped file region). Data are always
 * little-endian, as in safetensors and PyTorch checkpoints.
 *
 * <p>Views ({@link #slice}, {@link #select}, {@link #reshape}) share the segment; nothing is copied
 * until {@link #contiguous()} or {@link #toFloatArray()} is asked for. The class does no math.
 */
public final class Tensor {
    /** Unaligned because safetensors and .pth data offsets need not be multiples of the element size. */
    public static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType dtype;
    private final long[] shape;
    private final long[] strides; // in elements
    private final MemorySegment storage;
    private final long offset; // in elements, from the start of storage

    private Tensor(DType dtype, MemorySegment storage, long offset, long[] shape, long[] strides) {
        this.dtype = dtype;
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
    }

    /** A contiguous row-major tensor over {@code storage}, which must hold exactly numel elements. */
    public static Tensor of(DType dtype, MemorySegment storage, long... shape) {
        long n = numel(shape);
        if (storage.byteSize() != n * dtype.byteSize()) {
            throw new TensorException("storage of " + storage.byteSize() + " bytes does not hold a " + dtype + " tensor of shape "
                    + Arrays.toString(shape) + " (" + n * dtype.byteSize() + " bytes)");
        }
        return new Tensor(dtype, storage, 0, shape.clone(), contiguousStrides(shape));
    }

    /**
     * A strided view into {@code storage}: element {@code i} lies at element offset
     * {@code offset + Σ i[d]·strides[d]}. Every reachable element must lie inside the storage.
     */
    public static Tensor strided(DType dtype, MemorySegment storage, long offset, long[] shape, long[] strides) {
        if (shape.length != strides.length) {
            throw new TensorException("shape " + Arrays.toString(shape) + " and strides " + Arrays.toString(strides) + " differ in rank");
        }
        long lo = offset, hi = offset;
        boolean overflow = false;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < 0) {
                throw new TensorException("negative dimension in shape " + Arrays.toString(shape));
            }
            if (shape[d] == 0) {
                lo = hi = offset;
                overflow = false;
                break;
            }
            try { // reaches past 2^63 must not wrap around into the storage
                long reach = Math.multiplyExact(shape[d] - 1, strides[d]);
                if (reach < 0) lo = Math.addExact(lo, reach); else hi = Math.addExact(hi, reach);
            } catch (ArithmeticException e) {
                overflow = true;
            }
        }
        long capacity = storage.byteSize() / dtype.byteSize();
        if (overflow || offset < 0 || offset > capacity || lo < 0 || (numel(shape) > 0 && hi >= capacity)) {
            throw new TensorException("view with offset " + offset + ", shape " + Arrays.toString(shape) + " and strides "
                    + Arrays.toString(strides) + " reaches outside a storage of " + capacity + " " + dtype + " elements");
        }
        return new Tensor(dtype, storage, offset, shape.clone(), strides.clone());
    }

    /** A zero-filled F32 tensor on the Java heap. */
    public static Tensor zeros(long... shape) {
        return wrap(new float[Math.toIntExact(numel(shape))], shape);
    }

    /** Wraps a float array (no copy) as a contiguous F32 tensor. */
    public static Tensor wrap(float[] data, long... shape) {
        return of(DType.F32, MemorySegment.ofArray(data), shape);
    }

    /** Wraps a long array (no copy) as a contiguous I64 tensor. */
    public static Tensor wrap(long[] data, long... shape) {
        return of(DType.I64, MemorySegment.ofArray(data), shape);
    }

    /** A new heap tensor of this dtype, copying the elements from {@code src} bytes. */
    public static Tensor allocate(DType dtype, long... shape) {
        long bytes = numel(shape) * dtype.byteSize();
        MemorySegment seg = switch (dtype) {
            case F32 -> MemorySegment.ofArray(new float[Math.toIntExact(numel(shape))]);
            case BF16, F16 -> MemorySegment.ofArray(new short[Math.toIntExact(numel(shape))]);
            case I64 -> MemorySegment.ofArray(new long[Math.toIntExact(numel(shape))]);
        };
        assert seg.byteSize() == bytes;
        return of(dtype, seg, shape);
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long[] strides() {
        return strides.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code d}; negative d counts from the end. */
    public long dim(int d) {
        return shape[d < 0 ? shape.length + d : d];
    }

    public long numel() {
        return numel(shape);
    }

    public long byteSize() {
        return numel() * dtype.byteSize();
    }

    public boolean isContiguous() {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /** The bytes of a contiguous tensor, as a slice of its storage (no copy). */
    public MemorySegment segment() {
        if (!isContiguous()) {
            throw new TensorException("segment() needs a contiguous tensor; this view of shape " + Arrays.toString(shape)
                    + " has strides " + Arrays.toString(strides) + " (call contiguous() first)");
        }
        return storage.asSlice(offset * dtype.byteSize(), byteSize());
    }

    /** True when the bytes live in a file mapping or off-heap memory rather than a Java array. */
    public boolean isNative() {
        return storage.isNative();
    }

    // ---------------------------------------------------------------- views

    /** A view with a new shape (one dimension may be -1). Needs a contiguous tensor. */
    public Tensor reshape(long... newShape) {
        long[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int d = 0; d < s.length; d++) {
            if (s[d] == -1) {
                if (infer >= 0) throw new TensorException("reshape " + Arrays.toString(newShape) + ": more than one -1");
                infer = d;
            } else {
                known *= s[d];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel() % known != 0) {
                throw new TensorException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
            }
            s[infer] = numel() / known;
        }
        if (numel(s) != numel()) {
            throw new TensorException("cannot reshape " + Arrays.toString(shape) + " (" + numel() + " elements) to "
                    + Arrays.toString(newShape));
        }
        if (!isContiguous()) {
            throw new TensorException("reshape of a non-contiguous view " + Arrays.toString(shape) + "; call contiguous() first");
        }
        return new Tensor(dtype, storage, offset, s, contiguousStrides(s));
    }

    /** Elements {@code [start, start+length)} along dimension {@code dim}, as a view. */
    public Tensor slice(int dim, long start, long length) {
        int d = dim < 0 ? shape.length + dim : dim;
        if (d < 0 || d >= shape.length || start < 0 || length < 0 || start > shape[d] || length > shape[d] - start) {
            throw new TensorException("slice(" + dim + ", " + start + ", " + length + ") out of range for shape " + Arrays.toString(shape));
        }
        long[] s = shape.clone();
        s[d] = length;
        return new Tensor(dtype, storage, offset + start * strides[d], s, strides.clone());
    }

    /** Index {@code index} of dimension {@code dim}, dropping that dimension. */
    public Tensor select(int dim, long index) {
        int d = dim < 0 ? shape.length + dim : dim;
        Tensor t = slice(d, index, 1);
        long[] s = new long[shape.length - 1];
        long[] st = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != d) {
                s[j] = t.shape[i];
                st[j++] = t.strides[i];
            }
        }
        return new Tensor(dtype, storage, t.offset, s, st);
    }

    /** Swaps two dimensions, as a view; negative dimensions count from the end. */
    public Tensor transpose(int dimA, int dimB) {
        int a = dimA < 0 ? shape.length + dimA : dimA, b = dimB < 0 ? shape.length + dimB : dimB;
        if (a < 0 || a >= shape.length || b < 0 || b >= shape.length) {
            throw new TensorException("transpose(" + dimA + ", " + dimB + ") out of range for rank " + shape.length);
        }
        long[] s = shape.clone();
        long[] st = strides.clone();
        s[a] = shape[b];
        s[b] = shape[a];
        st[a] = strides[b];
        st[b] = strides[a];
        return new Tensor(dtype, storage, offset, s, st);
    }

    /** Reorders dimensions, as a view: result dimension i is this tensor's dimension {@code order[i]}. */
    public Tensor permute(int... order) {
        if (order.length != shape.length) {
            throw new TensorException("permute " + Arrays.toString(order) + " does not match rank " + shape.length);
        }
        long[] s = new long[order.length];
        long[] st = new long[order.length];
        boolean[] seen = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            if (order[i] < 0 || order[i] >= order.length || seen[order[i]]) {
                throw new TensorException("permute " + Arrays.toString(order) + " is not a permutation");
            }
            seen[order[i]] = true;
            s[i] = shape[order[i]];
            st[i] = strides[order[i]];
        }
        return new Tensor(dtype, storage, offset, s, st);
    }

    /** This tensor if contiguous, else a contiguous heap copy. */
    public Tensor contiguous() {
        if (isContiguous()) {
            return this;
        }
        Tensor out = allocate(dtype, shape);
        MemorySegment dst = out.storage;
        int es = dtype.byteSize();
        long n = numel();
        long[] idx = new long[shape.length];
        for (long i = 0; i < n; i++) {
            MemorySegment.copy(storage, elementOffset(idx) * es, dst, i * es, es);
            increment(idx);
        }
        return out;
    }

    // ---------------------------------------------------------------- element access

    /** Element at a multi-index, widened to float (F32, BF16, F16) or converted from I64. */
    public float get(long... index) {
        if (index.length != shape.length) {
            throw new TensorException("index of rank " + index.length + " for a tensor of rank " + shape.length);
        }
        for (int d = 0; d < index.length; d++) {
            if (index[d] < 0 || index[d] >= shape[d]) {
                throw new TensorException("index " + Arrays.toString(index) + " out of range for shape " + Arrays.toString(shape));
            }
        }
        return readFloat(elementOffset(index));
    }

    /** All elements in row-major order as float32 (a copy). */
    public float[] toFloatArray() {
        int n = Math.toIntExact(numel());
        float[] out = new float[n];
        if (isContiguous()) {
            MemorySegment seg = segment();
            switch (dtype) {
                case F32 -> MemorySegment.copy(seg, F32_LE, 0, out, 0, n);
                case BF16 -> {
                    for (int i = 0; i < n; i++) out[i] = Half.bf16ToF32(seg.getAtIndex(I16_LE, i));
                }
                case F16 -> {
                    for (int i = 0; i < n; i++) out[i] = Half.f16ToF32(seg.getAtIndex(I16_LE, i));
                }
                case I64 -> {
                    for (int i = 0; i < n; i++) out[i] = seg.getAtIndex(I64_LE, i);
                }
            }
            return out;
        }
        long[] idx = new long[shape.length];
        for (int i = 0; i < n; i++) {
            out[i] = readFloat(elementOffset(idx));
            increment(idx);
        }
        return out;
    }

    /** All elements of an I64 tensor in row-major order (a copy). */
    public long[] toLongArray() {
        if (dtype != DType.I64) {
            throw new TensorException("toLongArray() on a " + dtype + " tensor");
        }
        int n = Math.toIntExact(numel());
        long[] out = new long[n];
        long[] idx = new long[shape.length];
        for (int i = 0; i < n; i++) {
            out[i] = storage.getAtIndex(I64_LE, elementOffset(idx));
            increment(idx);
        }
        return out;
    }

    /** A contiguous copy converted to {@code target} (float types round to nearest even). */
    public Tensor to(DType target) {
        if (target == dtype) {
            return contiguous();
        }
        if (target == DType.I64 || dtype == DType.I64) {
            throw new TensorException("conversion between " + dtype + " and " + target + " is not supported");
        }
        float[] f = toFloatArray();
        if (target == DType.F32) {
            return wrap(f, shape);
        }
        short[] s = new short[f.length];
        for (int i = 0; i < f.length; i++) {
            s[i] = target == DType.BF16 ? Half.f32ToBf16(f[i]) : Half.f32ToF16(f[i]);
        }
        return of(target, MemorySegment.ofArray(s), shape);
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + " " + Arrays.toString(shape) + (isContiguous() ? "" : " strided") + "]";
    }

    // ---------------------------------------------------------------- helpers

    public static long numel(long... shape) {
        long n = 1;
        for (long s : shape) {
            if (s < 0) throw new TensorException("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    public static long[] contiguousStrides(long[] shape) {
        long[] st = new long[shape.length];
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            st[d] = acc;
            acc *= shape[d];
        }
        return st;
    }

    private long elementOffset(long[] idx) {
        long o = offset;
        for (int d = 0; d < idx.length; d++) o += idx[d] * strides[d];
        return o;
    }

    private void increment(long[] idx) {
        for (int d = idx.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) return;
            idx[d] = 0;
        }
    }

    private float readFloat(long elem) {
        return switch (dtype) {
            case F32 -> storage.getAtIndex(F32_LE, elem);
            case BF16 -> Half.bf16ToF32(storage.getAtIndex(I16_LE, elem));
            case F16 -> Half.f16ToF32(storage.getAtIndex(I16_LE, elem));
            case I64 -> storage.getAtIndex(I64_LE, elem);
        };
    }
}
