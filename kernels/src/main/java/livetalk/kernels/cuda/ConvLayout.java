package livetalk.kernels.cuda;

import livetalk.kernels.KernelException;

/**
 * {@link CudaBackend}'s ways of forming conv3d's GEMM ({@link CudaBackend#useConvLayout},
 * {@link CudaSwitches#CONV_ENV}). All compute the same function from the same bf16 products
 * with float32 accumulation: K_MAJOR and IMPLICIT sum the depth in the weight's own order
 * (channel-major, k = c·taps + tap), FAST, WGMMA and TMA tap-major (k = tap·cp + c), so their
 * results equal the others' up to float32 summation order (TMA gives WGMMA's bits). Tests cover each.
 */
public enum ConvLayout {
    /** im2col_kn_bf16 writes [K, pixels] (coalesced), gemm_bf16_nn_k64 reads it transposed. */
    K_MAJOR,
    /**
     * No patch matrix: pad_frames_bf16 makes a zero-padded bf16 copy of the clip and
     * conv_implicit_k64 gathers each tap from it inside the GEMM (stride-1 convolutions;
     * others use K_MAJOR).
     */
    IMPLICIT,
    /**
     * The fast stride-1 path (conv.cu; the default below compute capability 9.0): conv_pad_cl makes a
     * channels-last padded bf16 copy, so that every tap's operand chunk is an aligned 16-byte
     * cp.async, and conv_cl_m32/_m96/_m128 run the plain GEMM's pipeline on it in tiles of 32,
     * 96 or 128 output channels (cout = 96 and 192 fill whole tiles). Other strides use K_MAJOR.
     * Selected with {@code LIVETALK_CUDA_CONV=fast} or {@link CudaBackend#useConvLayout}.
     */
    FAST,
    /**
     * FAST's copy and weight with the product on Hopper's wgmma (conv_sm90.cu, compute
     * capability 9.0 only, where it is the default): positions on M, output channels on
     * N in tiles of 32, 96 or 192, the wgmma GEMM's pipeline. Other strides use K_MAJOR.
     * Selected with {@code LIVETALK_CUDA_CONV=wgmma}.
     */
    WGMMA,
    /**
     * WGMMA's product with its operands fed by TMA (conv_tma_sm90.cu, compute capability 9.0 only;
     * opt-in, written without a GPU and not yet run on one): a producer warpgroup loads one tap's
     * 64 channels per k-tile as a box of the copy, two consumer warpgroups run WGMMA's wgmma and
     * epilogue; the same bits. Convolutions whose copy has a channel count not a multiple of 16
     * run WGMMA's kernel, strided ones K_MAJOR. Selected with {@code LIVETALK_CUDA_CONV=tma}.
     */
    TMA,
    /**
     * TMA's kernels in their persistent form (conv_tma_sm90.cu's _persistent ones; opt-in, written
     * without a GPU): one block per SM walks the block tiles, loading the next one while it stores
     * the last; the same bits. Selected with {@code LIVETALK_CUDA_CONV=tma_persistent}.
     */
    TMA_PERSISTENT,
    /**
     * TMA_PERSISTENT with each consumer warpgroup owning whole tiles, the two taking turns at the
     * tensor cores, one's epilogue under the other's products (conv_tma_sm90.cu's _pingpong
     * kernels; opt-in, written without a GPU); tiles up to 96 channels wide, 192-wide ones take the
     * persistent kernels. The same bits. Selected with {@code LIVETALK_CUDA_CONV=tma_pingpong}.
     */
    TMA_PINGPONG;

    /** Whether this layout runs stride-1 convolutions on the channels-last copy (conv.cu). */
    boolean channelsLast() {
        return this == FAST || this == WGMMA || tma();
    }

    /** Whether this layout feeds the wgmma convolution by TMA (conv_tma_sm90.cu), a block per tile or persistent. */
    boolean tma() {
        return this == TMA || this == TMA_PERSISTENT || this == TMA_PINGPONG;
    }

    /** How the TMA layouts' blocks take the convolution's tiles (TILES for every other layout). */
    TmaTileSchedule schedule() {
        return this == TMA_PERSISTENT ? TmaTileSchedule.PERSISTENT : this == TMA_PINGPONG ? TmaTileSchedule.PINGPONG : TmaTileSchedule.TILES;
    }

    /** A name as the property or variable gives it: case-insensitive, '-' or '_' ({@code fast}, {@code k-major}). */
    public static ConvLayout parse(String value, String source) {
        String v = value.strip().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        for (ConvLayout l : values()) {
            if (l.name().equals(v)) return l;
        }
        throw new KernelException(source + "=" + value + ": expected one of implicit, fast, wgmma, tma, tma_persistent, tma_pingpong, k_major");
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
