package livetalk.kernels.cuda;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import livetalk.kernels.Buf;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Two threads issuing ops at once (as the streaming pipeline does) each get their own results. */
class CudaThreadsTest extends CudaTestBase {

    @Test
    void twoThreadsDoNotCorruptEachOther() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?>[] f = new Future<?>[2];
            for (int t = 0; t < 2; t++) {
                long seed = 500 + t;
                f[t] = pool.submit(() -> Props.forAll("cuda threads " + seed, 8, seed, rnd -> {
                    int rows = 50 + rnd.nextInt(200), in = 64 + rnd.nextInt(200), out = 30 + rnd.nextInt(200);
                    float[] w = Props.uniform(rnd, out * in, 1), x = Props.uniform(rnd, rows * in, 1);
                    Buf yc = cpu.alloc((long) rows * out), yg = cuda.alloc((long) rows * out);
                    cpu.linear(cpu.upload(bf16(x)), yc, rows, cpu.weight(Tensor.wrap(bf16(w), out, in)), null);
                    cpu.silu(yc, yc);
                    for (int rep = 0; rep < 3; rep++) {
                        cuda.linear(cuda.upload(x), yg, rows, cuda.weight(Tensor.wrap(w, out, in)), null);
                        cuda.silu(yg, yg);
                    }
                    Props.assertClose(cpu.read(yc), cuda.read(yg), 1e-5, "threaded linear+silu");
                }));
            }
            for (Future<?> x : f) x.get();
        } finally {
            pool.shutdownNow();
        }
    }
}
