package livetalk.kernels.cuda;

import org.junit.jupiter.api.BeforeEach;
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
    /** The key split (by shape, the default with the TMA attention) rounds otherwise: these tests compare unsplit kernels bit for bit. */
    @BeforeEach
    void unsplit() {
        if (cuda != null) cuda.useFlashSplits(1);
    }

    @Override
    FlashKernel kernel() {
        return FlashKernel.TMA_PINGPONG;
    }

    @Test
    void sameBitsAsTheTmaKernel() {
        sameBits(FlashKernel.TMA, FlashKernel.TMA_PINGPONG, "cuda flash tma ping-pong = tma", 12, 313, 1, 1700);
    }
}
