package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** wav2vec2's device kernels' argument lists against their PTX parameters (no GPU needed: a wrong width would show only on one, as garbage). */
class TimeConvArgsTest {
    @Test
    void argumentListsMatchTheKernels() {
        assertEquals(Arrays.toString(PtxParams.widths("elementwise", "columns_1d")),
                Arrays.toString(CudaBackend.columnsArgs(new CudaContext.Args(), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10).widths()));
        assertEquals(Arrays.toString(PtxParams.widths("norms", "channel_norm_over_time")),
                Arrays.toString(CudaBackend.channelNormArgs(new CudaContext.Args(), 1, 2, 3, 4, 1e-5f, 5, 6).widths()));
    }
}
