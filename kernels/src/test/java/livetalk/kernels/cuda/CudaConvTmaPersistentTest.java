package livetalk.kernels.cuda;

/**
 * {@link CudaConvTmaTest}'s checks on the TMA convolution's persistent kernels
 * ({@code LIVETALK_CUDA_CONV=tma_persistent}; written without a GPU, passed on an H200 in run 10): one block
 * per SM walking the block tiles, each tile's products and epilogue the plain kernel's, so again
 * the wgmma convolution's bits. A class of its own, run in a JVM of its own by the GPU check
 * (tests-conv-tma-persistent): a ring that never comes round hangs, and shows as that step's timeout.
 */
class CudaConvTmaPersistentTest extends CudaConvTmaTest {
    @Override
    ConvLayout layout() {
        return ConvLayout.TMA_PERSISTENT;
    }
}
