package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import livetalk.kernels.KernelException;
import livetalk.kernels.cuda.CudaBackend.FlashKernel;
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
        assertEquals("LIVETALK_CUDA_ATTN=cudnn: expected one of mma_sync, wgmma", e.getMessage());
    }

    @Test
    void wgmmaLaunchGeometryMatchesTheKernel() {
        // Q [128 × 128] + 3 K + 3 V tiles of [128 × 128] bf16, + 1 KiB alignment slack
        assertEquals(230400, CudaBackend.FLASH_SM90_SMEM);
        assertTrue(CudaBackend.FLASH_SM90_SMEM <= 232448, "fits the 227 KiB a block may opt in to on H100/H200");
        assertEquals(128, CudaBackend.FLASH_SM90_QUERIES);
    }
}
