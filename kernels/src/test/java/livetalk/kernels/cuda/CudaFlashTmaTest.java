package livetalk.kernels.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The TMA flash attention (flash_attn_d128_tma: the wgmma kernel's computation with q, k and v
 * copied by TMA from a producer warpgroup) under every test of {@link CudaFlashWgmmaTest}, and bit for
 * bit against the wgmma kernel, whose code it shares apart from the loads. A class of its own so
 * that the GPU check runs it in a JVM of its own: a fault, or a barrier that never completes,
 * cannot take the validated kernels with it. Skipped, saying why, off Hopper.
 */
class CudaFlashTmaTest extends CudaFlashWgmmaTest {
    /** The key split (by shape, the default with the TMA attention) rounds otherwise: these tests compare unsplit kernels bit for bit. */
    @BeforeEach
    void unsplit() {
        if (cuda != null) cuda.useFlashSplits(1);
    }

    @Override
    FlashKernel kernel() {
        return FlashKernel.TMA;
    }

    @Test
    void sameBitsAsTheWgmmaKernel() {
        sameBits(FlashKernel.WGMMA, FlashKernel.TMA, "cuda flash tma = wgmma", 12, 311, 1, 700);
    }
}
