package livetalk.kernels.cuda;

/**
 * {@link CudaConvTmaTest}'s checks on the TMA convolution's ping-pong kernels
 * ({@code LIVETALK_CUDA_CONV=tma_pingpong}; written without a GPU, passed on an H200 in run 10; the default on compute capability 9.0 since): each
 * consumer warpgroup owning whole block tiles, the two in turns, each tile's products and epilogue
 * the plain kernel's, so again the wgmma convolution's bits (192-wide tiles run the persistent
 * kernels). A class of its own, run in a JVM of its own by the GPU check (tests-conv-tma-pingpong):
 * a turn that never passes hangs, and shows as that step's timeout.
 */
class CudaConvTmaPingPongTest extends CudaConvTmaTest {
    @Override
    ConvLayout layout() {
        return ConvLayout.TMA_PINGPONG;
    }
}
