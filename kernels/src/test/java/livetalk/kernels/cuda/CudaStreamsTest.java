package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Streams per thread ({@code LIVETALK_CUDA_STREAMS=2}, here a backend made with them whatever the
 * environment says): the same results as one stream, buffers handed across streams as {@link
 * Backend#concurrentQueue} says, weights made by one stream read by another, and frees ordered
 * after the work of every stream.
 */
class CudaStreamsTest {
    private static CudaBackend lanes;

    @BeforeEach
    void requireCuda() {
        String why = CudaBackend.unavailableReason();
        assumeTrue(why == null, () -> "no CUDA device: " + why);
        if (lanes == null) lanes = new CudaBackend(true);
    }

    @AfterAll
    static void close() {
        if (lanes != null) lanes.close();
        lanes = null;
    }

    /** A fixed chain of ops (products, attention, a causal conv with a bf16 history, elementwise) from a seed; returns its outputs. */
    private static float[] work(Backend be, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int rows = 700, in = 384, out = 512, heads = 4, hd = 128;
        Tensor w1 = Tensor.wrap(Props.uniform(rnd, out * in, 0.1f), out, in), w2 = Tensor.wrap(Props.uniform(rnd, in * out, 0.1f), in, out);
        Buf x = be.upload(Props.uniform(rnd, rows * in, 1)), y = be.alloc((long) rows * out), z = be.alloc((long) rows * in);
        be.linearGelu(x, y, rows, be.weight(w1), null);
        be.linear(y, z, rows, be.weight(w2), null);
        Buf q = be.upload(Props.uniform(rnd, rows * heads * hd, 1)), o = be.alloc((long) rows * heads * hd);
        Buf k = be.alloc((long) rows * heads * hd, DType.BF16), v = be.alloc((long) rows * heads * hd, DType.BF16);
        be.toBf16(be.upload(Props.uniform(rnd, rows * heads * hd, 1)), k);
        be.toBf16(be.upload(Props.uniform(rnd, rows * heads * hd, 1)), v);
        be.attention(q, k, v, o, rows, rows, heads, hd, 0.088f, null);
        be.silu(o, o);
        int cin = 24, cout = 40, h = 33, wd = 47, frame = cin * h * wd;
        Conv3dSpec s = Conv3dSpec.of(cin, cout, 3, 3, 3, 0, 1, 1);
        Buf hist = be.alloc(2L * frame, DType.BF16), c = be.alloc(4L * cout * h * wd);
        be.toBf16(be.upload(Props.uniform(rnd, 2 * frame, 1)), hist);
        be.conv3d(hist, 2, be.upload(Props.uniform(rnd, 4 * frame, 1)), 4, h, wd, c, s,
                be.weight(Tensor.wrap(Props.uniform(rnd, (int) s.weightSize(), 0.1f), cout, cin, 3, 3, 3)), null);
        float[] a = be.read(z), b = be.read(o), cc = be.read(c);
        float[] all = new float[a.length + b.length + cc.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        System.arraycopy(cc, 0, all, a.length + b.length, cc.length);
        return all;
    }

    @Test
    void twoThreadsOnTwoStreamsMatchOneThread() throws Exception {
        float[][] alone = {work(lanes, 11), work(lanes, 12)};   // the main thread, the legacy default stream
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 3; round++) {
                Future<?>[] f = new Future<?>[2];
                float[][] got = new float[2][];
                for (int t = 0; t < 2; t++) {
                    int i = t;
                    f[t] = pool.submit(() -> {
                        try (Backend.Scope s = lanes.concurrentQueue()) {
                            got[i] = work(lanes, 11 + i);
                        }
                    });
                }
                for (Future<?> x : f) x.get(120, TimeUnit.SECONDS);
                for (int t = 0; t < 2; t++) assertArrayEquals(alone[t], got[t], "thread " + t + ", round " + round);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A buffer made on one stream, handed over after a read (Backend.concurrentQueue's rule), used on another. */
    @Test
    void bufferHandedAcrossStreamsIsReadCorrectly() throws Exception {
        ExecutorService a = Executors.newSingleThreadExecutor(), b = Executors.newSingleThreadExecutor();
        try {
            int n = 1 << 22;
            float[] data = Props.uniform(new SplittableRandom(21), n, 1);
            Buf made = a.submit(() -> {
                try (Backend.Scope s = lanes.concurrentQueue()) {
                    Buf x = lanes.upload(data), y = lanes.alloc(n);
                    for (int i = 0; i < 20; i++) lanes.axpby(1f, x, 1f, y, y);   // y = 20·x
                    lanes.read(y.view(0, 1));                                      // waits for this stream's work
                    return y;
                }
            }).get(60, TimeUnit.SECONDS);
            float[] got = b.submit(() -> {
                try (Backend.Scope s = lanes.concurrentQueue()) {
                    Buf z = lanes.alloc(n);
                    lanes.axpby(0.5f, made, 0f, made, z);
                    return lanes.read(z);
                }
            }).get(60, TimeUnit.SECONDS);
            for (int i = 0; i < n; i += 997) assertEquals(10f * data[i], got[i], Math.abs(data[i]) * 1e-5f + 1e-6f, "element " + i);
        } finally {
            a.shutdownNow();
            b.shutdownNow();
        }
    }

    /** A weight first used (uploaded and converted) on one stream is complete when another stream reads it. */
    @Test
    void weightMadeOnOneStreamIsCompleteOnAnother() throws Exception {
        ExecutorService a = Executors.newSingleThreadExecutor(), b = Executors.newSingleThreadExecutor();
        try {
            SplittableRandom rnd = new SplittableRandom(31);
            int rows = 64, in = 4096, out = 4096;
            float[] wv = Props.uniform(rnd, out * in, 0.05f), xv = Props.uniform(rnd, rows * in, 1);
            var w = lanes.weight(Tensor.wrap(wv, out, in));     // float32: converted to bf16 on the device at first use
            Buf ey = lanes.alloc((long) rows * out);        // the main thread, with a weight of its own
            lanes.linear(lanes.upload(xv), ey, rows, lanes.weight(Tensor.wrap(wv, out, in)), null);
            float[] expected = lanes.read(ey);
            for (int round = 0; round < 5; round++) {
                lanes.release(w);                                   // made again at the next use
                CompletableFuture<Void> started = new CompletableFuture<>();
                Future<?> first = a.submit(() -> {
                    try (Backend.Scope s = lanes.concurrentQueue()) {
                        Buf x = lanes.upload(xv), y = lanes.alloc((long) rows * out);
                        lanes.linear(x, y, rows, w, null);          // uploads and converts w on stream a
                        started.complete(null);
                        lanes.read(y);
                    }
                });
                float[] got = b.submit(() -> {
                    started.get();
                    try (Backend.Scope s = lanes.concurrentQueue()) {
                        Buf x = lanes.upload(xv), y = lanes.alloc((long) rows * out);
                        lanes.linear(x, y, rows, w, null);          // reads w on stream b, right away
                        return lanes.read(y);
                    }
                }).get(60, TimeUnit.SECONDS);
                first.get(60, TimeUnit.SECONDS);
                assertArrayEquals(expected, got, "round " + round);
            }
        } finally {
            a.shutdownNow();
            b.shutdownNow();
        }
    }

    /**
     * A buffer freed by another thread while a stream still reads it (what the cleaner does when
     * its last reference goes): the free must wait for that stream. The freeing thread then takes
     * new buffers of the same size, which the pool may place on the freed memory, and fills them
     * with NaN; the reading stream's result must not see them.
     */
    @Test
    void freeWaitsForEveryStream() throws Exception {
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try {
            int n = 1 << 24, reps = 200;
            float[] data = Props.uniform(new SplittableRandom(41), n, 1);
            for (int round = 0; round < 3; round++) {
                CompletableFuture<Buf> issued = new CompletableFuture<>();
                Future<float[]> result = reader.submit(() -> {
                    try (Backend.Scope s = lanes.concurrentQueue()) {
                        Buf x = lanes.upload(data), y = lanes.alloc(n);
                        lanes.read(x.view(0, 1));
                        for (int i = 0; i < reps; i++) lanes.axpby(1f, x, 1f, y, y);   // reads x for a while
                        issued.complete(x);                                             // handed over unfinished
                        return lanes.read(y.view(0, 4096));
                    }
                });
                Buf x = issued.get(60, TimeUnit.SECONDS);
                lanes.free(x);
                for (int i = 0; i < 4; i++) lanes.fill(lanes.alloc(n), Float.NaN);
                float[] y = result.get(60, TimeUnit.SECONDS);
                for (int i = 0; i < y.length; i++) {
                    assertTrue(Math.abs(y[i] - reps * data[i]) <= 1e-4f * reps * Math.abs(data[i]) + 1e-5f,
                            "round " + round + ", element " + i + ": " + y[i] + " instead of " + reps * data[i]);
                }
            }
        } finally {
            reader.shutdownNow();
        }
    }

    /** Lanes leave nothing behind: after the threads closed them, memory freed from then on goes back as before. */
    @Test
    void memoryReturnsToBaselineWithStreams() throws Exception {
        System.gc();
        Thread.sleep(200);
        long base = lanes.liveBytes();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 10; round++) {
                Future<?>[] f = new Future<?>[2];
                for (int t = 0; t < 2; t++) {
                    int seed = round * 2 + t;
                    f[t] = pool.submit(() -> {
                        try (Backend.Scope s = lanes.concurrentQueue()) {
                            Buf a = lanes.upload(Props.uniform(new SplittableRandom(seed), 1 << 20, 1)), b = lanes.alloc(1 << 20, DType.BF16);
                            lanes.toBf16(a, b);
                            lanes.read(b.view(0, 8));
                            lanes.free(a);
                            lanes.free(b);
                            lanes.trimMemory();
                        }
                    });
                }
                for (Future<?> x : f) x.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(lanes.liveBytes() <= base, "live bytes " + lanes.liveBytes() + " after, " + base + " before");
    }
}
