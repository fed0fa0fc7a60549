package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import livetalk.kernels.KernelException;
import livetalk.kernels.cuda.CudaBackend.GemmKernel;
import org.junit.jupiter.api.Test;

/**
 * How the GEMM kernel is named and chosen (no GPU needed): the values LIVETALK_CUDA_GEMM and
 * -Dlivetalk.cuda.gemm accept, the error for others, the shared memory the wgmma kernels ask for,
 * and the tile width {@link GemmKernel#WGMMA} picks.
 */
class GemmKernelChoiceTest {

    @Test
    void namesParseInAnyCaseWithDashOrUnderscore() {
        assertEquals(GemmKernel.MMA_SYNC, GemmKernel.parse("mma_sync", "X"));
        assertEquals(GemmKernel.MMA_SYNC, GemmKernel.parse(" MMA-SYNC ", "X"));
        assertEquals(GemmKernel.WGMMA, GemmKernel.parse("wgmma", "X"));
        assertEquals(GemmKernel.WGMMA_N128, GemmKernel.parse("wgmma_n128", "X"));
        assertEquals(GemmKernel.WGMMA_N256, GemmKernel.parse("Wgmma-N256", "X"));
        for (GemmKernel k : GemmKernel.values()) assertEquals(k, GemmKernel.parse(k.toString(), "X"));
    }

    @Test
    void anUnknownNameIsOneLineNamingTheSourceAndTheChoices() {
        KernelException e = assertThrows(KernelException.class, () -> GemmKernel.parse("cublas", "LIVETALK_CUDA_GEMM"));
        assertEquals("LIVETALK_CUDA_GEMM=cublas: expected one of mma_sync, wgmma, wgmma_n128, wgmma_n256", e.getMessage());
    }

    @Test
    void wgmmaSharedMemoryFitsTheHopperOptIn() {
        // 227 KiB per block on H100 and H200 (cudaDevAttrMaxSharedMemoryPerBlockOptin)
        for (int bn : new int[]{128, 256}) assertTrue(CudaBackend.wgmmaSmem(bn) <= 232448, "BN " + bn);
        assertEquals(5 * 32768 + 1024, CudaBackend.wgmmaSmem(128));
        assertEquals(4 * 49152 + 1024, CudaBackend.wgmmaSmem(256));
    }

    @Test
    void tileWidthFollowsTheWaveCount() {
        int sms = 132;
        // DiT shapes, M = 3072 tokens
        assertEquals(128, CudaBackend.wgmmaTileN(GemmKernel.WGMMA, 3072, 1536, sms));
        assertEquals(256, CudaBackend.wgmmaTileN(GemmKernel.WGMMA, 3072, 8960, sms));
        assertEquals(128, CudaBackend.wgmmaTileN(GemmKernel.WGMMA, 5, 8960, sms));
        // forced widths
        assertEquals(128, CudaBackend.wgmmaTileN(GemmKernel.WGMMA_N128, 3072, 8960, sms));
        assertEquals(256, CudaBackend.wgmmaTileN(GemmKernel.WGMMA_N256, 5, 7, sms));
    }
}
