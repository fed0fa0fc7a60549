package livetalk.model.vae;

/** One entry of the encoder's {@code downsamples} or the decoder's {@code middle}/{@code upsamples}. */
interface VaeBlock {
    /** Runs the block on x and returns its output, written to workspace slot {@code outSlot} (never x's slot). */
    Activation forward(Activation x, int outSlot, Workspace ws);

    /** Forgets all streaming history. */
    void reset();

    /** Adds the modules that keep streaming history (see {@link Streaming}). */
    default void streaming(java.util.List<Streaming> out) {
    }
}
