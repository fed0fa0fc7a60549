package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The memory books on a GPU: what is freed leaves them, nothing grows over repeated blocks, the report adds up. */
class CudaMemoryTest extends CudaTestBase {

    /** One "block": buffers, a weight, scratch (products, a conv), all freed at the end. */
    private static void block(SplittableRandom rnd) {
        int rows = 512, in = 768, out = 1024;
        Buf x = cuda.upload(Props.uniform(rnd, rows * in, 1)), y = cuda.alloc((long) rows * out), kv = cuda.alloc((long) rows * out, DType.BF16);
        Weight w = cuda.weight(Tensor.wrap(Props.uniform(rnd, out * in, 0.1f), out, in)), b = cuda.weight(Tensor.wrap(Props.uniform(rnd, out, 1), out));
        cuda.linear(x, y, rows, w, b);
        cuda.toBf16(y, kv);
        int cin = 16, cout = 32, h = 40, wd = 40;
        Conv3dSpec s = Conv3dSpec.of(cin, cout, 3, 3, 3, 2, 1, 1);
        Buf c = cuda.upload(Props.uniform(rnd, 2 * cin * h * wd, 1)), co = cuda.alloc((long) 2 * cout * h * wd);
        Weight cw = cuda.weight(Tensor.wrap(Props.uniform(rnd, (int) s.weightSize(), 0.1f), cout, cin, 3, 3, 3));
        cuda.conv3d(null, 0, c, 2, h, wd, co, s, cw, null);
        cuda.read(co.view(0, 16));
        for (Buf f : new Buf[] {x, y, kv, c, co}) cuda.free(f);
        for (Weight f : new Weight[] {w, b, cw}) cuda.release(f);
        cuda.trimMemory();
    }

    @Test
    void memoryReturnsToBaselineOverBlocks() throws Exception {
        System.gc();
        Thread.sleep(200);           // let the cleaner free what earlier tests dropped
        long base = cuda.liveBytes();
        SplittableRandom rnd = new SplittableRandom(61);
        block(rnd);
        long afterOne = cuda.liveBytes();
        for (int i = 0; i < 20; i++) block(rnd);
        long afterMany = cuda.liveBytes();
        assertTrue(afterOne <= base, "one block leaves " + (afterOne - base) + " bytes");
        assertTrue(afterMany <= afterOne, "20 more blocks grow the books by " + (afterMany - afterOne) + " bytes");
        cuda.synchronize();
        cuda.trimMemory();
        CudaMemoryReport r = cuda.memoryReport();
        assertTrue(r.peak() >= r.liveTotal(), r.format());
        long peakSum = 0;
        for (long p : r.atPeak()) peakSum += p;
        assertEquals(r.peak(), peakSum, r.format());
        // the pool, trimmed after each block, holds about what is live (its granularity is 2 MiB chunks)
        assertTrue(r.poolReserved() <= r.poolUsed() + (64L << 20), r.format());
        System.out.print(r.format());
    }

    @Test
    void freeingAViewFreesItsBufferOnce() throws Exception {
        System.gc();
        Thread.sleep(200);
        long base = cuda.liveBytes();
        Buf b = cuda.alloc(1 << 20);
        assertEquals(base + (4L << 20), cuda.liveBytes());
        cuda.free(b.view(100, 1000));
        assertEquals(base, cuda.liveBytes());
        cuda.free(b);                 // a second free of the same memory does nothing
        assertEquals(base, cuda.liveBytes());
    }
}
