package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parameter widths every launch is held against, as PtxEntries reads them from PTX text. */
class PtxEntriesTest {
    @Test
    void readsScalarsPointersAndTensorMaps() {
        String ptx = """
                .visible .entry gemm_x(
                	.param .align 64 .b8 gemm_x_param_0[128],
                	.param .u64 .ptr .global .align 16 gemm_x_param_1,
                	.param .u32 gemm_x_param_2,
                	.param .f32 gemm_x_param_3,
                	.param .f64 gemm_x_param_4,
                	.param .u8 gemm_x_param_5
                )
                {
                	ret;
                }
                .visible .entry none(

                )
                {
                	ret;
                }
                """;
        Map<String, int[]> entries = PtxEntries.paramWidths(ptx);
        assertEquals(2, entries.size());
        assertArrayEquals(new int[] {128, 8, 4, 4, 8, 1}, entries.get("gemm_x"));
        assertArrayEquals(new int[0], entries.get("none"));
    }

    @Test
    void everyCommittedKernelHasItsParameters() {
        // the residual TMA product: two tensor maps, C, ldc, bias, biasMode, act, M, N, K, then gate, its stride, rows per frame
        assertArrayEquals(new int[] {128, 128, 8, 8, 8, 4, 4, 4, 4, 4, 8, 8, 4}, PtxParams.widths("gemm_tma_sm90", "gemm_bf16_tn_tma_n128_resid"));
        assertTrue(PtxParams.widths("norms", "layer_norm").length > 0);
    }
}
