package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import livetalk.kernels.KernelException;
import org.junit.jupiter.api.Test;

/** The fused q/k norm and RoPE without a GPU: its switch's values and its argument list against the kernels' PTX parameters. */
class NormRopeChoiceTest {
    @Test
    void switchValues() {
        assertTrue(CudaSwitches.parseNormRope("1", "X"));
        assertFalse(CudaSwitches.parseNormRope("0", "X"));
        assertFalse(CudaSwitches.parseNormRope(null, "X"));
        assertFalse(CudaSwitches.parseNormRope(" ", "X"));
        KernelException e = assertThrows(KernelException.class, () -> CudaSwitches.parseNormRope("yes", "LIVETALK_CUDA_NORM_ROPE"));
        assertTrue(e.getMessage().startsWith("LIVETALK_CUDA_NORM_ROPE=yes: expected 0"), e.getMessage());
    }

    @Test
    void argumentListMatchesTheKernels() {
        String widths = Arrays.toString(CudaDitFusions.normRopeArgs(new CudaContext.Args(), 1, 2, 3072, 1536, 1e-6f, 3, 128, 4, 5).widths());
        for (String kernel : new String[]{"rms_norm_rope", "rms_norm_rope_bf16out"}) {
            assertEquals(Arrays.toString(PtxParams.widths("norms", kernel)), widths, kernel);
        }
        // the cross-attention's q, normed into bf16 under the same switch
        String norm = Arrays.toString(CudaNorms.rmsNormArgs(new CudaContext.Args(), 1, 2, 3072, 1536, 1e-6f, 3).widths());
        for (String kernel : new String[]{"rms_norm", "rms_norm_bf16out"}) {
            assertEquals(Arrays.toString(PtxParams.widths("norms", kernel)), norm, kernel);
        }
    }
}
