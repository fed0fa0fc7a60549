package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import livetalk.kernels.PatchGrid;
import org.junit.jupiter.api.Test;

/**
 * Argument lists against their kernels' PTX parameters (no GPU needed: a wrong width would show
 * only on one, as garbage): wav2vec2's device kernels, and the sampler's step.
 */
class KernelArgsTest {
    @Test
    void argumentListsMatchTheKernels() {
        assertEquals(Arrays.toString(PtxParams.widths("elementwise", "columns_1d")),
                Arrays.toString(CudaElementwise.columnsArgs(new CudaContext.Args(), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10).widths()));
        assertEquals(Arrays.toString(PtxParams.widths("norms", "channel_norm_over_time")),
                Arrays.toString(CudaNorms.channelNormArgs(new CudaContext.Args(), 1, 2, 3, 4, 1e-5f, 5, 6).widths()));
    }

    @Test
    void theSamplerStepsArgumentListsMatchTheKernels() {
        PatchGrid g = new PatchGrid(3, 8, 8, 2, 2);
        assertEquals(Arrays.toString(PtxParams.widths("sampler", "patchify")),
                Arrays.toString(CudaSamplerOps.patchifyArgs(new CudaContext.Args(), 1, 2, 3, 4, 5, 6, 7, g).widths()));
        assertEquals(Arrays.toString(PtxParams.widths("sampler", "unpatchify")),
                Arrays.toString(CudaSamplerOps.unpatchifyArgs(new CudaContext.Args(), 1, 2, 3, g).widths()));
        assertEquals(Arrays.toString(PtxParams.widths("sampler", "subtract_scaled")),
                Arrays.toString(CudaSamplerOps.subtractScaledArgs(new CudaContext.Args(), 1, 0.5, 2, 3, 4).widths()));
    }
}
