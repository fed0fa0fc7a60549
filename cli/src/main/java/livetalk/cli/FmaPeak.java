package livetalk.cli;

import java.util.concurrent.atomic.DoubleAdder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import livetalk.kernels.cpu.Parallel;

/**
 * The machine's measured FMA rate on the kernel pool's threads: the ceiling the CPU benchmarks
 * state their fractions against. Pure FMA loops, 12 independent accumulator vectors each (more
 * than FMA latency × FMA pipes, so the pipes never wait on a result).
 *
 * <p>Two loop forms, because they compile differently: {@code c = a·b + c} (the kernels'
 * accumulator form, one {@code vfmadd231ps} each) and {@code c = c·a + b} (which C2 compiles with a
 * register copy first). On the Intel Xeon kind the second ran at 124–128 GFLOP/s a thread against
 * the first's 156–160, below the GEMM's own micro-kernel (160), so alone it understated the
 * ceiling by about 20 %. The faster of the two is the peak.
 *
 * <p>Why a sample beside every timed run: the virtual machines here change speed within minutes
 * (on the Intel kind the same loop gave 318 GFLOP/s on 2 threads and, half an hour later, 194), so
 * a fraction is only meaningful against the peak of the same minutes.
 */
final class FmaPeak {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Rounds per loop run: about 0.1 s at 160 GFLOP/s a thread. */
    private static final long SAMPLE_ITERS = 40_000_000L;
    private static volatile boolean warm;

    private FmaPeak() {
    }

    /** The best of {@code runs} runs of each loop form on {@code threads} pool threads, GFLOP/s. */
    static double measure(int threads, int runs) {
        warmUp();
        double best = 0;
        for (int rep = 0; rep < 2 * runs; rep++) {
            boolean chained = rep % 2 == 1;
            long t0 = System.nanoTime();
            DoubleAdder sink = new DoubleAdder();
            Parallel.forEach(threads, t -> sink.add(chained ? chained(SAMPLE_ITERS) : accumulating(SAMPLE_ITERS)));
            long t1 = System.nanoTime();
            if (sink.sum() == 42) System.out.print(""); // keep the result alive
            best = Math.max(best, (double) threads * SAMPLE_ITERS * 12 * F.length() * 2 / (t1 - t0));
        }
        return best;
    }

    /** One run of each form: the peak of this moment, for a fraction of a run beside it. */
    static double sample(int threads) {
        return measure(threads, 1);
    }

    /**
     * The loops' JIT compilation: the Vector API is slow until C2 has them (each vector a heap object
     * before). Many short calls first, so the profile C2 compiles from has seen the loops exit: after
     * long calls only, C2 compiled {@code chained} as if its loop never ended, the first exit trapped
     * back to profiling code, and the first sample took 33 s instead of 0.1 (`bench --only peak` ran
     * 44.7 s on the Intel kind).
     */
    private static void warmUp() {
        if (warm) return;
        for (int i = 0; i < WARM_CALLS; i++) {
            accumulating(2000);
            chained(2000);
        }
        for (int i = 0; i < 3; i++) {
            accumulating(SAMPLE_ITERS / 5);
            chained(SAMPLE_ITERS / 5);
        }
        warm = true;
    }

    /** Short calls of each loop before the long ones: past C1's and C2's invocation thresholds. */
    private static final int WARM_CALLS = 400;

    /** {@code iters} (a multiple of 1000) rounds of 12 independent FMAs, {@code c = a·b + c}. */
    static float accumulating(long iters) {
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
        // written out: vectors passed as varargs are not intrinsified, and the loop then runs ~70× slower
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).reduceLanes(VectorOperators.ADD);
    }

    /** The same rounds as {@code c = c·a + b}. */
    static float chained(long iters) {
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
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).reduceLanes(VectorOperators.ADD);
    }
}
