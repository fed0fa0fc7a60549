package livetalk.kernels.cuda;

import livetalk.kernels.KernelException;

/**
 * The kernels {@link CudaBackend}'s {@code linear} and {@code linearGelu} can run on
 * ({@link CudaBackend#useGemm}, {@link CudaSwitches#GEMM_ENV}). All compute the same function
 * (bf16 operands, float32 accumulation and output, the same epilogues); tests cover each and
 * bench-gpu times each. The wgmma ones run on compute capability 9.0 only (H100, H200), where
 * TMA is the default; other cards take MMA_SYNC (docs/cuda-performance.md#defaults).
 */
public enum GemmKernel {
    /** gemm_bf16_tn_k64 (gemm.cu): mma.sync, 128×128 tiles; any card from sm_80 on. */
    MMA_SYNC,
    /** The wgmma GEMM (gemm_sm90.cu) with its tile width chosen per shape ({@link LaunchGeometry#wgmmaTileN}). */
    WGMMA,
    /** The wgmma GEMM with 128×128 tiles (gemm_bf16_tn_wgmma_n128). */
    WGMMA_N128,
    /** The wgmma GEMM with 128×256 tiles (gemm_bf16_tn_wgmma_n256). */
    WGMMA_N256,
    /**
     * The wgmma GEMM fed by TMA (gemm_tma_sm90.cu: a producer warpgroup, two consumer
     * warpgroups, mbarriers), its tile width chosen per shape: the default on compute capability
     * 9.0 since run 8 (docs/cuda-performance.md#defaults).
     */
    TMA,
    /** The TMA GEMM with 128×128 tiles (gemm_bf16_tn_tma_n128). */
    TMA_N128,
    /** The TMA GEMM with 128×256 tiles (gemm_bf16_tn_tma_n256). */
    TMA_N256,
    /** The TMA GEMM with 128×96 tiles (gemm_bf16_tn_tma_n96; the same bits as mma.sync in run 10). */
    TMA_N96,
    /**
     * The TMA GEMM with its tile width (96, 128 or 256) chosen per shape by the waves each fills
     * ({@link LaunchGeometry#tmaTileByWaves}; the default on compute capability 9.0 since run 10).
     */
    TMA_WAVES;

    /** Whether this kernel runs on wgmma (compute capability 9.0 only). */
    public boolean wgmma() {
        return this != MMA_SYNC;
    }

    /** Whether this kernel's operands arrive by TMA. */
    public boolean tma() {
        return this == TMA || this == TMA_N128 || this == TMA_N256 || this == TMA_N96 || this == TMA_WAVES;
    }

    /** A name as the property or variable gives it: case-insensitive, '-' or '_' ({@code wgmma}, {@code mma-sync}). */
    public static GemmKernel parse(String value, String source) {
        String v = value.strip().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        for (GemmKernel k : values()) {
            if (k.name().equals(v)) return k;
        }
        throw new KernelException(source + "=" + value + ": expected one of mma_sync, wgmma, wgmma_n128, wgmma_n256, tma, tma_n128, tma_n256, tma_n96, tma_waves");
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
