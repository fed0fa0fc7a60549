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
 * (linear with F32 and BF16 weights, attention) with time, GFLOP/s and the fraction of the peak
 * measured beside each run. FLOPs: linear 2·M·N·K, attention 4·nq·nk·heads·headDim (the two
 * matrix products).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Time kernels at DiT shapes (GFLOP/s, fraction of peak).")
final class BenchCommand implements Callable<Integer> {
    private static final List<String> ALL = List.of("peak", "micro", "linear", "attention");
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    @Option(names = "--threads", description = "Kernel threads (default: available processors = ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--only", split = ",", description = "Comma-separated subset of: peak, micro, linear, attention (default: all).")
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
        if (only.contains("micro")) {
            // What a loop with the kernels' loads reaches now: where the machine is shared, it can sit far
            // below the FMA loop, and no kernel below can beat it (docs/cpu-performance.md#2026-11-29-later-a-lottery-in-the-jit-the-micro-kernels-alone-the-gemms-rows-copied).
            System.out.println("micro   the GEMM's micro-kernel alone, data in L1     median ms   best ms  GFLOP/s (median)  of peak    peak");
            double flop = threads * CpuBackend.gemmMicroKernelAlone(MICRO_CALLS);   // also its JIT warm-up
            report(MICRO_CALLS + " calls on each thread", flop, () -> Parallel.forEach(threads, t -> CpuBackend.gemmMicroKernelAlone(MICRO_CALLS)));
        }
        if (only.contains("linear")) {
            System.out.println("linear  out[M,N] = x[M,K]·W[N,K]^T           median ms   best ms  GFLOP/s (median)  of peak    peak");
            int[][] shapes = {{3072, 1536, 1536}, {3072, 1536, 8960}, {3072, 8960, 1536}};
            for (DType type : new DType[] {DType.F32, DType.BF16}) {
                for (int[] s : shapes) benchLinear(be, s[0], s[1], s[2], type);
            }
        }
        if (only.contains("attention")) {
            System.out.println("attention nq x nk x heads x headDim               median ms   best ms  GFLOP/s (median)  of peak    peak");
            benchAttention(be, 3072, 3072, 12, 128, DType.F32);
            benchAttention(be, 3072, 15360, 12, 128, DType.F32);
            benchAttention(be, 3072, 15360, 12, 128, DType.BF16);
        }
        if (!only.equals(List.of("peak"))) {
            // Virtual machines here change speed within minutes: a figure far from the first says so.
            System.out.printf(Locale.ROOT, "peak again at the end: %.1f GFLOP/s (first %.1f)%n", FmaPeak.measure(threads, 5), peak);
        }
        return 0;
    }

    /** About 0.1 s a thread at 150 GFLOP/s (98304 FLOPs a call with 512-bit vectors). */
    private static final int MICRO_CALLS = 150_000;

    // ------------------------------------------------------------------ peak

    /** The FMA peak ({@link FmaPeak}), best of 5 runs of each loop form, and the nominal figure beside it. */
    private double measurePeak() {
        int vl = F.length();
        double ghz = nominalGhz();
        int fmaUnits = 2; // assumed: two 512-bit FMA pipes per core (AMD Zen 4/5, Intel server cores)
        double nominal = vl * 2.0 * fmaUnits * threads * ghz;
        double best = FmaPeak.measure(threads, 5);
        if (only.contains("peak")) {
            System.out.printf(Locale.ROOT, "peak (measured, FMA loop, %d threads): %.1f GFLOP/s%n", threads, best);
            System.out.printf(Locale.ROOT, "nominal estimate: %d lanes x 2 FLOP x %d FMA units (assumed) x %d threads x %.2f GHz (cpu MHz in"
                    + " /proc/cpuinfo) = %.1f GFLOP/s; the measured loop is the ceiling used below%n", vl, fmaUnits, threads, ghz, nominal);
        }
        return best;
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

    private void benchLinear(Backend be, int m, int k, int n, DType type) {
        SplittableRandom rnd = new SplittableRandom(1);
        Weight w = be.weight(randomTensor(rnd, type, n, k));
        Buf x = be.upload(random(rnd, m * k));
        Buf out = be.alloc((long) m * n);
        double flop = 2.0 * m * n * k;
        report(String.format(Locale.ROOT, "linear %4s  [%d,%d]·[%d,%d]^T", type, m, k, n, k), flop, () -> be.linear(x, out, m, w, null));
    }

    /** Keys and values in float32, or in bf16 as the DiT's KV cache holds them (widened inside the kernel). */
    private void benchAttention(Backend be, int nq, int nk, int heads, int d, DType kv) {
        SplittableRandom rnd = new SplittableRandom(2);
        int w = heads * d;
        Buf q = be.upload(random(rnd, nq * w)), k = kvBuf(be, random(rnd, nk * w), kv), v = kvBuf(be, random(rnd, nk * w), kv);
        Buf out = be.alloc((long) nq * w);
        double flop = 4.0 * nq * nk * heads * d;
        float scale = (float) (1 / Math.sqrt(d));
        String label = String.format(Locale.ROOT, "attention %d x %d x %d x %d%s", nq, nk, heads, d, kv == DType.BF16 ? " kv bf16" : "");
        report(label, flop, () -> be.attention(q, k, v, out, nq, nk, heads, d, scale, null));
    }

    private static Buf kvBuf(Backend be, float[] values, DType dtype) {
        Buf f = be.upload(values);
        if (dtype == DType.F32) return f;
        Buf h = be.alloc(values.length, dtype);
        be.toBf16(f, h);
        be.free(f);
        return h;
    }

    /**
     * Times {@code op} {@link #repeat} times after a warm-up, each run right after a sample of the FMA
     * peak ({@link FmaPeak#sample}): "of peak" is the median of the runs' fractions of their own
     * samples, "peak" the median sample, so a machine whose speed moves during the benchmark still
     * gives fractions of the speed it had at the time.
     */
    private void report(String label, double flop, Runnable op) {
        op.run(); // warm-up (JIT, thread-local buffers, page faults)
        double[] ms = new double[repeat], fraction = new double[repeat], peaks = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            peaks[i] = FmaPeak.sample(threads);
            long t0 = System.nanoTime();
            op.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
            fraction[i] = flop / (ms[i] * 1e6) / peaks[i];
        }
        double median = median(ms), best = Arrays.stream(ms).min().orElseThrow();
        double gflops = flop / (median * 1e6);
        System.out.printf(Locale.ROOT, "  %-42s %9.1f %9.1f %12.1f %10.0f%% %7.0f%n", label, median, best, gflops, 100 * median(fraction), median(peaks));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
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
