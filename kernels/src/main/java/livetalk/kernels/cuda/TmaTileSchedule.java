package livetalk.kernels.cuda;

/**
 * How the blocks of a TMA kernel take its tiles: the GEMM's ({@code LIVETALK_CUDA_GEMM_PERSISTENT};
 * docs/cuda-performance.md#the-tma-gemms-persistent-kernels) and the VAE convolution's
 * ({@link ConvLayout#schedule}). Every schedule gives the same bits: each tile's products, sums and
 * epilogue are the same instructions; only who runs them, and when, differs. A kernel's name is
 * its plain kernel's with {@link #infixFor} after the tile width.
 */
public enum TmaTileSchedule {
    /** A block per tile: the default. */
    TILES("", "a block per tile"),
    /** One block per SM walking its tiles: the next tile's loads run under the last one's epilogue. */
    PERSISTENT("_persistent", "a block per SM walking its tiles"),
    /**
     * As {@link #PERSISTENT}, each consumer warpgroup owning whole tiles, the two taking turns at the
     * tensor cores: one's epilogue runs under the other's products. Tiles up to 128 wide (a
     * warpgroup holds a whole tile's accumulator); wider ones (the GEMM's 256, the convolution's
     * 192) take {@link #PERSISTENT}'s kernels.
     */
    PINGPONG("_pingpong", "the same, its two consumers taking whole tiles in turns");

    /** The widest tile the ping-pong kernels exist for. */
    static final int PINGPONG_MAX_TILE_N = 128;

    private final String infix;
    private final String meaning;

    TmaTileSchedule(String infix, String meaning) {
        this.infix = infix;
        this.meaning = meaning;
    }

    /** The kernel name's infix for tiles {@code bn} wide. */
    String infixFor(int bn) {
        return this == PINGPONG && bn > PINGPONG_MAX_TILE_N ? PERSISTENT.infix : infix;
    }

    /**
     * The schedule a launch of {@code tiles} tiles on {@code multiprocessors} SMs takes: the
     * ping-pong's where some block gets two tiles or more, else the persistent one. With one tile a
     * block (tiles ≤ SMs, the grid being min(tiles, SMs)) the ping-pong's second consumer would
     * idle and the first would run the whole tile with nothing under its epilogue; the persistent
     * kernel splits that tile's rows between both consumers. The same bits either way.
     */
    TmaTileSchedule forTiles(long tiles, int multiprocessors) {
        return this == PINGPONG && tiles <= multiprocessors ? PERSISTENT : this;
    }

    /** The widest tile a width chosen by shape may take under this schedule: its own kernels' widest. */
    int maxTileN() {
        return this == PINGPONG ? PINGPONG_MAX_TILE_N : 256;
    }

    /** Whether the launch takes one block per SM rather than one per tile. */
    boolean persistent() {
        return this != TILES;
    }

    /** What the schedule does, in a few words (the switch's error message). */
    String meaning() {
        return meaning;
    }
}
