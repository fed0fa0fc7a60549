package livetalk.kernels.cuda;

/** {@link CudaConvFastChecks} for the fast convolution on wgmma (conv_sm90.cu, {@code LIVETALK_CUDA_CONV=wgmma}); skipped, saying why, unless the device has compute capability 9.0. */
class CudaConvWgmmaTest extends CudaConvFastChecks {
    @Override
    ConvLayout layout() {
        return ConvLayout.WGMMA;
    }
}
