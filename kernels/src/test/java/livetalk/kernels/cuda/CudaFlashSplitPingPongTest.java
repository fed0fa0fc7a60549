package livetalk.kernels.cuda;

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

    /** With the keys split (this class's setting), ping-pong or not. */
    @Test
    void sameBitsAsTheSplitTmaKernel() {
        sameBits(FlashKernel.TMA, FlashKernel.TMA_PINGPONG, "cuda flash split ping-pong = split", 8, 331, 129, 2528);
    }
}
