package livetalk.kernels.opencl;

import java.util.SplittableRandom;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.cpu.CpuBackend;

/** Places the same data at the same random offset inside larger buffers on two backends, so every op also runs on views. */
final class OpenClFixture {
    private OpenClFixture() {
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
}
