package livetalk.kernels.cuda;

/**
 * The short-softmax ping-pong kernel with the keys split (flash_attn_d128_tma_split_pp_fastexp and
 * the merge) under every test of {@link CudaFlashSplitTest}, with its bounds. A class and a JVM of
 * its own in the GPU check. Skipped, saying why, off Hopper.
 */
class CudaFlashSplitFastExpTest extends CudaFlashSplitTest {
    @Override
    FlashKernel kernel() {
        return FlashKernel.TMA_PINGPONG_FASTEXP;
    }
}
