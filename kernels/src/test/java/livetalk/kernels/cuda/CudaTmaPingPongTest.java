package livetalk.kernels.cuda;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The TMA GEMM's ping-pong kernels (LIVETALK_CUDA_GEMM_PERSISTENT=pingpong: a consumer warpgroup
 * per whole tile, the two in turns) against a block per tile on the same device, bit for bit, with
 * {@link CudaTmaPersistentTest}'s shapes, widths (the 256-wide tiles take the persistent kernels)
 * and epilogues. A class of its own so that the GPU check runs it in a JVM of its own: a turn
 * that never passes hangs, and shows as that step's timeout. Skipped, saying why, off Hopper;
 * GemmPersistentChoiceTest checks the argument lists and gemm_sm90_layout_test.cpp the turn-taking
 * without a GPU.
 */
class CudaTmaPingPongTest extends CudaTestBase {
    @AfterEach
    void restore() {
        CudaTmaPersistentTest.restoreDefaults(cuda);
    }

    @Test
    void pingPongKernelsGiveThePlainKernelsBits() {
        CudaTmaPersistentTest.sameBitsAsAblockPerTile(cuda, TmaTileSchedule.PINGPONG);
    }
}
