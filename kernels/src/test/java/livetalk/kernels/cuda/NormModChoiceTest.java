package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import livetalk.kernels.KernelException;
import org.junit.jupiter.api.Test;

/** The fused layer norm and modulation without a GPU: its switch's values and its argument list against the kernels' PTX parameters. */
class NormModChoiceTest {
    @Test
    void switchValues() {
        assertTrue(CudaSwitches.parseNormMod("1", "X"));
        assertTrue(CudaSwitches.parseNormMod(" 1 ", "X"));
        assertFalse(CudaSwitches.parseNormMod("0", "X"));
        assertFalse(CudaSwitches.parseNormMod(null, "X"));
        assertFalse(CudaSwitches.parseNormMod(" ", "X"));
        KernelException e = assertThrows(KernelException.class, () -> CudaSwitches.parseNormMod("on", "LIVETALK_CUDA_NORM_MOD"));
        assertTrue(e.getMessage().startsWith("LIVETALK_CUDA_NORM_MOD=on: expected 0"), e.getMessage());
    }

    @Test
    void argumentListMatchesTheKernels() {
        String widths = Arrays.toString(CudaDitFusions.normModArgs(new CudaContext.Args(), 1, 2, 3, 9216, 4, 3072, 1024, 1536, 1e-6f).widths());
        for (String kernel : new String[]{"layer_norm_modulate_frames", "layer_norm_modulate_frames_bf16out"}) {
            assertEquals(Arrays.toString(PtxParams.widths("norms", kernel)), widths, kernel);
        }
    }
}
