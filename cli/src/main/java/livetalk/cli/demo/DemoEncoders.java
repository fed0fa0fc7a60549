package livetalk.cli.demo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;
import livetalk.testkit.EncoderWeights;

/**
 * The demo's tiny umT5 encoder and wav2vec2 ({@link EncoderWeights}: the official names, shrunk
 * in width and depth only) and the wav2vec2 folder's JSON files.
 */
final class DemoEncoders {
    private DemoEncoders() {
    }

    // ---- umT5 (official: dim 4096, 64 heads, ffn 10240, 24 layers, 32 buckets, per-block position bias)
    static final int T5_DIM = 32, T5_HEADS = 2, T5_FFN = 64, T5_LAYERS = 2, T5_BUCKETS = 32;
    static final long T5_SEED = 5;

    // ---- wav2vec2 (official base: conv 512 ×7, hidden 768, 12 heads, 12 layers, ffn 3072, pos conv 128/16).
    // The conv kernels and strides stay official, so the features keep the 50 Hz frame rate.
    static final int[] W2V_CONV_KERNEL = {10, 3, 3, 3, 3, 2, 2};
    static final int[] W2V_CONV_STRIDE = {5, 2, 2, 2, 2, 2, 2};
    static final int W2V_CONV_DIM = 32, W2V_HIDDEN = 32, W2V_HEADS = 2, W2V_LAYERS = 2, W2V_FFN = 64;
    static final int W2V_POS_KERNEL = 16, W2V_POS_GROUPS = 4, W2V_CTC_VOCAB = 32;
    static final long W2V_SEED = 6;

    /** Width of the pipeline's audio feature vector {@code cat(last, hs0..hsN)}: (N+2)·H (docs/model.md#audio-features). */
    static int audioFeatureDim() {
        return (W2V_LAYERS + 2) * W2V_HIDDEN;
    }

    /** The umT5 encoder in BF16 (as the released file), names in the official state-dict order. */
    static Map<String, Tensor> umt5(int vocab) {
        return EncoderWeights.umt5(new EncoderWeights.Umt5(vocab, T5_DIM, T5_HEADS, T5_FFN, T5_LAYERS, T5_BUCKETS), T5_SEED, DType.BF16).tensors();
    }

    /** wav2vec2 in F32 with the {@code Wav2Vec2ForCTC} names. */
    static Map<String, Tensor> wav2vec2() {
        return EncoderWeights.wav2vec2(new EncoderWeights.Wav2Vec2(W2V_CONV_DIM, W2V_CONV_KERNEL, W2V_HIDDEN, W2V_LAYERS, W2V_FFN,
                W2V_POS_KERNEL, W2V_POS_GROUPS, W2V_CTC_VOCAB), W2V_SEED).tensors();
    }

    /** {@code config.json} in Hugging Face terms (the keys of wav2vec2-base-960h's file that matter). */
    static Map<String, Object> wav2vec2Config() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("architectures", List.of("Wav2Vec2ForCTC"));
        j.put("model_type", "wav2vec2");
        j.put("conv_bias", false);
        j.put("conv_dim", repeat(W2V_CONV_DIM, W2V_CONV_KERNEL.length));
        j.put("conv_kernel", ints(W2V_CONV_KERNEL));
        j.put("conv_stride", ints(W2V_CONV_STRIDE));
        j.put("do_stable_layer_norm", false);
        j.put("feat_extract_activation", "gelu");
        j.put("feat_extract_norm", "group");
        j.put("hidden_act", "gelu");
        j.put("hidden_size", W2V_HIDDEN);
        j.put("intermediate_size", W2V_FFN);
        j.put("layer_norm_eps", 1e-5);
        j.put("num_attention_heads", W2V_HEADS);
        j.put("num_conv_pos_embedding_groups", W2V_POS_GROUPS);
        j.put("num_conv_pos_embeddings", W2V_POS_KERNEL);
        j.put("num_feat_extract_layers", W2V_CONV_KERNEL.length);
        j.put("num_hidden_layers", W2V_LAYERS);
        j.put("vocab_size", W2V_CTC_VOCAB);
        return j;
    }

    /** {@code preprocessor_config.json} of wav2vec2-base-960h (what {@code Wav2Vec2FeatureExtractor} reads). */
    static Map<String, Object> wav2vec2Preprocessor() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("do_normalize", true);
        j.put("feature_size", 1);
        j.put("padding_side", "right");
        j.put("padding_value", 0.0);
        j.put("return_attention_mask", false);
        j.put("sampling_rate", 16000);
        return j;
    }

    private static List<Object> repeat(int v, int n) {
        return java.util.Collections.<Object>nCopies(n, v);
    }

    private static List<Object> ints(int[] a) {
        return java.util.Arrays.stream(a).<Object>mapToObj(Integer::valueOf).toList();
    }
}
