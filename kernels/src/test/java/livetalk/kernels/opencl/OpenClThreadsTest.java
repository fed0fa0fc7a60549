package livetalk.kernels.opencl;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Ops called from several threads at once (the streaming pipeline decodes on a second thread while
 * the DiT runs): every thread must get exactly what it gets alone, although the kernel objects,
 * which hold their arguments, are shared.
 */
class OpenClThreadsTest extends OpenClTestBase {
    @Test
    void concurrentCallersGetTheirOwnResults() throws Exception {
        int threads = 3, rounds = 40, rows = 20, in = 48, out = 40;
        Weight[] w = new Weight[threads];
        float[][] x = new float[threads][];
        float[][] expected = new float[threads][];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(71);
        for (int t = 0; t < threads; t++) {
            Tensor wt = Tensor.wrap(Props.uniform(rnd, out * in, 1), out, in).to(DType.BF16);
            w[t] = cl.weight(wt);
            x[t] = Props.uniform(rnd, rows * in, 1);
            Buf y = cpu.alloc((long) rows * out);
            cpu.linear(cpu.upload(x[t]), y, rows, cpu.weight(wt), null);
            cpu.gelu(y, y, true);
            cpu.add(y, y, y);
            expected[t] = cpu.read(y);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                results.add(pool.submit(() -> {
                    Buf xb = cl.upload(x[id]), y = cl.alloc((long) rows * out);
                    float[] last = null;
                    for (int r = 0; r < rounds; r++) {
                        cl.linear(xb, y, rows, w[id], null);
                        cl.gelu(y, y, true);
                        cl.add(y, y, y);
                        if (r % 10 == 9) last = cl.read(y);
                    }
                    return last;
                }));
            }
            for (int t = 0; t < threads; t++) {
                Props.assertClose(expected[t], results.get(t).get(), 1e-5, "thread " + t);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
