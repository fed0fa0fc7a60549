package livetalk.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Views (slice, select, permute, transpose, reshape) and contiguous() against plain index arithmetic. */
class TensorViewTest {

    /** A materialised row-major array: what a chain of views must read as. */
    record Ref(float[] data, long[] shape) {
        int size() {
            return data.length;
        }

        /** Builds a new Ref of {@code outShape} whose element at each index comes from {@code src(index)} here. */
        Ref map(long[] outShape, java.util.function.Function<long[], long[]> src) {
            int n = Math.toIntExact(Tensor.numel(outShape));
            float[] out = new float[n];
            long[] idx = new long[outShape.length];
            for (int i = 0; i < n; i++) {
                out[i] = data[flat(src.apply(idx.clone()), shape)];
                for (int d = idx.length - 1; d >= 0; d--) {
                    if (++idx[d] < outShape[d]) break;
                    idx[d] = 0;
                }
            }
            return new Ref(out, outShape);
        }
    }

    static int flat(long[] idx, long[] shape) {
        long f = 0;
        for (int d = 0; d < shape.length; d++) f = f * shape[d] + idx[d];
        return (int) f;
    }

    static long[] randomShape(SplittableRandom rnd) {
        long[] s = new long[1 + rnd.nextInt(4)];
        for (int d = 0; d < s.length; d++) s[d] = 1 + rnd.nextInt(5);
        return s;
    }

    /** A random shape with {@code n} elements (n > 0). */
    static long[] factor(SplittableRandom rnd, long n) {
        List<Long> dims = new ArrayList<>();
        long rest = n;
        int rank = 1 + rnd.nextInt(4);
        for (int i = 0; i < rank - 1; i++) {
            List<Long> divs = new ArrayList<>();
            for (long d = 1; d <= rest; d++) if (rest % d == 0) divs.add(d);
            long d = divs.get(rnd.nextInt(divs.size()));
            dims.add(d);
            rest /= d;
        }
        dims.add(rest);
        java.util.Collections.shuffle(dims, new java.util.Random(rnd.nextLong()));
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    static void assertMatches(Ref ref, Tensor t, SplittableRandom rnd, String what) {
        assertArrayEquals(ref.shape(), t.shape(), what + " shape");
        assertArrayEquals(ref.data(), t.toFloatArray(), what + " values");
        if (ref.size() > 0) {
            for (int k = 0; k < 5; k++) {
                long[] idx = new long[ref.shape().length];
                for (int d = 0; d < idx.length; d++) idx[d] = rnd.nextLong(ref.shape()[d]);
                assertEquals(ref.data()[flat(idx, ref.shape())], t.get(idx), what + " get");
            }
        }
    }

    @Test
    void randomViewChainsMatchIndexArithmetic() {
        Props.forAll("view chains", 300, 41, rnd -> {
            long[] shape = randomShape(rnd);
            int n = (int) Tensor.numel(shape);
            float[] data = new float[n];
            for (int i = 0; i < n; i++) data[i] = i;
            Tensor t = Tensor.wrap(data, shape);
            Ref ref = new Ref(data.clone(), shape);
            StringBuilder ops = new StringBuilder();
            for (int step = 0; step < 6; step++) {
                int rank = t.rank();
                int op = rank == 0 ? 4 : rnd.nextInt(5);
                switch (op) {
                    case 0 -> { // slice
                        int d = rnd.nextInt(rank);
                        long size = ref.shape()[d];
                        long start = rnd.nextLong(size + 1), len = rnd.nextLong(size - start + 1);
                        int dimArg = rnd.nextBoolean() ? d : d - rank;
                        t = t.slice(dimArg, start, len);
                        long[] s = ref.shape().clone();
                        s[d] = len;
                        ref = ref.map(s, idx -> {
                            idx[d] += start;
                            return idx;
                        });
                        ops.append(" slice(").append(dimArg).append(',').append(start).append(',').append(len).append(')');
                    }
                    case 1 -> { // select
                        int d = rnd.nextInt(rank);
                        if (ref.shape()[d] == 0) continue;
                        long i = rnd.nextLong(ref.shape()[d]);
                        t = t.select(d, i);
                        long[] s = new long[rank - 1];
                        for (int a = 0, b = 0; a < rank; a++) if (a != d) s[b++] = ref.shape()[a];
                        ref = ref.map(s, idx -> {
                            long[] src = new long[rank];
                            for (int a = 0, b = 0; a < rank; a++) src[a] = a == d ? i : idx[b++];
                            return src;
                        });
                        ops.append(" select(").append(d).append(',').append(i).append(')');
                    }
                    case 2 -> { // permute
                        List<Integer> p = new ArrayList<>();
                        for (int a = 0; a < rank; a++) p.add(a);
                        java.util.Collections.shuffle(p, new java.util.Random(rnd.nextLong()));
                        int[] order = p.stream().mapToInt(Integer::intValue).toArray();
                        t = t.permute(order);
                        long[] s = new long[rank];
                        for (int a = 0; a < rank; a++) s[a] = ref.shape()[order[a]];
                        ref = ref.map(s, idx -> {
                            long[] src = new long[rank];
                            for (int a = 0; a < rank; a++) src[order[a]] = idx[a];
                            return src;
                        });
                        ops.append(" permute").append(java.util.Arrays.toString(order));
                    }
                    case 3 -> { // transpose, with negative dims sometimes
                        int a = rnd.nextInt(rank), b = rnd.nextInt(rank);
                        t = t.transpose(rnd.nextBoolean() ? a : a - rank, rnd.nextBoolean() ? b : b - rank);
                        long[] s = ref.shape().clone();
                        s[a] = ref.shape()[b];
                        s[b] = ref.shape()[a];
                        ref = ref.map(s, idx -> {
                            long x = idx[a];
                            idx[a] = idx[b];
                            idx[b] = x;
                            return idx;
                        });
                        ops.append(" transpose(").append(a).append(',').append(b).append(')');
                    }
                    default -> { // reshape (through contiguous() when needed)
                        if (ref.size() == 0) continue;
                        long[] s = factor(rnd, ref.size());
                        Tensor c = t.contiguous();
                        assertTrue(c.isContiguous());
                        if (t.isContiguous()) assertSame(t, c, "contiguous() of a contiguous view is the view itself");
                        long[] arg = s.clone();
                        if (rnd.nextInt(3) == 0) arg[rnd.nextInt(arg.length)] = -1;
                        t = c.reshape(arg);
                        ref = new Ref(ref.data(), s);
                        ops.append(" reshape").append(java.util.Arrays.toString(arg));
                    }
                }
                assertMatches(ref, t, rnd, "after" + ops);
            }
        });
    }

    /** A tensor of each dtype holding 0..n-1 (exact in all of them for n <= 256). */
    static Tensor iota(DType dtype, long... shape) {
        int n = (int) Tensor.numel(shape);
        Tensor t = Tensor.allocate(dtype, shape);
        MemorySegment seg = t.segment();
        for (int i = 0; i < n; i++) {
            switch (dtype) {
                case F32 -> seg.setAtIndex(Tensor.F32_LE, i, i);
                case BF16 -> seg.setAtIndex(Tensor.I16_LE, i, Half.f32ToBf16(i));
                case F16 -> seg.setAtIndex(Tensor.I16_LE, i, Half.f32ToF16(i));
                case I64 -> seg.setAtIndex(Tensor.I64_LE, i, i);
            }
        }
        return t;
    }

    @Test
    void contiguousCopiesStridedViewsOfEveryDtype() {
        Props.forAll("contiguous()", 100, 43, rnd -> {
            for (DType dt : DType.values()) {
                long[] shape = {1 + rnd.nextInt(4), 1 + rnd.nextInt(4), 1 + rnd.nextInt(4)};
                Tensor t = iota(dt, shape).permute(2, 0, 1).slice(1, 0, 1 + rnd.nextInt((int) shape[0]));
                float[] expected = t.toFloatArray();
                Tensor c = t.contiguous();
                assertTrue(c.isContiguous());
                assertEquals(dt, c.dtype());
                assertArrayEquals(t.shape(), c.shape());
                assertArrayEquals(expected, c.toFloatArray(), dt + " values");
                if (!t.isContiguous()) {
                    assertNotSame(t, c);
                    assertEquals(c.byteSize(), c.segment().byteSize());
                }
                if (dt == DType.I64) assertArrayEquals(t.toLongArray(), c.toLongArray());
                // raw bytes of the copy are the elements in row-major order
                byte[] raw = c.segment().toArray(ValueLayout.JAVA_BYTE);
                assertEquals(c.numel() * dt.byteSize(), raw.length);
            }
        });
    }

    @Test
    void stridedViewsAreBoundsChecked() {
        MemorySegment seg = MemorySegment.ofArray(new float[12]);
        Tensor ok = Tensor.strided(DType.F32, seg, 2, new long[] {2, 5}, new long[] {5, 1});
        assertArrayEquals(new long[] {2, 5}, ok.shape());
        assertThrows(TensorException.class, () -> Tensor.strided(DType.F32, seg, 3, new long[] {2, 5}, new long[] {5, 1}));
        assertThrows(TensorException.class, () -> Tensor.strided(DType.F32, seg, -1, new long[] {1}, new long[] {1}));
        assertThrows(TensorException.class, () -> Tensor.strided(DType.F32, seg, 0, new long[] {2}, new long[] {1, 1}));
        // reaches that overflow a long must not wrap around into "inside"
        assertThrows(TensorException.class, () -> Tensor.strided(DType.F32, seg, 0, new long[] {2, 2},
                new long[] {1L << 62, 1L << 62}));
        assertThrows(TensorException.class, () -> Tensor.strided(DType.F32, seg, Long.MAX_VALUE, new long[] {2}, new long[] {1}));
        // a reversed view through a negative stride
        float[] d = {0, 1, 2, 3, 4, 5};
        Tensor rev = Tensor.strided(DType.F32, MemorySegment.ofArray(d), 5, new long[] {6}, new long[] {-1});
        assertArrayEquals(new float[] {5, 4, 3, 2, 1, 0}, rev.toFloatArray());
        assertArrayEquals(new float[] {5, 4, 3, 2, 1, 0}, rev.contiguous().toFloatArray());
        // an empty view may sit anywhere up to the end
        assertEquals(0, Tensor.strided(DType.F32, seg, 12, new long[] {0, 3}, new long[] {3, 1}).segment().byteSize());
        assertThrows(TensorException.class, () -> Tensor.strided(DType.F32, seg, 13, new long[] {0}, new long[] {1}));
    }

    @Test
    void badViewArgumentsAreTensorExceptions() {
        Tensor t = Tensor.zeros(2, 3);
        assertThrows(TensorException.class, () -> t.slice(1, 2, 2));
        assertThrows(TensorException.class, () -> t.slice(1, Long.MAX_VALUE, 1));
        assertThrows(TensorException.class, () -> t.slice(2, 0, 1));
        assertThrows(TensorException.class, () -> t.select(0, 2));
        assertThrows(TensorException.class, () -> t.transpose(0, 2));
        assertThrows(TensorException.class, () -> t.permute(0, 0));
        assertThrows(TensorException.class, () -> t.reshape(4, -1));
        assertThrows(TensorException.class, () -> t.reshape(-1, -1));
        assertThrows(TensorException.class, () -> t.transpose(0, 1).reshape(6));
        assertThrows(TensorException.class, () -> t.get(0, 3));
        assertThrows(TensorException.class, () -> t.transpose(0, 1).segment());
        assertArrayEquals(new long[] {3, 2}, t.transpose(-1, -2).shape());
    }

    @Test
    void conversionsRoundToNearestEven() {
        float[] f = {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, -2.5f, 65520f};
        Tensor t = Tensor.wrap(f, 2, 2);
        assertArrayEquals(new float[] {1f, 1f + 0x1p-6f, -2.5f, 65536f}, t.to(DType.BF16).toFloatArray());
        assertArrayEquals(new float[] {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, -2.5f, Float.POSITIVE_INFINITY}, t.to(DType.F16).toFloatArray());
        assertArrayEquals(new float[] {1f + 0x1p-8f, -2.5f}, t.transpose(0, 1).select(0, 0).to(DType.F32).toFloatArray());
        assertThrows(TensorException.class, () -> t.to(DType.I64));
    }
}
