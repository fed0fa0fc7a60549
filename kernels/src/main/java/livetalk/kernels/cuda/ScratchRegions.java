package livetalk.kernels.cuda;

/**
 * One thread's device scratch: a few regions, each grown on demand to 1.25× the request. Old
 * regions are freed stream-ordered, after the kernels already queued that read them. Per thread,
 * because two threads' ops interleave: with one stream a region shared between them could be
 * overwritten between its producer and its consumer, with two streams even more so.
 */
final class ScratchRegions {
    /** A product's operands rounded to bf16 (q, or linear's x), and attention's k and v; widened float32 copies when the generic kernel reads them. */
    static final int Q = 0, K = 1, V = 2;
    /** A convolution's input: the im2col patches, the padded clip, or the channels-last copy. */
    static final int COPY = 3;
    /** The two-product attention's scores and their bf16 softmax. */
    static final int SCORES = 4, PROBS = 5;
    /** A float32 attention output that is rounded into a bf16 out afterwards. */
    static final int ATTENTION_OUT = 6;
    /** A bf16 causal history widened for im2col. */
    static final int HISTORY = 7;
    /** The split flash attention's unnormalised parts and their row state. */
    static final int SPLIT_PARTS = 8, SPLIT_STATE = 9;
    /** The VAE norm's scale per pixel. */
    static final int NORM_SCALE = 10;

    private final CudaContext ctx;
    private final DeviceMemory[] regions = new DeviceMemory[11];

    ScratchRegions(CudaContext ctx) {
        this.ctx = ctx;
    }

    /** The device address of region {@code slot}, holding at least {@code bytes}. */
    long region(int slot, long bytes) {
        DeviceMemory m = regions[slot];
        if (m == null || m.bytes < bytes) {
            if (m != null) m.free();
            m = new DeviceMemory(ctx, bytes + bytes / 4, CudaMemoryReport.Use.SCRATCH);
            regions[slot] = m;
        }
        return m.ptr;
    }

    /** Frees every region (the next use makes it again). */
    void free() {
        for (int i = 0; i < regions.length; i++) {
            if (regions[i] != null) regions[i].free();
            regions[i] = null;
        }
    }
}
