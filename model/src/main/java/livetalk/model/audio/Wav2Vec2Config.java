package livetalk.model.audio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import livetalk.io.Checkpoint;
import livetalk.io.CheckpointException;
import livetalk.io.Json;
import livetalk.tensor.Tensor;

/**
 * Sizes of a wav2vec2 model in HF {@code config.json} terms (docs/model.md#wav2vec2). Read from a
 * {@code config.json} next to the weights, else from a {@code config} entry in the safetensors
 * metadata, else inferred from the tensor shapes with the wav2vec2-base defaults for what the
 * shapes do not tell (conv strides, 64-wide heads, eps 1e-5).
 */
public record Wav2Vec2Config(int[] convDim, int[] convKernel, int[] convStride, int hidden, int heads, int layers,
                             int intermediate, int posKernel, int posGroups, float layerNormEps, float groupNormEps) {

    static final int[] BASE_STRIDES = {5, 2, 2, 2, 2, 2, 2};   // docs/model.md#wav2vec2
    static final int BASE_HEAD_DIM = 64;                        // 768 / 12
    static final float BASE_EPS = 1e-5f;

    public int headDim() {
        return hidden / heads;
    }

    /** Finds the configuration for a checkpoint whose tensor names start with {@code prefix}. */
    public static Wav2Vec2Config load(Checkpoint ckpt, String prefix) {
        Path json = ckpt.path().resolveSibling("config.json");
        if (Files.isRegularFile(json)) {
            try {
                return fromJson(asMap(Json.parse(Files.readString(json)), json.toString()), ckpt, prefix);
            } catch (IOException e) {
                throw new CheckpointException(json + ": cannot read (" + e.getMessage() + ")", e);
            } catch (Json.ParseException e) {
                throw new CheckpointException(json + ": not well-formed JSON: " + e.getMessage());
            }
        }
        String meta = ckpt.metadata().get("config");
        if (meta != null) {
            try {
                return fromJson(asMap(Json.parse(meta), ckpt.path() + " metadata 'config'"), ckpt, prefix);
            } catch (Json.ParseException e) {
                throw new CheckpointException(ckpt.path() + ": metadata 'config' is not well-formed JSON: " + e.getMessage());
            }
        }
        return fromJson(Map.of(), ckpt, prefix);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o, String where) {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new CheckpointException(where + ": not a JSON object");
    }

    /** Values from {@code j} where present, the rest from the shapes and the base defaults. */
    static Wav2Vec2Config fromJson(Map<String, Object> j, Checkpoint c, String p) {
        String norm = j.get("feat_extract_norm") instanceof String s ? s : "group";
        if (!norm.equals("group") || Boolean.TRUE.equals(j.get("do_stable_layer_norm")) || Boolean.TRUE.equals(j.get("conv_bias"))) {
            throw new CheckpointException(c.path() + ": only the wav2vec2-base variant (group norm, post-LN, no conv bias) is supported");
        }
        int nConv = 0;
        while (c.contains(p + "feature_extractor.conv_layers." + nConv + ".conv.weight")) nConv++;
        if (nConv == 0) throw new CheckpointException(c.path() + ": no '" + p + "feature_extractor.conv_layers.0.conv.weight'");
        int[] dims = new int[nConv], kernels = new int[nConv];
        for (int i = 0; i < nConv; i++) {
            Tensor w = c.get(p + "feature_extractor.conv_layers." + i + ".conv.weight");   // [out, in, k]
            dims[i] = (int) w.dim(0);
            kernels[i] = (int) w.dim(2);
        }
        int[] strides = ints(j.get("conv_stride"));
        if (strides == null) {
            if (nConv != BASE_STRIDES.length) throw new CheckpointException(c.path() + ": " + nConv + " conv layers and no conv_stride in a config");
            strides = BASE_STRIDES.clone();
        }
        if (strides.length != nConv) throw new CheckpointException(c.path() + ": conv_stride has " + strides.length + " entries for " + nConv + " conv layers");
        Tensor proj = c.get(p + "feature_projection.projection.weight");       // [H, C]
        int hidden = (int) proj.dim(0);
        int layers = 0;
        while (c.contains(p + "encoder.layers." + layers + ".attention.q_proj.weight")) layers++;
        int ffn = layers > 0 ? (int) c.get(p + "encoder.layers.0.feed_forward.intermediate_dense.weight").dim(0) : 0;
        Tensor v = posConvV(c, p);                                              // [H, H/G, K]
        int posKernel = (int) v.dim(2), posGroups = hidden / (int) v.dim(1);
        int heads = j.get("num_attention_heads") instanceof Number n ? n.intValue() : Math.max(1, hidden / BASE_HEAD_DIM);
        if (hidden % heads != 0) throw new CheckpointException(c.path() + ": hidden size " + hidden + " not divisible by " + heads + " heads");
        float ln = j.get("layer_norm_eps") instanceof Number n ? n.floatValue() : BASE_EPS;
        float gn = j.get("group_norm_eps") instanceof Number n ? n.floatValue() : BASE_EPS;
        return new Wav2Vec2Config(dims, kernels, strides, hidden, heads, layers, ffn, posKernel, posGroups, ln, gn);
    }

    static Tensor posConvV(Checkpoint c, String p) {
        String a = p + "encoder.pos_conv_embed.conv.weight_v", b = p + "encoder.pos_conv_embed.conv.parametrizations.weight.original1";
        return c.contains(a) || !c.contains(b) ? c.get(a) : c.get(b);
    }

    static Tensor posConvG(Checkpoint c, String p) {
        String a = p + "encoder.pos_conv_embed.conv.weight_g", b = p + "encoder.pos_conv_embed.conv.parametrizations.weight.original0";
        return c.contains(a) || !c.contains(b) ? c.get(a) : c.get(b);
    }

    private static int[] ints(Object o) {
        if (!(o instanceof List<?> l)) return null;
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = ((Number) l.get(i)).intValue();
        return a;
    }

    /** Output frames of the conv feature encoder for {@code samples} input samples. */
    public int convFrames(int samples) {
        int t = samples;
        for (int i = 0; i < convKernel.length; i++) t = (t - convKernel[i]) / convStride[i] + 1;
        return t;
    }
}
