package livetalk.cli.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.kernels.Weight;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

class OpTimesTest {
    private final CpuBackend cpu = new CpuBackend(1);

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextDouble(-1, 1);
        return a;
    }

    @Test
    void countsCallsAndTheProductsAndAttentionsFlopsOnlyWhileStarted() {
        SplittableRandom r = new SplittableRandom(7);
        int rows = 5, in = 12, out = 9, nq = 4, nk = 6, heads = 2, d = 8;
        Weight w = cpu.weight(Tensor.wrap(random(r, out * in), out, in));
        OpTimes times = new OpTimes();
        Backend be = times.wrap(cpu);
        Buf x = be.upload(random(r, rows * in)), y = be.alloc((long) rows * out);
        Buf q = be.upload(random(r, nq * heads * d)), k = be.upload(random(r, nk * heads * d)), v = be.upload(random(r, nk * heads * d));
        Buf o = be.alloc((long) nq * heads * d);

        be.linear(x, y, rows, w, null);                     // before start: not recorded
        times.start();
        be.linear(x, y, rows, w, null);
        be.linear(x, y, rows, w, null);
        be.attention(q, k, v, o, nq, nk, heads, d, 0.3f, null);
        be.silu(y, y);
        times.stop();
        be.attention(q, k, v, o, nq, nk, heads, d, 0.3f, null);   // after stop: not recorded

        var byOp = new java.util.HashMap<String, OpTimes.Entry>();
        for (OpTimes.Entry e : times.entries()) byOp.put(e.op(), e);
        assertEquals(java.util.Set.of("linear", "attention", "silu"), byOp.keySet());
        assertEquals(2, byOp.get("linear").calls());
        assertEquals(2 * 2.0 * rows * out * in, byOp.get("linear").flops());
        assertEquals(1, byOp.get("attention").calls());
        assertEquals(4.0 * nq * nk * heads * d, byOp.get("attention").flops());
        assertEquals(0, byOp.get("silu").flops());
        assertTrue(byOp.get("linear").seconds() > 0);
        String table = times.report(1.0, 100.0);
        assertTrue(table.contains("linear") && table.contains("(outside the ops)"), table);
    }

    /**
     * A convolution's FLOPs: 2·cin·taps per output element, counted from the spec and the frames
     * the call sees (history included), taps on front padding left out, against counts written out by hand: 3 → 5 channels,
     * 3×3×3, padded to keep 6×8, one frame with 2 of history: 3 frames in, 1 out.
     */
    @Test
    void countsAConvolutionsFlopsFromItsSpecAndFrames() {
        livetalk.kernels.Conv3dSpec s = livetalk.kernels.Conv3dSpec.of(3, 5, 3, 3, 3, 0, 1, 1);
        // 1 × 6 × 8 outputs × 5 channels = 240 outputs, each 3 channels × 27 taps = 81 products: 2·240·81
        assertEquals(38880.0, OpTimes.convFlops(2, 1, 6, 8, s));
        // the stream's first frame: 2 frames of front padding, so 1 of the 3 time taps reads a frame
        assertEquals(12960.0, OpTimes.convFlops(0, 1, 6, 8, s.withPadFront(2)));
        // two frames, padding 2: output frame 0 has 1 real tap, frame 1 has 2
        assertEquals(12960.0 * 3, OpTimes.convFlops(0, 2, 6, 8, s.withPadFront(2)));
    }

    @Test
    void theWrappedBackendGivesTheSameResultsAndThrowsTheSameErrors() {
        SplittableRandom r = new SplittableRandom(11);
        int rows = 3, in = 7, out = 5;
        Weight w = cpu.weight(Tensor.wrap(random(r, out * in), out, in));
        float[] xs = random(r, rows * in);
        Backend be = new OpTimes().wrap(cpu);
        Buf y1 = cpu.alloc((long) rows * out), y2 = cpu.alloc((long) rows * out);
        cpu.linear(cpu.upload(xs), y1, rows, w, null);
        be.linear(be.upload(xs), y2, rows, w, null);
        assertArrayEquals(cpu.read(y1), be.read(y2));
        // the op's own exception, not the proxy's InvocationTargetException
        assertThrows(KernelException.class, () -> be.linear(be.upload(xs), be.alloc(1), rows, w, null));
    }
}
