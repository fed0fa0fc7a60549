package livetalk.cli.verify;

import java.util.List;
import livetalk.io.audio.FeatureNormalizer;
import livetalk.kernels.Backend;
import livetalk.model.audio.Wav2Vec2;

/**
 * {@code wav2vec_forward}: feature-extractor normalisation and the wav2vec2 forward as LiveTalk
 * runs it (docs/model.md#wav2vec2), every traced tensor, once for each weight layout: {@code wav2vec_tiny}
 * (HF {@code Wav2Vec2Model} names) and {@code wav2vec_tiny_ctc} ({@code wav2vec2.} prefix plus
 * an unused {@code lm_head}).
 */
final class Wav2VecForwardCheck implements GoldenCheck {
    private static final List<String> WEIGHTS = List.of("wav2vec_tiny", "wav2vec_tiny_ctc");

    @Override
    public String stem() {
        return "wav2vec_forward";
    }

    @Override
    public void run(GoldenDir dir, Backend backend, Report report) {
        report.compare(dir, stem(), "input_values", () -> FeatureNormalizer.normalize(dir.floats(stem(), "waveform")));
        // The model runs on the golden input values (derived from the waveform when absent), so
        // each stage is checked on its own.
        float[] goldenInput = dir.has(stem(), "input_values") ? dir.floats(stem(), "input_values")
                : FeatureNormalizer.normalize(dir.floats(stem(), "waveform"));
        int seqLen = dir.has(stem(), "seq_len") ? (int) dir.tensor(stem(), "seq_len").toLongArray()[0]
                : (int) dir.tensor(stem(), "conv_features_interpolated").dim(1);     // [1, seq_len, C]
        for (String weights : WEIGHTS) {
            if (!dir.has(weights)) {
                report.skip(stem() + "[" + weights + "]", "weight file " + weights + ".safetensors not in the directory");
                continue;
            }
            Wav2Vec2 model = new Wav2Vec2(backend, dir.file(weights));
            Wav2Vec2.Result r = model.forward(goldenInput, seqLen);
            String s = stem() + "[" + weights + "]";
            report.compare(dir, s, stem(), "conv_features", () -> r.convFeatures());
            report.compare(dir, s, stem(), "conv_features_interpolated", () -> r.interpolated());
            report.compare(dir, s, stem(), "feature_projection_norm", () -> r.projectionNorm());
            report.compare(dir, s, stem(), "feature_projection_out", () -> r.projectionOut());
            report.compare(dir, s, stem(), "pos_conv_embed", () -> r.posConv());
            for (int i = 0; i < r.hiddenStates().size(); i++) {
                float[] hs = r.hiddenStates().get(i);
                report.compare(dir, s, stem(), "hidden_states_" + i, () -> hs);
            }
            report.compare(dir, s, stem(), "last_hidden_state", () -> r.lastHiddenState());
            report.compare(dir, s, stem(), "audio_features", () -> r.features());
        }
    }
}
