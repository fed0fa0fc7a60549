package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import livetalk.tensor.DType;
import org.junit.jupiter.api.Test;

/**
 * With no switch set, a CUDA backend runs the fastest kernels its device can
 * (docs/cuda-performance.md#defaults): where the sm_90a modules load (compute capability 9.0) the TMA
 * GEMM with its tile width by waves in its persistent kernels, the TMA attention in ping-pong with its
 * keys split by shape, and the TMA convolution in ping-pong; mma.sync and the channels-last
 * convolution elsewhere; everywhere bf16 operands and the VAE's norm fused into the convolutions'
 * copy, and the DiT's norms fused with RoPE and with the modulation; the residual epilogue off.
 * Skipped where a switch is set, since the switch wins.
 */
class CudaDefaultsTest extends CudaTestBase {

    private static void requireNoSwitch() {
        for (String env : new String[]{CudaSwitches.GEMM_ENV, CudaSwitches.ATTN_ENV, CudaSwitches.CONV_ENV, CudaSwitches.FUSE_ENV,
                CudaSwitches.VAE_FUSE_ENV, CudaSwitches.NORM_ROPE_ENV, CudaSwitches.NORM_MOD_ENV, CudaSwitches.RESIDUAL_ENV,
                CudaSwitches.GEMM_PERSISTENT_ENV, CudaSwitches.ATTN_SPLIT_ENV}) {
            assumeTrue(System.getenv(env) == null, env + " is set");
        }
        for (String p : new String[]{CudaSwitches.GEMM_PROPERTY, CudaSwitches.ATTN_PROPERTY, CudaSwitches.CONV_PROPERTY,
                CudaSwitches.VAE_FUSE_PROPERTY, CudaSwitches.NORM_ROPE_PROPERTY, CudaSwitches.NORM_MOD_PROPERTY, CudaSwitches.RESIDUAL_PROPERTY,
                CudaSwitches.GEMM_PERSISTENT_PROPERTY, CudaSwitches.ATTN_SPLIT_PROPERTY}) {
            assumeTrue(System.getProperty(p) == null, p + " is set");
        }
    }

    @Test
    void theDeviceFastestKernelsAreTheDefault() {
        requireNoSwitch();
        boolean hopper = cuda.tmaGemmUnavailableReason() == null;
        GemmKernel gemm = hopper ? GemmKernel.TMA_WAVES : cuda.wgmmaUnavailableReason() == null ? GemmKernel.WGMMA : GemmKernel.MMA_SYNC;
        assertEquals(gemm, cuda.gemmKernel());
        assertEquals(hopper ? TmaTileSchedule.PERSISTENT : TmaTileSchedule.TILES, cuda.gemmSchedule());
        boolean tmaAttention = cuda.flashWgmmaUnavailableReason() == null;
        assertEquals(tmaAttention ? FlashKernel.TMA_PINGPONG : FlashKernel.MMA_SYNC, cuda.flashKernel());
        assertEquals(tmaAttention ? 0 : 1, cuda.flashSplitSetting());
        ConvLayout conv = cuda.convUnavailableReason(ConvLayout.TMA_PINGPONG) == null ? ConvLayout.TMA_PINGPONG
                : cuda.convUnavailableReason(ConvLayout.WGMMA) == null ? ConvLayout.WGMMA : ConvLayout.FAST;
        assertEquals(conv, cuda.convLayout());
        assertEquals(DType.BF16, cuda.operandDtype());
        assertEquals(true, cuda.vaeFuse());
        // the DiT's fused passes: the norms on (run 11), the residual epilogue off (slower there)
        assertEquals(true, cuda.ditFusions().normRope());
        assertEquals(true, cuda.ditFusions().normMod());
        assertEquals(false, cuda.ditFusions().residualEpilogue());
    }
}
