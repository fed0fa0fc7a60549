package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import livetalk.kernels.Buf;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/**
 * The split-key TMA flash attention with its computing warpgroups in ping-pong
 * (flash_attn_d128_tma_split_pp) under every test of {@link CudaFlashSplitTest}, and bit for bit
 * against the split kernel without the ping-pong. A class and a JVM of its own in the GPU check.
 * Skipped, saying why, off Hopper.
 */
class CudaFlashSplitPingPongTest extends CudaFlashSplitTest {
    @Override
    FlashKernel kernel() {
        return FlashKernel.TMA_PINGPONG;
    }

    @Test
    void sameBitsAsTheSplitTmaKernel() {
        org.junit.jupiter.api.Assumptions.assumeTrue(cuda.flashWgmmaUnavailableReason() == null, "TMA flash attention not available");
        Props.forAll("cuda flash split ping-pong = split", 8, 331, rnd -> {
            int heads = 1 + rnd.nextInt(3), nq = 1 + rnd.nextInt(300), nk = 129 + rnd.nextInt(2400), w = heads * 128;
            Buf q = cuda.upload(Props.uniform(rnd, nq * w, 1)), k = cuda.upload(Props.uniform(rnd, nk * w, 1));
            Buf v = cuda.upload(Props.uniform(rnd, nk * w, 1)), o = cuda.alloc((long) nq * w);
            float scale = (float) (1 / Math.sqrt(128));
            float[][] got = new float[2][];
            FlashKernel[] order = {FlashKernel.TMA, FlashKernel.TMA_PINGPONG};
            for (int i = 0; i < 2; i++) {
                cuda.useFlash(order[i]);
                cuda.fill(o, Float.NaN);
                cuda.attention(q, k, v, o, nq, nk, heads, 128, scale, null);
                got[i] = cuda.read(o);
            }
            assertArrayEquals(got[0], got[1], "split ping-pong vs split TMA, " + nq + " queries, " + nk + " keys, " + heads + " heads");
        });
    }
}
