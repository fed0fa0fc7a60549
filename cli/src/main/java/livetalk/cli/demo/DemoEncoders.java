package livetalk.cli.demo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;

/**
 * Tiny random umT5 encoder and wav2vec2 state dicts under the official names: the released
 * {@code models_t5_umt5-xxl-enc-bf16.pth} (spec §7.1) and facebook/wav2vec2-base-960h
 * ({@code Wav2Vec2ForCTC}: every name with the {@code wav2vec2.} prefix, plus {@code lm_head};
 * weight-normed positional conv as {@code weight_g}/{@code weight_v}), shrunk in width and depth only.
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

    /** Width of the pipeline's audio feature vector {@code cat(last, hs0..hsN)}: (N+2)·H (spec §6.2). */
    static int audioFeatureDim() {
        return (W2V_LAYERS + 2) * W2V_HIDDEN;
    }

    /** The umT5 encoder in BF16 (as the released file), names in the official state-dict order. */
    static Map<String, Tensor> umt5(int vocab) {
        SeededWeights w = new SeededWeights(T5_SEED, DType.BF16);
        w.normal("token_embedding.weight", 0, 1, vocab, T5_DIM);
        for (int i = 0; i < T5_LAYERS; i++) {
            String p = "blocks." + i + ".";
            w.scale(p + "norm1.weight", T5_DIM);
            for (String m : List.of("q", "k", "v")) w.matrix(p + "attn." + m + ".weight", T5_DIM, T5_DIM);
            w.matrix(p + "attn.o.weight", T5_DIM, T5_DIM);
            w.scale(p + "norm2.weight", T5_DIM);
            w.matrix(p + "ffn.gate.0.weight", T5_FFN, T5_DIM);
            w.matrix(p + "ffn.fc1.weight", T5_FFN, T5_DIM);
            w.matrix(p + "ffn.fc2.weight", T5_DIM, T5_FFN);
            w.normal(p + "pos_embedding.embedding.weight", 0, 0.5, T5_BUCKETS, T5_HEADS);   // [buckets, heads]
        }
        w.scale("norm.weight", T5_DIM);
        return w.tensors();
    }

    /** wav2vec2 in F32 with the {@code Wav2Vec2ForCTC} names. */
    static Map<String, Tensor> wav2vec2() {
        String p = "wav2vec2.";
        SeededWeights w = new SeededWeights(W2V_SEED, DType.F32);
        int c = W2V_CONV_DIM, h = W2V_HIDDEN, k = W2V_POS_KERNEL;
        w.normal(p + "masked_spec_embed", 0.5, 0.29, h);   // unused at inference (HF: uniform [0, 1))
        for (int i = 0; i < W2V_CONV_KERNEL.length; i++) {
            w.matrix(p + "feature_extractor.conv_layers." + i + ".conv.weight", c, i == 0 ? 1 : c, W2V_CONV_KERNEL[i]);
        }
        w.scale(p + "feature_extractor.conv_layers.0.layer_norm.weight", c);
        w.bias(p + "feature_extractor.conv_layers.0.layer_norm.bias", c);
        w.scale(p + "feature_projection.layer_norm.weight", c);
        w.bias(p + "feature_projection.layer_norm.bias", c);
        w.matrix(p + "feature_projection.projection.weight", h, c);
        w.bias(p + "feature_projection.projection.bias", h);
        w.bias(p + "encoder.pos_conv_embed.conv.bias", h);
        // w = g·v/‖v‖ per tap, ‖·‖ over (out, in/G): g = √(H/K) gives the effective kernel std 1/√(fan_in = H/G·K).
        w.normal(p + "encoder.pos_conv_embed.conv.weight_g", Math.sqrt((double) h / k), 0.01, 1, 1, k);
        w.normal(p + "encoder.pos_conv_embed.conv.weight_v", 0, 1, h, h / W2V_POS_GROUPS, k);
        w.scale(p + "encoder.layer_norm.weight", h);
        w.bias(p + "encoder.layer_norm.bias", h);
        for (int i = 0; i < W2V_LAYERS; i++) {
            String l = p + "encoder.layers." + i + ".";
            for (String m : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                w.matrix(l + "attention." + m + ".weight", h, h);
                w.bias(l + "attention." + m + ".bias", h);
            }
            w.scale(l + "layer_norm.weight", h);
            w.bias(l + "layer_norm.bias", h);
            w.matrix(l + "feed_forward.intermediate_dense.weight", W2V_FFN, h);
            w.bias(l + "feed_forward.intermediate_dense.bias", W2V_FFN);
            w.matrix(l + "feed_forward.output_dense.weight", h, W2V_FFN);
            w.bias(l + "feed_forward.output_dense.bias", h);
            w.scale(l + "final_layer_norm.weight", h);
            w.bias(l + "final_layer_norm.bias", h);
        }
        w.matrix("lm_head.weight", W2V_CTC_VOCAB, h);       // CTC head: in the released file, unused here
        w.bias("lm_head.bias", W2V_CTC_VOCAB);
        return w.tensors();
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
