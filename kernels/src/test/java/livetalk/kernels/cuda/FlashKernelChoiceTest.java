package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import livetalk.kernels.KernelException;
import org.junit.jupiter.api.Test;

/**
 * How the flash attention kernel is named and chosen (no GPU needed): the values
 * LIVETALK_CUDA_ATTN and -Dlivetalk.cuda.attn accept, the error for others, and the launch
 * geometry of the wgmma kernel, which must agree with attention_sm90_layout.cuh (Fa3Layout; the
 * host layout test checks the same 230400 bytes on the C++ side).
 */
class FlashKernelChoiceTest {

    @Test
    void namesParseInAnyCaseWithDashOrUnderscore() {
        assertEquals(FlashKernel.MMA_SYNC, FlashKernel.parse("mma_sync", "X"));
        assertEquals(FlashKernel.MMA_SYNC, FlashKernel.parse(" MMA-SYNC ", "X"));
        assertEquals(FlashKernel.WGMMA, FlashKernel.parse("wgmma", "X"));
        assertEquals(FlashKernel.WGMMA, FlashKernel.parse("WGMMA", "X"));
        for (FlashKernel k : FlashKernel.values()) assertEquals(k, FlashKernel.parse(k.toString(), "X"));
    }

    @Test
    void anUnknownNameIsOneLineNamingTheSourceAndTheChoices() {
        KernelException e = assertThrows(KernelException.class, () -> FlashKernel.parse("cudnn", "LIVETALK_CUDA_ATTN"));
        assertEquals("LIVETALK_CUDA_ATTN=cudnn: expected one of mma_sync, wgmma, tma", e.getMessage());
    }

    @Test
    void wgmmaLaunchGeometryMatchesTheKernel() {
        // Q [128 × 128] + 3 K + 3 V tiles of [128 × 128] bf16, + 1 KiB alignment slack
        assertEquals(230400, CudaBackend.FLASH_SM90_SMEM);
        assertTrue(CudaBackend.FLASH_SM90_SMEM <= 232448, "fits the 227 KiB a block may opt in to on H100/H200");
        assertEquals(128, CudaBackend.FLASH_SM90_QUERIES);
        // the TMA kernel: the same, plus 13 mbarriers (Fa3TmaSchedule::COUNT), and 3 warpgroups
        assertEquals(230400 + 13 * 8, CudaBackend.FLASH_TMA_SMEM);
        assertTrue(CudaBackend.FLASH_TMA_SMEM <= 232448);
        assertEquals(384, CudaBackend.FLASH_TMA_THREADS);
    }

    @Test
    void tmaArgumentListMatchesTheKernelsParametersAndDescribesEachOperand() {
        java.util.List<java.util.List<Long>> maps = new java.util.ArrayList<>();
        CudaBackend.TensorMapEncoder record = (map, ptr, rows, cols, stride, boxRows, boxCols) ->
                maps.add(java.util.List.of(ptr, rows, cols, stride, (long) boxRows, (long) boxCols));
        int[] widths = CudaBackend.flashTmaArgs(new CudaContext.Args(), record, 100, 200, 300, 400, 1544, 1536, 3072, 15360, 12, 0.1f).widths();
        assertEquals(java.util.List.of(java.util.List.of(100L, 3072L, 1536L, 3088L, 128L, 64L), java.util.List.of(200L, 15360L, 1536L, 3088L, 128L, 64L),
                java.util.List.of(300L, 15360L, 1536L, 3088L, 128L, 64L)), maps);
        // no keys: the maps still have a row (the kernel reads none)
        maps.clear();
        CudaBackend.flashTmaArgs(new CudaContext.Args(), record, 100, 200, 300, 400, 128, 128, 5, 0, 1, 0.1f);
        assertEquals(1L, maps.get(1).get(1));
        for (String kernel : new String[]{"flash_attn_d128_tma", "flash_attn_d128_tma_bf16out"}) {
            assertEquals(java.util.Arrays.toString(PtxParams.widths("attention_sm90", kernel)), java.util.Arrays.toString(widths), kernel);
        }
    }
}
