package livetalk.cli.verify;

import livetalk.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import livetalk.io.Checkpoint;
import livetalk.model.dit.AudioProjection;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.TextCache;
import livetalk.sampler.CausalInference;
import livetalk.tensor.Tensor;

/**
 * What the two rollout checks ({@link RolloutCheck}, {@link RolloutEndToEndCheck}) read from a
 * {@code causal_rollout} trace alike: the block settings, the stand-in wav2vec hidden states,
 * the prompt's text cache, the recorded re-noise draws, and the initial noise cut into blocks in
 * the order the block loop consumes it (docs/sampler.md#block-loop).
 */
final class RolloutTrace {
    final Checkpoint file;
    final Map<String, Object> meta;
    final CausalInference.Settings settings;
    /** {@code cat(last, hs0..hsN)} stacked per audio frame, and how many audio frames; null and 0 when the set has no wav2vec states. */
    final float[] audioFeatures;
    final int audioFrames;
    final TextCache text;
    /** The recorded re-noise draws {@code rng_000, rng_001, …}, in draw order. */
    final List<float[]> draws;

    @SuppressWarnings("unchecked")
    RolloutTrace(GoldenDir dir, String stem, CausalDit dit) {
        file = dir.file(stem);
        meta = dir.json(stem);
        Map<String, Object> rc = (Map<String, Object>) meta.get("rollout_config");
        int sink = meta.containsKey("sink_size") ? num(meta, "sink_size") : num(rc, "sink_size");
        // A float32 cache: the golden data is float32, and its tolerances leave no room for bf16 storage
        // (docs/numerics.md#tolerances; the cost of bf16 is measured by Bf16KvCostTest).
        settings = new CausalInference.Settings(num(rc, "num_frame_per_block"), num(rc, "local_attn_size"), sink, DType.F32);

        if (file.contains("wav2vec_last_hidden_state")) {
            List<float[]> parts = new ArrayList<>();
            Tensor last = file.get("wav2vec_last_hidden_state");     // [1, L, H]
            audioFrames = (int) last.dim(1);
            parts.add(last.toFloatArray());
            for (int i = 0; file.contains("wav2vec_hidden_states_" + i); i++) parts.add(dir.floats(stem, "wav2vec_hidden_states_" + i));
            audioFeatures = AudioProjection.stackFeatures(parts, audioFrames);
        } else {
            audioFrames = 0;
            audioFeatures = null;
        }

        Tensor prompt = dir.tensor(stem, "prompt_embeds");        // [1, L, textDim]
        text = dit.encodeText(prompt.toFloatArray(), (int) prompt.dim(1));

        draws = new ArrayList<>();
        for (int i = 0; file.contains(String.format("rng_%03d", i)); i++) draws.add(dir.floats(stem, String.format("rng_%03d", i)));
    }

    /** The initial noise {@code [1, F, C, h, w]} cut into blocks of {@code perBlock} frames: the reference draws it up front. */
    List<float[]> initialNoiseBlocks() {
        Tensor noise = file.contains("noise") ? file.get("noise") : null;
        if (noise == null) throw new GoldenDir.Missing("tensor 'noise' is not in " + file.path().getFileName());
        int perBlock = settings.framesPerBlock();
        int blockSize = perBlock * (int) (noise.numel() / noise.dim(1)), blocks = (int) noise.dim(1) / perBlock;
        float[] all = noise.toFloatArray();
        List<float[]> out = new ArrayList<>();
        for (int b = 0; b < blocks; b++) out.add(Arrays.copyOfRange(all, b * blockSize, (b + 1) * blockSize));
        return out;
    }

    int num(String section, String key) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = section == null ? meta : (Map<String, Object>) meta.get(section);
        return num(m, key);
    }

    static int num(Map<String, Object> m, String key) {
        if (m != null && m.get(key) instanceof Number n) return n.intValue();
        throw new livetalk.io.CheckpointException("golden metadata: '" + key + "' missing or not a number");
    }
}
