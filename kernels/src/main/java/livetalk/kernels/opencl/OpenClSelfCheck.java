package livetalk.kernels.opencl;

import java.util.Locale;
import java.util.SplittableRandom;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;

/**
 * A standalone check for a machine with an OpenCL device (e.g. a GPU box without Maven):
 * lists the devices, compares linear and attention with the CPU backend on small shapes, then
 * times them at DiT shapes ({@code --small}: shapes an OpenCL CPU device finishes quickly).
 * Run with the kernels and tensor jars and JOCL on the class path:
 * {@code java -cp ... livetalk.kernels.opencl.OpenClSelfCheck [--small]}.
 */
public final class OpenClSelfCheck {
    private OpenClSelfCheck() {
    }

    public static void main(String[] args) {
        boolean small = args.length > 0 && args[0].equals("--small");
        for (ClDevice d : ClDevice.list()) {
            System.out.println("device: " + d.platformName() + " / " + d.name() + " / " + d.vendor() + (d.gpu() ? " (GPU)" : "")
                    + ", local memory " + d.localMemBytes() + " B, max work-group " + d.maxWorkGroup());
        }
        try (OpenClBackend cl = new OpenClBackend(); CpuBackend cpu = new CpuBackend()) {
            System.out.println("using " + cl.deviceDescription());
            SplittableRandom rnd = new SplittableRandom(1);
            // Correctness: the same small problems on both backends.
            for (DType dt : new DType[]{DType.F32, DType.BF16}) {
                int rows = 300, in = 520, out = 270;
                Tensor w = Tensor.wrap(normal(rnd, out * in), out, in).to(dt);
                float[] x = normal(rnd, rows * in);
                Buf yc = cpu.alloc((long) rows * out), yl = cl.alloc((long) rows * out);
                cpu.linear(cpu.upload(x), yc, rows, cpu.weight(w), null);
                cl.linear(cl.upload(x), yl, rows, cl.weight(w), null);
                report("linear " + rows + "x" + in + "->" + out + " " + dt, cpu.read(yc), cl.read(yl));
            }
            for (int hd : new int[]{64, 128, 384}) {
                int nq = 200, nk = 300, heads = 2, n = heads * hd;
                float[] q = normal(rnd, nq * n), k = normal(rnd, nk * n), v = normal(rnd, nk * n);
                Buf oc = cpu.alloc((long) nq * n), ol = cl.alloc((long) nq * n);
                float scale = (float) (1 / Math.sqrt(hd));
                cpu.attention(cpu.upload(q), cpu.upload(k), cpu.upload(v), oc, nq, nk, heads, hd, scale, null);
                cl.attention(cl.upload(q), cl.upload(k), cl.upload(v), ol, nq, nk, heads, hd, scale, null);
                report("attention nq=" + nq + " nk=" + nk + " hd=" + hd, cpu.read(oc), cl.read(ol));
            }
            // Speed at DiT shapes (spec: dim 1536, FFN 8960, 12 heads of 128; 3072 tokens per block of frames).
            int tokens = small ? 256 : 3072, dim = small ? 512 : 1536, ffn = small ? 1024 : 8960;
            int[][] shapes = {{tokens, dim, dim}, {tokens, dim, ffn}, {tokens, ffn, dim}};
            for (int[] s : shapes) {
                for (DType dt : new DType[]{DType.F32, DType.BF16}) {
                    for (boolean large : new boolean[]{false, true}) {
                        Weight w = cl.weight(Tensor.wrap(new float[s[1] * s[2]], s[2], s[1]).to(dt));
                        Buf x = cl.alloc((long) s[0] * s[1]), y = cl.alloc((long) s[0] * s[2]);
                        cl.forceLargeTiles = large;
                        double sec = time(cl, () -> cl.linear(x, y, s[0], w, null));
                        System.out.printf(Locale.ROOT, "linear%s %dx%d->%d %s: %.4f s, %.1f GFLOP/s%n", large ? "_t128" : "_t64",
                                s[0], s[1], s[2], dt, sec, 2.0 * s[0] * s[1] * s[2] / sec / 1e9);
                    }
                }
            }
            cl.forceLargeTiles = null;
            int heads = small ? 2 : 12, n = heads * 128, nq = tokens, nk = small ? 512 : 3 * tokens;
            Buf q = cl.alloc((long) nq * n), k = cl.alloc((long) nk * n), v = cl.alloc((long) nk * n), o = cl.alloc((long) nq * n);
            double sec = time(cl, () -> cl.attention(q, k, v, o, nq, nk, heads, 128, 0.088f, null));
            System.out.printf(Locale.ROOT, "attention nq=%d nk=%d heads=%d hd=128: %.4f s, %.1f GFLOP/s%n", nq, nk, heads, sec,
                    4.0 * nq * nk * n / sec / 1e9);
        }
    }

    private static double time(OpenClBackend cl, Runnable op) {
        op.run(); // warm-up (kernel creation, first launch)
        cl.finish();
        int reps = 3;
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) op.run();
        cl.finish();
        return (System.nanoTime() - t0) / 1e9 / reps;
    }

    private static void report(String what, float[] expected, float[] actual) {
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
        }
        boolean ok = maxDiff <= 1e-5 * Math.max(1e-6, maxRef);
        System.out.printf(Locale.ROOT, "%s %s: max|diff| %.2e, max|ref| %.2e%n", ok ? "OK  " : "FAIL", what, maxDiff, maxRef);
    }

    private static float[] normal(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian());
        return a;
    }

}
