package livetalk.model.vae;

import java.util.List;

/**
 * A decoder module that keeps history between the chunks of a streaming decode (a causal conv's
 * last frames, an upsampler's first-chunk flag). The history can be handed over and put back, so
 * several decoding sessions (live sessions) share one loaded VAE, each with its own history: the
 * VAE swaps the references in when another session decodes, without copying any data.
 */
interface Streaming {
    /** The current history, as an opaque value this module can take back in {@link #restoreHistory}. */
    Object saveHistory();

    /** Puts back a history from {@link #saveHistory}; {@code null} gives a fresh, empty one (new buffers on first use). */
    void restoreHistory(Object history);

    static Object[] saveAll(List<Streaming> modules) {
        Object[] h = new Object[modules.size()];
        for (int i = 0; i < h.length; i++) h[i] = modules.get(i).saveHistory();
        return h;
    }

    /**
     * Frees the device buffers of a history from {@link #saveHistory} that no module holds any
     * more (a decoding session that ended): device memory is not returned by a collection soon enough.
     */
    void freeHistory(Object history);

    /** Device bytes of the history this module holds now. */
    default long historyBytes() {
        return 0;
    }

    /** {@code histories == null}: every module fresh. */
    static void restoreAll(List<Streaming> modules, Object[] histories) {
        for (int i = 0; i < modules.size(); i++) modules.get(i).restoreHistory(histories == null ? null : histories[i]);
    }
}
