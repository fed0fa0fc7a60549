package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import livetalk.kernels.Buf;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/**
 * The TMA flash attention with its two computing warpgroups in ping-pong (flash_attn_d128_tma_pp:
 * only the order in which they issue their products changes) under every test of
 * {@link CudaFlashWgmmaTest}, and bit for bit against the TMA kernel. A class of its own so that
 * the GPU check runs it in a JVM of its own: a barrier that never completes cannot take the
 * validated kernels with it. Skipped, saying why, off Hopper. Without a GPU its turn-taking is
 * played by attention_pingpong_test.cpp.
 */
class CudaFlashPingPongTest extends CudaFlashWgmmaTest {
    @Override
    FlashKernel kernel() {
        return FlashKernel.TMA_PINGPONG;
    }

    @Test
    void sameBitsAsTheTmaKernel() {
        org.junit.jupiter.api.Assumptions.assumeTrue(cuda.flashWgmmaUnavailableReason() == null, "wgmma flash attention not available");
        Props.forAll("cuda flash tma ping-pong = tma", 12, 313, rnd -> {
            int heads = 1 + rnd.nextInt(3), nq = 1 + rnd.nextInt(400), nk = 1 + rnd.nextInt(1700), w = heads * 128;
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
            assertArrayEquals(got[0], got[1], "ping-pong vs TMA, " + nq + " queries, " + nk + " keys, " + heads + " heads");
        });
    }
}
