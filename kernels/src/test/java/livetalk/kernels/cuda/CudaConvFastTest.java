package livetalk.kernels.cuda;

/** {@link CudaConvFastChecks} for the fast convolution on mma.sync (conv.cu, {@code LIVETALK_CUDA_CONV=fast}), any card from sm_80 on. */
class CudaConvFastTest extends CudaConvFastChecks {
    @Override
    ConvLayout layout() {
        return ConvLayout.FAST;
    }
}
