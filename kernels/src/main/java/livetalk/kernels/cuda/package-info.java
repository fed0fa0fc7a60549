/**
 * The CUDA backend ({@link livetalk.kernels.cuda.CudaBackend}): the NVIDIA driver API through FFM,
 * CUDA C kernels committed as PTX, bf16 tensor-core products with float32 accumulation
 * (docs/kernels.md#backend-contract). Reached through {@link livetalk.kernels.Backends} with
 * {@code --device cuda}; code outside {@code kernels} uses the {@link livetalk.kernels.Backend} interface.
 */
package livetalk.kernels.cuda;
