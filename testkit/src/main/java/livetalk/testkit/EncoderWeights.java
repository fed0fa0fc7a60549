package livetalk.testkit;

import java.util.List;
import livetalk.tensor.DType;

/**
 * Random umT5 encoder and wav2vec2 state dicts under the official names (docs/model.md#umt5 and
 * docs/model.md#wav2vec2): the released {@code models_t5_umt5-xxl-enc-bf16.pth}, and
 * facebook/wav2vec2-base-960h ({@code Wav2Vec2ForCTC}: every name with the {@code wav2vec2.}
 * prefix, plus {@code lm_head}; the weight-normed positional conv as {@code weight_g}/{@code weight_v}),
 * in any width and depth. The demo uses tiny ones, the benchmarks full-size ones.
 */
public final class EncoderWeights {
    private EncoderWeights() {
    }

    /** umT5 widths: official dim 4096, 64 heads, ffn 10240, 24 layers, 32 buckets (a position bias per block). */
    public record Umt5(int vocab, int dim, int heads, int ffn, int layers, int buckets) {
    }

    /**
     * wav2vec2 widths: official base conv 512 × 7 (kernels 10,3,3,3,3,2,2), hidden 768, 12 layers,
     * ffn 3072, positional conv 128 taps in 16 groups, CTC vocabulary 32.
     */
    public record Wav2Vec2(int convDim, int[] convKernels, int hidden, int layers, int ffn, int posKernel, int posGroups, int ctcVocab) {
        /** wav2vec2-base-960h's widths, the official ones above. */
        public static Wav2Vec2 base() {
            return new Wav2Vec2(512, new int[] {10, 3, 3, 3, 3, 2, 2}, 768, 12, 3072, 128, 16, 32);
        }
    }

    /** The umT5 encoder, names in the official state-dict order. */
    public static RandomWeights umt5(Umt5 c, long seed, DType dtype) {
        RandomWeights w = new RandomWeights(seed, dtype);
        w.normal("token_embedding.weight", 0, 1, c.vocab(), c.dim());
        for (int i = 0; i < c.layers(); i++) {
            String p = "blocks." + i + ".";
            w.scale(p + "norm1.weight", c.dim());
            for (String m : List.of("q", "k", "v", "o")) w.matrix(p + "attn." + m + ".weight", c.dim(), c.dim());
            w.scale(p + "norm2.weight", c.dim());
            w.matrix(p + "ffn.gate.0.weight", c.ffn(), c.dim());
            w.matrix(p + "ffn.fc1.weight", c.ffn(), c.dim());
            w.matrix(p + "ffn.fc2.weight", c.dim(), c.ffn());
            w.normal(p + "pos_embedding.embedding.weight", 0, 0.5, c.buckets(), c.heads());   // [buckets, heads]
        }
        w.scale("norm.weight", c.dim());
        return w;
    }

    /** wav2vec2 in F32 with the {@code Wav2Vec2ForCTC} names. */
    public static RandomWeights wav2vec2(Wav2Vec2 c, long seed) {
        String p = "wav2vec2.";
        RandomWeights w = new RandomWeights(seed, DType.F32);
        int ch = c.convDim(), h = c.hidden(), k = c.posKernel();
        w.normal(p + "masked_spec_embed", 0.5, 0.29, h);   // unused at inference (HF: uniform [0, 1))
        for (int i = 0; i < c.convKernels().length; i++) {
            w.matrix(p + "feature_extractor.conv_layers." + i + ".conv.weight", ch, i == 0 ? 1 : ch, c.convKernels()[i]);
        }
        w.scale(p + "feature_extractor.conv_layers.0.layer_norm.weight", ch);
        w.bias(p + "feature_extractor.conv_layers.0.layer_norm.bias", ch);
        w.scale(p + "feature_projection.layer_norm.weight", ch);
        w.bias(p + "feature_projection.layer_norm.bias", ch);
        w.matrix(p + "feature_projection.projection.weight", h, ch);
        w.bias(p + "feature_projection.projection.bias", h);
        w.bias(p + "encoder.pos_conv_embed.conv.bias", h);
        // w = g·v/‖v‖ per tap, ‖·‖ over (out, in/G): g = √(H/K) gives the effective kernel std 1/√(fan_in = H/G·K).
        w.normal(p + "encoder.pos_conv_embed.conv.weight_g", Math.sqrt((double) h / k), 0.01, 1, 1, k);
        w.normal(p + "encoder.pos_conv_embed.conv.weight_v", 0, 1, h, h / c.posGroups(), k);
        w.scale(p + "encoder.layer_norm.weight", h);
        w.bias(p + "encoder.layer_norm.bias", h);
        for (int i = 0; i < c.layers(); i++) {
            String l = p + "encoder.layers." + i + ".";
            for (String m : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                w.matrix(l + "attention." + m + ".weight", h, h);
                w.bias(l + "attention." + m + ".bias", h);
            }
            w.scale(l + "layer_norm.weight", h);
            w.bias(l + "layer_norm.bias", h);
            w.matrix(l + "feed_forward.intermediate_dense.weight", c.ffn(), h);
            w.bias(l + "feed_forward.intermediate_dense.bias", c.ffn());
            w.matrix(l + "feed_forward.output_dense.weight", h, c.ffn());
            w.bias(l + "feed_forward.output_dense.bias", h);
            w.scale(l + "final_layer_norm.weight", h);
            w.bias(l + "final_layer_norm.bias", h);
        }
        w.matrix("lm_head.weight", c.ctcVocab(), h);       // CTC head: in the released file, unused here
        w.bias("lm_head.bias", c.ctcVocab());
        return w;
    }
}
