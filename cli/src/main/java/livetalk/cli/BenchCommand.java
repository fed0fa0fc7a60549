package livetalk.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.DoubleAdder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.kernels.cpu.Parallel;
import livetalk.tensor.DType;
import livetalk.tensor.Half;
import livetalk.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code livetalk bench}: the machine's measured FMA peak, then the CPU kernels at DiT shapes
 * (linear with F32 and BF16 weights, attention) with time, GFLOP/s and the fraction of that
 * peak. FLOPs: linear 2·M·N·K, attention 4·nq·nk·heads·headDim (the two matrix products).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Time kernels at DiT shapes (GFLOP/s, fraction of peak).")
final class BenchCommand implements Callable<Integer> {
    private static final List<String> ALL = List.of("peak", "linear", "attention");
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    @Option(names = "--threads", description = "Kernel threads (default: available processors = ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--only", split = ",", description = "Comma-separated subset of: peak, linear, attention (default: all).")
    List<String> only = ALL;

    @Option(names = "--repeat", description = "Timed runs per case, after one warm-up run (default: ${DEFAULT-VALUE}).")
    int repeat = 3;

    @Override
    public Integer call() {
        if (threads < 1) throw new InputException("--threads must be at least 1, got " + threads);
        if (repeat < 1) throw new InputException("--repeat must be at least 1, got " + repeat);
        for (String o : only) {
            if (!ALL.contains(o)) throw new InputException("--only: unknown benchmark '" + o + "' (choose from " + String.join(",", ALL) + ")");
        }
        Backend be = new CpuBackend(threads);   // sizes the kernel pool that the peak loop below uses too
        System.out.printf(Locale.ROOT, "bench: %d threads, %d-bit vectors (%d float lanes), %d timed runs per case after a warm-up%n",
                threads, F.vectorBitSize(), F.length(), repeat);
        String load = loadAverage();
        if (load != null) System.out.println("load average at start (1, 5, 15 min): " + load + " (timings are only meaningful on an otherwise idle machine)");
        double peak = measurePeak();
        if (only.contains("linear")) {
            System.out.println("linear  out[M,N] = x[M,K]·W[N,K]^T           median ms   best ms  GFLOP/s (median)  of peak");
            int[][] shapes = {{3072, 1536, 1536}, {3072, 1536, 8960}, {3072, 8960, 1536}};
            for (DType type : new DType[] {DType.F32, DType.BF16}) {
                for (int[] s : shapes) benchLinear(be, s[0], s[1], s[2], type, peak);
            }
        }
        if (only.contains("attention")) {
            System.out.println("attention nq x nk x heads x headDim               median ms   best ms  GFLOP/s (median)  of peak");
            benchAttention(be, 3072, 3072, 12, 128, DType.F32, peak);
            benchAttention(be, 3072, 15360, 12, 128, DType.F32, peak);
            benchAttention(be, 3072, 15360, 12, 128, DType.BF16, peak);
        }
        if (!only.equals(List.of("peak"))) {
            // Virtual machines here change speed within minutes: a second figure far from the first says
            // the fractions above are not to be trusted.
            System.out.printf(Locale.ROOT, "peak again at the end: %.1f GFLOP/s (the fractions above are of the first, %.1f)%n", fmaRate(), peak);
        }
        return 0;
    }

    // ------------------------------------------------------------------ peak

    /**
     * Pure FMA loops on every thread: 12 independent accumulator vectors (more than FMA latency ×
     * FMA pipes, so the pipes never wait on a result). This measured rate is the ceiling used below.
     */
    private double measurePeak() {
        int vl = F.length();
        double ghz = nominalGhz();
        int fmaUnits = 2; // assumed: two 512-bit FMA pipes per core (AMD Zen 4/5, Intel server cores)
        double nominal = vl * 2.0 * fmaUnits * threads * ghz;
        double best = fmaRate();
        if (only.contains("peak")) {
            System.out.printf(Locale.ROOT, "peak (measured, FMA loop, %d threads): %.1f GFLOP/s%n", threads, best);
            System.out.printf(Locale.ROOT, "nominal estimate: %d lanes x 2 FLOP x %d FMA units (assumed) x %d threads x %.2f GHz (cpu MHz in"
                    + " /proc/cpuinfo) = %.1f GFLOP/s; the measured loop is the ceiling used below%n", vl, fmaUnits, threads, ghz, nominal);
        }
        return best;
    }

    /**
     * The faster of two FMA loops, best of 5 runs each (the machine may be busy with other work). Both
     * forms, because they compile differently: {@code c = a·b + c} (the kernels' accumulator form, one
     * {@code vfmadd231ps} each) and {@code c = c·a + b} (which C2 compiles with a register copy of b
     * first). On the Intel Xeon kind the second ran at 124–128 GFLOP/s a thread against the first's
     * 156–160, below the GEMM's own micro-kernel (160), so it understated the ceiling by about 20 %.
     */
    private double fmaRate() {
        long iters = 20_000_000L;
        for (int i = 0; i < 3; i++) { // warm-up: the loops' JIT compilation
            peakLoop(iters / 10);
            peakLoopChained(iters / 10);
        }
        double best = 0;
        for (int rep = 0; rep < 10; rep++) {
            boolean chained = rep % 2 == 1;
            long t0 = System.nanoTime();
            DoubleAdder sink = new DoubleAdder();
            Parallel.forEach(threads, t -> sink.add(chained ? peakLoopChained(iters) : peakLoop(iters)));
            long t1 = System.nanoTime();
            if (sink.sum() == 42) System.out.print(""); // keep the result alive
            best = Math.max(best, (double) threads * iters * 12 * F.length() * 2 / (t1 - t0));
        }
        return best;
    }

    /** {@code iters} (a multiple of 1000) rounds of 12 independent FMAs, {@code c = a·b + c}. */
    static float peakLoop(long iters) {
        FloatVector a = FloatVector.broadcast(F, 1e-7f), b = FloatVector.broadcast(F, 1e-7f);
        FloatVector c0 = FloatVector.broadcast(F, 1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        FloatVector c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long outer = 0; outer < iters; outer += 1000) { // an int inner loop: C2's best-optimised loop shape
            for (int i = 0; i < 1000; i++) {
                c0 = a.fma(b, c0); c1 = a.fma(b, c1); c2 = a.fma(b, c2); c3 = a.fma(b, c3);
                c4 = a.fma(b, c4); c5 = a.fma(b, c5); c6 = a.fma(b, c6); c7 = a.fma(b, c7);
                c8 = a.fma(b, c8); c9 = a.fma(b, c9); c10 = a.fma(b, c10); c11 = a.fma(b, c11);
            }
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).reduceLanes(
                jdk.incubator.vector.VectorOperators.ADD);   // written out: vectors passed as varargs are not intrinsified
    }

    /** The same rounds as {@code c = c·a + b}. */
    static float peakLoopChained(long iters) {
        FloatVector a = FloatVector.broadcast(F, 0.999999f), b = FloatVector.broadcast(F, 1e-7f);
        FloatVector c0 = FloatVector.broadcast(F, 1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        FloatVector c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long outer = 0; outer < iters; outer += 1000) {
            for (int i = 0; i < 1000; i++) {
                c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b);
                c4 = c4.fma(a, b); c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b);
                c8 = c8.fma(a, b); c9 = c9.fma(a, b); c10 = c10.fma(a, b); c11 = c11.fma(a, b);
            }
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).reduceLanes(
                jdk.incubator.vector.VectorOperators.ADD);   // written out: vectors passed as varargs are not intrinsified
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + ", " + f[1] + ", " + f[2];
        } catch (Exception e) {
            return null; // not Linux
        }
    }

    private static double nominalGhz() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("cpu MHz")) return Double.parseDouble(line.substring(line.indexOf(':') + 1).trim()) / 1000;
            }
        } catch (Exception e) {
            // not Linux or not readable: no nominal figure
        }
        return Double.NaN;
    }

    // ------------------------------------------------------------------ cases

    private void benchLinear(Backend be, int m, int k, int n, DType type, double peak) {
        SplittableRandom rnd = new SplittableRandom(1);
        Weight w = be.weight(randomTensor(rnd, type, n, k));
        Buf x = be.upload(random(rnd, m * k));
        Buf out = be.alloc((long) m * n);
        double flop = 2.0 * m * n * k;
        report(String.format(Locale.ROOT, "linear %4s  [%d,%d]·[%d,%d]^T", type, m, k, n, k), flop, peak, () -> be.linear(x, out, m, w, null));
    }

    /** Keys and values in float32, or in bf16 as the DiT's KV cache holds them (widened inside the kernel). */
    private void benchAttention(Backend be, int nq, int nk, int heads, int d, DType kv, double peak) {
        SplittableRandom rnd = new SplittableRandom(2);
        int w = heads * d;
        Buf q = be.upload(random(rnd, nq * w)), k = kvBuf(be, random(rnd, nk * w), kv), v = kvBuf(be, random(rnd, nk * w), kv);
        Buf out = be.alloc((long) nq * w);
        double flop = 4.0 * nq * nk * heads * d;
        float scale = (float) (1 / Math.sqrt(d));
        String label = String.format(Locale.ROOT, "attention %d x %d x %d x %d%s", nq, nk, heads, d, kv == DType.BF16 ? " kv bf16" : "");
        report(label, flop, peak, () -> be.attention(q, k, v, out, nq, nk, heads, d, scale, null));
    }

    private static Buf kvBuf(Backend be, float[] values, DType dtype) {
        Buf f = be.upload(values);
        if (dtype == DType.F32) return f;
        Buf h = be.alloc(values.length, dtype);
        be.toBf16(f, h);
        be.free(f);
        return h;
    }

    private void report(String label, double flop, double peak, Runnable op) {
        op.run(); // warm-up (JIT, thread-local buffers, page faults)
        double[] ms = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            op.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = sorted[repeat / 2], best = sorted[0];
        double gflops = flop / (median * 1e6);
        System.out.printf(Locale.ROOT, "  %-42s %9.1f %9.1f %12.1f %10.0f%%%n", label, median, best, gflops, 100 * gflops / peak);
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /** A weight in off-heap memory, as a memory-mapped checkpoint tensor would be. */
    private static Tensor randomTensor(SplittableRandom rnd, DType type, long rows, long cols) {
        long count = rows * cols;
        MemorySegment seg = Arena.ofAuto().allocate(count * type.byteSize(), 64);
        for (long i = 0; i < count; i++) {
            float f = (float) ((rnd.nextDouble() * 2 - 1) * 0.05);
            if (type == DType.F32) seg.setAtIndex(Tensor.F32_LE, i, f);
            else seg.setAtIndex(Tensor.I16_LE, i, type == DType.BF16 ? Half.f32ToBf16(f) : Half.f32ToF16(f));
        }
        return Tensor.of(type, seg, rows, cols);
    }
}
