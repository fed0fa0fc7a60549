package livetalk.kernels.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The fork-join pool shared by the CPU kernels. The thread count defaults to the available
 * processors (or the {@code livetalk.threads} system property) and is set by constructing a
 * {@link CpuBackend}: the kernels are static functions, so the pool is process-wide, but only the
 * backend's construction may size it. A parallel loop started from inside a pool worker runs serially: kernels never nest
 * their parallelism, and this keeps a nested call from waiting on its own pool.
 */
public final class Parallel {
    private static int threads = defaultThreads();
    private static volatile ForkJoinPool pool;

    private Parallel() {
    }

    /** The number of threads the kernels use. */
    public static synchronized int threads() {
        return threads;
    }

    static int defaultThreads() {
        return Math.max(1, Integer.getInteger("livetalk.threads", Runtime.getRuntime().availableProcessors()));
    }

    /** Sets the thread count (1 = everything on the calling thread); {@link CpuBackend}'s constructor calls it. */
    static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("thread count must be at least 1, got " + n);
        if (n != threads && pool != null) {
            pool.shutdown();
            pool = null;
        }
        threads = n;
    }

    private static synchronized ForkJoinPool pool() {
        if (pool == null && threads > 1) {
            pool = new ForkJoinPool(threads - 1, p -> {
                ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
                t.setName("livetalk-kernel-" + t.getPoolIndex());
                t.setDaemon(true);
                return t;
            }, null, false);
        }
        return pool;
    }

    /** A body over task indices. */
    public interface Body {
        void run(int task);
    }

    /** A body over a half-open range {@code [lo, hi)}. */
    public interface RangeBody {
        void run(int lo, int hi);
    }

    /**
     * Runs {@code body(i)} for every {@code i} in {@code [0, n)}, spread over the threads; tasks are
     * handed out one at a time from a shared counter (so uneven tasks balance). The calling thread
     * takes part. Returns when all are done; the first exception is rethrown.
     */
    public static void forEach(int n, Body body) {
        if (n <= 0) return;
        int t = Math.min(threads(), n);
        ForkJoinPool p = t > 1 && !insidePool() ? pool() : null;
        if (p == null) {
            for (int i = 0; i < n; i++) body.run(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int i; (i = next.getAndIncrement()) < n; ) body.run(i);
        };
        List<ForkJoinTask<?>> helpers = new ArrayList<>(t - 1);
        for (int i = 0; i < t - 1; i++) helpers.add(p.submit(worker));
        Throwable failure = null;
        try {
            worker.run();
        } catch (Throwable e) {
            failure = e;
            next.set(n); // stop handing out work
        }
        for (ForkJoinTask<?> h : helpers) {
            try {
                h.join();
            } catch (Throwable e) {
                if (failure == null) failure = e;
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new RuntimeException(failure);
    }

    /**
     * Splits {@code [0, n)} into chunks of at least {@code minChunk} (about four per thread, for
     * balance) and runs {@code body(lo, hi)} on each in parallel. Small ranges run inline.
     */
    public static void forRange(int n, int minChunk, RangeBody body) {
        if (n <= 0) return;
        int t = threads();
        int chunks = (int) Math.min((long) t * 4, Math.max(1, n / Math.max(1, minChunk)));
        if (chunks <= 1 || t == 1) {
            body.run(0, n);
            return;
        }
        int per = (n + chunks - 1) / chunks;
        int count = (n + per - 1) / per;
        forEach(count, c -> body.run(c * per, Math.min(n, (c + 1) * per)));
    }

    private static boolean insidePool() {
        return Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == pool;
    }
}
