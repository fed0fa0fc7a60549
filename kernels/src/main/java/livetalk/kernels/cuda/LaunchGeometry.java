package livetalk.kernels.cuda;

/**
 * The CUDA kernels' launch geometry and the rules that choose it, as pure functions of the shape
 * and the device (its multiprocessors, its shared memory): tile widths and heights, key splits,
 * k steps, and each kernel family's shared memory, which must match the figures its .cuh layout
 * gives (the host layout tests check the same numbers on the C++ side). {@link CudaBackend}
 * launches with them; the choice tests hold them without a GPU.
 */
final class LaunchGeometry {
    private LaunchGeometry() {
    }

    /** Rows of a wgmma or TMA GEMM block tile: 2 warpgroups of 64. */
    static final int WGMMA_BM = 128;

    /** Two stages of a 64-key K and V tile, rows padded by 8 bf16 (attention.cu). */
    static int flashSmem(int headDim) {
        return 2 * 2 * 64 * (headDim + 8) * 2;
    }

    /** Queries per block of the wgmma flash attention: 2 warpgroups of 64 (attention_sm90.cu). */
    static final int FLASH_SM90_QUERIES = 128;

    /**
     * The wgmma flash attention's shared memory (attention_sm90_layout.cuh, Fa3Layout::SMEM_BYTES):
     * a 128×128 bf16 Q tile and rings of 3 K and 3 V tiles of 128 keys, unpadded (128-byte
     * swizzle), 7 × 32 KiB, plus 1 KiB to round the window up to the swizzle's 1024-byte alignment:
     * 230400 of the 232448 an H100 or H200 allows a block.
     */
    static final int FLASH_SM90_SMEM = 7 * 128 * 128 * 2 + 1024;

    /**
     * The TMA flash attention (flash_attn_d128_tma): the same tiles and slack plus 13 mbarriers of
     * 8 bytes (attention_sm90_layout.cuh, Fa3TmaSchedule::SMEM_BYTES), 384 threads (two computing
     * warpgroups and the producer warpgroup).
     */
    static final int FLASH_TMA_SMEM = FLASH_SM90_SMEM + 13 * 8, FLASH_TMA_THREADS = 384;

    /** The most key ranges LIVETALK_CUDA_ATTN_SPLIT may ask for. */
    static final int MAX_FLASH_SPLITS = 8;

    /** Key tiles (of 128) a split keeps at least, so that its pipeline's fill and drain stay small against its work. */
    static final int MIN_TILES_PER_SPLIT = 8;

    /**
     * The key ranges for {@code nq} queries over {@code nk} keys in {@code heads} heads on
     * {@code sms} multiprocessors (one TMA flash block per SM): the fewest, up to 4, whose blocks
     * fill their last wave at least 90 % (at the DiT's 288 blocks on 132 SMs: 3, 6.5 waves in 7,
     * against 2.2 in 3 unsplit), else the one that fills it best; never so many that a range holds
     * fewer than {@link #MIN_TILES_PER_SPLIT} key tiles. A first rule, for bench-gpu to replace.
     */
    static int flashSplits(int nq, int nk, int heads, int sms) {
        long blocks = (long) ((nq + FLASH_SM90_QUERIES - 1) / FLASH_SM90_QUERIES) * heads;
        int tiles = (nk + 127) / 128, most = Math.min(4, tiles / MIN_TILES_PER_SPLIT);
        int best = 1;
        double bestFill = 0;
        for (int s = 1; s <= Math.max(1, most); s++) {
            double waves = (double) (blocks * s) / sms, fill = waves / Math.ceil(waves);
            if (fill >= 0.9) return s;
            if (fill > bestFill + 1e-9) {
                bestFill = fill;
                best = s;
            }
        }
        return best;
    }

    /**
     * Shared memory of the mma.sync kernels (gemm_tn.cuh) at k step {@code depth}: three stages of
     * a 128 × depth A tile and a 128 × depth B tile (TN), or a depth × 128 B tile (NN, the implicit
     * convolution), rows padded by 8 bf16. At 64: 110592 and 107520 bytes; at 32: 61440 and 56832.
     */
    static int gemmSmem(int depth) {
        return 3 * (128 + 128) * (depth + 8) * 2;
    }

    static int gemmNnSmem(int depth) {
        return 3 * (128 * (depth + 8) + depth * 136) * 2;
    }

    /**
     * The k step of the mma.sync kernels for a device that allows a block {@code smemOptin} bytes of
     * shared memory: 64 (faster on an H200, run 3) where both its kernels fit (H100, H200, A100), else
     * 32 (compute capability 8.6 and 8.9 allow 99 KB: RTX 30 and 40 series, A10, A40, L4, L40S).
     */
    static int gemmDepthFor(int smemOptin) {
        return smemOptin >= Math.max(gemmSmem(64), gemmNnSmem(64)) ? 64 : 32;
    }

    /** The wgmma convolution's kernels by tile width (conv_sm90.cu). */
    static final int[] CONV_WGMMA_TILE_N = {32, 96, 192};

    /**
     * Shared memory of a wgmma-convolution block (conv_sm90_layout.cuh, ConvSm90Ring::SMEM_BYTES): 5
     * stages of a 128-position × 64 tile and a tileN-channel × 64 tile of bf16, unpadded (128-byte
     * swizzle), plus 1 KiB to round the window up to 1024 bytes: 103424, 144384 and 205824 bytes.
     */
    static int convWgmmaSmem(int tileN) {
        return 5 * (128 + tileN) * 64 * 2 + 1024;
    }

    /**
     * The wgmma convolution's tile width for {@code cout} output channels: 32 up to 32 channels,
     * else whichever of 96 and 192 leaves fewer idle channels (96 → 96, 200 → 96·3); on a tie (192,
     * 384, 768) 192, whose wider tile reads each position's operand for more channels, unless its
     * grid ({@code blocksPerTile} blocks per channel tile, one block per SM) would not fill the
     * device twice over; then 96 (the 64×64 stages: 66 blocks of 192 on 132 SMs, 132 of 96).
     */
    static int convWgmmaTileN(int cout, long blocksPerTile, int sms) {
        if (cout <= 32) return 32;
        long tiles192 = (cout + 191) / 192, idle96 = (cout + 95) / 96 * 96 - cout, idle192 = tiles192 * 192 - cout;
        if (idle96 != idle192) return idle96 < idle192 ? 96 : 192;
        return tiles192 * blocksPerTile >= 2L * sms ? 192 : 96;
    }

    /**
     * Shared memory of a TMA-convolution block (conv_tma_sm90_layout.cuh, ConvTmaRing::SMEM_BYTES): 8
     * stages (5 at tileN = 192) of the 128-position × 64 box and the tileN-channel × 64 box, two
     * 8-byte barriers per stage and 1 KiB to round the window up to 1024 bytes: 164992, 230528 and
     * 205904 bytes. Its tiles are the wgmma convolution's ({@link #CONV_WGMMA_TILE_N}, {@link #convWgmmaTileN}).
     */
    static int convTmaSmem(int tileN) {
        int stages = tileN == 192 ? 5 : 8;
        return stages * (128 + tileN) * 64 * 2 + 16 * stages + 1024;
    }

    /** The fast convolution's GEMM kernels by tile height (conv.cu), and their shared memory. */
    static final int[] CONV_TILE_M = {32, 96, 128};

    /**
     * Shared memory of a fast-convolution GEMM block (conv_layout.cuh, ConvTile::SMEM_BYTES): 3
     * stages of a tileM×64 weight tile and a 128×64 input tile, rows padded by 8 bf16. 69120,
     * 96768 and 110592 bytes: two blocks fit an SM of an H100 or H200 at every height (ptxas
     * keeps the kernels within 128 registers for that: __launch_bounds__(256, 2)).
     */
    static int convSmem(int tileM) {
        return 3 * (tileM + ConvFastGeometry.TILE_N) * 72 * 2;
    }

    /**
     * The fast convolution's tile height for {@code cout} output channels: 32 up to 32 channels (the
     * image head's 3, the latent convs' 16), else whichever of 96 and 128 leaves fewer idle rows in
     * the last row tile (96 → 96, 192 → 96 with none idle instead of a quarter). On a tie (384, 768:
     * whole tiles either way) 128, whose larger tile reads fewer operand bytes per FLOP, unless its
     * grid ({@code blocksPerRowTile} blocks per row tile) would not fill the device twice over at
     * two blocks per SM; then 96, for more blocks (the 64×64 stages: 99 blocks of 128 rows on 132
     * SMs, 132 of 96). A first rule, for bench-vae's profile to replace.
     */
    static int convTileM(int cout, long blocksPerRowTile, int sms) {
        if (cout <= 32) return 32;
        long idle96 = (cout + 95) / 96 * 96 - cout, tiles128 = (cout + 127) / 128, idle128 = tiles128 * 128 - cout;
        if (idle96 != idle128) return idle96 < idle128 ? 96 : 128;
        return tiles128 * blocksPerRowTile >= 4L * sms ? 128 : 96;
    }

    /**
     * The TMA GEMM's shared memory (gemm_tma_sm90.cu): the wgmma GEMM's ring with 8 stages at BN = 96,
     * 6 at BN = 128 and 4 at BN = 256, the 1 KiB of alignment slack, and two 8-byte barriers per stage
     * after the ring: 230528, 197728 and 197696 bytes.
     */
    static int tmaSmem(int bn) {
        int stages = bn == 96 ? 8 : bn == 128 ? 6 : 4;
        return stages * (WGMMA_BM + bn) * 64 * 2 + 1024 + 16 * stages;
    }

    /**
     * The TMA tile width for {@link GemmKernel#TMA_WAVES}: of 96, 128 and 256, the one whose tiles
     * finish soonest if a tile's time grows with its width plus a fixed 32 columns' worth (its A
     * tile, prologue and epilogue) and the tiles run in whole waves of one per SM; on a tie the wider.
     * A first rule, for bench-gpu's queued figures to replace. At M = 3072 on 132 SMs: N = 1536 takes
     * 96 (384 tiles, 3 waves of 128 against 288 tiles in 3 waves of 160 for 128), N = 8960 takes 256
     * (840 tiles, 7 waves).
     */
    static int tmaTileByWaves(int m, int n, int multiprocessors) {
        return tmaTileByWaves(m, n, multiprocessors, 256);
    }

    /** As above, of the widths up to {@code maxN} (the ping-pong kernels exist up to 128). */
    static int tmaTileByWaves(int m, int n, int multiprocessors, int maxN) {
        int best = 96;
        long bestCost = Long.MAX_VALUE;
        for (int bn : new int[]{256, 128, 96}) {
            if (bn > maxN) continue;
            long tiles = (long) ((m + WGMMA_BM - 1) / WGMMA_BM) * ((n + bn - 1) / bn);
            long cost = (tiles + multiprocessors - 1) / multiprocessors * (bn + 32);
            if (cost < bestCost) {
                bestCost = cost;
                best = bn;
            }
        }
        return best;
    }

    /**
     * The wgmma GEMM's shared memory (gemm_sm90.cu): per stage a 128×64 A tile and a BN×64 B tile
     * of bf16, unpadded (the 128-byte swizzle avoids bank conflicts), 5 stages at BN = 128 and 4 at
     * BN = 256, plus 1 KiB to round the window up to the 1024-byte alignment the swizzle needs:
     * 164864 and 197632 bytes (an H100 or H200 allows 232448).
     */
    static int wgmmaSmem(int bn) {
        int stages = bn == 128 ? 5 : 4;
        return stages * (WGMMA_BM + bn) * 64 * 2 + 1024;
    }

    /**
     * The blocks of a persistent TMA GEMM over {@code tiles} tiles: one per SM (its ring takes the
     * SM's shared memory), fewer when there are fewer tiles.
     */
    static int persistentBlocks(long tiles, int multiprocessors) {
        return (int) Math.max(1, Math.min(tiles, multiprocessors));
    }

    /**
     * The wgmma tile width for {@link GemmKernel#WGMMA}: 256 (fewer operand bytes per FLOP) when
     * its tiles fill at least 4 waves of the device, so the last, partial wave costs little;
     * otherwise 128, whose twice as many tiles spread better. A first rule, to be replaced by what
     * bench-gpu measures: at the DiT shapes (M = 3072) it gives 128 for N = 1536 (144 tiles of
     * 128×256 would be 1.1 waves on 132 SMs) and 256 for N = 8960 (840 tiles, 6.4 waves).
     */
    static int wgmmaTileN(GemmKernel kernel, int m, int n, int multiprocessors) {
        return wgmmaTileN(kernel, m, n, multiprocessors, 256);
    }

    /**
     * As above, a width the kernel chooses itself ({@link GemmKernel#TMA}, {@link GemmKernel#TMA_WAVES})
     * taken from those up to {@code maxN}: with the TMA GEMM's ping-pong schedule, 128, so that the
     * FFN's 8960-wide products run ping-pong kernels rather than 256-wide persistent ones (run 11's
     * bench-gpu: 433 TFLOP/s at 128 in ping-pong, 355 at 256). A width named by the kernel stays.
     */
    static int wgmmaTileN(GemmKernel kernel, int m, int n, int multiprocessors, int maxN) {
        if (kernel == GemmKernel.WGMMA_N128 || kernel == GemmKernel.TMA_N128) return 128;
        if (kernel == GemmKernel.WGMMA_N256 || kernel == GemmKernel.TMA_N256) return 256;
        if (kernel == GemmKernel.TMA_N96) return 96;
        if (kernel == GemmKernel.TMA_WAVES) return tmaTileByWaves(m, n, multiprocessors, maxN);
        long tiles256 = (long) ((m + WGMMA_BM - 1) / WGMMA_BM) * ((n + 255) / 256);
        return Math.min(tiles256 >= 4L * multiprocessors ? 256 : 128, maxN);
    }
}
