package livetalk.model.vae;

import livetalk.testkit.VaeWeights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import java.util.SplittableRandom;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/**
 * The same latents decode to the same bits on every call, whatever the JIT tier or thread count:
 * generation must be byte-reproducible for a given seed.
 */
class VaeDeterminismTest {
    @Test
    void repeatedDecodesAreBitIdentical() {
        for (int threads : new int[] {1, 2}) {
            CpuBackend be = new CpuBackend(threads);
            SplittableRandom r = new SplittableRandom(3);
            VaeConfig cfg = new VaeConfig(3, 16, List.of(1, 2, 4, 4), 1, List.of(false, true, true));
            WanVae vae = WanVae.load(VaeWeights.checkpoint(VaeWeights.generate(cfg, 5)), be);
            float[] z = Props.normal(r, 4 * 16 * 2 * 3);
            float[] a = vae.decodeRaw(z, 4, 2, 3);
            for (int i = 0; i < 5; i++) assertArrayEquals(a, vae.decodeRaw(z, 4, 2, 3), "threads " + threads + " run " + i);
            float[] b = vae.decoder(2, 3).pushRaw(java.util.Arrays.copyOf(z, 16 * 6), 1);
            float[] c = vae.decodeRaw(java.util.Arrays.copyOf(z, 16 * 6), 1, 2, 3);
            assertArrayEquals(c, b, "first frame");
        }
        new CpuBackend();   // back to all cores for the tests that follow in this JVM
    }
}
