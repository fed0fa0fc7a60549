package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import livetalk.tensor.DType;
import org.junit.jupiter.api.Test;

/**
 * With no switch set, a CUDA backend runs the fastest kernels its device can
 * (docs/cuda-performance.md#defaults): the TMA GEMM and attention and the wgmma convolution where the sm_90a
 * modules load (compute capability 9.0), mma.sync and the channels-last convolution elsewhere, and
 * bf16 operands everywhere; the VAE's fused norm, the DiT's fused passes and the GEMM's persistent kernels are off. Skipped where a switch is set, since the switch wins.
 */
class CudaDefaultsTest extends CudaTestBase {

    private static void requireNoSwitch() {
        for (String env : new String[]{CudaSwitches.GEMM_ENV, CudaSwitches.ATTN_ENV, CudaSwitches.CONV_ENV, CudaSwitches.FUSE_ENV,
                CudaSwitches.VAE_FUSE_ENV, CudaSwitches.NORM_ROPE_ENV, CudaSwitches.NORM_MOD_ENV, CudaSwitches.RESIDUAL_ENV,
                CudaSwitches.GEMM_PERSISTENT_ENV}) {
            assumeTrue(System.getenv(env) == null, env + " is set");
        }
        for (String p : new String[]{CudaSwitches.GEMM_PROPERTY, CudaSwitches.ATTN_PROPERTY, CudaSwitches.CONV_PROPERTY,
                CudaSwitches.VAE_FUSE_PROPERTY, CudaSwitches.NORM_ROPE_PROPERTY, CudaSwitches.NORM_MOD_PROPERTY, CudaSwitches.RESIDUAL_PROPERTY,
                CudaSwitches.GEMM_PERSISTENT_PROPERTY}) {
            assumeTrue(System.getProperty(p) == null, p + " is set");
        }
    }

    @Test
    void theDeviceFastestKernelsAreTheDefault() {
        requireNoSwitch();
        GemmKernel gemm = cuda.tmaGemmUnavailableReason() == null ? GemmKernel.TMA
                : cuda.wgmmaUnavailableReason() == null ? GemmKernel.WGMMA : GemmKernel.MMA_SYNC;
        assertEquals(gemm, cuda.gemmKernel());
        assertEquals(cuda.flashWgmmaUnavailableReason() == null ? FlashKernel.TMA : FlashKernel.MMA_SYNC, cuda.flashKernel());
        assertEquals(cuda.convUnavailableReason(ConvLayout.WGMMA) == null ? ConvLayout.WGMMA : ConvLayout.FAST, cuda.convLayout());
        assertEquals(DType.BF16, cuda.operandDtype());
        // the VAE's norm fused into the convolution's copy: written without a GPU, off until a run validates it
        assertEquals(false, cuda.vaeFuse());
        // likewise the DiT's fused passes and the GEMM's persistent kernels
        assertEquals(false, cuda.ditFusions().normRope());
        assertEquals(false, cuda.ditFusions().normMod());
        assertEquals(false, cuda.ditFusions().residualEpilogue());
        assertEquals(TmaTileSchedule.TILES, cuda.gemmSchedule());
    }
}
