package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The mma.sync kernels' k step per device (no GPU needed): 64 where a block may have the 111 KB
 * both of its kernels need, else 32, which fits the 99 KB of compute capability 8.6 and 8.9
 * cards (cudaDevAttrMaxSharedMemoryPerBlockOptin: 232448 on H100/H200, 166912 on A100, 101376
 * on RTX 30/40, A10, A40, L4, L40S). Before the k32 kernels, a CUDA backend could not be built on
 * the 99 KB cards at all.
 */
class GemmDepthChoiceTest {

    @Test
    void sharedMemoryPerKStep() {
        assertEquals(110592, LaunchGeometry.gemmSmem(64));
        assertEquals(107520, LaunchGeometry.gemmNnSmem(64));
        assertEquals(61440, LaunchGeometry.gemmSmem(32));
        assertEquals(56832, LaunchGeometry.gemmNnSmem(32));
    }

    @Test
    void depthFollowsTheDevicesSharedMemory() {
        assertEquals(64, LaunchGeometry.gemmDepthFor(232448));   // H100, H200
        assertEquals(64, LaunchGeometry.gemmDepthFor(166912));   // A100
        assertEquals(32, LaunchGeometry.gemmDepthFor(101376));   // sm_86, sm_89
        assertEquals(32, LaunchGeometry.gemmDepthFor(110591));   // one byte short of the TN kernel's 110592
        assertTrue(Math.max(LaunchGeometry.gemmSmem(32), LaunchGeometry.gemmNnSmem(32)) <= 101376, "the k32 kernels fit the 99 KB cards");
    }
}
