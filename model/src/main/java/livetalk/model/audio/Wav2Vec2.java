package livetalk.model.audio;

import java.util.ArrayList;
import java.util.List;
import livetalk.io.Checkpoint;
import livetalk.io.CheckpointException;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Resampling;
import livetalk.kernels.TimeConv;
import livetalk.kernels.Weight;
import livetalk.tensor.Tensor;

/**
 * wav2vec2-base as LiveTalk runs it (docs/model.md#wav2vec2; OmniAvatar's {@code Wav2VecModel.forward}):
 * conv feature encoder, linear interpolation of the conv features to {@code seqLen} video frames
 * (before the projection, docs/numerics.md#audio-features), feature projection, weight-normed grouped positional
 * conv, encoder LayerNorm, post-LN transformer layers. HF names, with or without the
 * {@code wav2vec2.} prefix of a {@code Wav2Vec2ForCTC} checkpoint; {@code lm_head} is ignored.
 *
 * <p>The conv encoder runs where the backend keeps its buffers: each layer's columns
 * ({@code Backend.columns1d}), its product ({@code Backend.linear}), the first layer's GroupNorm
 * ({@code Backend.channelNormOverTime}) and GELU, with one read of the last layer's output. A live
 * session runs it on every block's 4 s window (12799 frames after the first layer), so on a GPU
 * none of it goes through the host. The positional conv builds its columns where the projection's
 * output is, too; only its groups' outputs (a few hundred frames × 48 channels each) come back to
 * be placed side by side.
 */
public final class Wav2Vec2 {
    /** Everything the golden trace records, each time-major {@code [frames, width]}. */
    public record Result(float[] convFeatures, int convFrames, float[] interpolated, float[] projectionNorm,
                         float[] projectionOut, float[] posConv, List<float[]> hiddenStates, float[] features) {
        public float[] lastHiddenState() {
            return hiddenStates.getLast();
        }
    }

    private record Layer(Weight q, Weight qb, Weight k, Weight kb, Weight v, Weight vb, Weight o, Weight ob,
                         Weight ln, Weight lnb, Weight fc1, Weight fc1b, Weight fc2, Weight fc2b, Weight fln, Weight flnb) {
    }

    private final Backend be;
    private final Wav2Vec2Config cfg;
    private final Weight[] conv;
    private final Weight gnWeight, gnBias;        // conv layer 0 GroupNorm(C, C)
    private final Weight fpNorm, fpNormB, fpProj, fpProjB;
    private final Weight[] posConv;               // per group [H/G, H/G, K], weight-norm applied
    private final float[] posBias;
    private final Weight encNorm, encNormB;
    private final Layer[] layers;

    public Wav2Vec2(Backend be, Checkpoint ckpt) {
        this.be = be;
        String p = prefix(ckpt);
        this.cfg = Wav2Vec2Config.load(ckpt, p);
        int n = cfg.convDim().length;
        conv = new Weight[n];
        for (int i = 0; i < n; i++) {
            Tensor w = ckpt.get(p + "feature_extractor.conv_layers." + i + ".conv.weight");
            int in = i == 0 ? 1 : cfg.convDim()[i - 1];
            expect(ckpt, w, p + "feature_extractor.conv_layers." + i + ".conv.weight", cfg.convDim()[i], in, cfg.convKernel()[i]);
            conv[i] = be.weight(w);
        }
        gnWeight = be.weight(ckpt.get(p + "feature_extractor.conv_layers.0.layer_norm.weight"));
        gnBias = be.weight(ckpt.get(p + "feature_extractor.conv_layers.0.layer_norm.bias"));
        String fp = p + "feature_projection.";
        fpNorm = be.weight(ckpt.get(fp + "layer_norm.weight"));
        fpNormB = be.weight(ckpt.get(fp + "layer_norm.bias"));
        fpProj = be.weight(ckpt.get(fp + "projection.weight"));
        fpProjB = be.weight(ckpt.get(fp + "projection.bias"));
        posConv = weightNormGroups(ckpt, p);
        posBias = ckpt.get(p + "encoder.pos_conv_embed.conv.bias").toFloatArray();
        encNorm = be.weight(ckpt.get(p + "encoder.layer_norm.weight"));
        encNormB = be.weight(ckpt.get(p + "encoder.layer_norm.bias"));
        layers = new Layer[cfg.layers()];
        for (int i = 0; i < layers.length; i++) {
            String l = p + "encoder.layers." + i + ".";
            layers[i] = new Layer(
                    w(ckpt, l + "attention.q_proj.weight"), w(ckpt, l + "attention.q_proj.bias"),
                    w(ckpt, l + "attention.k_proj.weight"), w(ckpt, l + "attention.k_proj.bias"),
                    w(ckpt, l + "attention.v_proj.weight"), w(ckpt, l + "attention.v_proj.bias"),
                    w(ckpt, l + "attention.out_proj.weight"), w(ckpt, l + "attention.out_proj.bias"),
                    w(ckpt, l + "layer_norm.weight"), w(ckpt, l + "layer_norm.bias"),
                    w(ckpt, l + "feed_forward.intermediate_dense.weight"), w(ckpt, l + "feed_forward.intermediate_dense.bias"),
                    w(ckpt, l + "feed_forward.output_dense.weight"), w(ckpt, l + "feed_forward.output_dense.bias"),
                    w(ckpt, l + "final_layer_norm.weight"), w(ckpt, l + "final_layer_norm.bias"));
        }
    }

    public Wav2Vec2Config config() {
        return cfg;
    }

    /** {@code "wav2vec2."} for a {@code Wav2Vec2ForCTC} checkpoint, else {@code ""}. */
    static String prefix(Checkpoint c) {
        if (c.contains("feature_extractor.conv_layers.0.conv.weight")) return "";
        if (c.contains("wav2vec2.feature_extractor.conv_layers.0.conv.weight")) return "wav2vec2.";
        throw new CheckpointException(c.path() + ": not a wav2vec2 checkpoint ('feature_extractor.conv_layers.0.conv.weight' missing, with or without 'wav2vec2.')");
    }

    private Weight w(Checkpoint c, String name) {
        return be.weight(c.get(name));
    }

    private static void expect(Checkpoint c, Tensor t, String name, long... shape) {
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new CheckpointException(c.path() + ": tensor '" + name + "' has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected " + java.util.Arrays.toString(shape));
        }
    }

    /** {@code w = g · v / ‖v‖} with the norm over dims (0, 1) for each tap (docs/model.md#wav2vec2), split by group. */
    private Weight[] weightNormGroups(Checkpoint c, String p) {
        int h = cfg.hidden(), groups = cfg.posGroups(), k = cfg.posKernel(), per = h / groups;
        Tensor vt = Wav2Vec2Config.posConvV(c, p), gt = Wav2Vec2Config.posConvG(c, p);
        expect(c, vt, "pos_conv_embed weight_v", h, per, k);
        if (gt.numel() != k) throw new CheckpointException(c.path() + ": pos_conv_embed weight_g has " + gt.numel() + " values, expected " + k);
        float[] v = vt.toFloatArray(), g = gt.toFloatArray();
        double[] norm = new double[k];
        for (int i = 0; i < h * per; i++) {
            for (int t = 0; t < k; t++) norm[t] += (double) v[i * k + t] * v[i * k + t];
        }
        float[] w = new float[v.length];
        for (int i = 0; i < h * per; i++) {
            for (int t = 0; t < k; t++) w[i * k + t] = (float) (g[t] * (v[i * k + t] / Math.sqrt(norm[t])));
        }
        Weight[] out = new Weight[groups];
        for (int gi = 0; gi < groups; gi++) {
            float[] part = java.util.Arrays.copyOfRange(w, gi * per * per * k, (gi + 1) * per * per * k);
            out[gi] = be.weight(Tensor.wrap(part, per, per, k));
        }
        return out;
    }

    /**
     * Runs the network on normalised samples ({@link livetalk.io.audio.FeatureNormalizer}) and
     * stretches the conv features to {@code seqLen} frames. {@code features} is
     * {@code cat(last, hs0, …, hsN)}: {@code [seqLen, (N+2)·H]} (docs/model.md#audio-features).
     */
    public Result forward(float[] inputValues, int seqLen) {
        int h = cfg.hidden();
        // ---- conv feature encoder: [T, 1] → [T_conv, C]
        Buf x = be.upload(inputValues);
        int t = inputValues.length, ch = 1;
        for (int i = 0; i < conv.length; i++) {
            int k = cfg.convKernel()[i], s = cfg.convStride()[i], c = cfg.convDim()[i];
            int tOut = TimeConv.outLength(t, k, s, 0);
            if (tOut < 1) throw new IllegalArgumentException(inputValues.length + " samples are too short for the conv feature encoder");
            Buf col = be.alloc((long) tOut * ch * k);
            be.columns1d(x, t, ch, 0, ch, k, s, 0, tOut, col);                 // [T', C·K]
            Buf y = be.alloc((long) tOut * c);
            be.linear(col, y, tOut, conv[i], null);                            // [T', C']
            if (i == 0) be.channelNormOverTime(y, y, tOut, c, cfg.groupNormEps(), gnWeight, gnBias);
            be.gelu(y, y, false);                                              // exact erf GELU
            be.free(col);                                                      // device memory is not freed by a collection soon enough
            be.free(x);
            x = y;
            t = tOut;
            ch = c;
        }
        float[] convFeatures = be.read(x);
        be.free(x);
        int convFrames = t;
        // ---- LiveTalk: linear interpolation (align_corners) to the video frame count, before the projection
        float[] interp = Resampling.linearAlignCorners(convFeatures, convFrames, ch, seqLen);   // [S, C]
        Buf fx = be.upload(interp);
        Buf norm = be.alloc((long) seqLen * ch);
        be.layerNorm(fx, norm, seqLen, ch, cfg.layerNormEps(), fpNorm, fpNormB);
        Buf hs = be.alloc((long) seqLen * h);
        be.linear(norm, hs, seqLen, fpProj, fpProjB);                           // [S, H]
        float[] projNorm = be.read(norm), projOut = be.read(hs);
        // ---- positional conv embedding
        float[] pos = positionalConv(hs, seqLen);
        Buf posBuf = be.upload(pos);
        be.add(hs, posBuf, hs);
        be.layerNorm(hs, hs, seqLen, h, cfg.layerNormEps(), encNorm, encNormB);
        List<float[]> states = new ArrayList<>();
        states.add(be.read(hs));
        // ---- post-LN transformer layers
        Buf q = be.alloc((long) seqLen * h), k = be.alloc((long) seqLen * h), v = be.alloc((long) seqLen * h);
        Buf o = be.alloc((long) seqLen * h), tmp = be.alloc((long) seqLen * h);
        Buf f = be.alloc((long) seqLen * cfg.intermediate());
        float scale = (float) Math.pow(cfg.headDim(), -0.5);
        for (Layer l : layers) {
            be.linear(hs, q, seqLen, l.q(), l.qb());
            be.linear(hs, k, seqLen, l.k(), l.kb());
            be.linear(hs, v, seqLen, l.v(), l.vb());
            be.attention(q, k, v, o, seqLen, seqLen, cfg.heads(), cfg.headDim(), scale, null);   // global, no mask
            be.linear(o, tmp, seqLen, l.o(), l.ob());
            be.add(hs, tmp, hs);
            be.layerNorm(hs, hs, seqLen, h, cfg.layerNormEps(), l.ln(), l.lnb());
            be.linear(hs, f, seqLen, l.fc1(), l.fc1b());
            be.gelu(f, f, false);
            be.linear(f, tmp, seqLen, l.fc2(), l.fc2b());
            be.add(hs, tmp, hs);
            be.layerNorm(hs, hs, seqLen, h, cfg.layerNormEps(), l.fln(), l.flnb());
            states.add(be.read(hs));
        }
        for (Buf b : new Buf[] {fx, norm, hs, posBuf, q, k, v, o, tmp, f}) be.free(b);
        return new Result(convFeatures, convFrames, interp, projNorm, projOut, pos, states, stack(states, seqLen, h));
    }

    /** Grouped conv of x {@code [S, H]} (padding K/2), last frame dropped for even K, bias, GELU: {@code [S, H]}. */
    private float[] positionalConv(Buf x, int s) {
        int h = cfg.hidden(), k = cfg.posKernel(), groups = cfg.posGroups(), per = h / groups, pad = k / 2;
        int tOut = TimeConv.outLength(s, k, 1, pad);         // s + 1 for even k
        float[] out = new float[s * h];
        Buf col = be.alloc((long) tOut * per * k), y = be.alloc((long) tOut * per);
        for (int g = 0; g < groups; g++) {
            be.columns1d(x, s, h, g * per, per, k, 1, pad, tOut, col);       // [T', per·K] of the group's channels
            be.linear(col, y, tOut, posConv[g], null);
            float[] yg = be.read(y);
            for (int i = 0; i < s; i++) {                    // frames ≥ s (the even-kernel extra) dropped
                for (int c = 0; c < per; c++) out[i * h + g * per + c] = yg[i * per + c] + posBias[g * per + c];
            }
        }
        be.free(col);                                        // device memory is not freed by a collection soon enough
        be.free(y);
        Buf ob = be.upload(out);
        be.gelu(ob, ob, false);
        float[] pos = be.read(ob);
        be.free(ob);
        return pos;
    }

    /** {@code cat(last, hs0, …, hsN)} along the feature axis. */
    private static float[] stack(List<float[]> states, int s, int h) {
        int w = (states.size() + 1) * h;
        float[] out = new float[s * w];
        for (int i = 0; i < s; i++) {
            System.arraycopy(states.getLast(), i * h, out, i * w, h);
            for (int j = 0; j < states.size(); j++) System.arraycopy(states.get(j), i * h, out, i * w + (j + 1) * h, h);
        }
        return out;
    }
}
