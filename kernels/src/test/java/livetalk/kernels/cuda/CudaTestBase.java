package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import livetalk.kernels.Buf;
import livetalk.kernels.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the CUDA tests: one CUDA backend per test class, and the CPU backend as the reference.
 * Where no NVIDIA driver or device exists, every test is reported as skipped with the reason.
 */
abstract class CudaTestBase {
    static CudaBackend cuda;
    static final CpuBackend cpu = new CpuBackend();

    @BeforeEach
    void requireCuda() {
        String why = CudaBackend.unavailableReason();
        assumeTrue(why == null, () -> "no CUDA device: " + why);
        if (cuda == null) cuda = new CudaBackend();
    }

    @AfterAll
    static void closeCuda() {
        if (cuda != null) cuda.close();
        cuda = null;
    }

    /** The same values on both backends, as views at one random offset inside poisoned buffers. */
    record Pair(Buf cpu, Buf gpu) {
    }

    static Pair place(SplittableRandom rnd, float[] data) {
        int pad = rnd.nextInt(8), tail = rnd.nextInt(5);
        float[] junk = new float[pad + data.length + tail];
        for (int i = 0; i < junk.length; i++) junk[i] = 1e6f + i;
        System.arraycopy(data, 0, junk, pad, data.length);
        return new Pair(cpu.upload(junk).view(pad, data.length), cuda.upload(junk).view(pad, data.length));
    }

    /** Each value rounded to bf16 (round to nearest even), kept as float: the tensor-core operand. */
    static float[] bf16(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            int b = Float.floatToRawIntBits(x[i]);
            y[i] = Float.intBitsToFloat(((b + 0x7FFF + ((b >>> 16) & 1)) & 0xFFFF0000));
        }
        return y;
    }

    /** Relative L2 error ‖a − e‖ / ‖e‖ (NaN anywhere fails). */
    static double relL2(float[] expected, float[] actual) {
        double num = 0, den = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(actual[i])) return Double.POSITIVE_INFINITY;
            double d = expected[i] - actual[i];
            num += d * d;
            den += (double) expected[i] * expected[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }
}
