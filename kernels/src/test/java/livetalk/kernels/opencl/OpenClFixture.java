package livetalk.kernels.opencl;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import livetalk.kernels.Backend;
import livetalk.kernels.Backends;
import livetalk.kernels.Buf;
import livetalk.kernels.cpu.CpuBackend;

/**
 * Shared set-up of the OpenCL tests: one OpenCL backend per test class (skipped, with the reason,
 * where no OpenCL platform exists), a CPU backend as the reference, and helpers that place the same
 * data at the same random offset inside larger buffers on both, so that every op also runs on views.
 */
final class OpenClFixture {
    private OpenClFixture() {
    }

    /** A new OpenCL backend, or a skipped test when OpenCL is absent. */
    static OpenClBackend openCl() {
        String why = Backends.openClUnavailableReason();
        assumeTrue(why == null, () -> "no OpenCL platform: " + why);
        return new OpenClBackend();
    }

    /** The same values on both backends, as views at one random non-zero offset into larger buffers. */
    record Pair(Buf cpu, Buf cl) {
    }

    static Pair place(CpuBackend cpu, Backend cl, SplittableRandom rnd, float[] data) {
        int pad = 1 + rnd.nextInt(7), tail = rnd.nextInt(5);
        float[] junk = new float[pad + data.length + tail];
        for (int i = 0; i < junk.length; i++) junk[i] = 1e6f + i; // poison around the view
        System.arraycopy(data, 0, junk, pad, data.length);
        return new Pair(cpu.upload(junk).view(pad, data.length), cl.upload(junk).view(pad, data.length));
    }

    /** Reads the whole parent-sized region is not possible from a view, so compare the view itself. */
    static float[] read(Backend b, Buf buf) {
        return b.read(buf);
    }
}
