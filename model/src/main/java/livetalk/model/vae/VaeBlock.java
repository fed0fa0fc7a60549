package livetalk.model.vae;

/** One entry of the encoder's {@code downsamples} or the decoder's {@code middle}/{@code upsamples}. */
interface VaeBlock {
    /** Runs the block on x and returns its output, written to workspace slot {@code outSlot} (never x's slot). */
    Activation forward(Activation x, int outSlot, Workspace ws);

    /** Forgets all streaming history. */
    void reset();

    /**
     * Frees the device memory the block holds between calls (its history buffers) and drops its
     * weights' device copies; the next call starts with an empty history and makes them again.
     * For a tower that is done (the encoder after the reference encode): never for the decoder,
     * whose history buffers saved sessions may still hold.
     */
    void release();

    /** Adds the modules that keep streaming history (see {@link Streaming}). */
    default void streaming(java.util.List<Streaming> out) {
    }
}
