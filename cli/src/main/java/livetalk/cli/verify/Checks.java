package livetalk.cli.verify;

import java.util.List;
import java.util.Set;

/** The registry of golden checks, in the order {@code verify} runs them. */
public final class Checks {
    private Checks() {
    }

    /** Weight files that checks read as model inputs rather than as traces to compare. */
    public static final Set<String> WEIGHT_FILES = Set.of("dit_tiny", "vae_tiny", "t5_tiny", "wav2vec_tiny", "wav2vec_tiny_ctc");

    public static List<GoldenCheck> all() {
        return List.of(
                new AudioInterpCheck(),
                new DitForwardCheck(),
                new RolloutCheck("causal_rollout"),
                new RolloutCheck("causal_rollout_small_window"),
                new RolloutCheck("causal_rollout_bf16steps"),
                new VaeEncodeCheck(),
                new VaeDecodeCheck(),
                new RolloutVaeCheck(),
                new RolloutEndToEndCheck(),
                new T5ForwardCheck(),
                new Wav2VecForwardCheck(),
                new TokenizerCheck());
    }
}
