package livetalk.kernels.cpu;

import java.util.SplittableRandom;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;

/** Test helpers: buffers placed at random offsets inside larger ones (views), random weights, tolerances. */
final class Bufs {
    static final CpuBackend BE = new CpuBackend();

    private Bufs() {
    }

    /** A view holding {@code data}, at a random offset of a larger buffer filled with other values. */
    static Buf view(SplittableRandom rnd, float[] data) {
        int before = rnd.nextInt(20), after = rnd.nextInt(20);
        Buf whole = BE.upload(Props.uniform(rnd, before + data.length + after, 100));
        Buf v = whole.view(before, data.length);
        BE.write(v, data);
        return v;
    }

    /** A view of {@code n} floats of garbage (an output the op must overwrite). */
    static Buf garbage(SplittableRandom rnd, int n) {
        return view(rnd, Props.uniform(rnd, n, 1000));
    }

    static DType weightType(SplittableRandom rnd) {
        return switch (rnd.nextInt(3)) {
            case 0 -> DType.F32;
            case 1 -> DType.BF16;
            default -> DType.F16;
        };
    }

    static Weight weight(float[] values, DType type, long... shape) {
        return BE.weight(Tensor.wrap(values, shape).to(type));
    }

    static float[] read(Buf b) {
        return BE.read(b);
    }

    static float[] array(CpuBuf b) {
        return java.util.Arrays.copyOfRange(b.a(), b.off(), b.off() + b.len());
    }

    /** Per element: {@code |a − r| ≤ rel·|r| + abs}. */
    static void assertElementwise(float[] expected, float[] actual, double rel, double abs, String what) {
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            if (!(d <= rel * Math.abs(expected[i]) + abs)) {
                throw new AssertionError(what + ": index " + i + " got " + actual[i] + ", expected " + expected[i]);
            }
        }
    }
}
