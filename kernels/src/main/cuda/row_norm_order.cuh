// The order in which the row norms (norms.cu: layer_norm, rms_norm and their fusions) add a row,
// free of device code so that a host program checks it (kernels/src/test/cuda/row_norm_order_test.cpp,
// run by scripts/build-ptx.sh --check).
//
// The sums are those of the first form of these kernels, a block of ROW_THREADS threads per row:
// thread τ added elements τ, τ + ROW_THREADS, … in order, then block_sum added each warp's 32
// partial sums by warp_sum's butterfly and the ROW_WARPS_SUMMED warps' totals by another. The kernels
// now run a warp per row; lane l keeps ROW_WARPS_SUMMED partial sums, sum j being thread 32·j + l's.
#pragma once

#if defined(__CUDACC__)
#define ROW_HD __host__ __device__ __forceinline__
#else
#define ROW_HD inline
#endif

constexpr int ROW_THREADS = 256, ROW_WARPS_SUMMED = ROW_THREADS / 32;

// The element that lane `lane` adds into its partial sum j at the step starting at `base` (a
// multiple of ROW_THREADS): the one thread τ = 32·j + lane of the block form added there.
ROW_HD int row_norm_element(int base, int j, int lane) {
    return base + 32 * j + lane;
}
