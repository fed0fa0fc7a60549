package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The row norms' launches without a GPU: a warp per row, so the grid covers every row with the
 * fewest blocks, and layer_norm's argument list matches its kernels' PTX (rms_norm's and the
 * fused ones' are NormRopeChoiceTest's and NormModChoiceTest's).
 */
class RowNormLaunchTest {
    @Test
    void everyRowHasAWarpAndNoBlockIsIdle() {
        assertEquals(8, CudaNorms.ROWS_PER_BLOCK);
        for (int rows = 1; rows <= 5000; rows++) {
            int blocks = CudaNorms.rowGrid(rows);
            assertTrue((long) blocks * CudaNorms.ROWS_PER_BLOCK >= rows, rows + " rows, " + blocks + " blocks");
            assertTrue((long) (blocks - 1) * CudaNorms.ROWS_PER_BLOCK < rows, rows + " rows, " + blocks + " blocks: the last is idle");
        }
        assertEquals(384, CudaNorms.rowGrid(3072));   // the DiT's rows per block of 3 latent frames
    }

    @Test
    void layerNormArgumentsMatchTheKernels() {
        String widths = Arrays.toString(CudaNorms.layerNormArgs(new CudaContext.Args(), 1, 2, 3072, 1536, 1e-6f, 3, 4).widths());
        for (String kernel : new String[]{"layer_norm", "layer_norm_bf16out"}) {
            assertEquals(Arrays.toString(PtxParams.widths("norms", kernel)), widths, kernel);
        }
    }
}
