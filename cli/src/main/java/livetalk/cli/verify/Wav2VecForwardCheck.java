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
        float[] input = FeatureNormalizer.normalize(dir.floats(stem(), "waveform"));
        report.compare(stem(), "input_values", dir.floats(stem(), "input_values"), input);
        int seqLen = (int) dir.tensor(stem(), "seq_len").toLongArray()[0];
        // The model runs on the golden input values, so each stage is checked on its own.
        float[] goldenInput = dir.floats(stem(), "input_values");
        for (String weights : WEIGHTS) {
            if (!dir.has(weights)) {
                report.skip(stem() + "[" + weights + "]", "weight file " + weights + ".safetensors not in the directory");
                continue;
            }
            Wav2Vec2 model = new Wav2Vec2(backend, dir.file(weights));
            Wav2Vec2.Result r = model.forward(goldenInput, seqLen);
            String s = stem() + "[" + weights + "]";
            report.compare(s, "conv_features", dir.floats(stem(), "conv_features"), r.convFeatures());
            report.compare(s, "conv_features_interpolated", dir.floats(stem(), "conv_features_interpolated"), r.interpolated());
            report.compare(s, "feature_projection_norm", dir.floats(stem(), "feature_projection_norm"), r.projectionNorm());
            report.compare(s, "feature_projection_out", dir.floats(stem(), "feature_projection_out"), r.projectionOut());
            report.compare(s, "pos_conv_embed", dir.floats(stem(), "pos_conv_embed"), r.posConv());
            for (int i = 0; i < r.hiddenStates().size(); i++) {
                report.compare(s, "hidden_states_" + i, dir.floats(stem(), "hidden_states_" + i), r.hiddenStates().get(i));
            }
            report.compare(s, "last_hidden_state", dir.floats(stem(), "last_hidden_state"), r.lastHiddenState());
            report.compare(s, "audio_features", dir.floats(stem(), "audio_features"), r.features());
        }
    }
}
