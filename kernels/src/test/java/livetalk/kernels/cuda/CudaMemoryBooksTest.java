package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import livetalk.kernels.KernelException;
import org.junit.jupiter.api.Test;

/** What runs without a GPU of the memory books, the report, and the streams switch. */
class CudaMemoryBooksTest {
    private static final CudaMemoryReport.Use W = CudaMemoryReport.Use.WEIGHTS_BF16, B = CudaMemoryReport.Use.BUFFERS_F32,
            S = CudaMemoryReport.Use.SCRATCH;

    @Test
    void peakKeepsTheSplitOfItsMoment() {
        MemoryBooks m = new MemoryBooks();
        m.book(W, 100);
        m.book(B, 50);
        m.book(S, 30);          // peak 180: 100 / 50 / 30
        m.book(S, -30);
        m.book(B, 60);          // 210: a new peak, 100 / 110 / 0
        m.book(B, -110);
        m.book(S, 20);          // 120: below the peak
        assertEquals(120, m.liveTotal());
        assertEquals(210, m.peakTotal());
        long[] peak = m.atPeak(), live = m.live();
        assertEquals(100, peak[W.ordinal()]);
        assertEquals(110, peak[B.ordinal()]);
        assertEquals(0, peak[S.ordinal()]);
        assertEquals(20, live[S.ordinal()]);
        m.resetPeak();
        assertEquals(120, m.peakTotal());
        assertArrayEquals(m.live(), m.atPeak());
    }

    @Test
    void concurrentBookingBalances() throws Exception {
        MemoryBooks m = new MemoryBooks();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<?>[] f = new Future<?>[4];
            for (int t = 0; t < 4; t++) {
                CudaMemoryReport.Use u = CudaMemoryReport.Use.values()[t];
                f[t] = pool.submit(() -> {
                    for (int i = 0; i < 10_000; i++) {
                        m.book(u, 1 + i % 7);
                        m.book(u, -(1 + i % 7));
                    }
                });
            }
            for (Future<?> x : f) x.get();
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, m.liveTotal());
        for (long b : m.live()) assertEquals(0, b);
        assertTrue(m.peakTotal() >= 1 && m.peakTotal() <= 4 * 7, "peak " + m.peakTotal());
    }

    @Test
    void reportNamesEveryUse() {
        long g = 1L << 30;
        long[] live = new long[CudaMemoryReport.Use.values().length], peak = live.clone();
        live[W.ordinal()] = 3 * g;
        peak[W.ordinal()] = 3 * g;
        peak[B.ordinal()] = g / 2;
        String s = new CudaMemoryReport(live, peak, 3 * g + g / 2, 4 * g, 5 * g, 3 * g, 4 * g, 70 * g, 80 * g).format();
        assertTrue(s.startsWith("GPU memory held by buffers and weights: 3.50 GiB at the peak, 3.00 GiB now"), s);
        for (CudaMemoryReport.Use u : CudaMemoryReport.Use.values()) assertTrue(s.contains(u.label), u + " in\n" + s);
        assertTrue(s.contains("reserved 4.00 GiB (high 5.00), in use 3.00 GiB (high 4.00)"), s);
        assertTrue(s.contains("cuMemGetInfo): 10.00 GiB used of 80.00 GiB"), s);
    }

    @Test
    void streamsSwitchTakesOneOrTwo() {
        assertTrue(CudaSwitches.parseStreams(null, "X"));
        assertTrue(CudaSwitches.parseStreams(" ", "X"));
        assertFalse(CudaSwitches.parseStreams("1", "X"));
        assertTrue(CudaSwitches.parseStreams(" 2 ", "X"));
        KernelException e = assertThrows(KernelException.class, () -> CudaSwitches.parseStreams("3", "LIVETALK_CUDA_STREAMS"));
        assertTrue(e.getMessage().startsWith("LIVETALK_CUDA_STREAMS=3: expected 1"), e.getMessage());
    }

    @Test
    void fuseSwitchTakesZeroOrOne() {
        assertTrue(CudaSwitches.parseFuse(null));
        assertTrue(CudaSwitches.parseFuse(""));
        assertTrue(CudaSwitches.parseFuse(" 1"));
        assertFalse(CudaSwitches.parseFuse("0 "));
        KernelException e = assertThrows(KernelException.class, () -> CudaSwitches.parseFuse("yes"));
        assertEquals("LIVETALK_CUDA_FUSE=yes: expected 0 (float32 operands) or 1 (bf16 operands, the default)", e.getMessage());
    }
}
