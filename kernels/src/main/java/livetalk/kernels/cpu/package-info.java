/**
 * The CPU backend: scalar reference kernels and the Vector API kernels tested against them, on one
 * fork-join pool sized when a {@link livetalk.kernels.cpu.CpuBackend} is built (docs/kernels.md#kernel-families).
 * Code outside {@code kernels} should reach it through {@link livetalk.kernels.Backend}; benchmarks and
 * tests may use the kernels directly.
 */
package livetalk.kernels.cpu;
