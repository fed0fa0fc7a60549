package livetalk.kernels.cuda;

import livetalk.kernels.KernelException;

/**
 * The kernels {@link CudaBackend}'s attention can run its flash path (head size 64 or 128, no
 * bias) on ({@link CudaBackend#useFlash}, {@link CudaSwitches#ATTN_ENV}). All compute the same
 * function (bf16 q, k, v and P, float32 scores, softmax and accumulation, the same masking of
 * ragged shapes); tests cover each and bench-gpu times each. The wgmma ones exist for head size
 * 128 only (64 stays on mma.sync) and run on compute capability 9.0 only (H100, H200), where
 * TMA is the default; other cards take MMA_SYNC (docs/cuda-performance.md#defaults).
 */
public enum FlashKernel {
    /** flash_attn_d128 / _d64 (attention.cu): FlashAttention-2 on mma.sync; any card from sm_80 on. */
    MMA_SYNC,
    /** flash_attn_d128_sm90 (attention_sm90.cu): FlashAttention-3's scheme on wgmma, head size 128. */
    WGMMA,
    /**
     * flash_attn_d128_tma (attention_sm90.cu): WGMMA's computation with q, k and v copied by
     * TMA from a producer warpgroup (the same bits, run 9), faster: the default on compute
     * capability 9.0.
     */
    TMA,
    /**
     * flash_attn_d128_tma_pp (attention_sm90.cu): TMA's kernel with its two computing warpgroups
     * taking turns to issue their products (FlashAttention-3's ping-pong), so that one's softmax
     * runs beside the other's products: the same bits as TMA. Written without a GPU (2026-11-28);
     * run 10 gave it TMA's bits and 5.5 % off the forward: the default on compute capability 9.0 since.
     */
    TMA_PINGPONG,
    /**
     * flash_attn_d128_tma_pp_fastexp (attention_sm90.cu): TMA_PINGPONG with a shorter softmax, one
     * fma per exponent into an ex2 that flushes subnormal results, the mask only on the last key
     * tile: about half the instructions per logit besides the exponential, and not TMA_PINGPONG's
     * bits (the wgmma kernels' bounds). Written without a GPU (2026-11-29); opt-in.
     */
    TMA_PINGPONG_FASTEXP;

    /** Whether this kernel's q, k and v come by TMA (the tensor-map argument list). */
    public boolean tma() {
        return this == TMA || this == TMA_PINGPONG || this == TMA_PINGPONG_FASTEXP;
    }

    /** Whether this kernel runs on wgmma (compute capability 9.0 only). */
    public boolean wgmma() {
        return this != MMA_SYNC;
    }

    /** A name as the property or variable gives it: case-insensitive, '-' or '_' ({@code wgmma}, {@code mma-sync}). */
    public static FlashKernel parse(String value, String source) {
        String v = value.strip().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        for (FlashKernel k : values()) {
            if (k.name().equals(v)) return k;
        }
        throw new KernelException(source + "=" + value + ": expected one of "
                + java.util.Arrays.stream(values()).map(FlashKernel::toString).collect(java.util.stream.Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
