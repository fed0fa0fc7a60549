/**
 * Reading a GPU check's logs back ({@code scripts/gpu-check.sh run}) and deciding, by the rules of
 * docs/cuda-performance.md ("The next GPU run"), which switches written without a GPU a run has
 * shown to be correct and faster. Used by {@code gpu-verdicts}.
 */
package livetalk.cli.gpucheck;
