/**
 * The OpenCL backend ({@link livetalk.kernels.opencl.OpenClBackend}), through JOCL.
 *
 * <ul>
 *   <li>Kernel sources are the {@code .cl} resources of this package, one file per family
 *       (gemm, attention, norms, elementwise, rope, vae; common.cl holds the weight loader),
 *       built into one program per backend ({@link livetalk.kernels.opencl.ClProgram}).</li>
 *   <li>Activations: {@link livetalk.kernels.opencl.ClBuf} = cl_mem + element offset + length;
 *       every kernel takes each buffer as (pointer, long offset), so views need no sub-buffers.</li>
 *   <li>Weights: {@link livetalk.kernels.opencl.ClWeight}, uploaded once in file dtype (F32, or
 *       BF16/F16 as 16-bit data widened inside the kernels by {@code ldw} in common.cl).</li>
 *   <li>Ops only enqueue on one in-order queue; data return to the host only in {@code read}.</li>
 * </ul>
 *
 * Verified on PoCL (OpenCL on the CPU) against the CPU backend; GPU performance is not measured yet.
 */
package livetalk.kernels.opencl;
