package livetalk.model.dit;

import livetalk.testkit.DitWeights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

class CausalDitTest {
    private final Backend be = new CpuBackend();

    /** The clean-pass shortcut (skip the last layer's attention/FFN and the head) leaves the same cache as a full call. */
    @Test
    void refreshCacheWritesTheSameKvAsAFullForward() {
        Props.forAll("refresh-cache", 4, 31, rnd -> {
            int layers = 2 + rnd.nextInt(3);
            DitConfig cfg = new DitConfig(64, 48, layers, 2, 33, 16, 1, 2, 2, 8, 16, 6, 4, 8, 1, 1e-6, 10000);
            CausalDit dit = new CausalDit(be, DitWeights.checkpoint(cfg, rnd.nextLong(), DType.F32), cfg);
            int h = 4, w = 2, f = 1 + rnd.nextInt(3), per = dit.frameSeqLength(h, w);
            TextCache text = dit.encodeText(Props.normal(rnd, 3 * cfg.textDim()), 3);
            float[] x = Props.normal(rnd, f * 16 * h * w), y = Props.normal(rnd, 17 * f * h * w);
            float[] audio = Props.normal(rnd, f * cfg.dim()), t = new float[f];
            long start = 0;                   // a fresh cache starts at the video start (docs/sampler.md#kv-cache)
            CausalDit.Input in = new CausalDit.Input(x, y, f, h, w, t, audio, start);
            KvCache a = dit.newKvCache(per, f, 0, DType.F32), b = dit.newKvCache(per, f, 0, DType.F32);
            dit.forward(in, a, text);
            dit.refreshCache(in, b, text);
            for (int l = 0; l < layers; l++) {
                assertArrayEquals(be.read(a.keys(l)), be.read(b.keys(l)));
                assertArrayEquals(be.read(a.values(l)), be.read(b.values(l)));
            }
        });
    }
}
