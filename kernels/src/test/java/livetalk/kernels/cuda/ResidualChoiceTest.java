package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import livetalk.kernels.KernelException;
import org.junit.jupiter.api.Test;

/** The residual epilogue without a GPU: its switch's values and its argument list against the _resid kernels' PTX parameters. */
class ResidualChoiceTest {
    @Test
    void switchValues() {
        assertTrue(CudaSwitches.parseResidual("1", "X"));
        assertFalse(CudaSwitches.parseResidual("0", "X"));
        assertFalse(CudaSwitches.parseResidual(null, "X"));
        assertFalse(CudaSwitches.parseResidual("", "X"));
        KernelException e = assertThrows(KernelException.class, () -> CudaSwitches.parseResidual("2", "LIVETALK_CUDA_RESIDUAL"));
        assertTrue(e.getMessage().startsWith("LIVETALK_CUDA_RESIDUAL=2: expected 0"), e.getMessage());
    }

    @Test
    void argumentListMatchesTheKernels() {
        TensorMapEncoder none = (map, ptr, rows, cols, stride, boxRows, boxCols, swizzle) -> { };
        String widths = Arrays.toString(CudaGemm.residualArgs(CudaGemm.tmaGemmArgs(new CudaContext.Args(), none, 1000, 1536, 2000, 1536, 3000,
                1536, 4000, 1, false, 3072, 1536, 1536, 128), 5000, 9216, 1024).widths());
        for (String kernel : new String[]{"gemm_bf16_tn_tma_n96_resid", "gemm_bf16_tn_tma_n128_resid", "gemm_bf16_tn_tma_n256_resid"}) {
            assertEquals(Arrays.toString(PtxParams.widths("gemm_tma_sm90", kernel)), widths, kernel);
        }
    }
}
