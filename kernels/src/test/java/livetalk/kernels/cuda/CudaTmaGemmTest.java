package livetalk.kernels.cuda;

/**
 * The TMA GEMM (gemm_tma_sm90.cu: a producer warpgroup feeding two consumer warpgroups
 * through mbarriers) under every test of {@link CudaWgmmaTest}: the CPU reference on ragged
 * shapes, the DiT shapes against mma.sync, bf16 outputs bit for bit the rounded float32 ones.
 * A class of its own so that the GPU check runs it in a JVM of its own: a fault or a hang of the
 * newest kernel cannot take the validated ones with it. Skipped, saying why, off Hopper.
 */
class CudaTmaGemmTest extends CudaWgmmaTest {
    @Override
    GemmKernel[] tiles() {
        return new GemmKernel[]{GemmKernel.TMA_N128, GemmKernel.TMA_N256, GemmKernel.TMA_N96, GemmKernel.TMA_WAVES};
    }

    @Override
    GemmKernel auto() {
        return GemmKernel.TMA;
    }
}
